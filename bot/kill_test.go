package bot_test

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/discordtest"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	"github.com/discordgpt/discordgpt/store"
)

// TestE2E_KillDuringReset kills the real program (SIGKILL) at several
// moments after a /reset was acknowledged. Whatever the moment, after a
// restart the user has either all their data or none of it, and every
// file on disk has its record and every record its file.
func TestE2E_KillDuringReset(t *testing.T) {
	const user, msgs, nfiles = "999000999000991", 2000, 300
	outcomes := map[string]int{}
	for _, delay := range []time.Duration{0, time.Millisecond, 3 * time.Millisecond, 10 * time.Millisecond, 30 * time.Millisecond, 100 * time.Millisecond} {
		fake := discordtest.New(t)
		ai := openaitest.New(t)
		dataDir := t.TempDir()
		prefillFiles(t, dataDir, user, nfiles, 16)
		db, err := bot.OpenStore(dataDir, false)
		if err != nil {
			t.Fatal(err)
		}
		batch := make([]store.Message, msgs)
		for i := range batch {
			batch[i] = store.Message{Role: store.RoleUser, Content: fmt.Sprint("message ", i)}
		}
		if _, err := db.AppendMessages(user, batch...); err != nil {
			t.Fatal(err)
		}
		db.Close()

		e := env(fake, ai, dataDir)
		p := start(t, e)
		if !fake.WaitConnected(30 * time.Second) {
			t.Fatal("never connected")
		}
		i := fake.SendInteraction(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand,
			User: &discordgo.User{ID: user}, Data: discordgo.ApplicationCommandInteractionData{Name: "reset"}})
		if !fake.WaitFor(10*time.Second, func() bool { _, ok := fake.InteractionResponse(i.ID); return ok }) {
			t.Fatal("reset never acknowledged")
		}
		time.Sleep(delay)
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		p.wait(t, 10*time.Second)

		// Restart: the orphan sweep runs at start.
		p2 := start(t, e)
		if !fake.WaitFor(30*time.Second, func() bool { return fake.Gateway().Identifies == 2 && fake.Gateway().Connected }) {
			t.Fatal("restart never connected")
		}
		_ = p2.cmd.Process.Signal(syscall.SIGTERM)
		if code := p2.wait(t, 20*time.Second); code != 0 {
			t.Fatalf("restart exit %d", code)
		}

		db, err = bot.OpenStore(dataDir, true)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Check(); err != nil {
			t.Fatal(err)
		}
		hist, _ := db.History(user, 0)
		recs, _ := db.Files(user)
		db.Close()
		onDisk := map[string]bool{}
		entries, _ := os.ReadDir(filepath.Join(dataDir, "files", user))
		for _, en := range entries {
			onDisk[en.Name()] = true
		}
		for _, r := range recs {
			if !onDisk[r.ID+r.Ext] {
				t.Errorf("delay %v: record %s has no file", delay, r.ID)
			}
			delete(onDisk, r.ID+r.Ext)
		}
		if len(onDisk) > 0 {
			t.Errorf("delay %v: %d files on disk without a record", delay, len(onDisk))
		}
		switch {
		case len(hist) == msgs && len(recs) == nfiles:
			outcomes["old"]++
		case len(hist) == 0 && len(recs) == 0:
			outcomes["new"]++
		default:
			t.Errorf("delay %v: a mix: %d messages, %d files", delay, len(hist), len(recs))
		}
	}
	t.Logf("outcomes: %v", outcomes)
}
