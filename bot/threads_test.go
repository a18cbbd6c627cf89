package bot_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/discordtest"
	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	"github.com/discordgpt/discordgpt/store"
)

// chatIn sends /chat in a guild channel.
func (h *harness) chatIn(userID, name, channelID, message string) *discordgo.Interaction {
	var opts []*discordgo.ApplicationCommandInteractionDataOption
	if message != "" {
		opts = append(opts, &discordgo.ApplicationCommandInteractionDataOption{Name: "message", Type: discordgo.ApplicationCommandOptionString, Value: message})
	}
	return h.fake.SendInteraction(&discordgo.Interaction{
		Type: discordgo.InteractionApplicationCommand, GuildID: discordtest.DefaultGuildID, ChannelID: channelID,
		Member: &discordgo.Member{User: &discordgo.User{ID: userID, Username: name}},
		Data:   discordgo.ApplicationCommandInteractionData{Name: "chat", Options: opts},
	})
}

// say posts a member's message (no mention) in a channel or thread.
func (h *harness) say(userID, name, channelID, text string) *discordgo.Message {
	return h.fake.SendMessage(&discordgo.Message{GuildID: discordtest.DefaultGuildID, ChannelID: channelID,
		Author: &discordgo.User{ID: userID, Username: name}, Content: text})
}

// waitInThread waits for a bot message with text in a thread.
func waitInThread(t *testing.T, h *harness, threadID, text string) {
	t.Helper()
	if !h.fake.WaitFor(10*time.Second, func() bool {
		for _, m := range h.fake.ChannelMessages(threadID) {
			if m.Content == text {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no %q in the thread; it has %+v", text, h.fake.ChannelMessages(threadID))
	}
}

// onlyThread returns the one thread started so far.
func onlyThread(t *testing.T, h *harness) discordgo.Channel {
	t.Helper()
	var ths []discordgo.Channel
	if !h.fake.WaitFor(10*time.Second, func() bool { ths = h.fake.Threads(); return len(ths) == 1 }) {
		t.Fatalf("threads = %+v", ths)
	}
	return ths[0]
}

func TestThreads_ChatTalkWithoutMentionsTwoPeopleIgnoredArchived(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0 })
	const ann, ben, channel = "555000555001001", "555000555001002", "666000666001001"
	i := h.chatIn(ann, "Ann", channel, "plan a trip to Lisbon")
	th := onlyThread(t, h)
	if th.ParentID != channel || th.Name != "plan a trip to Lisbon" || th.Type != discordgo.ChannelTypeGuildPublicThread {
		t.Errorf("thread = %+v", th)
	}
	if a := h.finalAnswer(t, i); !strings.Contains(a.Content, "Started <#"+th.ID+">") || a.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Errorf("/chat answer = %q", a.Content)
	}
	// The first message is posted in the thread in Ann's name and answered.
	waitInThread(t, h, th.ID, "**Ann:** plan a trip to Lisbon")
	waitInThread(t, h, th.ID, "echo: Ann: plan a trip to Lisbon")
	// Five more without a mention.
	for n := 0; n < 5; n++ {
		q := h.say(ann, "Ann", th.ID, "day "+string(rune('1'+n)))
		waitFinalReply(t, h, q, "echo: Ann: day "+string(rune('1'+n)))
	}
	// Ben joins; the model sees who said what.
	q := h.say(ben, "Ben", th.ID, "can I come?")
	waitFinalReply(t, h, q, "echo: Ben: can I come?")
	var texts []string
	for _, m := range lastChat(t, h.ai).Messages {
		texts = append(texts, m.Content)
	}
	joined := strings.Join(texts, "|")
	if !strings.Contains(joined, "Ann: plan a trip to Lisbon") || !strings.Contains(joined, "Ann: day 5") || !strings.HasSuffix(joined, "Ben: can I come?") {
		t.Errorf("the model's view of the thread: %s", joined)
	}
	// People talking among themselves are not answered.
	calls := len(h.ai.Requests())
	aside := h.say(ben, "Ben", th.ID, "// ann, shall we take the train?")
	after := h.say(ann, "Ann", th.ID, "what about trains?")
	waitFinalReply(t, h, after, "echo: Ann: what about trains?")
	if _, ok := replyTo(h.fake, aside); ok || len(h.ai.Requests()) != calls+1 {
		t.Errorf("a // message was answered (%d model calls, want %d)", len(h.ai.Requests()), calls+1)
	}
	// An archived thread: a member's message reopens it and is answered.
	h.fake.ArchiveThread(th.ID, false)
	q = h.say(ann, "Ann", th.ID, "back after a week")
	waitFinalReply(t, h, q, "echo: Ann: back after a week")
	// Archived again before the bot answers (a moderator): the bot reopens it.
	release, held := h.fake.Hold("POST", "/channels/"+th.ID+"/messages", 1)
	q = h.say(ann, "Ann", th.ID, "and now?")
	<-held
	h.fake.ArchiveThread(th.ID, false)
	release()
	waitFinalReply(t, h, q, "echo: Ann: and now?")
	if got, _ := h.fake.Thread(th.ID); got.ThreadMetadata.Archived {
		t.Error("the thread stayed archived")
	}
	// A locked thread refuses; the bot does not fail, and answers elsewhere.
	h.fake.ArchiveThread(th.ID, true)
	h.fake.Dispatch("MESSAGE_CREATE", &discordgo.Message{ID: h.fake.NewID(), GuildID: discordtest.DefaultGuildID, ChannelID: th.ID,
		Author: &discordgo.User{ID: ann, Username: "Ann"}, Content: "locked?"})
	waitReply(t, h.fake, h.dm(ben, "still there?"), "echo: still there?")

	db := h.openStoreAfterStop(t)
	hist, _ := db.ThreadHistory(th.ID)
	if len(hist) < 18 || hist[0].AuthorID != ann || hist[0].AuthorName != "Ann" || hist[1].AskedBy != ann {
		t.Errorf("thread history (%d): %+v", len(hist), hist[:min(2, len(hist))])
	}
	if own, _ := db.History(ann, 0); len(own) != 0 {
		t.Errorf("thread messages went to ann's own conversation: %d", len(own))
	}
}

func TestThreads_AutoThreadOnMention(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0; c.AutoThread = true })
	const ann, channel = "555000555001011", "666000666001011"
	q := mention(h.fake, ann, channel, "what is a good name for a cat?")
	th := onlyThread(t, h)
	if th.ID != q.ID || th.ParentID != channel {
		t.Errorf("thread %+v, want one started from message %s", th, q.ID)
	}
	waitInThread(t, h, th.ID, "echo: user"+ann+": what is a good name for a cat?")
	q2 := h.say(ann, "ann", th.ID, "and a dog?")
	waitFinalReply(t, h, q2, "echo: ann: and a dog?")
}

func TestThreads_ResetAndExport(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0 })
	const ann, ben, channel = "555000555001021", "555000555001022", "666000666001021"
	h.chatIn(ann, "Ann", channel, "ann's topic")
	annThread := onlyThread(t, h)
	waitInThread(t, h, annThread.ID, "echo: Ann: ann's topic") // recorded as the bot's by now
	waitFinalReply(t, h, h.say(ben, "Ben", annThread.ID, "ben in ann's thread"), "echo: Ben: ben in ann's thread")
	h.chatIn(ben, "Ben", channel, "ben's topic")
	var benThread discordgo.Channel
	if !h.fake.WaitFor(10*time.Second, func() bool {
		for _, th := range h.fake.Threads() {
			if th.ID != annThread.ID {
				benThread = th
				return true
			}
		}
		return false
	}) {
		t.Fatal("ben's thread not opened")
	}
	waitInThread(t, h, benThread.ID, "echo: Ben: ben's topic")
	waitFinalReply(t, h, h.say(ann, "Ann", benThread.ID, "ann in ben's thread"), "echo: Ann: ann in ben's thread")

	// /export: both of ann's threads, ben's words in hers without his ID.
	ex := h.finalAnswer(t, h.command(ann, "export"))
	if len(ex.Attachments) != 1 {
		t.Fatalf("export = %+v", ex)
	}
	data, _ := h.fake.FileData(ex.Attachments[0])
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var threads []struct {
		ID       string          `json:"id"`
		Owned    bool            `json:"owned"`
		Messages []store.Message `json:"messages"`
	}
	for _, f := range zr.File {
		if f.Name == "threads.json" {
			r, _ := f.Open()
			raw, _ := io.ReadAll(r)
			if err := json.Unmarshal(raw, &threads); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(raw), ben) {
				t.Error("ann's export holds ben's ID")
			}
		}
	}
	if len(threads) != 2 {
		t.Fatalf("threads.json = %+v", threads)
	}
	for _, th := range threads {
		switch th.ID {
		case annThread.ID:
			if !th.Owned || len(th.Messages) != 4 {
				t.Errorf("ann's own thread in her export: %+v", th)
			}
		case benThread.ID:
			if th.Owned || len(th.Messages) != 2 || th.Messages[0].Content != "ann in ben's thread" {
				t.Errorf("ben's thread in ann's export: %+v", th)
			}
		}
	}

	// /reset: ann's thread goes, and her words in ben's.
	h.reset(t, ann)
	// Her old thread is no longer the bot's: unmentioned messages there go unanswered.
	calls := len(h.ai.Requests())
	h.say(ben, "Ben", annThread.ID, "hello?")
	waitFinalReply(t, h, h.say(ben, "Ben", benThread.ID, "still mine"), "echo: Ben: still mine")
	if n := len(h.ai.Requests()); n != calls+1 {
		t.Errorf("%d model calls after the reset, want %d", n, calls+1)
	}
	db := h.openStoreAfterStop(t)
	if _, err := db.Thread(annThread.ID); err == nil {
		t.Error("ann's thread survived her reset")
	}
	hist, _ := db.ThreadHistory(benThread.ID)
	for _, m := range hist {
		if m.AuthorID == ann || m.AskedBy == ann || strings.Contains(m.Content, "ann in ben's") {
			t.Errorf("ann's words survived in ben's thread: %+v", m)
		}
	}
	if len(hist) != 4 {
		t.Errorf("ben's thread after ann's reset: %d messages", len(hist))
	}
	for _, where := range holders(t, db, ann) {
		if !strings.HasPrefix(where, "settings/") && !strings.HasPrefix(where, "blacklist/") && !strings.HasPrefix(where, "spend/") {
			t.Errorf("after reset, ann's ID is held by %s", where)
		}
	}
}

// ALLOWED_CHANNEL_IDS covers the threads of an allowed channel; in a
// thread the bot did not start, only a mention is answered, and
// AUTO_THREAD opens no thread inside a thread.
func TestThreads_AllowedChannelsAndOthersThreads(t *testing.T) {
	const ann, allowed, other = "555000555001031", "666000666001031", "666000666001032"
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0; c.AllowedChannels = []string{allowed}; c.AutoThread = true })
	h.chatIn(ann, "Ann", allowed, "in an allowed channel")
	th := onlyThread(t, h)
	waitInThread(t, h, th.ID, "echo: Ann: in an allowed channel")
	waitFinalReply(t, h, h.say(ann, "Ann", th.ID, "more"), "echo: Ann: more")

	members := h.fake.AddThread(allowed, "members' own thread")
	calls := len(h.ai.Requests())
	h.say(ann, "Ann", members, "not for the bot")
	q := mention(h.fake, ann, members, "but this is")
	waitFinalReply(t, h, q, "echo: but this is")
	if n := len(h.ai.Requests()); n != calls+1 {
		t.Errorf("%d model calls, want %d: only the mention is for the bot", n, calls+1)
	}
	if n := len(h.fake.Threads()); n != 2 {
		t.Errorf("%d threads: AUTO_THREAD must not open one inside a thread", n)
	}
	// A thread of a channel that is not allowed is refused like the channel.
	outside := h.fake.AddThread(other, "elsewhere")
	q = mention(h.fake, ann, outside, "hello?")
	if r := waitReplyPrefix(t, h, q, "🔒"); !strings.Contains(r, "only open to certain") {
		t.Errorf("refusal = %q", r)
	}
}

// /stop in a thread stops the answer being written there: the asker's
// own, or any for the thread's owner; not another member's.
func TestThreads_StopInThread(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0 })
	const ann, ben, cid, channel = "555000555001041", "555000555001042", "555000555001043", "666000666001041"
	h.chatIn(ann, "Ann", channel, "")
	th := onlyThread(t, h)
	waitInThread(t, h, th.ID, "👋 Ann opened this thread. Ask away.")
	stopIn := func(userID string) string {
		i := h.fake.SendInteraction(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: discordtest.DefaultGuildID,
			ChannelID: th.ID, Member: &discordgo.Member{User: &discordgo.User{ID: userID}}, Data: discordgo.ApplicationCommandInteractionData{Name: "stop"}})
		return h.answerOf(t, i).Content
	}
	h.ai.Enqueue(openaitest.Reply{Text: strings.Repeat("slowly ", 200), ChunkSize: 7, ChunkDelay: 20 * time.Millisecond})
	q := h.say(ben, "Ben", th.ID, "tell me a long story")
	if !h.fake.WaitFor(10*time.Second, func() bool { r, ok := replyTo(h.fake, q); return ok && strings.HasPrefix(r.Content, "slowly") }) {
		t.Fatal("the answer never started")
	}
	if got := stopIn(cid); !strings.HasPrefix(got, "Nothing to stop") {
		t.Errorf("another member stopped Ben's answer: %q", got)
	}
	if got := stopIn(ann); !strings.Contains(got, "Stopped the answer being written here") {
		t.Errorf("the owner's /stop = %q", got)
	}
	waitReplySuffix(t, h, q, "⏹️ *Stopped.*")
}

// One reset across everything a user has: their thread, their words in
// another's, a per-server conversation, a DM, a summary, a persona they
// set. Afterwards only the documented survivors hold their ID.
func TestReset_AcrossThreadsPlacesSummariesPersonas(t *testing.T) {
	const ann, ben, channel = "555000555001051", "555000555001052", "666000666001051"
	h := startBot(t, func(c *bot.Config) {
		c.RateCount = 0
		c.ConversationScope = "place"
		c.AdminIDs = []string{"555000555009999"}
	})
	h.chatIn(ann, "Ann", channel, "ann's thread")
	annThread := onlyThread(t, h)
	waitInThread(t, h, annThread.ID, "echo: Ann: ann's thread")
	h.chatIn(ben, "Ben", channel, "ben's thread")
	var benThread discordgo.Channel
	h.fake.WaitFor(10*time.Second, func() bool {
		for _, th := range h.fake.Threads() {
			if th.ID != annThread.ID {
				benThread = th
				return true
			}
		}
		return false
	})
	waitInThread(t, h, benThread.ID, "echo: Ben: ben's thread")
	waitFinalReply(t, h, h.say(ann, "Ann", benThread.ID, "ann was here"), "echo: Ann: ann was here")
	waitFinalReply(t, h, mention(h.fake, ann, channel, "in the server"), "echo: in the server")
	waitReply(t, h.fake, h.dm(ann, "in private"), "echo: in private")
	i := h.fake.SendInteraction(serverInstall(messageCommand("Summarize up to here", discordtest.DefaultGuildID, channel, ann,
		&discordgo.Message{ID: "1", ChannelID: channel, Author: &discordgo.User{ID: ben, Username: "ben"}, Content: "start"})))
	if !h.fake.WaitFor(15*time.Second, func() bool {
		m := h.fake.InteractionMessages(i.ID)
		return len(m) > 0 && strings.HasPrefix(m[0].Content, "echo: Summarize")
	}) {
		t.Fatal("no summary")
	}
	h.answerOf(t, h.persona(ann, discordgo.PermissionManageChannels, channel, "set", strOpt("scope", "channel"), strOpt("prompt", "Be brief.")))

	ex := h.finalAnswer(t, h.command(ann, "export"))
	data, _ := h.fake.FileData(ex.Attachments[0])
	for _, want := range []string{"threads.json", "servers.json", "history.json"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("export lacks %s", want)
		}
	}
	h.reset(t, ann)
	db := h.openStoreAfterStop(t)
	for _, where := range holders(t, db, ann) {
		if !strings.HasPrefix(where, "settings/") && !strings.HasPrefix(where, "blacklist/") && !strings.HasPrefix(where, "spend/") {
			t.Errorf("after reset, ann's ID is held by %s", where)
		}
	}
	if hist, _ := db.ThreadHistory(benThread.ID); len(hist) != 2 {
		t.Errorf("ben's thread after ann's reset: %d messages", len(hist))
	}
	if p, ok, _ := db.GetPersona("channel", channel); !ok || p.Prompt != "Be brief." {
		t.Errorf("the channel's persona went with ann's reset: %+v", p)
	}
}

// Continue on a cut answer in a thread goes on in the thread's
// conversation.
func TestThreads_ContinueStaysInTheThread(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0; c.API = llm.APIChat })
	const ann, channel = "555000555001061", "666000666001061"
	h.chatIn(ann, "Ann", channel, "")
	th := onlyThread(t, h)
	waitInThread(t, h, th.ID, "👋 Ann opened this thread. Ask away.")
	h.ai.Enqueue(openaitest.Reply{Text: "Part one", Truncate: true})
	q := h.say(ann, "Ann", th.ID, "a long story please")
	waitReplyPrefix(t, h, q, "Part one\n\n✂️")
	msg, _ := replyTo(h.fake, q)
	btns, _ := buttons(msg)
	if btns["Continue"] == nil {
		t.Fatalf("no Continue button: %+v", msg.Components)
	}
	h.ai.Enqueue(openaitest.Reply{Text: "and part two."})
	h.fake.SendInteraction(&discordgo.Interaction{Type: discordgo.InteractionMessageComponent, GuildID: discordtest.DefaultGuildID,
		Member: &discordgo.Member{User: &discordgo.User{ID: ann, Username: "Ann"}}, ChannelID: th.ID, Message: &msg,
		Data: discordgo.MessageComponentInteractionData{CustomID: btns["Continue"].CustomID, ComponentType: discordgo.ButtonComponent}})
	waitReply(t, h.fake, &msg, "and part two.")
	if sent := requestText(lastChat(t, h.ai)); !strings.Contains(sent, "Ann: a long story please") || !strings.Contains(sent, "public Discord thread") {
		t.Errorf("the continuation left the thread's conversation: %s", sent)
	}
	db := h.openStoreAfterStop(t)
	if hist, _ := db.ThreadHistory(th.ID); len(hist) != 4 {
		t.Errorf("thread history = %d messages", len(hist))
	}
	if own, _ := db.History(ann, 0); len(own) != 0 {
		t.Errorf("the continuation went to ann's own conversation: %+v", own)
	}
}
