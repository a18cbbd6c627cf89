package bot_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/discordtest"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	"github.com/discordgpt/discordgpt/store"
	openai "github.com/sashabaranov/go-openai"
)

// harness is a bot running in-process against both fakes.
type harness struct {
	fake    *discordtest.Server
	ai      *openaitest.Server
	dataDir string
	cfg     bot.Config
	cancel  context.CancelFunc
	done    chan error
}

// startBot runs bot.Run in-process with a fresh DATA_DIR and waits until it
// is connected and has registered its commands.
func startBot(t testing.TB, adjust func(*bot.Config)) *harness {
	t.Helper()
	fake := discordtest.New(t)
	ai := openaitest.New(t)
	h := &harness{fake: fake, ai: ai, dataDir: t.TempDir()}
	cfg, err := bot.LoadConfig(func(k string) (string, bool) {
		v, ok := env(fake, ai, h.dataDir)[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.RetryBackoff = 10 * time.Millisecond
	cfg.DiscordRetryBackoff = 10 * time.Millisecond
	cfg.StreamEditInterval = 50 * time.Millisecond
	if adjust != nil {
		adjust(&cfg)
	}
	h.cfg = cfg
	t.Cleanup(func() { h.stop(t) })
	h.run(t)
	return h
}

// run starts bot.Run with h.cfg and waits until it is connected and has
// its commands registered.
func (h *harness) run(t testing.TB) {
	t.Helper()
	identified := h.fake.Gateway().Identifies
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	go func() { h.done <- bot.Run(ctx, h.cfg, log) }()
	fake := h.fake
	scope := "global"
	if h.cfg.GuildID != "" {
		scope = h.cfg.GuildID
	}
	if !fake.WaitFor(20*time.Second, func() bool {
		return fake.Gateway().Identifies > identified && fake.Gateway().Connected && len(fake.Commands(scope)) > 0
	}) {
		t.Fatal("bot never connected and registered its commands")
	}
}

// restart stops the bot and runs it again on the same DATA_DIR.
func (h *harness) restart(t testing.TB) {
	t.Helper()
	h.stop(t)
	h.run(t)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// stop cancels Run and waits for it to return.
func (h *harness) stop(t testing.TB) {
	t.Helper()
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestRun_ShutdownLetsRunningHandlerFinish(t *testing.T) {
	h := startBot(t, nil)
	h.ai.Enqueue(openaitest.Reply{Text: "worth the wait", Delay: 1500 * time.Millisecond})
	q := mention(h.fake, "51", "600", "slow one")
	if !h.ai.WaitRequests(1, 10*time.Second) {
		t.Fatal("model never asked")
	}
	h.stop(t) // signal arrives while the answer is being generated
	msgs := h.fake.ChannelMessages("600")
	if len(msgs) != 2 || msgs[1].Content != "worth the wait" || msgs[1].MessageReference.MessageID != q.ID {
		t.Fatalf("channel after shutdown = %+v", msgs)
	}
	db := h.openStoreAfterStop(t)
	if hist, _ := db.History("51", 0); len(hist) != 2 {
		t.Fatalf("history after shutdown = %+v", hist)
	}
}

func TestRun_AnswersOnlyWhatIsForIt(t *testing.T) {
	h := startBot(t, nil)
	f := h.fake
	guild := discordtest.DefaultGuildID
	// Not for the bot: @everyone alone, another bot, a webhook, the bot itself, a plain message.
	f.SendMessage(&discordgo.Message{GuildID: guild, ChannelID: "1", Author: &discordgo.User{ID: "61"}, Content: "@everyone hi", MentionEveryone: true})
	f.SendMessage(&discordgo.Message{GuildID: guild, ChannelID: "1", Author: &discordgo.User{ID: "62", Bot: true},
		Content: "<@" + f.BotUser.ID + "> hi", Mentions: []*discordgo.User{&f.BotUser}})
	f.SendMessage(&discordgo.Message{GuildID: guild, ChannelID: "1", Author: &discordgo.User{ID: "63"}, WebhookID: "5",
		Content: "<@" + f.BotUser.ID + "> hi", Mentions: []*discordgo.User{&f.BotUser}})
	f.SendMessage(&discordgo.Message{GuildID: guild, ChannelID: "1", Author: &f.BotUser, Content: "my own message"})
	f.SendMessage(&discordgo.Message{GuildID: guild, ChannelID: "1", Author: &discordgo.User{ID: "64"}, Content: "just chatting"})
	// For the bot: a DM, and a reply to one of its messages.
	dm := f.SendMessage(&discordgo.Message{ChannelID: "2", Author: &discordgo.User{ID: "65"}, Content: "in a DM"})
	mine := waitReply(t, f, dm, "echo: in a DM")
	reply := f.SendMessage(&discordgo.Message{GuildID: guild, ChannelID: "2", Author: &discordgo.User{ID: "65"}, Content: "follow-up",
		MessageReference: &discordgo.MessageReference{MessageID: mine.ID}, ReferencedMessage: &mine})
	waitReply(t, f, reply, "echo: follow-up")
	if n := len(h.ai.Requests()); n != 2 {
		t.Fatalf("model asked %d times, want 2 (only the DM and the reply)", n)
	}
	if msgs := f.ChannelMessages("1"); len(msgs) != 5 {
		t.Fatalf("bot wrote in channel 1: %+v", msgs)
	}
}

func TestRun_EmptyMentionAndProviderError(t *testing.T) {
	h := startBot(t, nil)
	q := mention(h.fake, "71", "3", "")
	waitReply(t, h.fake, q, "👋 Ask me something after the mention, and I'll answer.")
	if n := len(h.ai.Requests()); n != 0 {
		t.Fatalf("empty mention asked the model %d times", n)
	}
	h.ai.Enqueue(openaitest.QuotaExceeded)
	q = mention(h.fake, "71", "3", "anything")
	quota := &openai.APIError{HTTPStatusCode: 429, Code: "insufficient_quota"}
	r := waitReply(t, h.fake, q, bot.UserMessage(quota))
	if !strings.Contains(r.Content, "out of credit") {
		t.Fatalf("quota reply = %q", r.Content)
	}
	db := h.openStoreAfterStop(t)
	if hist, _ := db.History("71", 0); len(hist) != 0 {
		t.Fatalf("failed exchange was stored: %+v", hist)
	}
}

// openStoreAfterStop stops the bot and opens its database read-only.
func (h *harness) openStoreAfterStop(t *testing.T) *store.DB {
	t.Helper()
	h.stop(t)
	db, err := bot.OpenStore(h.dataDir, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	return db
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestRun_HelpCommand(t *testing.T) {
	h := startBot(t, nil)
	i := h.fake.SendInteraction(&discordgo.Interaction{
		Type: discordgo.InteractionApplicationCommand, GuildID: discordtest.DefaultGuildID,
		Member: &discordgo.Member{User: &discordgo.User{ID: "81"}},
		Data:   discordgo.ApplicationCommandInteractionData{Name: "help"},
	})
	var msgs []discordgo.Message
	if !h.fake.WaitFor(10*time.Second, func() bool { msgs = h.fake.InteractionMessages(i.ID); return len(msgs) == 1 }) {
		t.Fatal("no answer to /help")
	}
	if msgs[0].Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Error("/help answer is not ephemeral")
	}
	for _, c := range h.fake.Commands("global") {
		name := "/" + c.Name
		if c.Type == discordgo.MessageApplicationCommand {
			name = "**" + c.Name + "**" // in the Apps menu, not a slash command
		}
		if !contains(msgs[0].Content, name) {
			t.Errorf("/help does not list %s", name)
		}
	}
	if len(msgs[0].Embeds) != 1 || !contains(msgs[0].Embeds[0].Description, "snapshotted every 24 hours and the last 7 snapshots are kept, so a snapshot lives about 7 days") ||
		!contains(msgs[0].Embeds[0].Description, "out of my reach") {
		t.Errorf("/help does not say how long backups keep data: %+v", msgs[0].Embeds)
	}
	unknown := h.fake.SendInteraction(&discordgo.Interaction{
		Type: discordgo.InteractionApplicationCommand, User: &discordgo.User{ID: "81"},
		Data: discordgo.ApplicationCommandInteractionData{Name: "no_such_command"},
	})
	if !h.fake.WaitFor(10*time.Second, func() bool { return len(h.fake.InteractionMessages(unknown.ID)) == 1 }) {
		t.Fatal("no answer to an unknown command")
	}
}
