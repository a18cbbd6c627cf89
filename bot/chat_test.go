package bot_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/discordtest"
	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	"github.com/discordgpt/discordgpt/store"
	openai "github.com/sashabaranov/go-openai"
)

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// dm injects a direct message from userID.
func (h *harness) dm(userID, text string, atts ...*discordgo.MessageAttachment) *discordgo.Message {
	return h.fake.SendMessage(&discordgo.Message{ChannelID: "dm" + userID,
		Author: &discordgo.User{ID: userID, Username: "u" + userID}, Content: text, Attachments: atts})
}

// botMessages are the bot's messages in a channel, oldest first.
func botMessages(fake *discordtest.Server, channelID string) []discordgo.Message {
	var out []discordgo.Message
	for _, m := range fake.ChannelMessages(channelID) {
		if m.Author != nil && m.Author.ID == fake.BotUser.ID {
			out = append(out, m)
		}
	}
	return out
}

// noRefusals fails the test if the fake Discord refused any request.
func noRefusals(t *testing.T, fake *discordtest.Server) {
	t.Helper()
	for _, r := range fake.Requests() {
		if r.Status >= 400 && r.Status != 429 {
			t.Errorf("Discord refused %s %s: %d %s", r.Method, r.Path, r.Status, r.Body)
		}
	}
}

// lastChat is the last request the model got.
func lastChat(t *testing.T, ai *openaitest.Server) openai.ChatCompletionRequest {
	t.Helper()
	reqs := ai.Requests()
	if len(reqs) == 0 {
		t.Fatal("the model got no request")
	}
	return reqs[len(reqs)-1].Chat
}

func TestChat_MentionDMAndReplyStream(t *testing.T) {
	h := startBot(t, nil)
	answer := strings.Repeat("streamed words, ", 30)
	h.ai.SetResponder(func(openai.ChatCompletionRequest) openaitest.Reply {
		// The model thinks for a while (so "typing…" shows), then streams.
		return openaitest.Reply{Text: answer, ChunkSize: 12, ChunkDelay: 10 * time.Millisecond, Delay: 600 * time.Millisecond}
	})
	q := mention(h.fake, "101", "900", "tell me")
	r := waitReply(t, h.fake, q, strings.TrimSpace(answer))
	if n := len(h.fake.RequestsTo("PATCH", "/messages/"+r.ID)); n < 2 {
		t.Errorf("answer was edited %d times; it should stream in", n)
	}
	if len(h.fake.RequestsTo("POST", "/channels/900/typing")) == 0 {
		t.Error("no typing indicator")
	}
	d := h.dm("102", "hi in dm")
	waitReply(t, h.fake, d, strings.TrimSpace(answer))
	noRefusals(t, h.fake)
	req := lastChat(t, h.ai)
	if !req.Stream || req.StreamOptions == nil || !req.StreamOptions.IncludeUsage || req.Messages[0].Role != "system" ||
		!strings.Contains(req.Messages[0].Content, "Current date and time:") {
		t.Errorf("request = %+v", req)
	}
}

// TestChat_QuickAnswerIsOneMessage: an answer complete before QuietStart
// is posted once, with no "typing…" and no edits.
func TestChat_QuickAnswerIsOneMessage(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.QuietStart = time.Minute })
	h.ai.Enqueue(openaitest.Reply{Text: "a quick answer in a few chunks", ChunkSize: 5})
	q := mention(h.fake, "101", "901", "quick one")
	r := waitReply(t, h.fake, q, "a quick answer in a few chunks")
	if n := len(h.fake.RequestsTo("POST", "/channels/901/messages")); n != 1 {
		t.Errorf("%d posts, want 1", n)
	}
	if n := len(h.fake.RequestsTo("PATCH", "/messages/"+r.ID)); n != 0 {
		t.Errorf("%d edits, want 0", n)
	}
	if n := len(h.fake.RequestsTo("POST", "/channels/901/typing")); n != 0 {
		t.Errorf("%d typing calls, want 0", n)
	}
	noRefusals(t, h.fake)
}

// TestChat_TypingWhileAHeldStartPauses: a model that writes its first
// words at once, then thinks, shows "typing…" meanwhile: the held-back
// start (QuietStart) does not leave the channel silent.
func TestChat_TypingWhileAHeldStartPauses(t *testing.T) {
	h := startBot(t, nil)
	h.ai.Enqueue(openaitest.Reply{Text: "First words, and after a long thought the rest of the answer.", ChunkSize: 12,
		PauseAfterFirst: 1500 * time.Millisecond})
	q := mention(h.fake, "101", "902", "think hard")
	r := waitReply(t, h.fake, q, "First words, and after a long thought the rest of the answer.")
	var typing, firstPost int = -1, -1
	for i, req := range h.fake.Requests() {
		switch {
		case typing < 0 && req.Method == "POST" && strings.HasSuffix(req.Path, "/channels/902/typing"):
			typing = i
		case firstPost < 0 && req.Method == "POST" && strings.HasSuffix(req.Path, "/channels/902/messages"):
			firstPost = i
		}
	}
	if typing < 0 || firstPost < 0 || typing > firstPost {
		t.Errorf("typing call at %d, first post at %d: want typing shown while the model paused", typing, firstPost)
	}
	if r.ID == "" {
		t.Error("no reply")
	}
	noRefusals(t, h.fake)
}

func TestChat_LongAnswersSplitAndBecomeFiles(t *testing.T) {
	h := startBot(t, nil)
	var sb strings.Builder
	for i := 0; sb.Len() < 8900; i++ {
		fmt.Fprintf(&sb, "Paragraph %d has a sentence or two. Then a little more text follows here.\n\n", i)
		if i == 8 || i == 40 {
			sb.WriteString("```go\n")
			for j := 0; j < 50; j++ {
				fmt.Fprintf(&sb, "fmt.Println(\"line %d of the example\")\n", j)
			}
			sb.WriteString("```\n\n")
		}
	}
	long := strings.TrimSpace(sb.String())
	if len(long) > 9000 || strings.Count(long, "```go") != 2 {
		t.Fatalf("test text: %d chars", len(long))
	}
	h.ai.Enqueue(openaitest.Reply{Text: long, ChunkSize: 400})
	q := h.dm("111", "long please")
	ok := h.fake.WaitFor(20*time.Second, func() bool {
		msgs := botMessages(h.fake, q.ChannelID)
		return len(msgs) > 0 && strings.HasSuffix(msgs[len(msgs)-1].Content, long[len(long)-40:])
	})
	if !ok {
		for _, m := range botMessages(h.fake, q.ChannelID) {
			t.Logf("message: %d chars, %d files, ends %q", utf8.RuneCountInString(m.Content), len(m.Attachments), m.Content[max(0, len(m.Content)-60):])
		}
		t.Fatal("the long answer never finished")
	}
	msgs := botMessages(h.fake, q.ChannelID)
	if len(msgs) < 5 {
		t.Fatalf("%d messages for %d characters", len(msgs), len(long))
	}
	for i, m := range msgs {
		if n := utf8.RuneCountInString(m.Content); n > 2000 {
			t.Errorf("message %d has %d characters", i, n)
		}
		if strings.Count(m.Content, "```")%2 != 0 {
			t.Errorf("message %d has unbalanced code fences", i)
		}
	}

	huge := strings.Repeat("A long line of the answer that keeps going and going.\n", 560) // ~30,000 chars
	h.ai.Enqueue(openaitest.Reply{Text: huge, ChunkSize: 2000})
	q2 := h.dm("112", "huge please")
	var withFile discordgo.Message
	ok = h.fake.WaitFor(20*time.Second, func() bool {
		msgs := botMessages(h.fake, q2.ChannelID)
		if len(msgs) == 1 && len(msgs[0].Attachments) == 1 {
			withFile = msgs[0]
			return true
		}
		return false
	})
	if !ok {
		t.Fatalf("30,000 characters did not arrive as one message with a file: %d messages", len(botMessages(h.fake, q2.ChannelID)))
	}
	data, _ := h.fake.FileData(withFile.Attachments[0])
	if string(data) != strings.TrimSpace(huge) || !strings.HasSuffix(withFile.Attachments[0].Filename, ".md") ||
		!strings.Contains(withFile.Attachments[0].Filename, q2.ID) {
		t.Errorf("file %q holds %d bytes", withFile.Attachments[0].Filename, len(data))
	}
	noRefusals(t, h.fake)
	db := h.openStoreAfterStop(t)
	hist, _ := db.History("112", 0)
	if len(hist) != 2 || hist[1].Content != strings.TrimSpace(huge) {
		t.Errorf("stored answer is not the whole text")
	}
}

func TestChat_MemoryAndBudget(t *testing.T) {
	h := startBot(t, func(c *bot.Config) {
		c.HistoryTokens = 2000
		db, err := bot.OpenStore(c.DataDir, false)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for i := 0; i < 100; i++ {
			if _, err := db.AppendMessages("121", store.Message{Role: "user", Content: fmt.Sprintf("old question %d %s", i, strings.Repeat("lorem ", 30))},
				store.Message{Role: "assistant", Content: fmt.Sprintf("old answer %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
	})
	q := h.dm("121", "first new turn")
	waitReply(t, h.fake, q, "echo: first new turn")
	req := lastChat(t, h.ai)
	if len(req.Messages) >= 202 || len(req.Messages) < 4 {
		t.Fatalf("%d messages sent for a 200-message history and a 2000-token budget", len(req.Messages))
	}
	chars := 0
	for _, m := range req.Messages {
		chars += len(m.Content)
	}
	if chars > 2000*6 {
		t.Errorf("%d characters sent for a 2000-token budget", chars)
	}
	if prev := req.Messages[len(req.Messages)-2].Content; prev != "old answer 99" {
		t.Errorf("newest history message = %q", prev)
	}
	q2 := h.dm("121", "second new turn")
	waitReply(t, h.fake, q2, "echo: second new turn")
	msgs := lastChat(t, h.ai).Messages
	n := len(msgs)
	if msgs[n-3].Content != "first new turn" || msgs[n-2].Content != "echo: first new turn" {
		t.Errorf("second turn lacks the first: %q / %q", msgs[n-3].Content, msgs[n-2].Content)
	}
}

// pngBytes is a valid 1x1 PNG.
var pngBytes, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

func TestChat_ImagesGoFromOurCopy(t *testing.T) {
	clk := newClock()
	h := startBot(t, func(c *bot.Config) { c.Now = clk.Now })
	att := h.fake.AddAttachment("Cat.PNG", "image/png", pngBytes)
	q := h.dm("131", "what is this?", att)
	waitReplyPrefix(t, h, q, "echo: what is this?\n[image Cat.PNG, file_id ")
	wantURL := "data:image/png;base64," + base64.StdEncoding.EncodeToString(pngBytes)
	findImage := func(req openai.ChatCompletionRequest) (found, cdn bool) {
		for _, m := range req.Messages {
			for _, p := range m.MultiContent {
				if p.ImageURL != nil {
					found = found || p.ImageURL.URL == wantURL
					cdn = cdn || strings.HasPrefix(p.ImageURL.URL, "http")
				}
			}
		}
		return found, cdn
	}
	if found, cdn := findImage(lastChat(t, h.ai)); !found || cdn {
		t.Fatalf("first turn: image from our copy %v, CDN URL sent %v", found, cdn)
	}
	// Later the same day: still there, from history.
	clk.Add(3 * time.Hour)
	q2 := h.dm("131", "and now?")
	waitReply(t, h.fake, q2, "echo: and now?")
	if found, cdn := findImage(lastChat(t, h.ai)); !found || cdn {
		t.Fatalf("same day: image from our copy %v, CDN URL sent %v", found, cdn)
	}
	// Two days on: left out, with a placeholder.
	clk.Add(48 * time.Hour)
	q3 := h.dm("131", "remember the picture?")
	waitReply(t, h.fake, q3, "echo: remember the picture?")
	req := lastChat(t, h.ai)
	if found, _ := findImage(req); found {
		t.Fatal("an image older than IMAGE_CONTEXT_HOURS was sent")
	}
	if raw := fmt.Sprint(req.Messages); !strings.Contains(raw, "no longer shown") {
		t.Error("no placeholder for the old image")
	}
	// The CDN copy was fetched exactly once.
	if strings.Contains(string(h.ai.Requests()[0].Raw), att.URL) {
		t.Error("the CDN URL reached the model")
	}
}

func TestChat_AttachmentsAndOddInput(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.MaxFileSizeMB = 1; c.RateCount = 0 })
	// Only a text file, no words: its content reaches the model.
	txt := h.fake.AddAttachment("notes.md", "text/markdown", []byte("# Shopping\n- milk\n- ünïcode bread\n"))
	q := h.dm("141", "", txt)
	if !h.fake.WaitFor(10*time.Second, func() bool { r, _ := replyTo(h.fake, q); return strings.HasSuffix(r.Content, "```") }) {
		t.Fatal("no answer to a message with only a file")
	}
	if raw := fmt.Sprint(lastChat(t, h.ai).Messages); !strings.Contains(raw, "ünïcode bread") || !strings.Contains(raw, "notes.md") {
		t.Errorf("text file not inlined: %s", raw)
	}
	// A zero-byte file and a binary file are described, not inlined.
	empty := h.fake.AddAttachment("empty.txt", "text/plain", nil)
	bin := h.fake.AddAttachment("data.bin", "application/octet-stream", []byte{0, 1, 2, 3, 0xff, 0})
	q = h.dm("141", "files!", empty, bin)
	if !h.fake.WaitFor(10*time.Second, func() bool { r, _ := replyTo(h.fake, q); return strings.HasSuffix(r.Content, "not shown to you]") }) {
		t.Fatal("no answer to a message with an empty and a binary file")
	}
	if raw := fmt.Sprint(lastChat(t, h.ai).Messages); !strings.Contains(raw, "data.bin") {
		t.Errorf("binary file not named: %s", raw)
	}
	// Over MAX_FILE_SIZE_MB: refused with a message, by declared size and by actual size.
	big := h.fake.AddAttachment("big.zip", "application/zip", []byte("x"))
	big.Size = 5 << 20
	liar := h.fake.AddAttachment("liar.bin", "application/octet-stream", bytes.Repeat([]byte{1}, (1<<20)+10))
	liar.Size = 10
	q = h.dm("141", "", big, liar)
	ok := h.fake.WaitFor(10*time.Second, func() bool {
		r, found := replyTo(h.fake, q)
		return found && strings.Contains(r.Content, "big.zip") && strings.Contains(r.Content, "liar.bin")
	})
	if !ok {
		r, _ := replyTo(h.fake, q)
		t.Fatalf("oversized files: reply %q", r.Content)
	}
	// 4,000 characters of unicode.
	longText := string([]rune(strings.Repeat("ü字🙂", 1334))[:4000])
	h.ai.Enqueue(openaitest.Reply{Text: "long message received"})
	q = h.dm("141", longText)
	waitReply(t, h.fake, q, "long message received")
	if got := openaitest.LastUserText(lastChat(t, h.ai)); got != longText {
		t.Errorf("the model got %d characters of the 4,000", utf8.RuneCountInString(got))
	}
	noRefusals(t, h.fake)
	db := h.openStoreAfterStop(t)
	fs, _ := db.Files("141")
	if len(fs) != 3 {
		t.Errorf("stored %d files, want 3 (notes, empty, data)", len(fs))
	}
}

func TestChat_ProviderErrors(t *testing.T) {
	for _, api := range []llm.API{llm.APIChat, llm.APIResponses} {
		t.Run(string(api), func(t *testing.T) { testProviderErrors(t, api) })
	}
}

// testProviderErrors: the same faults read the same to the user on both
// APIs.
func testProviderErrors(t *testing.T, api llm.API) {
	h := startBot(t, func(c *bot.Config) { c.API = api })
	h.ai.SetModels("gpt-4o-mini")
	cases := []struct {
		name    string
		script  []openaitest.Reply
		want    string // substring of the final reply
		calls   int
		partial bool
	}{
		{"429 then success", []openaitest.Reply{openaitest.RateLimited, {Text: "fine after waiting"}}, "fine after waiting", 2, false},
		{"500 four times", []openaitest.Reply{openaitest.ServerError, openaitest.ServerError, openaitest.ServerError, openaitest.ServerError}, "having trouble", 4, false},
		{"quota", []openaitest.Reply{openaitest.QuotaExceeded}, "out of credit", 1, false},
		{"cut stream", []openaitest.Reply{{Text: strings.Repeat("partial ", 40), ChunkSize: 20, CutAfter: 3}}, "cut off", 1, true},
		{"malformed chunk", []openaitest.Reply{{Text: strings.Repeat("partial ", 40), ChunkSize: 20, MalformedAfter: 3}}, "cut off", 1, true},
		{"error mid-stream", []openaitest.Reply{{Text: strings.Repeat("partial ", 40), ChunkSize: 20, ErrorAfter: 3}}, "cut off", 1, true},
	}
	for i, c := range cases {
		before := len(h.ai.Requests())
		h.ai.Enqueue(c.script...)
		q := h.dm(fmt.Sprint(150+i), c.name)
		ok := h.fake.WaitFor(20*time.Second, func() bool {
			r, found := replyTo(h.fake, q)
			return found && strings.Contains(r.Content, c.want)
		})
		r, _ := replyTo(h.fake, q)
		if !ok {
			t.Errorf("%s: reply %q, want it to contain %q", c.name, r.Content, c.want)
			continue
		}
		if n := len(h.ai.Requests()) - before; n != c.calls {
			t.Errorf("%s: %d calls to the model, want %d", c.name, n, c.calls)
		}
		if c.partial && !strings.HasPrefix(r.Content, "partial") {
			t.Errorf("%s: the partial text is not kept visible: %q", c.name, r.Content)
		}
	}
	// Context too long and an unknown model.
	h.ai.SetMaxContextTokens(5)
	q := h.dm("170", "this question is far too long for the tiny context of the fake model")
	if !h.fake.WaitFor(10*time.Second, func() bool { r, _ := replyTo(h.fake, q); return strings.Contains(r.Content, "/reset") }) {
		t.Error("context_length_exceeded not explained")
	}
	h.ai.SetMaxContextTokens(0)
	h.ai.SetModels("something-else")
	q = h.dm("171", "hello")
	if !h.fake.WaitFor(10*time.Second, func() bool { r, _ := replyTo(h.fake, q); return strings.Contains(r.Content, "isn't available") }) {
		t.Error("model_not_found not explained")
	}
	noRefusals(t, h.fake)
	db := h.openStoreAfterStop(t)
	for i, c := range cases {
		hist, _ := db.History(fmt.Sprint(150+i), 0)
		want := 0
		if i == 0 {
			want = 2
		}
		if len(hist) != want {
			t.Errorf("%s: %d messages stored, want %d", c.name, len(hist), want)
		}
		// Every call the provider accepted is paid for, answer or not: the
		// cut streams are counted (estimated); refused calls cost nothing.
		usage, _ := db.UserUsage(fmt.Sprint(150 + i))
		paid := i == 0 || c.partial
		if paid != (len(usage) == 1) || paid && (usage[0].Requests != 1 || usage[0].CostUSD <= 0 || usage[0].Estimated != c.partial) {
			t.Errorf("%s: usage = %+v", c.name, usage)
		}
	}
}

func TestChat_FiftyUsersAtOnce(t *testing.T) {
	h := startBot(t, nil)
	h.ai.SetResponder(func(req openai.ChatCompletionRequest) openaitest.Reply {
		return openaitest.Reply{Text: "answer for " + openaitest.LastUserText(req), ChunkSize: 7}
	})
	var qs []*discordgo.Message
	for i := 0; i < 50; i++ {
		qs = append(qs, h.dm(fmt.Sprint(1000+i), fmt.Sprintf("question from user %d", i)))
	}
	for i, q := range qs {
		waitReply(t, h.fake, q, fmt.Sprintf("answer for question from user %d", i))
	}
	noRefusals(t, h.fake)
	db := h.openStoreAfterStop(t)
	for i := 0; i < 50; i++ {
		hist, _ := db.History(fmt.Sprint(1000+i), 0)
		if len(hist) != 2 || hist[0].Content != fmt.Sprintf("question from user %d", i) || hist[1].Content != "answer for "+hist[0].Content {
			t.Errorf("user %d history = %+v", i, hist)
		}
	}
}

func TestChat_ThinkingIsHiddenAndNotStored(t *testing.T) {
	h := startBot(t, nil)
	h.ai.Enqueue(openaitest.Reply{Text: "<think>Let me reason about this at length.</think>\n\nThe plain answer.", ChunkSize: 5})
	q := h.dm("191", "think first")
	waitReply(t, h.fake, q, "The plain answer.")
	for _, r := range h.fake.RequestsTo("PATCH", "/channels/dm191/") {
		if strings.Contains(string(r.Body), "reason") || strings.Contains(string(r.Body), "think") {
			t.Fatalf("reasoning reached Discord while streaming: %s", r.Body)
		}
	}
	db := h.openStoreAfterStop(t)
	if hist, _ := db.History("191", 0); len(hist) != 2 || hist[1].Content != "The plain answer." {
		t.Fatalf("stored = %+v", hist)
	}
}

func TestChat_LongRetryAfterIsReported(t *testing.T) {
	h := startBot(t, nil)
	wait := openaitest.RateLimited
	wait.RetryAfter = "120"
	h.ai.Enqueue(wait)
	q := h.dm("192", "now please")
	waitReply(t, h.fake, q, "🐢 The AI provider is rate-limiting me. Please try again in 120 seconds.")
	if n := len(h.ai.Requests()); n != 1 {
		t.Errorf("%d calls: a two-minute Retry-After must not be waited out", n)
	}
}

func TestChat_UsageRecordedWithExchange(t *testing.T) {
	h := startBot(t, nil)
	h.ai.Enqueue(openaitest.Reply{Text: "counted", Usage: &openai.Usage{PromptTokens: 1_000_000, CompletionTokens: 1_000_000}},
		openaitest.Reply{Text: "estimated", NoUsage: true})
	waitReply(t, h.fake, h.dm("181", "one"), "counted")
	waitReply(t, h.fake, h.dm("181", "two"), "estimated")
	db := h.openStoreAfterStop(t)
	u, _ := db.UserUsage("181")
	if len(u) != 1 || u[0].Model != "gpt-4o-mini" || u[0].Requests != 2 || !u[0].Estimated ||
		u[0].InputTokens <= 1_000_000 || u[0].OutputTokens <= 1_000_000 || u[0].CostUSD < 0.75 || u[0].CostUSD > 0.76 {
		t.Fatalf("usage = %+v", u)
	}
}
