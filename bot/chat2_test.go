package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/discordtest"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	openai "github.com/sashabaranov/go-openai"
)

// command injects a slash command from userID with options.
func (h *harness) command(userID, name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.Interaction {
	return h.fake.SendInteraction(&discordgo.Interaction{
		Type: discordgo.InteractionApplicationCommand, GuildID: discordtest.DefaultGuildID,
		Member: &discordgo.Member{User: &discordgo.User{ID: userID}},
		Data:   discordgo.ApplicationCommandInteractionData{Name: name, Options: opts},
	})
}

// answerOf waits for an interaction's first message and returns it.
func (h *harness) answerOf(t *testing.T, i *discordgo.Interaction) discordgo.Message {
	t.Helper()
	var msgs []discordgo.Message
	if !h.fake.WaitFor(10*time.Second, func() bool {
		msgs = h.fake.InteractionMessages(i.ID)
		return len(msgs) > 0 && (msgs[0].Content != "" || len(msgs[0].Embeds) > 0)
	}) {
		t.Fatalf("no answer to interaction %s", i.ID)
	}
	return msgs[0]
}

func TestChat_QueueAndStop(t *testing.T) {
	h := startBot(t, nil)
	slow := openaitest.Reply{Text: strings.Repeat("slowly ", 200), ChunkSize: 7, ChunkDelay: 20 * time.Millisecond}
	h.ai.Enqueue(slow)
	q1 := h.dm("201", "first")
	if !h.fake.WaitFor(10*time.Second, func() bool { r, ok := replyTo(h.fake, q1); return ok && strings.HasPrefix(r.Content, "slowly") }) {
		t.Fatal("first answer never started")
	}
	q2 := h.dm("201", "second")
	waitReply(t, h.fake, q2, "⏳ I'm still answering your previous message; I'll answer this one right after.")
	if n := len(h.ai.Requests()); n != 1 {
		t.Fatalf("second message reached the model while the first ran: %d requests", n)
	}
	stop := h.command("201", "stop")
	if a := h.answerOf(t, stop); !strings.Contains(a.Content, "Stopped") || a.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Fatalf("/stop answer = %+v", a)
	}
	if !h.fake.WaitFor(10*time.Second, func() bool { r, _ := replyTo(h.fake, q1); return strings.HasSuffix(r.Content, "⏹️ *Stopped.*") }) {
		r, _ := replyTo(h.fake, q1)
		t.Fatalf("stopped answer = %q", r.Content)
	}
	// The queued message's notice becomes its answer.
	r2 := waitReply(t, h.fake, q2, "echo: second")
	if msgs := botMessages(h.fake, q2.ChannelID); len(msgs) != 2 {
		t.Errorf("bot wrote %d messages, want 2 (one answer each, the notice reused)", len(msgs))
	}
	_ = r2
	if a := h.answerOf(t, h.command("201", "stop")); !strings.Contains(a.Content, "Nothing to stop") {
		t.Errorf("/stop with nothing running = %q", a.Content)
	}
	db := h.openStoreAfterStop(t)
	hist, _ := db.History("201", 0)
	if len(hist) != 2 || hist[0].Content != "second" {
		t.Fatalf("history = %+v (a stopped answer must not be stored)", hist)
	}
}

func TestChat_TooManyWaiting(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0 })
	h.ai.Enqueue(openaitest.Reply{Text: "held", Delay: 1500 * time.Millisecond})
	first := h.dm("211", "one")
	if !h.ai.WaitRequests(1, 10*time.Second) {
		t.Fatal("first never reached the model")
	}
	var waiting []*discordgo.Message
	for i := 0; i < 3; i++ {
		waiting = append(waiting, h.dm("211", "waiting"))
	}
	for _, w := range waiting {
		if !h.fake.WaitFor(10*time.Second, func() bool { _, ok := replyTo(h.fake, w); return ok }) {
			t.Fatal("a queued message got no notice")
		}
	}
	over := h.dm("211", "one too many")
	waitReply(t, h.fake, over, "⚠️ You already have 3 messages waiting for an answer. Please wait for those first.")
	waitReply(t, h.fake, first, "held")
	for _, w := range waiting {
		waitReply(t, h.fake, w, "echo: waiting")
	}
	if n := len(h.ai.Requests()); n != 4 {
		t.Errorf("%d model calls, want 4", n)
	}
}

func TestChat_RateLimitAndAdmins(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.AdminIDs = []string{"222"} })
	const limited = "⚠️ You're sending requests too quickly. Please wait a moment before trying again."
	// Events are handled concurrently, so any one of the four may be the refused one.
	countReplies := func(msgs []*discordgo.Message) (answers, refusals int) {
		for _, m := range msgs {
			r, _ := replyTo(h.fake, m)
			switch r.Content {
			case "echo: quick":
				answers++
			case limited:
				refusals++
			}
		}
		return
	}
	var user []*discordgo.Message
	for i := 0; i < 4; i++ {
		user = append(user, h.dm("221", "quick"))
	}
	if !h.fake.WaitFor(20*time.Second, func() bool { a, r := countReplies(user); return a == 3 && r == 1 }) {
		a, r := countReplies(user)
		t.Fatalf("4 quick messages: %d answers, %d refusals; want 3 and 1", a, r)
	}
	var admin []*discordgo.Message
	for i := 0; i < 4; i++ {
		admin = append(admin, h.dm("222", "quick"))
	}
	if !h.fake.WaitFor(20*time.Second, func() bool { a, _ := countReplies(admin); return a == 4 }) {
		a, r := countReplies(admin)
		t.Fatalf("admin: %d answers, %d refusals; want 4 and 0", a, r)
	}
}

func TestChat_DuplicateEventAnsweredOnce(t *testing.T) {
	h := startBot(t, nil)
	q := h.dm("231", "only once")
	h.fake.Dispatch("MESSAGE_CREATE", q)
	waitReply(t, h.fake, q, "echo: only once")
	time.Sleep(300 * time.Millisecond) // give a duplicate answer the chance to appear
	if n := len(h.ai.Requests()); n != 1 {
		t.Fatalf("answered %d times", n)
	}
	if msgs := botMessages(h.fake, q.ChannelID); len(msgs) != 1 {
		t.Fatalf("%d bot messages", len(msgs))
	}
}

func TestChat_DiscordRateLimitOnEdits(t *testing.T) {
	h := startBot(t, nil)
	text := strings.Repeat("edited under pressure ", 40)
	h.ai.Enqueue(openaitest.Reply{Text: text, ChunkSize: 20, ChunkDelay: 10 * time.Millisecond})
	h.fake.RateLimit("PATCH", "/channels/dm241/messages/", 3, 200*time.Millisecond)
	q := h.dm("241", "go")
	waitReply(t, h.fake, q, strings.TrimSpace(text))
	limited := 0
	for _, r := range h.fake.RequestsTo("PATCH", "/channels/dm241/messages/") {
		if r.Status == 429 {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("no edit was rate limited; the test did not test anything")
	}
	noRefusals(t, h.fake)
}

func TestModels_ChooseSetAutocomplete(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.Models = []string{"gpt-4o-mini", "gpt-4o", "o4-mini", "o1-mini"} })
	// /choose_model shows every model in a menu.
	menu := h.answerOf(t, h.command("251", "choose_model"))
	if menu.Flags&discordgo.MessageFlagsEphemeral == 0 || len(menu.Components) != 1 {
		t.Fatalf("menu = %+v", menu)
	}
	sel := menu.Components[0].(*discordgo.ActionsRow).Components[0].(*discordgo.SelectMenu)
	if len(sel.Options) != 4 {
		t.Fatalf("%d options", len(sel.Options))
	}
	pick := func(userID, value string) discordgo.Message {
		i := h.fake.SendInteraction(&discordgo.Interaction{Type: discordgo.InteractionMessageComponent,
			User: &discordgo.User{ID: userID}, Message: &menu,
			Data: discordgo.MessageComponentInteractionData{CustomID: sel.CustomID, ComponentType: discordgo.SelectMenuComponent, Values: []string{value}}})
		return h.answerOf(t, i)
	}
	if got := pick("251", "gpt-4o"); !strings.Contains(got.Content, "`gpt-4o`") {
		t.Fatalf("pick = %q", got.Content)
	}
	waitReply(t, h.fake, h.dm("251", "which model?"), "echo: which model?")
	if m := lastChat(t, h.ai).Model; m != "gpt-4o" {
		t.Fatalf("chat used %q after choosing gpt-4o", m)
	}
	// A forged value changes nothing.
	if got := pick("251", "gpt-evil"); !strings.Contains(got.Content, "not offered") {
		t.Fatalf("forged pick = %q", got.Content)
	}
	waitReply(t, h.fake, h.dm("251", "still?"), "echo: still?")
	if m := lastChat(t, h.ai).Model; m != "gpt-4o" {
		t.Fatalf("forged value changed the model to %q", m)
	}
	opt := func(v string, focused bool) *discordgo.ApplicationCommandInteractionDataOption {
		return &discordgo.ApplicationCommandInteractionDataOption{Name: "model", Type: discordgo.ApplicationCommandOptionString, Value: v, Focused: focused}
	}
	// /set_model with a typo suggests; with a name sets.
	if a := h.answerOf(t, h.command("252", "set_model", opt("gpt4o", false))); !strings.Contains(a.Content, "Did you mean `gpt-4o`") {
		t.Errorf("typo answer = %q", a.Content)
	}
	if a := h.answerOf(t, h.command("252", "set_model", opt(strings.Repeat("x", 500), false))); !strings.Contains(a.Content, "not one of") {
		t.Errorf("junk answer = %q", a.Content)
	}
	if a := h.answerOf(t, h.command("252", "set_model", opt("O4-MINI", false))); !strings.Contains(a.Content, "`o4-mini`") {
		t.Errorf("set answer = %q", a.Content)
	}
	// Reasoning model: max_completion_tokens, no temperature (the fake refuses otherwise).
	waitReply(t, h.fake, h.dm("252", "think"), "echo: think")
	req := lastChat(t, h.ai)
	if req.Model != "o4-mini" || req.MaxTokens != 0 || req.MaxCompletionTokens == 0 {
		t.Errorf("reasoning request: model %s max_tokens %d max_completion_tokens %d", req.Model, req.MaxTokens, req.MaxCompletionTokens)
	}
	// o1-mini gets its instructions as a user message.
	h.answerOf(t, h.command("253", "set_model", opt("o1-mini", false)))
	waitReply(t, h.fake, h.dm("253", "old model"), "echo: old model")
	for _, m := range lastChat(t, h.ai).Messages {
		if m.Role == openai.ChatMessageRoleSystem {
			t.Error("o1-mini got a system message")
		}
	}
	// Autocomplete.
	ac := h.fake.SendInteraction(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommandAutocomplete,
		User: &discordgo.User{ID: "254"}, Data: discordgo.ApplicationCommandInteractionData{Name: "set_model",
			Options: []*discordgo.ApplicationCommandInteractionDataOption{opt("o", true)}}})
	if !h.fake.WaitFor(10*time.Second, func() bool { typ, ok := h.fake.InteractionResponse(ac.ID); return ok && typ == 8 }) {
		t.Fatal("no autocomplete answer")
	}
	var choices []string
	for _, r := range h.fake.RequestsTo("POST", "/interactions/"+ac.ID+"/") {
		var body struct {
			Data struct {
				Choices []struct{ Name string } `json:"choices"`
			} `json:"data"`
		}
		_ = r.JSON(&body)
		for _, c := range body.Data.Choices {
			choices = append(choices, c.Name)
		}
	}
	if strings.Join(choices, ",") != "o4-mini,o1-mini,gpt-4o-mini,gpt-4o" {
		t.Errorf("autocomplete for %q = %v", "o", choices)
	}
	noRefusals(t, h.fake)
}

func TestComponents_StaleCustomID(t *testing.T) {
	h := startBot(t, nil)
	i := h.fake.SendInteraction(&discordgo.Interaction{Type: discordgo.InteractionMessageComponent,
		User: &discordgo.User{ID: "261"}, Message: &discordgo.Message{ID: "1", ChannelID: "2"},
		Data: discordgo.MessageComponentInteractionData{CustomID: "no:such:thing", ComponentType: discordgo.ButtonComponent}})
	if a := h.answerOf(t, i); !strings.Contains(a.Content, "no longer in use") {
		t.Errorf("stale component answer = %q", a.Content)
	}
}
