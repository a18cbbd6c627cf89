package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Ban is a blacklist entry.
type Ban struct {
	UserID string    `json:"user_id"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// Blacklist blocks a user; blocking twice is not an error.
func (db *DB) Blacklist(userID, by string, at time.Time) error {
	key, err := userKey(userID)
	if err != nil {
		return err
	}
	v, err := json.Marshal(Ban{UserID: userID, By: by, At: at.UTC()})
	if err != nil {
		return err
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketBlacklist).Put(key, v) })
	if err != nil {
		return fmt.Errorf("blacklist: %w", err)
	}
	return nil
}

// Unblacklist lifts a block and reports whether there was one.
func (db *DB) Unblacklist(userID string) (bool, error) {
	key, err := userKey(userID)
	if err != nil {
		return false, err
	}
	was := false
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBlacklist)
		was = b.Get(key) != nil
		return b.Delete(key)
	})
	if err != nil {
		return false, fmt.Errorf("unblacklist: %w", err)
	}
	return was, nil
}

// Blacklisted reports whether a user is blocked.
func (db *DB) Blacklisted(userID string) (bool, error) {
	key, err := userKey(userID)
	if err != nil {
		return false, err
	}
	found := false
	err = db.bolt.View(func(tx *bolt.Tx) error {
		found = tx.Bucket(bucketBlacklist).Get(key) != nil
		return nil
	})
	return found, err
}

// Bans lists the blacklist.
func (db *DB) Bans() ([]Ban, error) {
	var out []Ban
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBlacklist).ForEach(func(_, v []byte) error {
			var b Ban
			if err := json.Unmarshal(v, &b); err != nil {
				return err
			}
			out = append(out, b)
			return nil
		})
	})
	return out, err
}
