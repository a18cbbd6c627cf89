package bot_test

import (
	"archive/zip"
	"bytes"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/discordtest"
	"github.com/discordgpt/discordgpt/store"
)

// seedHistory gives userID n messages each carrying a unique marker, and
// a file whose name carries it too (bot stopped).
func seedHistory(t *testing.T, dataDir, userID string, n int) {
	t.Helper()
	db, err := bot.OpenStore(dataDir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	msgs := make([]store.Message, n)
	for i := range msgs {
		msgs[i] = store.Message{Role: store.RoleUser, Content: fmt.Sprintf("secret note %d of MARK%s: the plan is %d", i, userID, i*7)}
	}
	if _, err := db.AppendMessages(userID, msgs...); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddFile(store.FileMeta{ID: "f" + userID, UserID: userID, Name: "MARK" + userID + "-diary.txt", Ext: ".txt", Size: 1,
		ContentType: "text/plain", UploadedAt: time.Now().UTC()}, 100, nil); err != nil {
		t.Fatal(err)
	}
}

// holdsMarker lists the files among the database and the backups whose raw
// bytes contain the user's marker.
func holdsMarker(t *testing.T, dataDir, userID string) []string {
	t.Helper()
	paths := []string{filepath.Join(dataDir, store.FileName)}
	more, _ := filepath.Glob(filepath.Join(dataDir, "backups", "*"))
	var out []string
	for _, p := range append(paths, more...) {
		raw, err := os.ReadFile(p)
		if err != nil {
			continue // a backup renamed meanwhile
		}
		if bytes.Contains(raw, []byte("MARK"+userID)) {
			out = append(out, filepath.Base(p))
		}
	}
	return out
}

// TestErasure_RawBytesHoldNothingAfterReset: after /reset (and /admin
// reset), no byte of the database file or of any backup in
// DATA_DIR/backups holds the user's messages or file names, backups
// written before the reset included; other users keep everything.
func TestErasure_RawBytesHoldNothingAfterReset(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.AdminIDs = []string{adminID} })
	h.stop(t)
	const alice, bob, carol = "777100777100771", "777100777100772", "777100777100773"
	seedHistory(t, h.dataDir, alice, 2000)
	seedHistory(t, h.dataDir, bob, 2000)
	seedHistory(t, h.dataDir, carol, 50)
	h.run(t)
	// A backup from before the resets, automatic and manual.
	h.finalAnswer(t, h.admin(adminID, "backup", ""))
	if got := holdsMarker(t, h.dataDir, alice); len(got) != 2 {
		t.Fatalf("before: marker in %v; the test cannot see it", got)
	}
	h.reset(t, alice)
	h.finalAnswer(t, h.admin(adminID, "reset", bob))
	for _, u := range []string{alice, bob} {
		if !h.fake.WaitFor(20*time.Second, func() bool { return len(holdsMarker(t, h.dataDir, u)) == 0 }) {
			t.Errorf("user %s still in the raw bytes of %v", u, holdsMarker(t, h.dataDir, u))
		}
	}
	// A backup written after the resets holds nothing of them either.
	h.finalAnswer(t, h.admin(adminID, "backup", ""))
	for _, u := range []string{alice, bob} {
		if got := holdsMarker(t, h.dataDir, u); len(got) != 0 {
			t.Errorf("user %s in %v after a new backup", u, got)
		}
	}
	if got := holdsMarker(t, h.dataDir, carol); len(got) != 3 {
		t.Errorf("carol is in %v; she must stay in the database and both backups", got)
	}
	db := h.openStoreAfterStop(t)
	if hist, _ := db.History(carol, 0); len(hist) != 50 {
		t.Errorf("carol has %d messages", len(hist))
	}
	if p, _ := db.ScrubPending(); len(p) != 0 {
		t.Errorf("erasures still pending: %v", p)
	}
	names, _ := filepath.Glob(filepath.Join(h.dataDir, "backups", "*.db"))
	for _, n := range names {
		b, err := store.Open(n, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Check(); err != nil {
			t.Errorf("%s: %v", n, err)
		}
		if hist, _ := b.History(carol, 0); len(hist) != 50 {
			t.Errorf("%s: carol has %d messages", n, len(hist))
		}
		b.Close()
	}
}

// TestSpam_OneNoticeAndNothingPublic: 50 mentions from a banned user give
// one private notice and nothing in the channel; 50 fast mentions give at
// most one rate-limit notice.
func TestSpam_OneNoticeAndNothingPublic(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.AdminIDs = []string{adminID} })
	const banned, fast = "777200777200771", "777200777200772"
	h.answerOf(t, h.admin(adminID, "blacklist add", banned))
	for i := 0; i < 50; i++ {
		mention(h.fake, banned, "8100", fmt.Sprint("spam ", i))
		mention(h.fake, fast, "8200", fmt.Sprint("fast ", i))
	}
	dm := ""
	if !h.fake.WaitFor(10*time.Second, func() bool {
		var ok bool
		dm, ok = h.fake.DMChannel(banned)
		return ok && len(botMessages(h.fake, dm)) > 0
	}) {
		t.Fatal("the banned user was not told privately")
	}
	// Let the rest of the burst be handled.
	if !h.fake.WaitFor(20*time.Second, func() bool { return len(h.ai.Requests()) >= 3 && len(botMessages(h.fake, "8200")) >= 4 }) {
		t.Fatalf("fast user: %d answers", len(botMessages(h.fake, "8200")))
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(botMessages(h.fake, "8100")); n != 0 {
		t.Errorf("%d public messages in the channel where the banned user spammed", n)
	}
	if n := len(botMessages(h.fake, dm)); n != 1 {
		t.Errorf("%d private notices, want 1", n)
	}
	notices := 0
	for _, m := range botMessages(h.fake, "8200") {
		if strings.HasPrefix(m.Content, "⚠️ You're sending requests too quickly") {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("%d rate-limit notices for 50 fast mentions, want 1", notices)
	}
	noRefusals(t, h.fake)
}

// TestAdmin_BlacklistOf200Pages: a long blacklist is listed in pages of 20
// within Discord's limits; only admins turn them.
func TestAdmin_BlacklistOf200Pages(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.AdminIDs = []string{adminID} })
	h.stop(t)
	db, err := bot.OpenStore(h.dataDir, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		if err := db.Blacklist(fmt.Sprint(777300777300000+i), adminID, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	h.run(t)
	page := h.answerOf(t, h.admin(adminID, "blacklist list", ""))
	seen := map[string]bool{}
	for n := 1; ; n++ {
		if len(page.Embeds) != 1 || page.Embeds[0].Footer.Text != fmt.Sprintf("Page %d of 10", n) {
			t.Fatalf("page %d = %+v", n, page.Embeds)
		}
		for _, line := range strings.Split(strings.TrimSpace(page.Embeds[0].Description), "\n") {
			seen[line] = true
		}
		btns, _ := buttons(page)
		next := btns["Next ▶"]
		if n == 10 {
			if next == nil || !next.Disabled {
				t.Error("Next is not disabled on the last page")
			}
			break
		}
		if n == 1 {
			if got := h.click(t, "777300777399999", page, next.CustomID); !strings.Contains(got.Content, "for the bot's admins") {
				t.Fatalf("a non-admin turned the page: %q", got.Content)
			}
			if got := h.click(t, adminID, page, "bl:next:x"); !strings.Contains(got.Content, "no longer in use") {
				t.Fatalf("forged page = %q", got.Content)
			}
		}
		page = h.click(t, adminID, page, next.CustomID)
	}
	if len(seen) != 200 {
		t.Errorf("%d distinct bans listed, want 200", len(seen))
	}
	noRefusals(t, h.fake)
}

// TestRetention_OldHistoryPruned: HISTORY_RETENTION_DAYS prunes older
// messages in the sweeper (controlled clock), and their bytes go too.
func TestRetention_OldHistoryPruned(t *testing.T) {
	clk := newClock()
	h := startBot(t, func(c *bot.Config) {
		c.Now = clk.Now
		c.HistoryRetention = 30 * 24 * time.Hour
		c.SweepInterval = 50 * time.Millisecond
	})
	h.stop(t)
	db, err := bot.OpenStore(h.dataDir, false)
	if err != nil {
		t.Fatal(err)
	}
	const u = "777400777400771"
	var msgs []store.Message
	for i := 0; i < 20; i++ {
		age := 60 * 24 * time.Hour // old
		if i >= 10 {
			age = 24 * time.Hour // recent
		}
		msgs = append(msgs, store.Message{Role: store.RoleUser, Content: fmt.Sprintf("OLDMARK%d-%v", i, i < 10), CreatedAt: clk.Now().Add(-age + time.Duration(i)*time.Minute)})
	}
	if _, err := db.AppendMessages(u, msgs...); err != nil {
		t.Fatal(err)
	}
	db.Close()
	h.run(t)
	if !h.fake.WaitFor(10*time.Second, func() bool {
		raw, _ := os.ReadFile(filepath.Join(h.dataDir, store.FileName))
		return !bytes.Contains(raw, []byte("-true"))
	}) {
		t.Fatal("old messages still in the database file")
	}
	db = h.openStoreAfterStop(t)
	hist, _ := db.History(u, 0)
	if len(hist) != 10 || !strings.HasSuffix(hist[0].Content, "-false") {
		t.Fatalf("history = %d messages", len(hist))
	}
}

// TestExport_BigHistoryArrivesInParts: a 30 MB history exports in parts
// under the upload limit the interaction reports, and they join back into
// the whole zip.
func TestExport_BigHistoryArrivesInParts(t *testing.T) {
	h := startBot(t, nil)
	h.stop(t)
	const u = "777500777500771"
	db, err := bot.OpenStore(h.dataDir, false)
	if err != nil {
		t.Fatal(err)
	}
	rnd := make([]byte, 750)
	var msgs []store.Message
	for i := 0; i < 30_000; i++ { // ~30 MB of text that does not compress away
		_, _ = crand.Read(rnd)
		msgs = append(msgs, store.Message{Role: store.RoleUser, Content: fmt.Sprintf("%d %s", i, base64.StdEncoding.EncodeToString(rnd))})
		if len(msgs) == 5000 {
			if _, err := db.AppendMessages(u, msgs...); err != nil {
				t.Fatal(err)
			}
			msgs = msgs[:0]
		}
	}
	db.Close()
	h.run(t)
	i := h.command(u, "export")
	var parts []discordgo.Message
	var first discordgo.Message
	if !h.fake.WaitFor(3*time.Minute, func() bool { // slow under the race detector
		parts = h.fake.InteractionMessages(i.ID)
		if len(parts) > 0 {
			first = parts[0]
		}
		return len(parts) > 1 && strings.Contains(parts[0].Content, fmt.Sprintf("in %d parts", len(parts)))
	}) {
		t.Fatalf("export came in %d messages: %q", len(parts), first.Content)
	}
	if !h.fake.WaitFor(time.Second, func() bool {
		parts = h.fake.InteractionMessages(i.ID)
		return len(parts) > 1 && strings.Contains(parts[0].Content, fmt.Sprintf("in %d parts", len(parts)))
	}) {
		t.Fatalf("export came in %d messages: %q", len(parts), first.Content)
	}
	var whole []byte
	for k, m := range parts {
		if len(m.Attachments) != 1 || !strings.HasSuffix(m.Attachments[0].Filename, fmt.Sprintf(".zip.%03d", k+1)) {
			t.Fatalf("part %d = %+v", k+1, m.Attachments)
		}
		data, _ := h.fake.FileData(m.Attachments[0])
		if len(data) > discordtest.MaxFileBytes {
			t.Fatalf("part %d is %d bytes, over the limit", k+1, len(data))
		}
		whole = append(whole, data...)
	}
	zr, err := zip.NewReader(bytes.NewReader(whole), int64(len(whole)))
	if err != nil {
		t.Fatalf("the parts do not join into a zip: %v", err)
	}
	for _, f := range zr.File {
		if f.Name != "history.json" {
			continue
		}
		rc, _ := f.Open()
		var doc struct {
			Messages []store.Message `json:"messages"`
		}
		err := json.NewDecoder(rc).Decode(&doc)
		rc.Close()
		if err != nil || len(doc.Messages) != 30_000 {
			t.Fatalf("history.json: %d messages, %v", len(doc.Messages), err)
		}
		return
	}
	t.Fatal("no history.json in the joined export")
}

// TestSweep_LeftoversRetriedWhileRunning: a stale backup copy a crash left
// goes at start; a file without a record older than ten minutes (an
// unlink that failed) goes in the running sweeper, a young one stays.
func TestSweep_LeftoversRetriedWhileRunning(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.SweepInterval = 50 * time.Millisecond })
	h.stop(t)
	stale := filepath.Join(h.dataDir, "backups", ".backup-123456")
	if err := os.MkdirAll(filepath.Dir(stale), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("half a copy"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.run(t)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("a stale backup copy survived the start")
	}
	dir := h.userDir("777600777600771")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	old, young := filepath.Join(dir, "aaaaaaaaaaaaaaaaaaaaaaaaaa.txt"), filepath.Join(dir, "bbbbbbbbbbbbbbbbbbbbbbbbbb.txt")
	for _, p := range []string{old, young} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-time.Hour)
	if err := os.Chtimes(old, long, long); err != nil {
		t.Fatal(err)
	}
	if !h.fake.WaitFor(10*time.Second, func() bool { _, err := os.Stat(old); return os.IsNotExist(err) }) {
		t.Error("an old file without a record was not swept while running")
	}
	if _, err := os.Stat(young); err != nil {
		t.Error("a young file (maybe an upload being recorded) was swept")
	}
}
