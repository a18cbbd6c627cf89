package store

import (
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the database to path. It runs in one
// read transaction, so writers keep going while it copies. The copy is
// written to a temporary file, fsynced and renamed into place, so path holds
// either a whole copy or nothing new.
func (db *DB) Backup(path string) (int64, error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".backup-*")
	if err != nil {
		return 0, fmt.Errorf("create backup: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	var n int64
	err = db.bolt.View(func(tx *bolt.Tx) error {
		var werr error
		n, werr = tx.WriteTo(tmp)
		return werr
	})
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("write backup: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("rename backup: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return n, nil
}
