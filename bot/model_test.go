package bot_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	openai "github.com/sashabaranov/go-openai"
)

// sentFields are the top-level JSON fields of a recorded request.
func sentFields(t *testing.T, r openaitest.Request) map[string]json.RawMessage {
	t.Helper()
	var f map[string]json.RawMessage
	if err := json.Unmarshal(r.Raw, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func setModel(t *testing.T, h *harness, userID, model string) {
	t.Helper()
	a := h.answerOf(t, h.command(userID, "set_model", &discordgo.ApplicationCommandInteractionDataOption{
		Name: "model", Type: discordgo.ApplicationCommandOptionString, Value: model}))
	if !strings.Contains(a.Content, "✅") {
		t.Fatalf("set_model %s: %q", model, a.Content)
	}
}

// TestModels_NewNamesReachTheProvider: DEFAULT_MODEL=gpt-5.1 (and other
// current names) failed every message before; through Discord, on both
// APIs, each reaches the fake with the parameters it takes.
func TestModels_NewNamesReachTheProvider(t *testing.T) {
	names := []string{"gpt-5.1", "gpt-5.4-mini", "gpt-5.6-terra", "gpt-6-luna", "gpt-6.1-sol", "o3", "gpt-4o"}
	for _, api := range []llm.API{llm.APIChat, llm.APIResponses} {
		t.Run(string(api), func(t *testing.T) {
			temp := float32(0.5)
			h := startBot(t, func(c *bot.Config) {
				c.API, c.DefaultModel, c.Models, c.Temperature = api, "gpt-5.1", names, &temp
			})
			h.ai.SetModels(names...)
			for i, m := range names {
				u := fmt.Sprint(5100 + i)
				if m != "gpt-5.1" {
					setModel(t, h, u, m)
				}
				before := len(h.ai.Requests())
				waitReply(t, h.fake, h.dm(u, "hello "+m), "echo: hello "+m)
				// On Chat Completions, OpenAI's reasoning models from GPT-5.4 on
				// refuse tools with a reasoning effort once; that is learned.
				var reqs []openaitest.Request
				for _, r := range h.ai.Requests()[before:] {
					if r.Status == 200 {
						reqs = append(reqs, r)
					} else if !strings.Contains(string(r.Raw), `"tools"`) || api != llm.APIChat {
						t.Errorf("%s: refused request %s", m, r.Raw)
					}
				}
				if len(reqs) != 1 || reqs[0].Chat.Model != m || reqs[0].API != string(api) {
					t.Fatalf("%s: %d requests, first %+v", m, len(reqs), reqs[0].Chat.Model)
				}
				f := sentFields(t, reqs[0])
				_, temp := f["temperature"]
				if temp != (m == "gpt-4o") {
					t.Errorf("%s: temperature sent = %v", m, temp)
				}
				if api == llm.APIResponses && string(f["store"]) != "false" {
					t.Errorf("%s: store = %s; OpenAI would keep a copy /reset cannot reach", m, f["store"])
				}
			}
			noRefusals(t, h.fake)
		})
	}
}

// TestModels_UnknownModelLearnsWhatItRefuses: an OpenAI-compatible model
// whose server refuses temperature works at the second try, and the next
// message (also after a restart) goes right at the first.
func TestModels_UnknownModelLearnsWhatItRefuses(t *testing.T) {
	temp := float32(0.7)
	h := startBot(t, func(c *bot.Config) { c.DefaultModel, c.Temperature = "llama3.1:8b", &temp })
	h.ai.SetModels("llama3.1:8b")
	h.ai.SetRefuse(map[string][]string{"llama3.1:8b": {"temperature"}})
	waitReply(t, h.fake, h.dm("5201", "one"), "echo: one")
	if reqs := h.ai.Requests(); len(reqs) != 2 || reqs[0].Status != 400 {
		t.Fatalf("first message: %d requests", len(reqs))
	}
	waitReply(t, h.fake, h.dm("5201", "two"), "echo: two")
	h.restart(t)
	waitReply(t, h.fake, h.dm("5202", "three"), "echo: three")
	reqs := h.ai.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests; after learning, each message takes one", len(reqs))
	}
	for _, r := range reqs[2:] {
		if _, ok := sentFields(t, r)["temperature"]; ok || r.Status >= 400 {
			t.Errorf("temperature sent again (status %d)", r.Status)
		}
	}
	noRefusals(t, h.fake)
	db := h.openStoreAfterStop(t)
	if q, _ := db.Quirks("llama3.1:8b"); len(q.Unsupported) != 1 {
		t.Errorf("quirks = %+v", q)
	}
}

// TestModels_RetiringModelToldOnceThenMoved: a user on a model OpenAI shuts
// down in 10 days is told once; after the date they are moved to the
// default and told.
func TestModels_RetiringModelToldOnceThenMoved(t *testing.T) {
	clk := newClock()
	clk.t = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ai := []string{"gpt-4o-mini", "gpt-5"}
	h := startBotWith(t, ai, func(c *bot.Config) { c.Now = clk.Now })
	const u = "5301"
	setModel(t, h, u, "gpt-5")
	notices := func() []string {
		var out []string
		for _, m := range botMessages(h.fake, "dm"+u) {
			if strings.Contains(m.Content, "shut down") {
				out = append(out, m.Content)
			}
		}
		return out
	}
	h.dm(u, "one")
	waitBotMessage(t, h, "dm"+u, "echo: one")
	if n := notices(); len(n) != 1 || !strings.Contains(n[0], "`gpt-5` will be shut down by the AI provider on 2026-12-11") ||
		!strings.Contains(n[0], "`gpt-4o-mini` is a good replacement") {
		t.Fatalf("notices = %q", n)
	}
	h.dm(u, "two")
	waitBotMessage(t, h, "dm"+u, "echo: two")
	if n := notices(); len(n) != 1 {
		t.Fatalf("told %d times", len(n))
	}
	if m := lastChat(t, h.ai).Model; m != "gpt-5" {
		t.Fatalf("answered by %s before the date", m)
	}
	clk.Add(11 * 24 * time.Hour)
	h.dm(u, "three")
	waitBotMessage(t, h, "dm"+u, "echo: three")
	n := notices()
	if len(n) != 2 || !strings.Contains(n[1], "`gpt-5` was shut down by the AI provider on 2026-12-11, so you're now on `gpt-4o-mini`") {
		t.Fatalf("notices = %q", n)
	}
	if m := lastChat(t, h.ai).Model; m != "gpt-4o-mini" {
		t.Fatalf("answered by %s after the date", m)
	}
	h.dm(u, "four")
	waitBotMessage(t, h, "dm"+u, "echo: four")
	if len(notices()) != 2 {
		t.Error("told again")
	}
	noRefusals(t, h.fake)
	db := h.openStoreAfterStop(t)
	if s, _ := db.Settings(u); s.Model != "" {
		t.Errorf("setting = %+v", s)
	}
}

// waitBotMessage waits for a message of the bot's that reads want.
func waitBotMessage(t *testing.T, h *harness, channelID, want string) {
	t.Helper()
	if !h.fake.WaitFor(20*time.Second, func() bool {
		for _, m := range botMessages(h.fake, channelID) {
			if m.Content == want {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no message %q in %s", want, channelID)
	}
}

// startBotWith starts the bot against a fake that lists models (before
// the bot first asks for the list).
func startBotWith(t *testing.T, models []string, adjust func(*bot.Config)) *harness {
	t.Helper()
	var h *harness
	h = startBot(t, func(c *bot.Config) {
		if adjust != nil {
			adjust(c)
		}
	})
	h.ai.SetModels(models...)
	h.restart(t) // so the first list the bot fetched is this one
	return h
}

// TestSpend_ResetCannotLiftABudget: answers overtaken by a /reset are paid
// for: before, three $0.075 answers were served on a $0.01 daily budget.
func TestSpend_ResetCannotLiftABudget(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.UserDailyBudget = 0.01 })
	const u = "5401"
	h.ai.Enqueue(openaitest.Reply{Text: strings.Repeat("costly ", 60), ChunkSize: 7, ChunkDelay: 10 * time.Millisecond,
		Usage: &openai.Usage{PromptTokens: 100_000, CompletionTokens: 100_000}}) // $0.075 on gpt-4o-mini
	q := h.dm(u, "first")
	if !h.fake.WaitFor(10*time.Second, func() bool { r, ok := replyTo(h.fake, q); return ok && strings.HasPrefix(r.Content, "costly") }) {
		t.Fatal("answer never started")
	}
	h.reset(t, u)
	waitReply(t, h.fake, q, strings.TrimSpace(strings.Repeat("costly ", 60)))
	waitReplyPrefix(t, h, h.dm(u, "again"), "💸 You've used your daily budget")
	if n := len(h.ai.Requests()); n != 1 {
		t.Fatalf("%d paid calls on a $0.01 budget", n)
	}
	db := h.openStoreAfterStop(t)
	now := time.Now()
	s, _ := db.Spending(u, now.UTC().Format("2006-01-02"), now.UTC().Format("2006-01"))
	if s.UserDay < 0.0749 || s.UserDay > 0.0751 {
		t.Fatalf("ledger = %+v", s)
	}
	if st, _ := db.UserUsage(u); len(st) != 0 {
		t.Errorf("statistics after the reset: %+v", st)
	}
}

// TestSpend_EveryUnhappyPathIsCounted: stopped, cut, empty, reasoning-only
// and truncated answers all reach the statistics and the ledger.
func TestSpend_EveryUnhappyPathIsCounted(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0 })
	paid := &openai.Usage{PromptTokens: 1000, CompletionTokens: 1000}
	// Stopped with /stop mid-answer: no usage reported, so estimated.
	h.ai.Enqueue(openaitest.Reply{Text: strings.Repeat("slowly ", 300), ChunkSize: 7, ChunkDelay: 15 * time.Millisecond})
	q := h.dm("5501", "stop me")
	if !h.fake.WaitFor(10*time.Second, func() bool { r, ok := replyTo(h.fake, q); return ok && strings.HasPrefix(r.Content, "slowly") }) {
		t.Fatal("answer never started")
	}
	h.answerOf(t, h.command("5501", "stop"))
	waitReplySuffix(t, h, q, "⏹️ *Stopped.*")
	// Empty, and reasoning only (<think> and nothing else).
	h.ai.Enqueue(openaitest.Reply{Text: "", Usage: paid})
	waitReply(t, h.fake, h.dm("5502", "empty"), "🤔 The model sent back an empty answer. Please try rephrasing.")
	h.ai.Enqueue(openaitest.Reply{Text: "<think>only thoughts</think>", Usage: paid})
	waitReply(t, h.fake, h.dm("5503", "thoughts"), "🤔 The model sent back an empty answer. Please try rephrasing.")
	// Cut by the length limit: stored, counted, and said.
	h.ai.Enqueue(openaitest.Reply{Text: "the first half", Truncate: true, Usage: paid})
	q = h.dm("5504", "long one")
	waitReplyPrefix(t, h, q, "the first half\n\n✂️")
	noRefusals(t, h.fake)
	db := h.openStoreAfterStop(t)
	for _, u := range []string{"5501", "5502", "5503", "5504"} {
		st, _ := db.UserUsage(u)
		if len(st) != 1 || st[0].Requests != 1 || st[0].CostUSD <= 0 || st[0].Estimated != (u == "5501") {
			t.Errorf("user %s: statistics %+v", u, st)
		}
		now := time.Now().UTC()
		if s, _ := db.Spending(u, now.Format("2006-01-02"), now.Format("2006-01")); s.UserDay <= 0 {
			t.Errorf("user %s: ledger %+v", u, s)
		}
	}
	if hist, _ := db.History("5504", 0); len(hist) != 2 || hist[1].Content != "the first half" {
		t.Errorf("truncated answer history = %+v", hist)
	}
}

// TestChat_TruncatedAnswerContinues: a cut answer says so and has a
// Continue button; only the asker may press it, and it writes the rest.
func TestChat_TruncatedAnswerContinues(t *testing.T) {
	for _, api := range []llm.API{llm.APIChat, llm.APIResponses} {
		t.Run(string(api), func(t *testing.T) {
			h := startBot(t, func(c *bot.Config) { c.API = api })
			const u = "5601"
			h.ai.Enqueue(openaitest.Reply{Text: "Part one of the story", Truncate: true})
			q := mention(h.fake, u, "900", "tell a story")
			r := waitReplyPrefix(t, h, q, "Part one of the story\n\n✂️ *The answer reached its length limit")
			msg, _ := replyTo(h.fake, q)
			btns, _ := buttons(msg)
			cont := btns["Continue"]
			if cont == nil || r == "" {
				t.Fatalf("no Continue button on %+v", msg.Components)
			}
			if got := h.click(t, "5602", msg, cont.CustomID); !strings.Contains(got.Content, "Only the person who asked") {
				t.Fatalf("someone else's click = %q", got.Content)
			}
			if got := h.click(t, u, msg, "cont:abc"); !strings.Contains(got.Content, "no longer in use") {
				t.Fatalf("forged click = %q", got.Content)
			}
			h.ai.Enqueue(openaitest.Reply{Text: "and part two."})
			h.click(t, u, msg, cont.CustomID)
			waitReply(t, h.fake, &msg, "and part two.")
			if m, _ := h.fake.Message(msg.ID); len(m.Components) != 0 {
				t.Error("the Continue button stayed after use")
			}
			last := lastChat(t, h.ai)
			if n := len(last.Messages); n < 4 || last.Messages[n-2].Content != "Part one of the story" ||
				!strings.Contains(last.Messages[n-1].Content, "Continue your previous answer") {
				t.Errorf("continuation request = %+v", last.Messages)
			}
			noRefusals(t, h.fake)
			db := h.openStoreAfterStop(t)
			if hist, _ := db.History(u, 0); len(hist) != 4 || hist[3].Content != "and part two." {
				t.Errorf("history = %+v", hist)
			}
		})
	}
}

// TestChat_DeletedQuestionStillAnswered: the user deleted their question
// while the model wrote; the answer is posted all the same.
func TestChat_DeletedQuestionStillAnswered(t *testing.T) {
	h := startBot(t, nil)
	h.ai.Enqueue(openaitest.Reply{Text: "here you go", Delay: 300 * time.Millisecond})
	q := mention(h.fake, "5701", "901", "quick question")
	if !h.ai.WaitRequests(1, 10*time.Second) {
		t.Fatal("model never asked")
	}
	h.fake.DeleteMessage(q.ID)
	if !h.fake.WaitFor(10*time.Second, func() bool {
		for _, m := range botMessages(h.fake, "901") {
			if m.Content == "here you go" {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no answer after the question was deleted: %+v", botMessages(h.fake, "901"))
	}
	noRefusals(t, h.fake)
	db := h.openStoreAfterStop(t)
	if hist, _ := db.History("5701", 0); len(hist) != 2 {
		t.Errorf("history = %+v", hist)
	}
}

// TestChat_StorageFullAnswerStaysVisible: when the exchange cannot be
// stored, the answer stays and the user is told; its cost is still kept.
func TestChat_StorageFullAnswerStaysVisible(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.DBMaxSize = 1 << 20 })
	huge := strings.Repeat("A very long answer line that fills the disk.\n", 70_000) // ~3 MB
	h.ai.Enqueue(openaitest.Reply{Text: huge, ChunkSize: 500_000, Usage: &openai.Usage{PromptTokens: 10, CompletionTokens: 10}})
	q := h.dm("5801", "fill it")
	r := waitReplyPrefix(t, h, q, "A very long answer line")
	if !h.fake.WaitFor(20*time.Second, func() bool {
		m, _ := replyTo(h.fake, q)
		return strings.Contains(m.Content, "could not be saved") && len(m.Attachments) == 1
	}) {
		m, _ := replyTo(h.fake, q)
		t.Fatalf("reply = %q (%d files)", m.Content[max(0, len(m.Content)-300):], len(m.Attachments))
	}
	_ = r
	m, _ := replyTo(h.fake, q)
	if data, _ := h.fake.FileData(m.Attachments[0]); string(data) != strings.TrimSpace(huge) {
		t.Errorf("the attached answer has %d bytes, want %d", len(data), len(strings.TrimSpace(huge)))
	}
	noRefusals(t, h.fake)
	db := h.openStoreAfterStop(t)
	if hist, _ := db.History("5801", 0); len(hist) != 0 {
		t.Errorf("history = %d messages", len(hist))
	}
	if st, _ := db.UserUsage("5801"); len(st) != 1 || st[0].Requests != 1 {
		t.Errorf("statistics = %+v; the call was paid for", st)
	}
}

// TestModels_ProviderListBeyondTheMenu: on a non-OpenAI provider (Ollama,
// LM Studio, ...) with MODELS unset, its own chat models are offered: 25 in
// the menu (Discord's limit), every one through /set_model and its
// autocomplete; embeddings are not offered.
func TestModels_ProviderListBeyondTheMenu(t *testing.T) {
	var models []string
	for i := 0; i < 40; i++ {
		models = append(models, fmt.Sprintf("local-%02d", i))
	}
	models = append(models, "nomic-embed-text", "gpt-4o-mini")
	h := startBotWith(t, models, nil)
	menu := h.answerOf(t, h.command("5901", "choose_model"))
	sel := menu.Components[0].(*discordgo.ActionsRow).Components[0].(*discordgo.SelectMenu)
	if len(sel.Options) != 25 || sel.Options[0].Value != "gpt-4o-mini" || !strings.Contains(menu.Content, "16 more") {
		t.Fatalf("menu: %d options, first %s, %q", len(sel.Options), sel.Options[0].Value, menu.Content)
	}
	setModel(t, h, "5901", "local-39")
	waitReply(t, h.fake, h.dm("5901", "hi"), "echo: hi")
	if m := lastChat(t, h.ai).Model; m != "local-39" {
		t.Fatalf("answered by %s", m)
	}
	if a := h.answerOf(t, h.command("5902", "set_model", &discordgo.ApplicationCommandInteractionDataOption{
		Name: "model", Type: discordgo.ApplicationCommandOptionString, Value: "nomic-embed-text"})); !strings.Contains(a.Content, "not one of") {
		t.Errorf("an embedding model was offered: %q", a.Content)
	}
	ac := h.fake.SendInteraction(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommandAutocomplete,
		User: &discordgo.User{ID: "5903"}, Data: discordgo.ApplicationCommandInteractionData{Name: "set_model",
			Options: []*discordgo.ApplicationCommandInteractionDataOption{{Name: "model", Type: discordgo.ApplicationCommandOptionString, Value: "local-3", Focused: true}}}})
	if !h.fake.WaitFor(10*time.Second, func() bool { typ, ok := h.fake.InteractionResponse(ac.ID); return ok && typ == 8 }) {
		t.Fatal("no autocomplete answer")
	}
	body := string(h.fake.RequestsTo("POST", "/interactions/"+ac.ID+"/")[0].Body)
	if !strings.Contains(body, "local-39") {
		t.Errorf("autocomplete does not reach local-39: %s", body)
	}
	noRefusals(t, h.fake)
}

// TestPrices_UnknownModelCountsWithABudget: with a budget set, a model of
// unknown price is counted at the dearest price, and /prices says so.
func TestPrices_UnknownModelCountsWithABudget(t *testing.T) {
	h := startBot(t, func(c *bot.Config) {
		c.DefaultModel, c.Models, c.UserMonthlyBudget = "mystery-model", []string{"mystery-model", "gpt-4o-mini"}, 100
		_, dear := llm.DearestPrice()
		c.UnknownPrice = &dear
	})
	h.ai.Enqueue(openaitest.Reply{Text: "ok", Usage: &openai.Usage{PromptTokens: 1_000_000, CompletionTokens: 1_000_000}})
	waitReply(t, h.fake, h.dm("6001", "hi"), "ok")
	p := h.answerOf(t, h.command("6001", "prices"))
	if d := p.Embeds[0].Description; !strings.Contains(d, "`mystery-model`: price unknown (counted at $10 / $1 / $50)") {
		t.Errorf("prices = %s", d)
	}
	db := h.openStoreAfterStop(t)
	if st, _ := db.UserUsage("6001"); len(st) != 1 || st[0].CostUSD != 60 {
		t.Errorf("usage = %+v; an unknown model must not be free under a budget", st)
	}
}
