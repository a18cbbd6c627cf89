package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ResetUser deletes the user's whole data bucket (history, statistics,
// file metadata) in one transaction and returns the metadata of the files
// it held, for the caller to unlink after the commit. inTx, if set, runs
// inside the transaction (to mark in-flight answers stale). Settings live
// elsewhere and survive.
func (db *DB) ResetUser(userID string, inTx func()) ([]FileMeta, error) {
	gone, _, err := db.ResetUserCounted(userID, inTx)
	return gone, err
}

// ResetUserCounted is ResetUser that also says how many reminders the
// reset cancelled.
func (db *DB) ResetUserCounted(userID string, inTx func()) (gone []FileMeta, reminders int, err error) {
	key, err := userKey(userID)
	if err != nil {
		return nil, 0, err
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		users := tx.Bucket(bucketUsers)
		if ub := users.Bucket(key); ub != nil {
			var err error
			if gone, err = filesIn(ub.Bucket(bucketFiles)); err != nil {
				return err
			}
			if rb := ub.Bucket(bucketReminders); rb != nil {
				reminders = countKeys(rb)
			}
			if err := forgetThreads(tx, ub, userID); err != nil {
				return err
			}
			if err := users.DeleteBucket(key); err != nil {
				return err
			}
		}
		if inTx != nil {
			inTx()
		}
		// The backups still hold the user until they are rewritten.
		return editScrubPending(tx, func(ids []string) []string {
			for _, id := range ids {
				if id == userID {
					return ids
				}
			}
			return append(ids, userID)
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("reset user: %w", err)
	}
	return gone, reminders, nil
}

// Scan calls fn with every key and value in the database, nested buckets
// included, in a read transaction; a bucket is reported as its key with a
// nil value. It is for audits and tests: fn must copy what it keeps.
func (db *DB) Scan(fn func(path [][]byte, key, value []byte)) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			fn(nil, name, nil)
			return scanBucket([][]byte{name}, b, fn)
		})
	})
}

func scanBucket(path [][]byte, b *bolt.Bucket, fn func(path [][]byte, key, value []byte)) error {
	return b.ForEach(func(k, v []byte) error {
		fn(path, k, v)
		if v == nil {
			if sub := b.Bucket(k); sub != nil {
				return scanBucket(append(append([][]byte(nil), path...), k), sub, fn)
			}
		}
		return nil
	})
}
