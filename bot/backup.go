package bot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// backupDir is where snapshots of the live database go.
func (b *Bot) backupDir() string { return filepath.Join(b.cfg.DataDir, "backups") }

// backup writes a consistent snapshot of the live database. It runs in a
// read transaction, so chat keeps writing meanwhile. kind ("auto" or
// "manual") starts the file name; only automatic ones are pruned.
func (b *Bot) backup(kind string) (string, int64, error) {
	b.backupMu.Lock()
	defer b.backupMu.Unlock()
	if err := os.MkdirAll(b.backupDir(), 0o700); err != nil {
		return "", 0, fmt.Errorf("create backup dir: %w", err)
	}
	path := filepath.Join(b.backupDir(), fmt.Sprintf("%s-%s.db", kind, time.Now().UTC().Format("20060102-150405.000")))
	n, err := b.db.Backup(path)
	if err != nil {
		return "", 0, err
	}
	b.log.Info("backup written", "kind", kind, "bytes", n)
	return path, n, nil
}

// pruneBackups keeps the newest keep automatic snapshots.
func (b *Bot) pruneBackups(keep int) error {
	b.backupMu.Lock()
	defer b.backupMu.Unlock()
	entries, err := os.ReadDir(b.backupDir())
	if err != nil {
		return fmt.Errorf("read backup dir: %w", err)
	}
	var auto []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "auto-") && strings.HasSuffix(e.Name(), ".db") {
			auto = append(auto, e.Name())
		}
	}
	sort.Strings(auto) // timestamps sort in time order
	for len(auto) > keep {
		if err := os.Remove(filepath.Join(b.backupDir(), auto[0])); err != nil {
			return fmt.Errorf("prune backup: %w", err)
		}
		auto = auto[1:]
	}
	return nil
}

// runBackups writes a snapshot every BACKUP_INTERVAL until ctx ends.
func (b *Bot) runBackups(ctx context.Context) {
	if b.cfg.BackupInterval <= 0 {
		return
	}
	runEvery(ctx, b.cfg.BackupInterval, false, func() {
		if _, _, err := b.backup("auto"); err != nil {
			b.log.Error("automatic backup", "err", err)
			return
		}
		if err := b.pruneBackups(b.cfg.BackupKeep); err != nil {
			b.log.Warn("prune backups", "err", err)
		}
	})
}
