// Package oldbottest writes mongodump collection files in the shapes the
// old Python bot stored, for the import's tests.
package oldbottest

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// WriteCollection writes docs as dir/<name> the way mongodump does: BSON
// documents one after another (gzipped when name ends in .gz).
func WriteCollection(t testing.TB, dir, name string, docs ...any) string {
	t.Helper()
	var buf bytes.Buffer
	for _, d := range docs {
		b, err := bson.Marshal(d)
		if err != nil {
			t.Fatalf("marshal %s: %v", name, err)
		}
		buf.Write(b)
	}
	data := buf.Bytes()
	if strings.HasSuffix(name, ".gz") {
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		data = z.Bytes()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
