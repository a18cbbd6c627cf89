package bot_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/discordtest"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	"github.com/discordgpt/discordgpt/store"
	openai "github.com/sashabaranov/go-openai"
)

// TestE2E_CrashLoop kills the real program with SIGKILL at random moments
// under a concurrent chat load (with attachments), N times (CRASHLOOP_N,
// default 20), restarting it each time. After every kill: the database
// passes bbolt's check, every answer a user saw final is in their stored
// history, and every file record has its file. After every restart, no
// message is left with the streaming cursor. At the end, no file on disk
// lacks a record.
func TestE2E_CrashLoop(t *testing.T) {
	n := 20
	if v, err := strconv.Atoi(os.Getenv("CRASHLOOP_N")); err == nil && v > 0 {
		n = v
	}
	const users = 6
	fake := discordtest.New(t)
	ai := openaitest.New(t)
	ai.SetResponder(func(req openai.ChatCompletionRequest) openaitest.Reply {
		q := openaitest.LastUserText(req)
		if i := strings.Index(q, "\n"); i >= 0 {
			q = q[:i] // the question, without an attached file's text
		}
		return openaitest.Reply{Text: "answer for " + q + strings.Repeat(" and a few more words", 8), ChunkSize: 16, ChunkDelay: 60 * time.Millisecond}
	})
	dataDir := t.TempDir()
	e := env(fake, ai, dataDir)
	e["RATE_LIMIT"] = "off"
	e["STREAM_EDIT_INTERVAL"] = "200ms"
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var figures struct{ interrupted, recovered, asked int }
	finals := map[string]bool{} // message IDs of answers seen final
	seq := 0
	var orphaned []string // files a kill left without a record
	swept := 0
	for iter := 0; iter < n; iter++ {
		p := start(t, e)
		identifies := fake.Gateway().Identifies
		if !fake.WaitFor(30*time.Second, func() bool { return fake.Gateway().Identifies > identifies-1 && fake.Gateway().Connected }) {
			t.Fatalf("iteration %d: never connected", iter)
		}
		// The start swept what the last kill left without a record.
		for _, f := range orphaned {
			if _, err := os.Stat(f); err == nil {
				t.Errorf("iteration %d: orphan %s not swept at start", iter, f)
			}
		}
		swept += len(orphaned)
		orphaned = nil
		// The last run's interrupted answers are finished: no cursor left.
		if !fake.WaitFor(30*time.Second, func() bool { return len(cursors(fake, users)) == 0 }) {
			t.Fatalf("iteration %d: cursors left after restart: %q", iter, cursors(fake, users))
		}
		// Load: every user asks again and again until the kill.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		for u := 0; u < users; u++ {
			wg.Add(1)
			go func(u int) {
				defer wg.Done()
				for {
					mu.Lock()
					seq++
					s := seq
					figures.asked++
					mu.Unlock()
					var atts []*discordgo.MessageAttachment
					if s%3 == 0 {
						atts = append(atts, fake.AddAttachment(fmt.Sprintf("note%d.txt", s), "text/plain", []byte("note")))
					}
					fake.SendMessage(&discordgo.Message{ChannelID: fmt.Sprint("crash", u), Author: &discordgo.User{ID: fmt.Sprint(9100 + u)},
						Content: fmt.Sprint("question ", s), Attachments: atts})
					select {
					case <-stop:
						return
					case <-time.After(time.Duration(150+rand.IntN(300)) * time.Millisecond):
					}
				}
			}(u)
		}
		time.Sleep(time.Duration(300+rng.IntN(1500)) * time.Millisecond)
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		p.wait(t, 20*time.Second)
		close(stop)
		wg.Wait()

		db, err := bot.OpenStore(dataDir, true)
		if err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		if err := db.Check(); err != nil {
			t.Fatalf("iteration %d: corrupt database: %v", iter, err)
		}
		for u := 0; u < users; u++ {
			id := fmt.Sprint(9100 + u)
			hist, _ := db.History(id, 0)
			stored := map[string]bool{}
			for _, h := range hist {
				if h.Role == store.RoleAssistant {
					stored[h.Content] = true
				}
			}
			for _, m := range botMessages(fake, fmt.Sprint("crash", u)) {
				switch {
				case strings.HasPrefix(m.Content, "answer for") && !strings.Contains(m.Content, "▌") && !strings.Contains(m.Content, "⚠️"):
					finals[m.ID] = true
					if !stored[m.Content] {
						t.Errorf("iteration %d: user %s saw a final answer that is not stored: %q", iter, id, m.Content)
					}
				case strings.Contains(m.Content, "▌"), strings.HasPrefix(m.Content, "⏳"):
					figures.interrupted++
				}
			}
			recs, _ := db.Files(id)
			onDisk := map[string]bool{}
			for _, f := range filesOnDisk(t, filepath.Join(dataDir, "files", id)) {
				onDisk[f] = true
			}
			for _, r := range recs {
				if !onDisk[r.ID+r.Ext] {
					t.Errorf("iteration %d: user %s: record %s has no file", iter, id, r.ID)
				}
				delete(onDisk, r.ID+r.Ext)
			}
			for f := range onDisk {
				orphaned = append(orphaned, filepath.Join(dataDir, "files", id, f))
			}
		}
		db.Close()
	}
	// A last start: what the last kill left is finished, orphans swept.
	p := start(t, e)
	if !fake.WaitFor(30*time.Second, func() bool { return fake.Gateway().Connected && len(cursors(fake, users)) == 0 }) {
		t.Fatalf("cursors left after the last restart: %q", cursors(fake, users))
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("last stop: exit %d", code)
	}
	swept += len(orphaned) // checked below with every other file
	db, err := bot.OpenStore(dataDir, true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	orphans := 0
	for u := 0; u < users; u++ {
		id := fmt.Sprint(9100 + u)
		recs, _ := db.Files(id)
		known := map[string]bool{}
		for _, r := range recs {
			known[r.ID+r.Ext] = true
		}
		for _, f := range filesOnDisk(t, filepath.Join(dataDir, "files", id)) {
			if !known[f] {
				orphans++
			}
		}
	}
	if orphans > 0 {
		t.Errorf("%d files on disk without a record", orphans)
	}
	for u := 0; u < users; u++ {
		for _, m := range botMessages(fake, fmt.Sprint("crash", u)) {
			if strings.Contains(m.Content, "Interrupted: the bot restarted") {
				figures.recovered++
			}
		}
	}
	t.Logf("crash loop: %d SIGKILLs, %d questions, %d answers seen final (all stored), %d answers cut by a kill (%d finished with the restart note; the others had been stored and were shown whole), 0 cursors left, 0 corrupt databases, %d files a kill left without a record (all swept at the next start), %d orphan files at the end",
		n, figures.asked, len(finals), figures.interrupted, figures.recovered, swept, orphans)
}

// cursors lists bot messages in the load's channels that still show the
// streaming cursor.
func cursors(fake *discordtest.Server, users int) []string {
	var out []string
	for u := 0; u < users; u++ {
		for _, m := range botMessages(fake, fmt.Sprint("crash", u)) {
			if strings.Contains(m.Content, "▌") {
				out = append(out, m.Content)
			}
		}
	}
	return out
}
