package store

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// openTest opens a fresh database in a temp dir and checks its consistency
// when the test ends.
func openTest(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(filepath.Join(tb.TempDir(), FileName), Options{})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Check(); err != nil {
			tb.Errorf("check: %v", err)
		}
		if err := db.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return db
}

func TestOpen_CreatesBucketsAndMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	path := filepath.Join(dir, FileName)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", st.Mode().Perm())
	}
	err = db.bolt.View(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing", b)
			}
		}
		if got := string(tx.Bucket(bucketMeta).Get(keySchema)); got != strconv.Itoa(SchemaVersion) {
			t.Errorf("schema = %q", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpen_SecondOpenIsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	_, err = Open(path, Options{LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: err = %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second Open took %v", d)
	}
}

func TestOpen_RefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, []byte(strconv.Itoa(SchemaVersion+1)))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(path, Options{}); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("err = %v, want ErrNewerSchema", err)
	}
}

func TestOpen_ReadOnlyMissingFile(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "nope.db"), Options{ReadOnly: true})
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want not exist", err)
	}
}

func TestStore_CommandsHash(t *testing.T) {
	db := openTest(t)
	if h, err := db.CommandsHash(); err != nil || h != "" {
		t.Fatalf("fresh hash = %q, %v", h, err)
	}
	if err := db.SetCommandsHash("abc"); err != nil {
		t.Fatal(err)
	}
	if h, _ := db.CommandsHash(); h != "abc" {
		t.Fatalf("hash = %q", h)
	}
}

func TestStore_Backup(t *testing.T) {
	db := openTest(t)
	if _, err := db.AppendMessages("42", Message{Role: RoleUser, Content: "hello"}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "copy.db")
	n, err := db.Backup(out)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("backup wrote 0 bytes")
	}
	cp, err := Open(out, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if err := cp.Check(); err != nil {
		t.Fatal(err)
	}
	h, err := cp.History("42", 0)
	if err != nil || len(h) != 1 || h[0].Content != "hello" {
		t.Fatalf("history in copy = %+v, %v", h, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("backup dir holds %d entries, want only the copy", len(entries))
	}
}
