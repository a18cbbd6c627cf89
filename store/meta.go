package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// CommandsHash returns the hash of the slash-command set last registered
// with Discord, or "" if none was.
func (db *DB) CommandsHash() (string, error) {
	var h string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		h = string(tx.Bucket(bucketMeta).Get(keyCommandsHash))
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("read commands hash: %w", err)
	}
	return h, nil
}

// SetCommandsHash records the hash of the command set just registered.
func (db *DB) SetCommandsHash(h string) error {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyCommandsHash, []byte(h))
	})
	if err != nil {
		return fmt.Errorf("write commands hash: %w", err)
	}
	return nil
}

// CommandsScope is where the commands were registered last ("global" or
// "guild <id>"); "" when never.
func (db *DB) CommandsScope() (string, error) {
	var v string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v = string(tx.Bucket(bucketMeta).Get(keyCommandsScope))
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("read commands scope: %w", err)
	}
	return v, nil
}

// SetCommandsScope records where the commands were registered.
func (db *DB) SetCommandsScope(scope string) error {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyCommandsScope, []byte(scope))
	})
	if err != nil {
		return fmt.Errorf("write commands scope: %w", err)
	}
	return nil
}
