package bot

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/discordgpt/discordgpt/store"
)

// scrubAttempts and scrubWait bound how long a wipe waits for the read
// transactions of a busy bot to close.
const (
	scrubAttempts = 600
	scrubWait     = 50 * time.Millisecond
)

// scrub makes resets hold in the raw bytes: it zeroes the free pages of
// the database file (where a reset's data stays until reused) and
// rewrites the backups in DATA_DIR/backups without the users reset, then
// forgets them. It runs after the reset was answered, and again at start
// for what a stop interrupted.
func (b *Bot) scrub(ctx context.Context) {
	b.backupMu.Lock()
	defer b.backupMu.Unlock()
	ids, err := b.db.ScrubPending()
	if err != nil || len(ids) == 0 {
		if err != nil {
			b.log.Error("read pending erasures", "err", err)
		}
		return
	}
	start := time.Now()
	if !b.wipeFree(ctx) {
		return // tried again at the next reset or start
	}
	names, _ := filepath.Glob(filepath.Join(b.backupDir(), "*.db"))
	for _, name := range names {
		if err := store.RewriteWithout(name, ids); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			b.log.Error("rewrite backup without reset users", "err", err)
			return
		}
	}
	if err := b.db.ScrubDone(ids); err != nil {
		b.log.Error("record erasure done", "err", err)
		return
	}
	b.wipeFree(ctx) // the pending list itself, once more
	b.log.Info("erasure complete", "users", len(ids), "backups_rewritten", len(names), "duration_ms", time.Since(start).Milliseconds())
}

// wipeFree zeroes the database's free pages, waiting for a moment without
// readers; it reports whether it did.
func (b *Bot) wipeFree(ctx context.Context) bool {
	for i := 0; i < scrubAttempts && ctx.Err() == nil; i++ {
		_, err := b.db.WipeFree()
		if err == nil {
			return true
		}
		if !errors.Is(err, store.ErrBusy) {
			b.log.Error("wipe free pages", "err", err)
			return false
		}
		select {
		case <-time.After(scrubWait):
		case <-ctx.Done():
		}
	}
	b.log.Warn("wipe free pages: the database was never idle; trying again later")
	return false
}
