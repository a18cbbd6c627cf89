package discordtest_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/discordtest"
)

const wait = 5 * time.Second

// connect opens a real discordgo session against a new fake and collects
// the messages and interactions it receives.
func connect(t *testing.T) (*discordtest.Server, *discordgo.Session, *received) {
	t.Helper()
	fake := discordtest.New(t)
	if err := bot.PointDiscordAt(fake.URL); err != nil {
		t.Fatal(err)
	}
	dg, err := discordgo.New("Bot " + fake.Token)
	if err != nil {
		t.Fatal(err)
	}
	dg.Identify.Intents = discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages | discordgo.IntentMessageContent
	rec := &received{}
	dg.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) { rec.add(m.Message, nil) })
	dg.AddHandler(func(_ *discordgo.Session, i *discordgo.InteractionCreate) { rec.add(nil, i.Interaction) })
	if err := dg.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = dg.Close() })
	if !fake.WaitConnected(wait) {
		t.Fatal("bot never connected")
	}
	return fake, dg, rec
}

type received struct {
	mu       sync.Mutex
	messages []*discordgo.Message
	inter    []*discordgo.Interaction
}

func (r *received) add(m *discordgo.Message, i *discordgo.Interaction) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m != nil {
		r.messages = append(r.messages, m)
	}
	if i != nil {
		r.inter = append(r.inter, i)
	}
}

func (r *received) count() (int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.messages), len(r.inter)
}

func restCode(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return re.Message.Code
	}
	return -1
}

func TestGateway_IdentifyDispatchAndResume(t *testing.T) {
	fake, dg, rec := connect(t)
	st := fake.Gateway()
	if st.Identifies != 1 || st.Intents&discordgo.IntentMessageContent == 0 {
		t.Fatalf("gateway stats = %+v", st)
	}
	if dg.State.User == nil || dg.State.User.ID != fake.BotUser.ID {
		t.Fatalf("READY user = %+v", dg.State.User)
	}
	fake.SendMessage(&discordgo.Message{Content: "hi"})
	if !fake.WaitFor(wait, func() bool { n, _ := rec.count(); return n == 1 }) {
		t.Fatal("message not delivered")
	}

	fake.DropConnection()
	fake.SendMessage(&discordgo.Message{Content: "sent while disconnected"})
	if !fake.WaitFor(10*time.Second, func() bool { return fake.Gateway().Resumes == 1 && fake.Gateway().Connected }) {
		t.Fatalf("no resume: %+v", fake.Gateway())
	}
	if !fake.WaitFor(wait, func() bool { n, _ := rec.count(); return n == 2 }) {
		t.Fatal("event dispatched while disconnected was not replayed on resume")
	}
	if fake.Gateway().Identifies != 1 {
		t.Fatalf("identified again instead of resuming: %+v", fake.Gateway())
	}
}

func TestGateway_WrongTokenRefused(t *testing.T) {
	fake := discordtest.New(t)
	if err := bot.PointDiscordAt(fake.URL); err != nil {
		t.Fatal(err)
	}
	dg, _ := discordgo.New("Bot not-the-token")
	dg.ShouldReconnectOnError = false
	if err := dg.Open(); err == nil {
		dg.Close()
		t.Fatal("Open with a wrong token succeeded")
	}
	if _, err := dg.User("@me"); err == nil {
		t.Fatal("REST with a wrong token succeeded")
	}
}

func TestREST_MessagesEnforcePlatformLimits(t *testing.T) {
	fake, dg, _ := connect(t)
	in := fake.SendMessage(&discordgo.Message{Content: "question", ChannelID: "555"})

	m, err := dg.ChannelMessageSendReply("555", "answer", in.Reference())
	if err != nil {
		t.Fatalf("reply: %v", err)
	}
	if _, err := dg.ChannelMessageEdit("555", m.ID, "answer, edited"); err != nil {
		t.Fatalf("edit: %v", err)
	}
	if got, _ := fake.Message(m.ID); got.Content != "answer, edited" || got.MessageReference.MessageID != in.ID {
		t.Fatalf("stored = %+v", got)
	}
	cases := []struct {
		name string
		send *discordgo.MessageSend
		code int
	}{
		{"2001 chars", &discordgo.MessageSend{Content: strings.Repeat("x", 2001)}, 50035},
		{"empty", &discordgo.MessageSend{Content: "  "}, 50006},
		{"unknown reference", &discordgo.MessageSend{Content: "x", Reference: &discordgo.MessageReference{MessageID: "1"}}, 50035},
		{"11 embeds", &discordgo.MessageSend{Embeds: make11Embeds()}, 50035},
		{"26 options", &discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{
			discordgo.ActionsRow{Components: []discordgo.MessageComponent{selectWith(26)}}}}, 50035},
		{"duplicate custom_id", &discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{
			discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.Button{Label: "a", CustomID: "same", Style: discordgo.PrimaryButton},
				discordgo.Button{Label: "b", CustomID: "same", Style: discordgo.PrimaryButton}}}}}, 50035},
		{"long custom_id", &discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{
			discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.Button{Label: "a", CustomID: strings.Repeat("c", 101), Style: discordgo.PrimaryButton}}}}}, 50035},
	}
	for _, c := range cases {
		if _, err := dg.ChannelMessageSendComplex("555", c.send); restCode(err) != c.code {
			t.Errorf("%s: err = %v, want code %d", c.name, err, c.code)
		}
	}
	// 2000 characters of multi-byte text is allowed: the limit counts characters.
	if _, err := dg.ChannelMessageSend("555", strings.Repeat("é", 2000)); err != nil {
		t.Errorf("2000 runes refused: %v", err)
	}
	if _, err := dg.ChannelMessageEdit("555", in.ID, "not mine"); restCode(err) != 50005 {
		t.Errorf("editing a user's message: err = %v", err)
	}
}

func make11Embeds() []*discordgo.MessageEmbed {
	out := make([]*discordgo.MessageEmbed, 11)
	for i := range out {
		out[i] = &discordgo.MessageEmbed{Title: "t"}
	}
	return out
}

func selectWith(n int) discordgo.SelectMenu {
	sm := discordgo.SelectMenu{CustomID: "pick"}
	for i := 0; i < n; i++ {
		sm.Options = append(sm.Options, discordgo.SelectMenuOption{Label: "o", Value: strings.Repeat("v", i+1)})
	}
	return sm
}

func TestREST_UploadsAndAttachments(t *testing.T) {
	fake, dg, _ := connect(t)
	m, err := dg.ChannelMessageSendComplex("7", &discordgo.MessageSend{
		Content: "here", Files: []*discordgo.File{{Name: "a.md", ContentType: "text/markdown", Reader: strings.NewReader("# hi")}},
	})
	if err != nil || len(m.Attachments) != 1 {
		t.Fatalf("upload: %v, %+v", err, m)
	}
	resp, err := http.Get(m.Attachments[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if buf.String() != "# hi" {
		t.Fatalf("download = %q", buf.String())
	}
	reqs := fake.RequestsTo(http.MethodPost, "/channels/7/messages")
	if len(reqs) != 1 || len(reqs[0].Files) != 1 || !strings.Contains(string(reqs[0].Body), "here") {
		t.Fatalf("recorded = %+v", reqs)
	}
	big := bytes.Repeat([]byte("x"), discordtest.MaxFileBytes+1)
	_, err = dg.ChannelMessageSendComplex("7", &discordgo.MessageSend{
		Files: []*discordgo.File{{Name: "big.bin", Reader: bytes.NewReader(big)}},
	})
	if restCode(err) != 40005 {
		t.Fatalf("11 MiB file: err = %v", err)
	}
}

func TestREST_RateLimitIsRetried(t *testing.T) {
	fake, dg, _ := connect(t)
	fake.RateLimit(http.MethodPost, "/channels/9/messages", 1, 100*time.Millisecond)
	if _, err := dg.ChannelMessageSend("9", "hello"); err != nil {
		t.Fatalf("send after 429: %v", err)
	}
	reqs := fake.RequestsTo(http.MethodPost, "/channels/9/messages")
	if len(reqs) != 2 || reqs[0].Status != 429 || reqs[1].Status != 200 {
		t.Fatalf("requests = %+v", reqs)
	}
	if len(fake.ChannelMessages("9")) != 1 {
		t.Fatal("message not stored once")
	}
}

func TestInteractions_ResponseRules(t *testing.T) {
	fake, dg, rec := connect(t)
	fake.InteractionDeadline = 300 * time.Millisecond
	cmd := func() *discordgo.Interaction {
		return fake.SendInteraction(&discordgo.Interaction{
			Type: discordgo.InteractionApplicationCommand,
			Data: discordgo.ApplicationCommandInteractionData{Name: "help"},
			User: &discordgo.User{ID: "42"},
		})
	}
	i := cmd()
	if !fake.WaitFor(wait, func() bool { _, n := rec.count(); return n == 1 }) {
		t.Fatal("interaction not delivered")
	}
	if _, err := dg.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: "early"}); restCode(err) != 10015 {
		t.Fatalf("followup before response: err = %v", err)
	}
	defer1 := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}}
	if err := dg.InteractionRespond(i, defer1); err != nil {
		t.Fatalf("defer: %v", err)
	}
	if err := dg.InteractionRespond(i, defer1); restCode(err) != 40060 {
		t.Fatalf("second response: err = %v", err)
	}
	content := "done"
	if _, err := dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &content}); err != nil {
		t.Fatalf("edit original: %v", err)
	}
	if _, err := dg.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: "more"}); err != nil {
		t.Fatalf("followup: %v", err)
	}
	msgs := fake.InteractionMessages(i.ID)
	if len(msgs) != 2 || msgs[0].Content != "done" || msgs[0].Flags&discordgo.MessageFlagsEphemeral == 0 || msgs[1].Content != "more" {
		t.Fatalf("interaction messages = %+v", msgs)
	}

	late := cmd()
	time.Sleep(400 * time.Millisecond)
	err := dg.InteractionRespond(late, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: "too late"}})
	if restCode(err) != 10062 {
		t.Fatalf("late response: err = %v", err)
	}
}

func TestCommands_BulkOverwriteValidates(t *testing.T) {
	fake, dg, _ := connect(t)
	ok := []*discordgo.ApplicationCommand{{Name: "help", Description: "Show help"}}
	if _, err := dg.ApplicationCommandBulkOverwrite(fake.AppID, "", ok); err != nil {
		t.Fatal(err)
	}
	if got := fake.Commands("global"); len(got) != 1 || got[0].Name != "help" {
		t.Fatalf("commands = %+v", got)
	}
	for _, bad := range []*discordgo.ApplicationCommand{
		{Name: "Help", Description: "x"},
		{Name: "help", Description: ""},
		{Name: strings.Repeat("a", 33), Description: "x"},
		{Name: "x", Description: strings.Repeat("d", 101)},
	} {
		if _, err := dg.ApplicationCommandBulkOverwrite(fake.AppID, "", []*discordgo.ApplicationCommand{bad}); restCode(err) != 50035 {
			t.Errorf("%q: err = %v", bad.Name, err)
		}
	}
}
