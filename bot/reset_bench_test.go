package bot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/discordgpt/discordgpt/files"
	"github.com/discordgpt/discordgpt/store"
)

// BenchmarkReset measures /reset's work (the transaction, then the
// unlinks) for a user with 1,000 files and 10,000 messages in a database
// that holds 1,000 other users. It reports the transaction time, the total
// time per reset (when the user gets the answer), and the time the wipe
// of free pages then takes (when the raw bytes are clean).
func BenchmarkReset(b *testing.B) {
	dir := b.TempDir()
	db, err := OpenStore(dir, false)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	fdir, err := files.Open(filepath.Join(dir, "files"))
	if err != nil {
		b.Fatal(err)
	}
	bot := &Bot{db: db, files: fdir, log: slog.New(slog.NewTextHandler(io.Discard, nil)), cfg: Config{DataDir: dir}}
	for u := 0; u < 1000; u++ {
		if _, err := db.AppendMessages(fmt.Sprint(100000+u), store.Message{Role: "user", Content: "hello"},
			store.Message{Role: "assistant", Content: "hi there"}); err != nil {
			b.Fatal(err)
		}
	}
	const user = "424242"
	msgs := make([]store.Message, 10_000)
	for i := range msgs {
		msgs[i] = store.Message{Role: "user", Content: fmt.Sprintf("message %d with some ordinary length of text in it", i)}
	}
	var tx, total, scrub time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if _, err := db.AppendMessages(user, msgs...); err != nil {
			b.Fatal(err)
		}
		for f := 0; f < 1000; f++ {
			id := files.NewID()
			if _, err := fdir.Write(user, id, ".txt", bytes.NewReader([]byte("file body")), 100); err != nil {
				b.Fatal(err)
			}
			if _, err := db.AddFile(store.FileMeta{ID: id, UserID: user, Ext: ".txt", Name: "f.txt", UploadedAt: time.Now()}, 10_000, nil); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		res, err := bot.resetUser(user)
		if err != nil || res.Files != 1000 || res.Failed != 0 {
			b.Fatalf("reset: %+v %v", res, err)
		}
		tx += res.Tx
		total += res.Total
		// Then the raw bytes: the wipe of free pages (no backups here).
		t0 := time.Now()
		bot.scrub(context.Background())
		scrub += time.Since(t0)
	}
	b.ReportMetric(float64(tx.Microseconds())/float64(b.N)/1000, "tx-ms")
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "total-ms")
	b.ReportMetric(float64(scrub.Microseconds())/float64(b.N)/1000, "clean-bytes-ms")
}
