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
	runEvery(ctx, b.cfg.SweepInterval, true, func() {
		if b.cfg.FileExpiration > 0 {
			if _, err := b.sweepExpired(); err != nil {
				b.log.Warn("expiry sweep", "err", err)
			}
		}
		if b.cfg.HistoryRetention > 0 {
			b.pruneHistory(ctx)
		}
		b.scrub(ctx) // erasures a busy database put off, if any
		// Files whose unlink failed (at a reset, an eviction, an expiry)
		// are retried here, not only at the next start.
		if err := b.sweepLeftovers(); err != nil {
			b.log.Warn("leftover sweep", "err", err)
		}
	})
}

// leftoverAge is how old a file without a record must be before a running
// bot removes it: younger ones may be uploads being recorded.
const leftoverAge = 10 * time.Minute

// sweepLeftovers removes files without a record older than leftoverAge.
func (b *Bot) sweepLeftovers() error {
	known := map[string]bool{}
	if err := b.db.AllFiles(func(m store.FileMeta) { known[m.UserID+"/"+m.ID+m.Ext] = true }); err != nil {
		return err
	}
	n, err := b.files.RemoveOrphansOlderThan(func(userID, name string) bool { return known[userID+"/"+name] }, leftoverAge)
	if n > 0 {
		b.log.Info("removed leftover files", "count", n)
	}
	return err
}

// pruneHistory deletes messages older than HISTORY_RETENTION_DAYS, then
// wipes the pages they freed.
func (b *Bot) pruneHistory(ctx context.Context) {
	n, err := b.db.PruneHistory(b.cfg.now().Add(-b.cfg.HistoryRetention))
	if err != nil {
		b.log.Warn("prune history", "err", err)
	}
	if n > 0 {
		b.log.Info("pruned old history", "messages", n)
		b.backupMu.Lock()
		b.wipeFree(ctx)
		b.backupMu.Unlock()
	}
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
