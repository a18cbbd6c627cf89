package bot_test

import (
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
	openai "github.com/sashabaranov/go-openai"

	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/discordtest"
	"github.com/discordgpt/discordgpt/bot/llm"
)

// requestText is everything a chat request says, system prompt included.
func requestText(req openai.ChatCompletionRequest) string {
	var parts []string
	for _, m := range req.Messages {
		parts = append(parts, m.Role+":"+m.Content)
		for _, p := range m.MultiContent {
			parts = append(parts, m.Role+":"+p.Text)
		}
	}
	return strings.Join(parts, "|")
}

// With CONVERSATION_SCOPE=place, what someone told the bot in a DM does
// not surface in a server, and the server's talk stays out of the DM; the
// model is told where it is.
func TestScope_PlaceKeepsDMOutOfServers(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0; c.ConversationScope = "place"; c.API = llm.APIChat })
	const ann = "555000555001101"
	waitReply(t, h.fake, h.dm(ann, "my secret number is 42"), "echo: my secret number is 42")
	q := mention(h.fake, ann, "666000666001101", "what is my secret number?")
	waitFinalReply(t, h, q, "echo: what is my secret number?")
	pub := requestText(lastChat(t, h.ai))
	if strings.Contains(pub, "secret number is 42") {
		t.Errorf("the DM surfaced in the server: %s", pub)
	}
	if !strings.Contains(pub, "public channel of a Discord server") {
		t.Errorf("the model was not told it is in public: %s", pub)
	}
	waitFinalReply(t, h, mention(h.fake, ann, "666000666001102", "and in another channel of that server"), "echo: and in another channel of that server")
	if same := requestText(lastChat(t, h.ai)); !strings.Contains(same, "what is my secret number?") {
		t.Errorf("the server's conversation did not carry over between its channels: %s", same)
	}
	waitReply(t, h.fake, h.dm(ann, "back in private"), "echo: back in private")
	dm := requestText(lastChat(t, h.ai))
	if !strings.Contains(dm, "my secret number is 42") || strings.Contains(dm, "what is my secret number?") || !strings.Contains(dm, "private direct message") {
		t.Errorf("the DM conversation: %s", dm)
	}
	h.reset(t, ann)
	db := h.openStoreAfterStop(t)
	if ps, _ := db.Places(ann); len(ps) != 0 {
		t.Errorf("server conversations survived the reset: %+v", ps)
	}
	for _, where := range holders(t, db, ann) {
		if !strings.HasPrefix(where, "settings/") && !strings.HasPrefix(where, "spend/") {
			t.Errorf("after reset, ann's ID is held by %s", where)
		}
	}
}

// The default scope keeps one conversation everywhere, as before.
func TestScope_UserIsOneConversation(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0; c.API = llm.APIChat })
	const ann = "555000555001111"
	waitReply(t, h.fake, h.dm(ann, "my secret number is 42"), "echo: my secret number is 42")
	waitFinalReply(t, h, mention(h.fake, ann, "666000666001111", "what is it?"), "echo: what is it?")
	if !strings.Contains(requestText(lastChat(t, h.ai)), "my secret number is 42") {
		t.Error("scope user lost the DM in the server")
	}
}

// Replying to someone else's message while mentioning the bot brings that
// message in: its text quoted, its image shown (and kept as the asker's).
func TestQuote_ReplyToSomeoneElsesMessage(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0; c.API = llm.APIChat })
	const ann, ben, channel = "555000555001121", "555000555001122", "666000666001121"
	bens := h.fake.SendMessage(&discordgo.Message{GuildID: discordtest.DefaultGuildID, ChannelID: channel,
		Author: &discordgo.User{ID: ben, Username: "ben"}, Content: "the meeting moved to 5pm\nroom B",
		Attachments: []*discordgo.MessageAttachment{h.fake.AddAttachment("board.png", "image/png", pngBytes)}})
	q := h.fake.SendMessage(&discordgo.Message{GuildID: discordtest.DefaultGuildID, ChannelID: channel,
		Author: &discordgo.User{ID: ann, Username: "ann"}, Content: "<@" + h.fake.BotUser.ID + "> when is it?",
		Mentions: []*discordgo.User{&h.fake.BotUser}, MessageReference: bens.Reference(), ReferencedMessage: bens})
	waitReplyPrefix(t, h, q, "echo: [Replying to ben, who wrote:]")
	last := lastChat(t, h.ai).Messages
	user := last[len(last)-1]
	var text []string
	images := 0
	for _, p := range user.MultiContent {
		text = append(text, p.Text)
		if p.ImageURL != nil {
			images++
		}
	}
	joined := strings.Join(text, "\n")
	if !strings.Contains(joined, "[Replying to ben, who wrote:]\n> the meeting moved to 5pm\n> room B\nwhen is it?") || images != 1 {
		t.Errorf("question sent: %q with %d images", joined, images)
	}
	db := h.openStoreAfterStop(t)
	if fs, _ := db.Files(ann); len(fs) != 1 || fs[0].Name != "board.png" {
		t.Errorf("ann's files = %+v", fs)
	}
	if fs, _ := db.Files(ben); len(fs) != 0 {
		t.Errorf("ben's files = %+v (he asked nothing)", fs)
	}
}
