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
	"github.com/discordgpt/discordgpt/files"
	"github.com/discordgpt/discordgpt/store"
)

// prefillFiles stores n files for userID directly (store and disk), the
// newest last, as if uploaded a minute apart.
func prefillFiles(t testing.TB, dataDir, userID string, n int, size int) []store.FileMeta {
	t.Helper()
	db, err := bot.OpenStore(dataDir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir, err := files.Open(filepath.Join(dataDir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	var out []store.FileMeta
	t0 := time.Now().UTC().Add(-time.Duration(n) * time.Minute)
	for i := 0; i < n; i++ {
		id := files.NewID()
		data := bytes.Repeat([]byte{byte('a' + i%26)}, size)
		w, err := dir.Write(userID, id, ".txt", bytes.NewReader(data), int64(size)+1)
		if err != nil {
			t.Fatal(err)
		}
		m := store.FileMeta{ID: id, UserID: userID, Name: fmt.Sprintf("file-%02d.txt", i), Ext: ".txt", Size: w.Size,
			ContentType: "text/plain", SHA256: w.SHA256, UploadedAt: t0.Add(time.Duration(i) * time.Minute)}
		if _, err := db.AddFile(m, 10_000, nil); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// click presses a component on msg as userID and returns the message that
// shows the result (the updated message, or a new private one).
func (h *harness) click(t *testing.T, userID string, msg discordgo.Message, customID string, values ...string) discordgo.Message {
	t.Helper()
	typ := discordgo.ButtonComponent
	if len(values) > 0 {
		typ = discordgo.SelectMenuComponent
	}
	i := h.fake.SendInteraction(&discordgo.Interaction{Type: discordgo.InteractionMessageComponent,
		User: &discordgo.User{ID: userID}, ChannelID: msg.ChannelID, Message: &msg,
		Data: discordgo.MessageComponentInteractionData{CustomID: customID, ComponentType: typ, Values: values}})
	var out discordgo.Message
	if !h.fake.WaitFor(10*time.Second, func() bool {
		typ, ok := h.fake.InteractionResponse(i.ID)
		if !ok {
			return false
		}
		msgs := h.fake.InteractionMessages(i.ID)
		if len(msgs) == 0 {
			return false
		}
		out = msgs[0]
		// A deferred answer is done once it has content.
		return typ != discordgo.InteractionResponseDeferredChannelMessageWithSource || out.Content != ""
	}) {
		t.Fatalf("no answer to clicking %s", customID)
	}
	return out
}

// buttons returns a message's buttons by label, and its select menu.
func buttons(m discordgo.Message) (map[string]*discordgo.Button, *discordgo.SelectMenu) {
	out := map[string]*discordgo.Button{}
	var menu *discordgo.SelectMenu
	for _, row := range m.Components {
		for _, c := range row.(*discordgo.ActionsRow).Components {
			switch v := c.(type) {
			case *discordgo.Button:
				out[v.Label] = v
			case *discordgo.SelectMenu:
				menu = v
			}
		}
	}
	return out, menu
}

func title(m discordgo.Message) string {
	if len(m.Embeds) == 0 {
		return ""
	}
	return m.Embeds[0].Title
}

func TestFiles_PagingDownloadAndTwoStepDelete(t *testing.T) {
	const owner, other = "888000888000881", "888000888000882"
	var metas []store.FileMeta
	var big store.FileMeta
	h := startBot(t, func(c *bot.Config) {
		metas = prefillFiles(t, c.DataDir, owner, 60, 64)
		big = prefillFiles(t, c.DataDir, other, 1, 11<<20)[0]
	})
	list := h.answerOf(t, h.command(owner, "files"))
	if list.Flags&discordgo.MessageFlagsEphemeral == 0 || title(list) != "📁 Your files (60)" || list.Embeds[0].Footer.Text != "page 1 of 3" {
		t.Fatalf("first page: %q %+v", title(list), list.Embeds[0].Footer)
	}
	seen := map[string]bool{}
	page := list
	for p := 1; ; p++ {
		btns, menu := buttons(page)
		if len(menu.Options) != min(25, 60-(p-1)*25) {
			t.Fatalf("page %d has %d options", p, len(menu.Options))
		}
		for _, o := range menu.Options {
			seen[o.Value] = true
		}
		if p == 1 && !btns["◀ Previous"].Disabled {
			t.Error("Previous is enabled on page 1")
		}
		if p == 3 {
			if !btns["Next ▶"].Disabled {
				t.Error("Next is enabled on the last page")
			}
			break
		}
		page = h.click(t, owner, page, btns["Next ▶"].CustomID)
		if got := page.Embeds[0].Footer.Text; got != fmt.Sprintf("page %d of 3", p+1) {
			t.Fatalf("after Next: %q", got)
		}
	}
	if len(seen) != 60 {
		t.Fatalf("%d distinct files reachable, want 60", len(seen))
	}
	newest := metas[59]
	if _, menu := buttons(list); menu.Options[0].Value != newest.ID {
		t.Error("the list is not newest first")
	}

	// Pick a file: Download and Delete.
	_, menu := buttons(list)
	view := h.click(t, owner, list, menu.CustomID, newest.ID)
	btns, _ := buttons(view)
	if title(view) != "📄 "+newest.Name || btns["Download"] == nil || btns["Delete"] == nil {
		t.Fatalf("file view: %q %v", title(view), btns)
	}
	dl := h.click(t, owner, view, btns["Download"].CustomID)
	if len(dl.Attachments) != 1 || dl.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Fatalf("download answer = %+v", dl)
	}
	if data, _ := h.fake.FileData(dl.Attachments[0]); !bytes.Equal(data, bytes.Repeat([]byte{byte('a' + 59%26)}, 64)) {
		t.Errorf("downloaded %q", data)
	}

	// Delete, then Cancel: the file stays.
	confirm := h.click(t, owner, view, btns["Delete"].CustomID)
	cbtns, _ := buttons(confirm)
	if title(confirm) != "Confirm Deletion" || cbtns["Yes, Delete"] == nil || cbtns["Cancel"] == nil {
		t.Fatalf("confirm: %q %v", title(confirm), cbtns)
	}
	cancelled := h.click(t, owner, confirm, cbtns["Cancel"].CustomID)
	if title(cancelled) != "✅ Cancelled" || !strings.Contains(cancelled.Embeds[0].Description, "not deleted") {
		t.Fatalf("cancel: %q", title(cancelled))
	}
	path := filepath.Join(h.dataDir, "files", owner, newest.ID+".txt")
	if _, err := os.Stat(path); err != nil {
		t.Fatal("a cancelled delete removed the file")
	}

	// A forged or copied custom_id from another user touches nothing.
	final := "f:final:" + owner + ":" + newest.ID
	if got := h.click(t, other, confirm, final); got.Content != "❌ This isn't your file!" {
		t.Errorf("another user's click = %q", got.Content)
	}
	if got := h.click(t, other, confirm, "f:final:"+other+":"+newest.ID); !strings.Contains(got.Content, "no longer exists") {
		t.Errorf("forged owner = %q", got.Content)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal("a forged click removed the file")
	}

	// Delete, Yes, Click Again: gone from disk and store.
	confirm = h.click(t, owner, view, btns["Delete"].CustomID)
	cbtns, _ = buttons(confirm)
	second := h.click(t, owner, confirm, cbtns["Yes, Delete"].CustomID)
	sbtns, _ := buttons(second)
	if title(second) != "Final Confirmation" || sbtns["Click Again to Confirm"] == nil {
		t.Fatalf("second step: %q %v", title(second), sbtns)
	}
	done := h.click(t, owner, second, sbtns["Click Again to Confirm"].CustomID)
	if title(done) != "✅ File Deleted" {
		t.Fatalf("final: %q", title(done))
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("deleted file still on disk")
	}
	// Stale buttons answer clearly.
	if got := h.click(t, owner, second, sbtns["Click Again to Confirm"].CustomID); !strings.Contains(got.Content, "no longer exists") {
		t.Errorf("stale click = %q", got.Content)
	}
	if got := h.click(t, owner, list, "f:page:"+owner+":not-a-number"); title(got) != "📁 Your files (59)" {
		t.Errorf("malformed page = %q", title(got))
	}
	if got := h.click(t, owner, list, "f:explode:"+owner+":x"); !strings.Contains(got.Content, "no longer in use") {
		t.Errorf("unknown action = %q", got.Content)
	}
	if got := h.click(t, owner, list, menu.CustomID, "../../etc/passwd"); !strings.Contains(got.Content, "no longer exists") {
		t.Errorf("forged file id = %q", got.Content)
	}
	// Too large to send back.
	bigList := h.answerOf(t, h.command(other, "files"))
	_, bmenu := buttons(bigList)
	bview := h.click(t, other, bigList, bmenu.CustomID, big.ID)
	bbtns, _ := buttons(bview)
	if got := h.click(t, other, bview, bbtns["Download"].CustomID); !strings.Contains(got.Content, "can't send it back") {
		t.Errorf("11 MB download = %q", got.Content)
	}
	noRefusals(t, h.fake)
	db := h.openStoreAfterStop(t)
	if fs, _ := db.Files(owner); len(fs) != 59 {
		t.Errorf("%d files left, want 59", len(fs))
	}
}

func TestFiles_ExpirySweep(t *testing.T) {
	clk := newClock()
	h := startBot(t, func(c *bot.Config) {
		c.Now = clk.Now
		c.FileExpiration = time.Hour
		c.SweepInterval = 50 * time.Millisecond
	})
	const u = "888000888000891"
	h.upload(t, u, h.fake.AddAttachment("soon-gone.txt", "text/plain", []byte("bye")))
	clk.Add(30 * time.Minute)
	if list := h.answerOf(t, h.command(u, "files")); !strings.Contains(list.Embeds[0].Description, "⏰ 30m left") {
		t.Errorf("list = %q", list.Embeds[0].Description)
	}
	if n := len(filesOnDisk(t, h.userDir(u))); n != 1 {
		t.Fatalf("%d files before expiry", n)
	}
	clk.Add(31 * time.Minute)
	if !h.fake.WaitFor(10*time.Second, func() bool { return len(filesOnDisk(t, h.userDir(u))) == 0 }) {
		t.Fatal("the sweeper did not remove the expired file")
	}
	if list := h.answerOf(t, h.command(u, "files")); !strings.Contains(list.Content, "no files") {
		t.Errorf("after expiry /files = %q", list.Content)
	}
	db := h.openStoreAfterStop(t)
	if fs, _ := db.Files(u); len(fs) != 0 {
		t.Errorf("%d file records after expiry", len(fs))
	}
}

func TestFiles_OldestEvictedOverLimit(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.MaxFilesPerUser = 2; c.RateCount = 0 })
	const u = "888000888000895"
	h.upload(t, u, h.fake.AddAttachment("first.txt", "text/plain", []byte("1")))
	h.upload(t, u, h.fake.AddAttachment("second.txt", "text/plain", []byte("2")))
	q := h.dm(u, "one more", h.fake.AddAttachment("third.txt", "text/plain", []byte("3")))
	ok := h.fake.WaitFor(10*time.Second, func() bool {
		for _, m := range botMessages(h.fake, q.ChannelID) {
			if m.MessageReference != nil && m.MessageReference.MessageID == q.ID && strings.Contains(m.Content, "removed your oldest: `first.txt`") {
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatal("the user was not told which file was removed")
	}
	waitReplyContaining(t, h, q, "echo: one more")
	if n := len(filesOnDisk(t, h.userDir(u))); n != 2 {
		t.Errorf("%d files on disk, want 2", n)
	}
	db := h.openStoreAfterStop(t)
	fs, _ := db.Files(u)
	if len(fs) != 2 || fs[0].Name != "third.txt" || fs[1].Name != "second.txt" {
		t.Errorf("files = %+v", fs)
	}
}

// waitReplyContaining waits for any bot reply to q that starts with prefix.
func waitReplyContaining(t *testing.T, h *harness, q *discordgo.Message, prefix string) {
	t.Helper()
	if !h.fake.WaitFor(10*time.Second, func() bool {
		for _, m := range botMessages(h.fake, q.ChannelID) {
			if m.MessageReference != nil && m.MessageReference.MessageID == q.ID && strings.HasPrefix(m.Content, prefix) {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no reply starting %q", prefix)
	}
}
