package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/openaitest"
)

// A person who answers as soon as the answer is complete is not told the
// bot is "still answering": the model is done, only the final edit is on
// its way (measured: 104-192 of 500 quick follow-ups got the notice when a
// turn ended only with the final edit's response).
func TestQueue_NoStillAnsweringAfterTheModelFinished(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0 })
	const u = "555000555000801"
	// A quick answer's final text is its one post (see QuietStart).
	release, held := h.fake.Hold("POST", "/channels/dm"+u+"/messages", 1)
	q1 := h.dm(u, "first")
	select {
	case <-held: // the reply's final text is waiting on Discord
	case <-time.After(20 * time.Second):
		t.Fatalf("the reply was not posted; last calls: %s", lastCalls(h.fake, 5))
	}
	q2 := h.dm(u, "second")
	// The second answer waits for the first to be shown; nothing is posted
	// for it meanwhile (and no notice: the first is only being shown).
	time.Sleep(300 * time.Millisecond)
	if r, ok := replyTo(h.fake, q2); ok {
		t.Errorf("while the first answer's final text was under way, the second message got %q", r.Content)
	}
	release()
	waitFinalReply(t, h, q1, "echo: first")
	waitFinalReply(t, h, q2, "echo: second")
	for _, m := range botMessages(h.fake, q2.ChannelID) {
		if strings.Contains(m.Content, "still answering") {
			t.Errorf("a spurious notice: %q", m.Content)
		}
	}
	reqs := h.ai.Requests()
	if len(reqs) != 2 || openaitest.LastUserText(reqs[1].Chat) != "second" {
		t.Fatalf("model requests = %d", len(reqs))
	}
	db := h.openStoreAfterStop(t)
	hist, _ := db.History(u, 0)
	if len(hist) != 4 || hist[0].Content != "first" || hist[2].Content != "second" {
		t.Errorf("history out of order: %+v", hist)
	}
}
