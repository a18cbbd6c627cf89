package bot_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/discordtest"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	"github.com/discordgpt/discordgpt/store"
)

const resetDone = "✅ Your conversation history and token usage statistics have been cleared and reset!"

// upload sends files to the bot in a DM with some text and waits for the
// answer, so the files are stored.
func (h *harness) upload(t *testing.T, userID string, atts ...*discordgo.MessageAttachment) {
	t.Helper()
	q := h.dm(userID, "here are files", atts...)
	if !h.fake.WaitFor(15*time.Second, func() bool {
		r, ok := replyTo(h.fake, q)
		return ok && strings.HasPrefix(r.Content, "echo: here are files")
	}) {
		r, _ := replyTo(h.fake, q)
		var statuses []int
		for _, req := range h.ai.Requests() {
			statuses = append(statuses, req.Status)
		}
		t.Fatalf("upload by %s not answered: reply %q; model calls' statuses %v; last Discord calls %s", userID, r.Content, statuses, lastCalls(h.fake, 5))
	}
}

// reset runs /reset as userID and returns the final answer.
func (h *harness) reset(t *testing.T, userID string) discordgo.Message {
	t.Helper()
	i := h.command(userID, "reset")
	var msg discordgo.Message
	if !h.fake.WaitFor(15*time.Second, func() bool {
		msgs := h.fake.InteractionMessages(i.ID)
		if len(msgs) == 1 && strings.HasPrefix(msgs[0].Content, resetDone) {
			msg = msgs[0]
			return true
		}
		return false
	}) {
		t.Fatalf("no /reset answer: %+v", h.fake.InteractionMessages(i.ID))
	}
	if typ, _ := h.fake.InteractionResponse(i.ID); typ != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Errorf("/reset was answered with type %d, not deferred first", typ)
	}
	if msg.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Error("/reset answer is not ephemeral")
	}
	return msg
}

func (h *harness) userDir(userID string) string { return filepath.Join(h.dataDir, "files", userID) }

func filesOnDisk(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// holders lists every key or value in the database that contains id, by
// bucket path.
func holders(t *testing.T, db *store.DB, id string) []string {
	t.Helper()
	var out []string
	err := db.Scan(func(path [][]byte, k, v []byte) {
		if bytes.Contains(k, []byte(id)) || bytes.Contains(v, []byte(id)) {
			p := ""
			for _, b := range path {
				p += string(b) + "/"
			}
			out = append(out, p+string(k))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReset_SeedChecklist(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0; c.Models = []string{"gpt-4o-mini", "gpt-4o"} })
	const alice, bob, carol, dave = "777000777000771", "777000777000772", "777000777000773", "777000777000774"
	f := h.fake
	// Alice: a mix of types, history, statistics, a model choice.
	h.upload(t, alice, f.AddAttachment("photo.png", "image/png", pngBytes), f.AddAttachment("notes.txt", "text/plain", []byte("hello")),
		f.AddAttachment("data.bin", "application/octet-stream", []byte{0, 1, 2}))
	h.upload(t, alice, f.AddAttachment("more.md", "text/markdown", []byte("# more")))
	h.answerOf(t, h.command(alice, "set_model", &discordgo.ApplicationCommandInteractionDataOption{Name: "model", Type: discordgo.ApplicationCommandOptionString, Value: "gpt-4o"}))
	// Bob: files and history that must survive Alice's reset.
	h.upload(t, bob, f.AddAttachment("bob.txt", "text/plain", []byte("bob's")))
	// Carol: only images. Dave: nothing but a conversation.
	h.upload(t, carol, f.AddAttachment("a.png", "image/png", pngBytes), f.AddAttachment("b.gif", "image/gif", []byte("GIF89a....")))
	waitReply(t, f, h.dm(dave, "just talk"), "echo: just talk")
	if n := len(filesOnDisk(t, h.userDir(alice))); n != 4 {
		t.Fatalf("alice has %d files on disk before the reset", n)
	}

	if got := h.reset(t, alice).Content; got != resetDone+"\n🗑️ Deleted 4 file(s)." {
		t.Errorf("alice's answer = %q", got)
	}
	if got := h.reset(t, carol).Content; got != resetDone+"\n🗑️ Deleted 2 file(s)." {
		t.Errorf("carol's answer = %q", got)
	}
	if got := h.reset(t, dave).Content; got != resetDone+"\n📁 No files to delete." {
		t.Errorf("dave's answer = %q", got)
	}
	for _, u := range []string{alice, carol} {
		if _, err := os.Stat(h.userDir(u)); !os.IsNotExist(err) {
			t.Errorf("user folder of %s still there: %v", u, err)
		}
	}
	if n := len(filesOnDisk(t, h.userDir(bob))); n != 1 {
		t.Errorf("bob has %d files on disk after alice's reset", n)
	}

	db := h.openStoreAfterStop(t)
	for _, u := range []string{alice, carol, dave} {
		if hist, _ := db.History(u, 0); len(hist) != 0 {
			t.Errorf("%s: %d messages survived", u, len(hist))
		}
		if usage, _ := db.UserUsage(u); len(usage) != 0 {
			t.Errorf("%s: statistics survived: %+v", u, usage)
		}
		if fs, _ := db.Files(u); len(fs) != 0 {
			t.Errorf("%s: %d file records survived", u, len(fs))
		}
	}
	// Only the three documented survivors may hold alice's ID: her model
	// choice, a blacklist entry and the budget ledger.
	got := holders(t, db, alice)
	for _, h := range got {
		if !strings.HasPrefix(h, "settings/") && !strings.HasPrefix(h, "blacklist/") && !strings.HasPrefix(h, "spend/") {
			t.Errorf("after reset, alice's ID is held by %s", h)
		}
	}
	if len(got) == 0 || got[0] != "settings/"+alice {
		t.Errorf("holders = %v; the model choice must survive", got)
	}
	if s, _ := db.Settings(alice); s.Model != "gpt-4o" {
		t.Error("the model choice did not survive the reset")
	}
	if hist, _ := db.History(bob, 0); len(hist) != 2 {
		t.Errorf("bob's history = %d messages", len(hist))
	}
	if fs, _ := db.Files(bob); len(fs) != 1 {
		t.Errorf("bob's files = %d", len(fs))
	}
}

func TestReset_UndeletableFileWarnsAndIsSweptLater(t *testing.T) {
	h := startBot(t, nil)
	const u = "777000777000781"
	h.upload(t, u, h.fake.AddAttachment("one.txt", "text/plain", []byte("a")), h.fake.AddAttachment("two.txt", "text/plain", []byte("b")))
	names := filesOnDisk(t, h.userDir(u))
	if len(names) != 2 {
		t.Fatalf("%d files on disk", len(names))
	}
	// Make one file undeletable. A read-only folder stops an ordinary user
	// but not root (the tests may run as root), while a non-empty folder in
	// the file's place stops both.
	victim := filepath.Join(h.userDir(u), names[0])
	if err := os.Remove(victim); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(victim, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(victim, "stuck"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := h.reset(t, u).Content
	want := resetDone + "\n⚠️ Warning: Could not delete some files. 1 of 2 could not be removed from disk (directory not empty)"
	if !strings.HasPrefix(got, want) {
		t.Fatalf("answer = %q, want it to start %q", got, want)
	}
	if strings.Contains(got, h.dataDir) {
		t.Error("the warning names a path")
	}
	if _, err := os.Stat(victim); err != nil {
		t.Fatal("the undeletable file went away by itself; the test tests nothing")
	}
	// The next start's orphan sweep removes it.
	h.restart(t)
	if _, err := os.Stat(h.userDir(u)); !os.IsNotExist(err) {
		t.Errorf("after restart, the user folder holds %v", filesOnDisk(t, h.userDir(u)))
	}
	db := h.openStoreAfterStop(t)
	if fs, _ := db.Files(u); len(fs) != 0 {
		t.Errorf("%d file records left", len(fs))
	}
}

func TestReset_StreamingAnswerDoesNotComeBack(t *testing.T) {
	h := startBot(t, nil)
	const u = "777000777000791"
	waitReply(t, h.fake, h.dm(u, "before"), "echo: before")
	slow := strings.Repeat("slow ", 100)
	h.ai.Enqueue(openaitest.Reply{Text: slow, ChunkSize: 5, ChunkDelay: 10 * time.Millisecond})
	q := h.dm(u, "during")
	if !h.fake.WaitFor(10*time.Second, func() bool { r, ok := replyTo(h.fake, q); return ok && strings.HasPrefix(r.Content, "slow") }) {
		t.Fatal("answer never started")
	}
	h.reset(t, u)
	waitReply(t, h.fake, q, strings.TrimSpace(slow)) // the answer still finishes on screen
	db := h.openStoreAfterStop(t)
	if hist, _ := db.History(u, 0); len(hist) != 0 {
		t.Fatalf("history came back after the reset: %+v", hist)
	}
	if usage, _ := db.UserUsage(u); len(usage) != 0 {
		t.Fatalf("statistics came back after the reset: %+v", usage)
	}
}

// lastCalls describes the fake Discord's last n requests, for a failure.
func lastCalls(fake *discordtest.Server, n int) string {
	reqs := fake.Requests()
	var out []string
	for _, r := range reqs[max(0, len(reqs)-n):] {
		out = append(out, fmt.Sprintf("%s %s -> %d", r.Method, r.Path, r.Status))
	}
	return strings.Join(out, "; ")
}
