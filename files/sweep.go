package files

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Exists reports whether a file is on disk.
func (d *Dir) Exists(userID, fileID, ext string) bool {
	path, err := d.Path(userID, fileID, ext)
	if err != nil {
		return false
	}
	st, err := os.Lstat(path)
	return err == nil && st.Mode().IsRegular()
}

// RemoveOrphans deletes what lies in the users' folders without being
// known: interrupted writes (temp files) and entries for which known
// (given the user ID and the entry's name) is false, such as files whose
// metadata was committed away before a crash. Emptied user folders go too.
// It returns how many entries it removed and the first error it met; it
// keeps going past errors.
func (d *Dir) RemoveOrphans(known func(userID, name string) bool) (int, error) {
	return d.RemoveOrphansOlderThan(known, 0)
}

// RemoveOrphansOlderThan is RemoveOrphans for a running bot: a file
// modified less than minAge ago may be an upload whose record is being
// written, so it stays.
func (d *Dir) RemoveOrphansOlderThan(known func(userID, name string) bool, minAge time.Duration) (int, error) {
	users, err := os.ReadDir(d.root)
	if err != nil {
		return 0, fmt.Errorf("read files dir: %w", err)
	}
	removed := 0
	var firstErr error
	note := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	for _, u := range users {
		if !u.IsDir() || !validUser(u.Name()) {
			continue // not ours: leave it alone
		}
		dir := filepath.Join(d.root, u.Name())
		entries, err := os.ReadDir(dir)
		if err != nil {
			note(fmt.Errorf("read user dir: %w", err))
			continue
		}
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), ".tmp-") && known(u.Name(), e.Name()) {
				continue
			}
			if minAge > 0 {
				if info, err := e.Info(); err != nil || time.Since(info.ModTime()) < minAge {
					continue
				}
			}
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				note(fmt.Errorf("remove orphan: %w", err))
				continue
			}
			removed++
		}
		if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			if entries, rerr := os.ReadDir(dir); rerr != nil || len(entries) == 0 {
				note(fmt.Errorf("remove empty user dir: %w", err))
			}
		}
	}
	return removed, firstErr
}

// RemoveAllOf deletes every file left in the user's folder (not folders:
// nothing of ours is one), then the folder if it is empty. It keeps going
// past errors and returns how many it removed and the first error.
func (d *Dir) RemoveAllOf(userID string) (int, error) {
	dir, err := d.UserDir(userID)
	if err != nil {
		return 0, err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read user dir: %w", err)
	}
	n := 0
	var firstErr error
	for _, e := range entries {
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("remove leftover file: %w", err)
			}
			continue
		}
		n++
	}
	if err := d.RemoveUserDirIfEmpty(userID); err != nil && firstErr == nil {
		firstErr = err
	}
	return n, firstErr
}
