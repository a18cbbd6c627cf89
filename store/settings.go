package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Settings returns the user's settings; a user with none gets the zero value.
func (db *DB) Settings(userID string) (Settings, error) {
	var s Settings
	key, err := userKey(userID)
	if err != nil {
		return s, err
	}
	err = db.bolt.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketSettings).Get(key); v != nil {
			return json.Unmarshal(v, &s)
		}
		return nil
	})
	if err != nil {
		return s, fmt.Errorf("read settings: %w", err)
	}
	return s, nil
}

// SetModel records the user's model choice. It lives outside the user's
// data bucket, so /reset keeps it.
func (db *DB) SetModel(userID, model string) error {
	return db.UpdateSettings(userID, func(s *Settings) { s.Model = model })
}

// UpdateSettings changes the user's settings in one transaction.
func (db *DB) UpdateSettings(userID string, change func(*Settings)) error {
	key, err := userKey(userID)
	if err != nil {
		return err
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSettings)
		var s Settings
		if v := b.Get(key); v != nil {
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
		}
		change(&s)
		v, err := json.Marshal(s)
		if err != nil {
			return err
		}
		return b.Put(key, v)
	})
	if err != nil {
		return fmt.Errorf("write settings: %w", err)
	}
	return nil
}
