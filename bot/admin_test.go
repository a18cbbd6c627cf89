package bot_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/discordtest"
	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	"github.com/discordgpt/discordgpt/store"
	openai "github.com/sashabaranov/go-openai"
)

const adminID = "555000555000551"

// admin runs an /admin subcommand (path like "blacklist add") as userID.
func (h *harness) admin(userID, path, target string) *discordgo.Interaction {
	names := strings.Fields(path)
	var opts []*discordgo.ApplicationCommandInteractionDataOption
	if target != "" {
		opts = []*discordgo.ApplicationCommandInteractionDataOption{{Name: "user", Type: discordgo.ApplicationCommandOptionUser, Value: target}}
	}
	for n := len(names) - 1; n >= 0; n-- {
		typ := discordgo.ApplicationCommandOptionSubCommand
		if n < len(names)-1 {
			typ = discordgo.ApplicationCommandOptionSubCommandGroup
		}
		opts = []*discordgo.ApplicationCommandInteractionDataOption{{Name: names[n], Type: typ, Options: opts}}
	}
	return h.command(userID, "admin", opts...)
}

// finalAnswer waits for an interaction's answer that is not a deferred
// placeholder.
func (h *harness) finalAnswer(t *testing.T, i *discordgo.Interaction) discordgo.Message {
	t.Helper()
	var m discordgo.Message
	if !h.fake.WaitFor(15*time.Second, func() bool {
		msgs := h.fake.InteractionMessages(i.ID)
		if len(msgs) == 0 || msgs[0].Flags&discordgo.MessageFlagsLoading != 0 {
			return false
		}
		m = msgs[0]
		return true
	}) {
		t.Fatalf("no final answer to interaction %s", i.ID)
	}
	return m
}

func TestBudget_DailyLimitAndNextDay(t *testing.T) {
	clk := newClock()
	h := startBot(t, func(c *bot.Config) {
		c.Now = clk.Now
		c.UserDailyBudget = 0.01
		c.AdminIDs = []string{adminID}
	})
	expensive := func(openai.ChatCompletionRequest) openaitest.Reply {
		return openaitest.Reply{Text: "costly", Usage: &openai.Usage{PromptTokens: 100_000, CompletionTokens: 100_000}} // $0.075 on gpt-4o-mini
	}
	h.ai.SetResponder(expensive)
	const u = "555000555000561"
	waitReply(t, h.fake, h.dm(u, "first"), "costly")
	q := h.dm(u, "second")
	r := waitReplyPrefix(t, h, q, "💸 You've used your daily budget of $0.0100.")
	if !strings.Contains(r, "<t:") {
		t.Errorf("no reset time in %q", r)
	}
	if n := len(h.ai.Requests()); n != 1 {
		t.Fatalf("the model got %d requests; a user over budget must cost nothing", n)
	}
	// An admin is exempt.
	waitReply(t, h.fake, h.dm(adminID, "one"), "costly")
	waitReply(t, h.fake, h.dm(adminID, "two"), "costly")
	// /reset does not lift the budget (told again once ten minutes passed).
	h.reset(t, u)
	clk.Add(11 * time.Minute)
	waitReplyPrefix(t, h, h.dm(u, "after reset"), "💸 You've used your daily budget")
	// The next day in TIMEZONE, the user is served again.
	clk.Add(24 * time.Hour)
	waitReply(t, h.fake, h.dm(u, "new day"), "costly")
	// /user_stat shows today against the budget.
	stat := h.answerOf(t, h.command(u, "user_stat"))
	if d := stat.Embeds[0].Description; !strings.Contains(d, "**Today:** $0.0750 of $0.0100") {
		t.Errorf("user_stat = %q", d)
	}
}

// waitReplyPrefix waits for the bot's reply to q to start with prefix.
func waitReplyPrefix(t *testing.T, h *harness, q *discordgo.Message, prefix string) string {
	t.Helper()
	var got string
	if !h.fake.WaitFor(10*time.Second, func() bool { r, _ := replyTo(h.fake, q); got = r.Content; return strings.HasPrefix(got, prefix) }) {
		t.Fatalf("reply = %q, want prefix %q (last Discord calls: %s)", got, prefix, lastCalls(h.fake, 5))
	}
	return got
}

func TestAdmin_BlacklistEverywhere(t *testing.T) {
	clk := newClock()
	h := startBot(t, func(c *bot.Config) { c.AdminIDs = []string{adminID}; c.RateCount = 0; c.Now = clk.Now })
	const u = "555000555000571"
	if a := h.answerOf(t, h.admin(adminID, "blacklist add", u)); !strings.Contains(a.Content, "is blacklisted") {
		t.Fatalf("add = %q", a.Content)
	}
	const banned = "You have been blacklisted from using this bot. Please contact the admin if you think this is a mistake."
	waitReply(t, h.fake, h.dm(u, "hello?"), banned)
	// Data rights stay open to a banned user: /help, /export, /reset.
	for _, c := range h.fake.Commands("global") {
		a := h.answerOf(t, h.command(u, c.Name))
		switch c.Name {
		case "help", "export", "reset":
			if a.Content == banned {
				t.Errorf("/%s refused a banned user", c.Name)
			}
		default:
			if a.Content != banned {
				t.Errorf("/%s answered %q", c.Name, a.Content)
			}
		}
	}
	comp := h.fake.SendInteraction(&discordgo.Interaction{Type: discordgo.InteractionMessageComponent, User: &discordgo.User{ID: u},
		Message: &discordgo.Message{ID: "1", ChannelID: "2"}, Data: discordgo.MessageComponentInteractionData{CustomID: "model:choose", Values: []string{"gpt-4o"}}})
	if a := h.answerOf(t, comp); a.Content != banned {
		t.Errorf("component answered %q", a.Content)
	}
	if n := len(h.ai.Requests()); n != 0 {
		t.Errorf("a blacklisted user reached the model %d times", n)
	}
	list := h.answerOf(t, h.admin(adminID, "blacklist list", ""))
	if len(list.Embeds) != 1 || !strings.Contains(list.Embeds[0].Description, u) {
		t.Errorf("list = %+v", list.Embeds)
	}
	h.answerOf(t, h.admin(adminID, "blacklist remove", u))
	waitReply(t, h.fake, h.dm(u, "back"), "echo: back")
	// A reset does not lift a ban (told again once ten minutes passed).
	h.answerOf(t, h.admin(adminID, "blacklist add", u))
	h.finalAnswer(t, h.admin(adminID, "reset", u))
	clk.Add(11 * time.Minute)
	waitReply(t, h.fake, h.dm(u, "still?"), banned)
}

func TestAdmin_NonAdminRefused(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.AdminIDs = []string{adminID} })
	var adminCmd *discordgo.ApplicationCommand
	for _, c := range h.fake.Commands("global") {
		if c.Name == "admin" {
			adminCmd = c
		}
	}
	if adminCmd == nil || adminCmd.DefaultMemberPermissions == nil || *adminCmd.DefaultMemberPermissions != discordgo.PermissionAdministrator {
		t.Fatalf("/admin is not hidden from non-administrators: %+v", adminCmd)
	}
	const u = "555000555000581"
	waitReply(t, h.fake, h.dm(u, "hi"), "echo: hi")
	for _, path := range []string{"blacklist add", "reset", "backup", "usage", "stop"} {
		a := h.answerOf(t, h.admin(u, path, u))
		if !strings.Contains(a.Content, "Only the bot's admins") {
			t.Errorf("forged /admin %s answered %q", path, a.Content)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(h.dataDir, "backups")); len(entries) != 0 {
		t.Error("a non-admin wrote a backup")
	}
	db := h.openStoreAfterStop(t)
	if hist, _ := db.History(u, 0); len(hist) != 2 {
		t.Error("a non-admin's forged reset touched data")
	}
	if ok, _ := db.Blacklisted(u); ok {
		t.Error("a non-admin blacklisted someone")
	}
}

func TestAdmin_BackupWhileTwentyUsersChat(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.AdminIDs = []string{adminID}; c.RateCount = 0 })
	h.ai.SetResponder(func(req openai.ChatCompletionRequest) openaitest.Reply {
		return openaitest.Reply{Text: "re: " + openaitest.LastUserText(req), ChunkSize: 4}
	})
	const users, rounds = 20, 8
	var mu sync.Mutex
	sent := map[string][]*discordgo.Message{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for u := 0; u < users; u++ {
		wg.Add(1)
		go func(uid string) {
			defer wg.Done()
			<-start
			for r := 0; r < rounds; r++ {
				q := h.dm(uid, fmt.Sprintf("round %d", r))
				mu.Lock()
				sent[uid] = append(sent[uid], q)
				mu.Unlock()
				h.fake.WaitFor(10*time.Second, func() bool { rr, _ := replyTo(h.fake, q); return rr.Content == "re: "+q.Content })
			}
		}(fmt.Sprint(600000 + u))
	}
	close(start)
	// Let some exchanges commit first (answers start MAX_CONCURRENT_ANSWERS
	// at a time, so how soon depends on the machine): at least one user's
	// second answer has started.
	if !h.fake.WaitFor(30*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, qs := range sent {
			started := 0
			for _, q := range qs {
				if _, ok := replyTo(h.fake, q); ok {
					started++
				}
			}
			if started >= 2 {
				return true
			}
		}
		return false
	}) {
		t.Fatal("no user got a second answer")
	}
	// A user's messages are answered one at a time and an answer is stored
	// before the next one starts, so every exchange before a user's newest
	// started answer is committed now.
	committed := map[string]int{}
	mu.Lock()
	for uid, qs := range sent {
		started := 0
		for _, q := range qs {
			if _, ok := replyTo(h.fake, q); ok {
				started++
			}
		}
		committed[uid] = max(0, started-1)
	}
	mu.Unlock()
	backup := h.finalAnswer(t, h.admin(adminID, "backup", ""))
	wg.Wait()
	if !strings.Contains(backup.Content, "Backup written") {
		t.Fatalf("backup answer = %q", backup.Content)
	}
	entries, _ := os.ReadDir(filepath.Join(h.dataDir, "backups"))
	if len(entries) != 1 {
		t.Fatalf("%d backups", len(entries))
	}
	snap, err := store.Open(filepath.Join(h.dataDir, "backups", entries[0].Name()), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	if err := snap.Check(); err != nil {
		t.Fatal(err)
	}
	total := 0
	for uid, n := range committed {
		hist, _ := snap.History(uid, 0)
		if len(hist) < 2*n || len(hist)%2 != 0 {
			t.Errorf("user %s: snapshot has %d messages, want at least %d, in whole exchanges", uid, len(hist), 2*n)
		}
		for k, m := range hist {
			if k%2 == 0 && m.Content != fmt.Sprintf("round %d", k/2) {
				t.Errorf("user %s: message %d = %q", uid, k, m.Content)
			}
		}
		total += n
	}
	if total == 0 {
		t.Fatal("nothing was committed before the backup; the test tests nothing")
	}
}

func TestAdmin_UsageStopAndAutoBackups(t *testing.T) {
	h := startBot(t, func(c *bot.Config) {
		c.AdminIDs = []string{adminID}
		c.BackupInterval = 100 * time.Millisecond
		c.BackupKeep = 2
	})
	h.ai.SetResponder(func(openai.ChatCompletionRequest) openaitest.Reply {
		return openaitest.Reply{Text: "paid", Usage: &openai.Usage{PromptTokens: 1000, CompletionTokens: 1000}}
	})
	waitReply(t, h.fake, h.dm("555000555000591", "a"), "paid")
	waitReply(t, h.fake, h.dm("555000555000592", "b"), "paid")
	waitReply(t, h.fake, h.dm("555000555000592", "c"), "paid")
	usage := h.finalAnswer(t, h.admin(adminID, "usage", ""))
	if !strings.Contains(usage.Content, "1. <@555000555000592>") || len(usage.Attachments) != 2 || usage.Attachments[1].Filename != "spending.png" {
		t.Fatalf("usage = %q, %d files", usage.Content, len(usage.Attachments))
	}
	data, _ := h.fake.FileData(usage.Attachments[0])
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "user_id" {
		t.Fatalf("csv = %q, %v", data, err)
	}
	// /admin stop cancels another user's answer.
	h.ai.Enqueue(openaitest.Reply{Text: strings.Repeat("long ", 300), ChunkSize: 5, ChunkDelay: 10 * time.Millisecond})
	q := h.dm("555000555000593", "go on")
	if !h.fake.WaitFor(10*time.Second, func() bool { r, _ := replyTo(h.fake, q); return strings.HasPrefix(r.Content, "long") }) {
		t.Fatal("answer never started")
	}
	if a := h.answerOf(t, h.admin(adminID, "stop", "555000555000593")); !strings.Contains(a.Content, "Stopped") {
		t.Errorf("admin stop = %q", a.Content)
	}
	waitReplySuffix(t, h, q, "⏹️ *Stopped.*")
	// Automatic backups, pruned to BACKUP_KEEP. A snapshot being written
	// is a hidden temporary file, and one written just before pruning
	// makes three for a moment: count finished ones once the bot stopped.
	if !h.fake.WaitFor(10*time.Second, func() bool { return len(autoBackups(h.dataDir)) >= 2 }) {
		t.Fatal("no automatic backups")
	}
	time.Sleep(350 * time.Millisecond)
	h.stop(t)
	if got := autoBackups(h.dataDir); len(got) != 2 {
		t.Errorf("automatic backups kept: %v, want 2", got)
	}
}

// autoBackups lists the finished automatic snapshots.
func autoBackups(dataDir string) []string {
	entries, _ := os.ReadDir(filepath.Join(dataDir, "backups"))
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "auto-") && strings.HasSuffix(e.Name(), ".db") {
			out = append(out, e.Name())
		}
	}
	return out
}

func waitReplySuffix(t *testing.T, h *harness, q *discordgo.Message, suffix string) {
	t.Helper()
	var got string
	if !h.fake.WaitFor(10*time.Second, func() bool { r, _ := replyTo(h.fake, q); got = r.Content; return strings.HasSuffix(got, suffix) }) {
		t.Fatalf("reply = %q, want suffix %q", got, suffix)
	}
}

func TestExport_ZipHoldsExactlyTheUsersData(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0 })
	const u, other = "555000555000601", "555000555000602"
	h.upload(t, u, h.fake.AddAttachment("mine.txt", "text/plain", []byte("my words")), h.fake.AddAttachment("pic.png", "image/png", pngBytes))
	waitReply(t, h.fake, h.dm(u, "second question"), "echo: second question")
	h.upload(t, other, h.fake.AddAttachment("theirs.txt", "text/plain", []byte("not yours")))
	ex := h.finalAnswer(t, h.command(u, "export"))
	if len(ex.Attachments) != 1 || !strings.HasSuffix(ex.Attachments[0].Filename, ".zip") || ex.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Fatalf("export = %+v", ex)
	}
	data, _ := h.fake.FileData(ex.Attachments[0])
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		got[f.Name] = b
	}
	for _, name := range []string{"history.json", "history.md", "stats.json", "files.json", "reminders.json", "threads.json", "servers.json", "files/mine.txt", "files/pic.png"} {
		if _, ok := got[name]; !ok {
			t.Errorf("zip lacks %s (has %v)", name, keys(got))
		}
	}
	if string(got["threads.json"]) != "[]" {
		t.Errorf("threads.json without threads = %q", got["threads.json"])
	}
	if len(got) != 9 {
		t.Errorf("zip holds %v", keys(got))
	}
	if string(got["files/mine.txt"]) != "my words" || !bytes.Equal(got["files/pic.png"], pngBytes) {
		t.Error("file contents differ")
	}
	var hist struct {
		UserID   string          `json:"user_id"`
		Messages []store.Message `json:"messages"`
	}
	if err := json.Unmarshal(got["history.json"], &hist); err != nil || hist.UserID != u || len(hist.Messages) != 4 ||
		hist.Messages[2].Content != "second question" {
		t.Errorf("history.json = %s, %v", got["history.json"], err)
	}
	var stats struct {
		PerModel []store.Usage    `json:"per_model"`
		PerDay   []store.DaySpend `json:"per_day"`
	}
	if err := json.Unmarshal(got["stats.json"], &stats); err != nil || len(stats.PerModel) != 1 || stats.PerModel[0].Requests != 2 ||
		len(stats.PerDay) != 1 || stats.PerDay[0].ByModel[stats.PerModel[0].Model] <= 0 {
		t.Errorf("stats.json = %s", got["stats.json"])
	}
	for name, b := range got {
		if bytes.Contains(b, []byte(other)) || bytes.Contains(b, []byte("not yours")) {
			t.Errorf("%s holds another user's data", name)
		}
	}
	if !strings.Contains(string(got["history.md"]), "second question") {
		t.Error("history.md lacks the conversation")
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestAccess_AllowLists(t *testing.T) {
	h := startBot(t, func(c *bot.Config) {
		c.AllowedRoles = []string{"4444"}
		c.AllowedChannels = []string{"7000"}
		c.AdminIDs = []string{adminID}
	})
	f := h.fake
	guildMsg := func(user, channel string, roles []string) *discordgo.Message {
		return f.SendMessage(&discordgo.Message{GuildID: discordtest.DefaultGuildID, ChannelID: channel,
			Author: &discordgo.User{ID: user}, Member: &discordgo.Member{Roles: roles},
			Content: "<@" + f.BotUser.ID + "> hi", Mentions: []*discordgo.User{&f.BotUser}})
	}
	const notAllowed = "🔒 This bot is only open to certain people or channels here."
	waitReply(t, f, guildMsg("555000555000611", "7000", []string{"4444"}), "echo: hi")
	waitReply(t, f, guildMsg("555000555000612", "7000", []string{"1"}), notAllowed)
	waitReply(t, f, guildMsg("555000555000611", "7001", []string{"4444"}), notAllowed)
	waitReply(t, f, guildMsg(adminID, "7001", nil), "echo: hi")
	i := f.SendInteraction(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: discordtest.DefaultGuildID,
		ChannelID: "7000", Member: &discordgo.Member{User: &discordgo.User{ID: "555000555000612"}, Roles: []string{"1"}},
		Data: discordgo.ApplicationCommandInteractionData{Name: "files"}})
	if a := h.answerOf(t, i); a.Content != notAllowed {
		t.Errorf("command by a user without the role = %q", a.Content)
	}
	// /help, /export and /reset stay open to them.
	i = f.SendInteraction(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: discordtest.DefaultGuildID,
		ChannelID: "7001", Member: &discordgo.Member{User: &discordgo.User{ID: "555000555000612"}, Roles: []string{"1"}},
		Data: discordgo.ApplicationCommandInteractionData{Name: "help"}})
	if a := h.answerOf(t, i); a.Content == notAllowed {
		t.Error("/help refused to a user without the role")
	}
	if n := len(h.ai.Requests()); n != 2 {
		t.Errorf("%d model calls, want 2", n)
	}
}

func TestStats_UserStatAndPrices(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.Models = append(c.Models, "my-local-model") })
	h.ai.Enqueue(openaitest.Reply{Text: "a", Usage: &openai.Usage{PromptTokens: 1_000_000, CompletionTokens: 0}},
		openaitest.Reply{Text: "b", NoUsage: true})
	const u = "555000555000621"
	waitReply(t, h.fake, h.dm(u, "one"), "a")
	waitReply(t, h.fake, h.dm(u, "two"), "b")
	stat := h.answerOf(t, h.command(u, "user_stat"))
	d := stat.Embeds[0].Description
	for _, want := range []string{"**Model:** `gpt-4o-mini`", "**Requests:** 2", "*", "partly estimated", "`gpt-4o-mini` · 2 requests"} {
		if !strings.Contains(d, want) {
			t.Errorf("user_stat lacks %q:\n%s", want, d)
		}
	}
	prices := h.answerOf(t, h.command(u, "prices"))
	pd := prices.Embeds[0].Description
	if !strings.Contains(pd, "`gpt-4o-mini`: $0.15 / $0.075 / $0.6") || !strings.Contains(pd, "`my-local-model`: price unknown") ||
		!strings.Contains(prices.Embeds[0].Footer.Text, llm.PricesTaken) {
		t.Errorf("prices = %s / %s", pd, prices.Embeds[0].Footer.Text)
	}
	noRefusals(t, h.fake)
}

func TestAdmin_BadInput(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.AdminIDs = []string{adminID, "555000555000552"} })
	for _, path := range []string{"blacklist add", "blacklist remove", "stop", "reset"} {
		if a := h.answerOf(t, h.admin(adminID, path, "")); a.Content != "❓ Name a user." {
			t.Errorf("/admin %s without a user = %q", path, a.Content)
		}
	}
	if a := h.answerOf(t, h.admin(adminID, "blacklist add", "not-a-snowflake")); a.Content != "❓ Name a user." {
		t.Errorf("forged user value = %q", a.Content)
	}
	if a := h.answerOf(t, h.admin(adminID, "blacklist add", "555000555000552")); !strings.Contains(a.Content, "Admins can't be blacklisted") {
		t.Errorf("blacklisting an admin = %q", a.Content)
	}
	if a := h.answerOf(t, h.admin(adminID, "blacklist remove", "555000555000553")); !strings.Contains(a.Content, "was not blacklisted") {
		t.Errorf("removing a user who is not blacklisted = %q", a.Content)
	}
	if a := h.answerOf(t, h.admin(adminID, "stop", "555000555000553")); !strings.Contains(a.Content, "has no answer running") {
		t.Errorf("stopping nothing = %q", a.Content)
	}
	noRefusals(t, h.fake)
}

func TestExport_LargeFilesIncluded(t *testing.T) {
	const u = "555000555000631"
	h := startBot(t, func(c *bot.Config) {
		prefillFiles(t, c.DataDir, u, 1, 11<<20) // over one upload: the export may come in parts
		prefillFiles(t, c.DataDir, u, 1, 10)
	})
	ex := h.finalAnswer(t, h.command(u, "export"))
	if len(ex.Attachments) != 1 || strings.Contains(ex.Content, "too large") {
		t.Fatalf("export = %q", ex.Content)
	}
	data, _ := h.fake.FileData(ex.Attachments[0])
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]uint64{}
	big := false
	for _, f := range zr.File {
		sizes[f.Name] = f.UncompressedSize64
		big = big || f.UncompressedSize64 == 11<<20
	}
	if !big || len(sizes) != 9 {
		t.Errorf("zip entries = %v", sizes)
	}
}
