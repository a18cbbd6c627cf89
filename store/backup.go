package store

import (
	"fmt"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database's live data to path. It
// reads in one transaction, so writers keep going while it copies, and it
// copies keys and values, never free pages: nothing a /reset deleted can
// be in it. The copy is written to a temporary file, synced and renamed
// into place, so path holds either a whole copy or nothing new.
func (db *DB) Backup(path string) (int64, error) {
	tmp, err := compactInto(db.bolt, filepath.Dir(path))
	if err != nil {
		return 0, fmt.Errorf("write backup: %w", err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		_ = os.Remove(tmp)
		return 0, fmt.Errorf("write backup: %w", err)
	}
	if err := replace(tmp, path); err != nil {
		return 0, fmt.Errorf("write backup: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("write backup: %w", err)
	}
	return st.Size(), nil
}
