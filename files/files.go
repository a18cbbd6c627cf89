// Package files keeps users' files on disk under DATA_DIR/files/<user_id>/,
// named by an unguessable file ID, never by the name the user gave them.
// Writes are atomic: a temp file in the same folder, fsynced, renamed, and
// the folder fsynced. Removing a file that is already gone is not an error.
package files

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Sentinel errors.
var (
	// ErrTooLarge means the content was over the size limit; nothing was kept.
	ErrTooLarge = errors.New("file is too large")
	// ErrBadID means a user ID, file ID or extension is not safe in a path.
	ErrBadID = errors.New("invalid id")
)

// Dir is the root folder of all users' files.
type Dir struct {
	root string
}

// Open makes sure root exists (mode 0700) and returns it as a Dir.
func Open(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("create files dir: %w", err)
	}
	return &Dir{root: root}, nil
}

// Root is the folder holding every user's folder.
func (d *Dir) Root() string { return d.root }

// NewID returns a fresh unguessable file ID: 128 random bits in lowercase
// base32, safe in a path and in a Discord custom_id.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("files: no randomness: " + err.Error())
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// ValidID reports whether id could have come from NewID.
func ValidID(id string) bool {
	if len(id) != 26 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

func validUser(userID string) bool {
	if userID == "" || len(userID) > 20 {
		return false
	}
	for _, c := range userID {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func validExt(ext string) bool {
	if ext == "" {
		return true
	}
	if ext[0] != '.' || len(ext) > 11 {
		return false
	}
	for _, c := range ext[1:] {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// UserDir is the folder of one user's files.
func (d *Dir) UserDir(userID string) (string, error) {
	if !validUser(userID) {
		return "", fmt.Errorf("user %q: %w", userID, ErrBadID)
	}
	return filepath.Join(d.root, userID), nil
}

// Path is where a file lives.
func (d *Dir) Path(userID, fileID, ext string) (string, error) {
	dir, err := d.UserDir(userID)
	if err != nil {
		return "", err
	}
	if !ValidID(fileID) || !validExt(ext) {
		return "", fmt.Errorf("file %q%q: %w", fileID, ext, ErrBadID)
	}
	return filepath.Join(dir, fileID+ext), nil
}

// Written describes bytes that Write put on disk.
type Written struct {
	Path   string
	Size   int64
	SHA256 string
	// Head is up to the first 512 bytes, for type detection.
	Head []byte
}

// Write streams r to the file's path atomically, refusing more than max
// bytes with ErrTooLarge (and leaving nothing behind).
func (d *Dir) Write(userID, fileID, ext string, r io.Reader, max int64) (Written, error) {
	path, err := d.Path(userID, fileID, ext)
	if err != nil {
		return Written{}, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Written{}, fmt.Errorf("create user dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return Written{}, fmt.Errorf("create temp file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	h := sha256.New()
	head := &headWriter{max: 512}
	n, err := io.Copy(io.MultiWriter(tmp, h, head), io.LimitReader(r, max+1))
	if err == nil && n > max {
		err = ErrTooLarge
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Written{}, fmt.Errorf("write file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return Written{}, fmt.Errorf("rename file: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return Written{}, err
	}
	return Written{Path: path, Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), Head: head.b}, nil
}

type headWriter struct {
	b   []byte
	max int
}

func (h *headWriter) Write(p []byte) (int, error) {
	if room := h.max - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir for sync: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	return nil
}

// Remove unlinks one file; a file already gone counts as removed.
func (d *Dir) Remove(userID, fileID, ext string) error {
	path, err := d.Path(userID, fileID, ext)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove file: %w", err)
	}
	return nil
}

// RemoveUserDirIfEmpty removes the user's folder if nothing is left in it.
func (d *Dir) RemoveUserDirIfEmpty(userID string) error {
	dir, err := d.UserDir(userID)
	if err != nil {
		return err
	}
	err = os.Remove(dir) // fails on a non-empty folder, which is what we want
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if entries, rerr := os.ReadDir(dir); rerr == nil && len(entries) > 0 {
		return nil
	}
	return fmt.Errorf("remove user dir: %w", err)
}

// Open opens a stored file for reading.
func (d *Dir) Open(userID, fileID, ext string) (*os.File, error) {
	path, err := d.Path(userID, fileID, ext)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open file: %w", err)
	}
	return f, nil
}
