package files

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDir_WriteAtomicAndRemove(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "files"))
	if err != nil {
		t.Fatal(err)
	}
	id := NewID()
	w, err := d.Write("42", id, ".txt", strings.NewReader("hello"), 10)
	if err != nil {
		t.Fatal(err)
	}
	if w.Size != 5 || w.SHA256 != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" || string(w.Head) != "hello" {
		t.Fatalf("written = %+v", w)
	}
	st, _ := os.Stat(w.Path)
	dst, _ := os.Stat(filepath.Dir(w.Path))
	if st.Mode().Perm() != 0o600 || dst.Mode().Perm() != 0o700 {
		t.Errorf("modes: file %v dir %v", st.Mode().Perm(), dst.Mode().Perm())
	}
	// Too large: refused, nothing left behind (no temp file either).
	if _, err := d.Write("42", NewID(), ".bin", bytes.NewReader(make([]byte, 11)), 10); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(w.Path))
	if len(entries) != 1 {
		t.Fatalf("user dir holds %d entries", len(entries))
	}
	// Zero bytes are fine.
	if w0, err := d.Write("42", NewID(), "", bytes.NewReader(nil), 10); err != nil || w0.Size != 0 {
		t.Fatalf("empty: %+v %v", w0, err)
	}
	if err := d.Remove("42", id, ".txt"); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove("42", id, ".txt"); err != nil {
		t.Fatalf("removing a gone file: %v", err)
	}
	if err := d.RemoveUserDirIfEmpty("42"); err != nil {
		t.Fatal(err) // not empty yet: the zero-byte file is there; no error
	}
	if _, err := os.Stat(filepath.Dir(w.Path)); err != nil {
		t.Fatal("non-empty user dir was removed")
	}
}

func TestDir_RefusesUnsafeIDs(t *testing.T) {
	d, _ := Open(t.TempDir())
	for _, c := range [][3]string{
		{"../1", NewID(), ""}, {"1", "../../etc/passwd", ""}, {"1", NewID(), "/x"}, {"1", NewID(), ".."},
		{"1", strings.ToUpper(NewID()), ""}, {"", NewID(), ""},
	} {
		if _, err := d.Path(c[0], c[1], c[2]); !errors.Is(err, ErrBadID) {
			t.Errorf("Path%v: err = %v", c, err)
		}
	}
}

func TestSanitizeName(t *testing.T) {
	cases := map[string]string{
		"report.pdf":             "report.pdf",
		"../../etc/passwd":       "passwd",
		"C:\\Users\\me\\a.txt":   "a.txt",
		".bashrc":                "bashrc",
		"a\x00b\nc.txt":          "abc.txt",
		"":                       "file",
		"...":                    "file",
		strings.Repeat("x", 300): strings.Repeat("x", 100),
		"ünï çödé.md":            "ünï çödé.md",
	}
	for in, want := range cases {
		if got := SanitizeName(in); got != want {
			t.Errorf("SanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
	long := SanitizeName(strings.Repeat("y", 300) + ".png")
	if !strings.HasSuffix(long, ".png") || len([]rune(long)) != 100 {
		t.Errorf("long name keeps its extension: %q", long)
	}
}

func TestDetectType(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	cases := []struct {
		head []byte
		name string
		want string
	}{
		{png, "photo.PNG", "image/png"},
		{png, "not-an-image.txt", "image/png"},
		{[]byte("just text"), "fake.png", "text/plain"},
		{[]byte("a,b\n1,2\n"), "data.csv", "text/csv"},
		{[]byte("package main\n"), "main.go", "text/x-go"},
		{[]byte("no extension at all"), "README", "text/plain"},
		{[]byte{0, 1, 2, 3, 0xff}, "blob.bin", "application/octet-stream"},
		{[]byte("%PDF-1.7"), "doc.pdf", "application/pdf"},
		{nil, "empty.txt", "text/plain"},
		{nil, "empty", "application/octet-stream"},
	}
	for _, c := range cases {
		if got := DetectType(c.head, c.name); got != c.want {
			t.Errorf("DetectType(%q, %q) = %q, want %q", c.head, c.name, got, c.want)
		}
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := NewID()
		if !ValidID(id) || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}

func TestDir_RemoveOrphans(t *testing.T) {
	d, _ := Open(t.TempDir())
	keep, orphan := NewID(), NewID()
	for _, id := range []string{keep, orphan} {
		if _, err := d.Write("7", id, ".txt", strings.NewReader("x"), 10); err != nil {
			t.Fatal(err)
		}
	}
	_ = os.WriteFile(filepath.Join(d.Root(), "7", ".tmp-123"), []byte("half"), 0o600)
	if _, err := d.Write("8", NewID(), "", strings.NewReader("y"), 10); err != nil {
		t.Fatal(err)
	}
	_ = os.MkdirAll(filepath.Join(d.Root(), "not-a-user"), 0o700)
	n, err := d.RemoveOrphans(func(user, name string) bool { return user == "7" && name == keep+".txt" })
	if err != nil || n != 3 {
		t.Fatalf("removed %d, %v", n, err)
	}
	if !d.Exists("7", keep, ".txt") || d.Exists("7", orphan, ".txt") {
		t.Error("wrong file removed")
	}
	if _, err := os.Stat(filepath.Join(d.Root(), "8")); !errors.Is(err, os.ErrNotExist) {
		t.Error("emptied user dir left behind")
	}
	if _, err := os.Stat(filepath.Join(d.Root(), "not-a-user")); err != nil {
		t.Error("a folder that is not ours was touched")
	}
}
