package bot_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/discordtest"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	"github.com/discordgpt/discordgpt/store"
	openai "github.com/sashabaranov/go-openai"
)

// TestInteractions_EveryKindAnsweredOrIgnored: each kind of interaction
// gets an answer Discord accepts, or is left alone on purpose.
func TestInteractions_EveryKindAnsweredOrIgnored(t *testing.T) {
	h := startBot(t, nil)
	user := &discordgo.User{ID: "6101"}
	// A form the bot never opened.
	modal := h.fake.SendInteraction(&discordgo.Interaction{Type: discordgo.InteractionModalSubmit, User: user,
		Data: discordgo.ModalSubmitInteractionData{CustomID: "forged:form"}})
	if a := h.answerOf(t, modal); a.Flags&discordgo.MessageFlagsEphemeral == 0 || a.Content != "❓ This button or menu is no longer in use. Run the command again." {
		t.Errorf("modal answer = %+v", a)
	}
	// Autocomplete on a command that has none: an empty list at once.
	ac := h.fake.SendInteraction(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommandAutocomplete, User: user,
		Data: discordgo.ApplicationCommandInteractionData{Name: "files"}})
	if !h.fake.WaitFor(10*time.Second, func() bool { typ, ok := h.fake.InteractionResponse(ac.ID); return ok && typ == 8 }) {
		t.Error("autocomplete of another command got no answer")
	}
	// A component of a type the bot never sends, with an ID it never made.
	comp := h.fake.SendInteraction(&discordgo.Interaction{Type: discordgo.InteractionMessageComponent, User: user,
		Message: &discordgo.Message{ID: "1", ChannelID: "2"},
		Data:    discordgo.MessageComponentInteractionData{CustomID: "x:y", ComponentType: 99}})
	if a := h.answerOf(t, comp); a.Content != "❓ This button or menu is no longer in use. Run the command again." {
		t.Errorf("unknown component answer = %q", a.Content)
	}
	// A command the bot does not have (an old registration).
	old := h.command("6101", "summarize")
	if a := h.answerOf(t, old); a.Content != "❓ I don't know that command. It may have been removed; try `/help`." {
		t.Errorf("unknown command answer = %q", a.Content)
	}
	// An interaction type Discord may add later: ignored, and the bot goes on.
	future := h.fake.SendInteraction(&discordgo.Interaction{Type: 42, User: user})
	waitReply(t, h.fake, h.dm("6101", "still there?"), "echo: still there?")
	if _, ok := h.fake.InteractionResponse(future.ID); ok {
		t.Error("an interaction of an unknown type was answered")
	}
	// No user at all (a malformed event): ignored.
	h.fake.SendInteraction(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand,
		Data: discordgo.ApplicationCommandInteractionData{Name: "help"}})
	waitReply(t, h.fake, h.dm("6101", "and now?"), "echo: and now?")
	noRefusals(t, h.fake)
}

// TestAttachments_Bounded: downloads only from Discord, at most 10 a
// message, a hang given up, a size lie caught while reading; the question
// is answered all the same.
func TestAttachments_Bounded(t *testing.T) {
	h := startBot(t, func(c *bot.Config) {
		c.DownloadIdleTimeout = 300 * time.Millisecond
		c.MaxFileSizeMB = 1
		c.RateCount = 0
	})
	f := h.fake
	// A download that sends a little, then hangs.
	hang := f.AddAttachmentServedBy("slow.txt", "text/plain", 10, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("a start"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	// A file that claims 10 bytes and sends 3 MB.
	liar := f.AddAttachmentServedBy("small.txt", "text/plain", 10, func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for i := 0; i < 48; i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	// A URL outside Discord: never fetched.
	var foreignHits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { foreignHits.Add(1) }))
	defer foreign.Close()
	outside := &discordgo.MessageAttachment{ID: "1", Filename: "evil.txt", Size: 4, URL: foreign.URL + "/evil.txt"}
	ok := f.AddAttachment("ok.txt", "text/plain", []byte("fine"))
	q := h.dm("6201", "read these", hang, liar, outside, ok)
	if !f.WaitFor(20*time.Second, func() bool {
		for _, m := range botMessages(f, q.ChannelID) {
			if strings.HasPrefix(m.Content, "echo: read these") && strings.Contains(m.Content, "fine") {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("not answered: %+v", botMessages(f, q.ChannelID))
	}
	notes := ""
	for _, m := range botMessages(f, q.ChannelID) {
		notes += m.Content + "\n"
	}
	for _, want := range []string{"I couldn't download `slow.txt`", "`small.txt` is over the 1 MB limit", "`evil.txt` does not come from Discord"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if foreignHits.Load() != 0 {
		t.Error("a URL outside Discord was fetched")
	}
	// Twelve attachments: the first ten are taken.
	var many []*discordgo.MessageAttachment
	for i := 0; i < 12; i++ {
		many = append(many, f.AddAttachment(fmt.Sprintf("f%02d.txt", i), "text/plain", []byte("x")))
	}
	q = h.dm("6202", "many", many...)
	if !f.WaitFor(20*time.Second, func() bool { return len(h.ai.Requests()) >= 2 }) {
		t.Fatal("the second question was not asked")
	}
	noRefusals(t, f)
	db := h.openStoreAfterStop(t)
	if fs, _ := db.Files("6201"); len(fs) != 1 || fs[0].Name != "ok.txt" {
		t.Errorf("stored %+v", fs)
	}
	if fs, _ := db.Files("6202"); len(fs) != 10 {
		t.Errorf("stored %d of 12 attachments, want 10", len(fs))
	}
	if left := filesOnDisk(t, h.userDir("6201")); len(left) != 1 {
		t.Errorf("files on disk: %v", left)
	}
}

// streamStarted enqueues a slow answer to a DM and waits for its first
// message.
func streamStarted(t *testing.T, h *harness, userID, text string) (*discordgo.Message, discordgo.Message) {
	t.Helper()
	h.ai.Enqueue(openaitest.Reply{Text: text, ChunkSize: 10, ChunkDelay: 15 * time.Millisecond})
	q := h.dm(userID, "go")
	var first discordgo.Message
	if !h.fake.WaitFor(10*time.Second, func() bool {
		var ok bool
		first, ok = replyTo(h.fake, q)
		return ok
	}) {
		t.Fatal("answer never started")
	}
	return q, first
}

// TestDiscordFaults_FinalTextLands: 500s on the final edit are retried; a
// message deleted or never editable gets the answer in a new message; no
// cursor is left anywhere.
func TestDiscordFaults_FinalTextLands(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0 })
	answer := strings.TrimSpace(strings.Repeat("a sentence of the answer ", 12))
	// A few 500s: retried until the edit lands.
	q, first := streamStarted(t, h, "6301", answer)
	h.fake.Fail("PATCH", "/messages/"+first.ID, 3, 500)
	waitReply(t, h.fake, q, answer)
	// The message deleted mid-answer: the answer comes in a new one.
	q, first = streamStarted(t, h, "6302", answer)
	h.fake.DeleteMessage(first.ID)
	waitReply(t, h.fake, q, answer)
	// Edits that never land: a new message carries the answer, and the
	// stale one goes.
	q, first = streamStarted(t, h, "6303", answer)
	h.fake.Fail("PATCH", "/messages/"+first.ID, 1000, 500)
	r := waitReply(t, h.fake, q, answer)
	if r.ID == first.ID {
		t.Error("the answer was not re-posted")
	}
	if _, ok := h.fake.Message(first.ID); ok {
		t.Error("the stale message with its cursor stayed")
	}
	for _, u := range []string{"6301", "6302", "6303"} {
		for _, m := range botMessages(h.fake, "dm"+u) {
			if strings.Contains(m.Content, "▌") {
				t.Errorf("user %s: a cursor is left: %q", u, m.Content)
			}
		}
	}
}

// TestDiscordFaults_UnreadableAnswers: a 2xx whose body does not parse is
// a message that was made (found again by its nonce, never posted twice)
// or an edit that was done.
func TestDiscordFaults_UnreadableAnswers(t *testing.T) {
	h := startBot(t, nil)
	h.fake.Garble("POST", "/channels/dm6401/messages", 1)
	h.fake.Garble("PATCH", "/channels/dm6401/messages", 2)
	h.ai.Enqueue(openaitest.Reply{Text: strings.Repeat("word ", 60), ChunkSize: 10, ChunkDelay: 10 * time.Millisecond})
	q := h.dm("6401", "hello")
	waitReply(t, h.fake, q, strings.TrimSpace(strings.Repeat("word ", 60)))
	if msgs := botMessages(h.fake, "dm6401"); len(msgs) != 1 {
		t.Errorf("the bot made %d messages for one answer", len(msgs))
	}
	if posts := h.fake.RequestsTo("POST", "/channels/dm6401/messages"); len(posts) != 2 {
		t.Errorf("%d posts; want the garbled one and its repeat with the same nonce", len(posts))
	}
	noRefusals(t, h.fake)
}

// TestDiscordFaults_RegistrationRetried: command registration that fails
// is retried while chat works.
func TestDiscordFaults_RegistrationRetried(t *testing.T) {
	h := startBot(t, nil)
	h.stop(t)
	h.cfg.GuildID = discordtest.DefaultGuildID // a new scope: registers again
	h.fake.Fail("PUT", "/guilds/"+discordtest.DefaultGuildID+"/commands", 3, 500)
	h.run(t)
	waitReply(t, h.fake, h.dm("6501", "works?"), "echo: works?")
	if !h.fake.WaitFor(10*time.Second, func() bool { return len(h.fake.Commands(discordtest.DefaultGuildID)) > 0 }) {
		t.Fatal("commands never registered after the failures")
	}
	fails := 0
	for _, r := range h.fake.RequestsTo("PUT", "/commands") {
		if r.Status == 500 {
			fails++
		}
	}
	if fails != 3 {
		t.Errorf("%d failed registrations seen, want 3", fails)
	}
}

// TestRecovery_InterruptedAnswersFinished: what a bot that died mid-answer
// left (cursors, a queued notice) is finished at the next start; an answer
// stored before its final edit is shown whole.
func TestRecovery_InterruptedAnswersFinished(t *testing.T) {
	h := startBot(t, nil)
	h.stop(t)
	f := h.fake
	gone := f.PostAsBot("dm6605", "lost ▌") // first: records are finished in ID order
	f.DeleteMessage(gone.ID)
	partial := f.PostAsBot("dm6601", "half an answer ▌")
	queued := f.PostAsBot("dm6602", "⏳ I'm still answering your previous message; I'll answer this one right after.")
	stored := f.PostAsBot("dm6603", "the begin ▌")
	p1, p2 := f.PostAsBot("dm6604", "part one"), f.PostAsBot("dm6604", "part two ▌")
	// Stopped between posting an answer's first message and recording it:
	// the record made before the post names the question. (The one in a
	// channel now closed to the bot comes first in ID order, so it is done
	// once the other is.)
	closedQ := f.PostAsBot("dm6607", "a question where the bot lost access")
	closed := f.PostAsBot("dm6607", "unreachable ▌")
	f.Refuse("GET", "/channels/dm6607/messages", 1, 403, 50001)
	older := f.PostAsBot("dm6606", "an older message ▌")
	question := f.PostAsBot("dm6606", "the question")
	unrecorded := f.PostAsBot("dm6606", "posted just before the stop ▌")
	db, err := bot.OpenStore(h.dataDir, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []store.Inflight{
		{ID: partial.ID, UserID: "6601", ChannelID: "dm6601", Messages: []string{partial.ID}},
		{ID: queued.ID, UserID: "6602", ChannelID: "dm6602", Messages: []string{queued.ID}},
		{ID: stored.ID, UserID: "6603", ChannelID: "dm6603", Messages: []string{stored.ID}},
		{ID: p1.ID, UserID: "6604", ChannelID: "dm6604", Messages: []string{p1.ID, p2.ID}},
		{ID: gone.ID, UserID: "6605", ChannelID: "dm6605", Messages: []string{gone.ID}},
		{ID: "after/" + question.ID, UserID: "6606", ChannelID: "dm6606", After: question.ID},
		// A channel now closed to the bot: nothing to fix, the record goes.
		{ID: "after/" + closedQ.ID, UserID: "6607", ChannelID: "dm6607", After: closedQ.ID},
	} {
		if err := db.SetInflight(r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.RecordExchange("6603", store.Exchange{Messages: []store.Message{{Role: store.RoleUser, Content: "q"},
		{Role: store.RoleAssistant, Content: "the beginning, the middle and the end.", DiscordMessageID: stored.ID}}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	h.run(t)
	want := map[string]string{
		partial.ID:    "half an answer\n\n⚠️ *Interrupted: the bot restarted. Please ask again.*",
		queued.ID:     "⚠️ *Interrupted: the bot restarted. Please ask again.*",
		stored.ID:     "the beginning, the middle and the end.",
		p1.ID:         "part one",
		p2.ID:         "part two\n\n⚠️ *Interrupted: the bot restarted. Please ask again.*",
		unrecorded.ID: "posted just before the stop\n\n⚠️ *Interrupted: the bot restarted. Please ask again.*",
		older.ID:      "an older message ▌", // before the question: not this record's
		question.ID:   "the question",
		closed.ID:     "unreachable ▌", // the bot may not read it: left as it is
	}
	if !f.WaitFor(10*time.Second, func() bool {
		for id, w := range want {
			if m, _ := f.Message(id); m.Content != w {
				return false
			}
		}
		return true
	}) {
		for id, w := range want {
			m, _ := f.Message(id)
			t.Errorf("message %s = %q, want %q", id, m.Content, w)
		}
	}
	db = h.openStoreAfterStop(t)
	if recs, _ := db.InflightAnswers(); len(recs) != 0 {
		t.Errorf("records left: %+v", recs)
	}
}

// TestRecovery_FinishedAnswersLeaveNoRecord: answers that end (finished,
// stopped, failed, queued, restarted gracefully) leave no in-flight record.
func TestRecovery_FinishedAnswersLeaveNoRecord(t *testing.T) {
	h := startBot(t, nil)
	slow := openaitest.Reply{Text: strings.Repeat("slowly ", 100), ChunkSize: 7, ChunkDelay: 10 * time.Millisecond}
	h.ai.Enqueue(slow, openaitest.ServerError, openaitest.ServerError, openaitest.ServerError, openaitest.ServerError)
	q1 := h.dm("6701", "one")
	if !h.fake.WaitFor(10*time.Second, func() bool { _, ok := replyTo(h.fake, q1); return ok }) {
		t.Fatal("no answer")
	}
	q2 := h.dm("6701", "two") // queued behind the first; fails
	waitReplyPrefix(t, h, q2, "🔌")
	waitReply(t, h.fake, h.dm("6702", "three"), "echo: three")
	db := h.openStoreAfterStop(t)
	if recs, _ := db.InflightAnswers(); len(recs) != 0 {
		t.Errorf("records left: %+v", recs)
	}
}

// TestChannelLimits_EveryAnswerEnds: five answers streaming in one channel
// under Discord's per-channel limit all end with their final text and no
// cursor (their timing is BenchmarkChat_FinalsUnderChannelLimits).
func TestChannelLimits_EveryAnswerEnds(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0 })
	h.fake.ChannelLimit(5, time.Second)
	h.ai.SetResponder(func(req openai.ChatCompletionRequest) openaitest.Reply {
		return openaitest.Reply{Text: "answer for " + openaitest.LastUserText(req) + strings.Repeat(" more", 40), ChunkSize: 10, ChunkDelay: 10 * time.Millisecond}
	})
	var qs []*discordgo.Message
	for u := 0; u < 5; u++ {
		qs = append(qs, mention(h.fake, fmt.Sprint(6800+u), "busy", fmt.Sprint("question ", u)))
	}
	for u, q := range qs {
		waitReply(t, h.fake, q, fmt.Sprintf("answer for question %d", u)+strings.Repeat(" more", 40))
	}
	for _, m := range botMessages(h.fake, "busy") {
		if strings.Contains(m.Content, "▌") {
			t.Errorf("cursor left: %q", m.Content)
		}
	}
	noRefusals(t, h.fake)
}
