package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// AddFile stores a file's metadata. If the user then has more than
// maxFiles files, the oldest are removed from the store in the same
// transaction and returned, so the caller can unlink them. If valid is set
// and returns false inside the transaction (the user reset meanwhile),
// nothing is stored and ErrStale is returned.
func (db *DB) AddFile(meta FileMeta, maxFiles int, valid func() bool) (evicted []FileMeta, err error) {
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		if valid != nil && !valid() {
			return ErrStale
		}
		ub, err := userBucket(tx, meta.UserID, true)
		if err != nil {
			return err
		}
		b := ub.Bucket(bucketFiles)
		v, err := json.Marshal(meta)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(meta.ID), v); err != nil {
			return err
		}
		all, err := filesIn(b)
		if err != nil {
			return err
		}
		for len(all) > maxFiles && maxFiles > 0 {
			oldest := all[len(all)-1]
			all = all[:len(all)-1]
			if oldest.ID == meta.ID {
				continue // never evict the file being added
			}
			if err := b.Delete([]byte(oldest.ID)); err != nil {
				return err
			}
			evicted = append(evicted, oldest)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add file: %w", err)
	}
	return evicted, nil
}

// Files returns the user's files, newest first.
func (db *DB) Files(userID string) ([]FileMeta, error) {
	var out []FileMeta
	err := db.bolt.View(func(tx *bolt.Tx) error {
		ub, err := userBucket(tx, userID, false)
		if err != nil || ub == nil {
			return err
		}
		out, err = filesIn(ub.Bucket(bucketFiles))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	return out, nil
}

// File returns one of the user's files, or ErrNotFound.
func (db *DB) File(userID, fileID string) (FileMeta, error) {
	var m FileMeta
	err := db.bolt.View(func(tx *bolt.Tx) error {
		ub, err := userBucket(tx, userID, false)
		if err != nil {
			return err
		}
		if ub == nil {
			return ErrNotFound
		}
		v := ub.Bucket(bucketFiles).Get([]byte(fileID))
		if v == nil {
			return ErrNotFound
		}
		return json.Unmarshal(v, &m)
	})
	if err != nil {
		return FileMeta{}, fmt.Errorf("file %s: %w", fileID, err)
	}
	return m, nil
}

// DeleteFile removes one file's metadata and returns it; ErrNotFound if
// the user has no such file.
func (db *DB) DeleteFile(userID, fileID string) (FileMeta, error) {
	var m FileMeta
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		ub, err := userBucket(tx, userID, false)
		if err != nil {
			return err
		}
		if ub == nil {
			return ErrNotFound
		}
		b := ub.Bucket(bucketFiles)
		v := b.Get([]byte(fileID))
		if v == nil {
			return ErrNotFound
		}
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		return b.Delete([]byte(fileID))
	})
	if err != nil {
		return FileMeta{}, fmt.Errorf("delete file %s: %w", fileID, err)
	}
	return m, nil
}

// DeleteExpiredFiles removes every file whose expiry is at or before now,
// for all users, in one transaction, and returns them for unlinking.
func (db *DB) DeleteExpiredFiles(now time.Time) ([]FileMeta, error) {
	var gone []FileMeta
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		users := tx.Bucket(bucketUsers)
		// Collect first: a bucket must not change while it is iterated.
		type victim struct{ uid, fid []byte }
		var victims []victim
		err := users.ForEachBucket(func(uid []byte) error {
			return users.Bucket(uid).Bucket(bucketFiles).ForEach(func(k, v []byte) error {
				var m FileMeta
				if err := json.Unmarshal(v, &m); err != nil {
					return err
				}
				if !m.ExpiresAt.IsZero() && !m.ExpiresAt.After(now) {
					victims = append(victims, victim{append([]byte(nil), uid...), append([]byte(nil), k...)})
					gone = append(gone, m)
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
		for _, v := range victims {
			if err := users.Bucket(v.uid).Bucket(bucketFiles).Delete(v.fid); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delete expired files: %w", err)
	}
	return gone, nil
}

// AllFiles calls fn for every file's metadata of every user, in a read
// transaction (for the orphan sweep). fn must not call the store.
func (db *DB) AllFiles(fn func(FileMeta)) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUsers).ForEachBucket(func(uid []byte) error {
			return tx.Bucket(bucketUsers).Bucket(uid).Bucket(bucketFiles).ForEach(func(_, v []byte) error {
				var m FileMeta
				if err := json.Unmarshal(v, &m); err != nil {
					return err
				}
				fn(m)
				return nil
			})
		})
	})
}

// filesIn decodes every file in a user's files bucket, newest first.
func filesIn(b *bolt.Bucket) ([]FileMeta, error) {
	var out []FileMeta
	err := b.ForEach(func(_, v []byte) error {
		var m FileMeta
		if err := json.Unmarshal(v, &m); err != nil {
			return fmt.Errorf("decode file meta: %w", err)
		}
		out = append(out, m)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].UploadedAt.Equal(out[j].UploadedAt) {
			return out[i].UploadedAt.After(out[j].UploadedAt)
		}
		return out[i].ID > out[j].ID
	})
	return out, err
}
