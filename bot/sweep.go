package bot

import (
	"context"
	"errors"
	"time"

	"github.com/discordgpt/discordgpt/store"
)

// sweepOrphans reconciles disk and store at start: metadata whose file is
// gone is dropped, and files (or leftovers of interrupted writes) with no
// metadata are removed. A crash between a commit and an unlink, or between
// a write and a commit, leaves exactly such orphans.
func (b *Bot) sweepOrphans() error {
	start := time.Now()
	known := map[string]bool{}
	var missing []store.FileMeta
	err := b.db.AllFiles(func(m store.FileMeta) {
		known[m.UserID+"/"+m.ID+m.Ext] = true
		if !b.files.Exists(m.UserID, m.ID, m.Ext) {
			missing = append(missing, m)
		}
	})
	if err != nil {
		return err
	}
	for _, m := range missing {
		if _, err := b.db.DeleteFile(m.UserID, m.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	removed, err := b.files.RemoveOrphans(func(userID, name string) bool { return known[userID+"/"+name] })
	b.log.Info("orphan sweep", "files_removed", removed, "metadata_dropped", len(missing),
		"duration_ms", time.Since(start).Milliseconds())
	return err
}

// sweepExpired removes expired files from the store, then from disk.
func (b *Bot) sweepExpired() (int, error) {
	gone, err := b.db.DeleteExpiredFiles(b.cfg.now())
	if err != nil {
		return 0, err
	}
	users := map[string]bool{}
	var firstErr error
	for _, m := range gone {
		if err := b.files.Remove(m.UserID, m.ID, m.Ext); err != nil && firstErr == nil {
			firstErr = err // left for the next start's orphan sweep
		}
		users[m.UserID] = true
	}
	for u := range users {
		if err := b.files.RemoveUserDirIfEmpty(u); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if len(gone) > 0 {
		b.log.Info("expired files removed", "files", len(gone))
	}
	return len(gone), firstErr
}

// runSweeper sweeps expired files now and every SWEEP_INTERVAL until ctx
// ends. It does nothing when files never expire.
func (b *Bot) runSweeper(ctx context.Context) {
	if b.cfg.FileExpiration <= 0 {
		return
	}
	runEvery(ctx, b.cfg.SweepInterval, true, func() {
		if _, err := b.sweepExpired(); err != nil {
			b.log.Warn("expiry sweep", "err", err)
		}
	})
}

// runEvery calls fn every interval (and once at the start if now is set)
// until ctx ends.
func runEvery(ctx context.Context, interval time.Duration, now bool, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	if now {
		fn()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}
