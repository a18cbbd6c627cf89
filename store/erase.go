package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// How erasure holds. bbolt frees the pages a /reset deletes but does not
// wipe them, and a file copy of the database (tx.WriteTo) carries free
// pages along. So:
//   - WipeFree overwrites every free page of the live file with zeros, once
//     no read transaction is open (then no reader can reach a page freed
//     by an earlier commit);
//   - backups copy only live data (bbolt's Compact into a new file), so no
//     backup ever holds a free page;
//   - backups written before a reset are rewritten without the user
//     (RewriteWithout), and the users awaiting that are kept in the meta
//     bucket until it is done, so a restart finishes the job.
// The alternative, per-user keys destroyed at reset, would leave every
// page encrypted but the keys themselves in free pages: the same wipe
// would be needed.

// ErrBusy means a read transaction was open; try again shortly.
var ErrBusy = errors.New("database busy: a read transaction is open")

var keyScrubPending = []byte("scrub_pending")

// WipeFree overwrites the free pages of the database file with zeros and
// returns how many it wiped. It runs in a write transaction and refuses
// with ErrBusy while any read transaction is open.
func (db *DB) WipeFree() (int, error) {
	wiped := 0
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		if db.bolt.Stats().OpenTxN > 0 {
			return ErrBusy
		}
		f, err := os.OpenFile(db.path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		ps := db.bolt.Info().PageSize
		zero := make([]byte, ps)
		for id := 2; ; id++ { // pages 0 and 1 are the meta pages
			info, err := tx.Page(id)
			if err != nil {
				return err
			}
			if info == nil {
				break // the high-water mark: nothing was ever written past it
			}
			if info.Type != "free" {
				continue
			}
			if _, err := f.WriteAt(zero, int64(id)*int64(ps)); err != nil {
				return err
			}
			wiped++
		}
		return f.Sync()
	})
	if err != nil {
		if errors.Is(err, ErrBusy) {
			return 0, ErrBusy
		}
		return 0, fmt.Errorf("wipe free pages: %w", err)
	}
	return wiped, nil
}

// ScrubPending lists the users whose reset still has to reach the backups.
func (db *DB) ScrubPending() ([]string, error) {
	var ids []string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyScrubPending); v != nil {
			return json.Unmarshal(v, &ids)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read pending scrubs: %w", err)
	}
	return ids, nil
}

// ScrubDone removes users from the pending list.
func (db *DB) ScrubDone(userIDs []string) error {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		return editScrubPending(tx, func(ids []string) []string {
			out := ids[:0]
			for _, id := range ids {
				done := false
				for _, d := range userIDs {
					done = done || d == id
				}
				if !done {
					out = append(out, id)
				}
			}
			return out
		})
	})
	if err != nil {
		return fmt.Errorf("record scrub done: %w", err)
	}
	return nil
}

func editScrubPending(tx *bolt.Tx, edit func([]string) []string) error {
	b := tx.Bucket(bucketMeta)
	var ids []string
	if v := b.Get(keyScrubPending); v != nil {
		if err := json.Unmarshal(v, &ids); err != nil {
			return err
		}
	}
	ids = edit(ids)
	if len(ids) == 0 {
		return b.Delete(keyScrubPending)
	}
	v, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	return b.Put(keyScrubPending, v)
}

// compactInto writes the live data of src, read in one transaction, into
// a new file in dir and returns its path: no free page comes along.
func compactInto(src *bolt.DB, dir string) (string, error) {
	f, err := os.CreateTemp(dir, ".backup-*")
	if err != nil {
		return "", fmt.Errorf("create copy: %w", err)
	}
	name := f.Name()
	_ = f.Close()
	fail := func(err error) (string, error) {
		_ = os.Remove(name)
		return "", err
	}
	dst, err := bolt.Open(name, 0o600, &bolt.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		return fail(fmt.Errorf("open copy: %w", err))
	}
	if err := bolt.Compact(dst, src, 8<<20); err != nil {
		_ = dst.Close()
		return fail(fmt.Errorf("copy live data: %w", err))
	}
	if err := dst.Sync(); err != nil {
		_ = dst.Close()
		return fail(fmt.Errorf("sync copy: %w", err))
	}
	if err := dst.Close(); err != nil {
		return fail(fmt.Errorf("close copy: %w", err))
	}
	return name, nil
}

// replace renames tmp over path and syncs the folder.
func replace(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("rename copy: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// RewriteWithout rewrites the database file at path (a backup, not the
// open database) without the given users' data, keeping only live data.
func RewriteWithout(path string, userIDs []string) error {
	db, err := Open(path, Options{LockTimeout: time.Second})
	if err != nil {
		return err
	}
	for _, id := range userIDs {
		if _, err := db.ResetUser(id, nil); err != nil {
			_ = db.Close()
			return err
		}
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keyScrubPending) })
	if err != nil {
		_ = db.Close()
		return fmt.Errorf("rewrite backup: %w", err)
	}
	tmp, err := compactInto(db.bolt, filepath.Dir(path))
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return replace(tmp, path)
}

// CompactFile rewrites the (closed) database at path with only its live
// data, if force is set or more than half of what it has written is free
// pages and it is at least minBytes; it returns the sizes before and after
// (equal when it did nothing).
func CompactFile(path string, minBytes int64, force bool) (before, after int64, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, 0, fmt.Errorf("compact: %w", err)
	}
	before, after = st.Size(), st.Size()
	src, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 3 * time.Second}) // read-only would not load the freelist
	if err != nil {
		return before, after, fmt.Errorf("compact: %w", err)
	}
	var used, free int
	err = src.View(func(tx *bolt.Tx) error {
		ps := src.Info().PageSize
		used = int(tx.Size()) / ps
		s := src.Stats()
		free = s.FreePageN + s.PendingPageN
		return nil
	})
	if err != nil || !force && (before < minBytes || used == 0 || free*2 <= used) {
		_ = src.Close()
		return before, after, err
	}
	tmp, err := compactInto(src, filepath.Dir(path))
	if cerr := src.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return before, after, err
	}
	if err := replace(tmp, path); err != nil {
		return before, after, err
	}
	if st, err := os.Stat(path); err == nil {
		after = st.Size()
	}
	return before, after, nil
}

// RemoveStaleTemps deletes temporary copies (.backup-*) a crash left in
// dir, and returns how many.
func RemoveStaleTemps(dir string) int {
	names, _ := filepath.Glob(filepath.Join(dir, ".backup-*"))
	n := 0
	for _, name := range names {
		if os.Remove(name) == nil {
			n++
		}
	}
	return n
}

// PruneHistory deletes every message older than before from every user's
// history, in one transaction per user, and returns how many it deleted.
func (db *DB) PruneHistory(before time.Time) (int, error) {
	var users, threads []string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketUsers).ForEachBucket(func(k []byte) error {
			users = append(users, string(k))
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketThreads).ForEachBucket(func(k []byte) error {
			threads = append(threads, string(k))
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("prune history: %w", err)
	}
	sort.Strings(users)
	total := 0
	for _, id := range users {
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			ub := tx.Bucket(bucketUsers).Bucket([]byte(id))
			if ub == nil {
				return nil
			}
			n, err := pruneBucket(ub.Bucket(bucketHistory), before)
			total += n
			if err != nil || ub.Bucket(bucketPlaces) == nil {
				return err
			}
			places := ub.Bucket(bucketPlaces)
			return places.ForEachBucket(func(k []byte) error {
				n, err := pruneBucket(places.Bucket(k), before)
				total += n
				return err
			})
		})
		if err != nil {
			return total, fmt.Errorf("prune history: %w", err)
		}
	}
	for _, id := range threads {
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			tb := tx.Bucket(bucketThreads).Bucket([]byte(id))
			if tb == nil {
				return nil
			}
			n, err := pruneBucket(tb.Bucket(bucketHistory), before)
			total += n
			return err
		})
		if err != nil {
			return total, fmt.Errorf("prune history: %w", err)
		}
	}
	return total, nil
}

// pruneBucket deletes a history bucket's messages stored before before
// (history is in time order) and says how many.
func pruneBucket(h *bolt.Bucket, before time.Time) (int, error) {
	total := 0
	c := h.Cursor()
	for k, v := c.First(); k != nil; k, v = c.First() {
		var m struct {
			CreatedAt time.Time `json:"created_at"`
		}
		if err := json.Unmarshal(v, &m); err != nil {
			return total, err
		}
		if !m.CreatedAt.Before(before) {
			break
		}
		if err := c.Delete(); err != nil {
			return total, err
		}
		total++
	}
	return total, nil
}
