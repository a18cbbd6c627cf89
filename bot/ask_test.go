package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/discordtest"
	"github.com/discordgpt/discordgpt/bot/llm"
)

// userInstall marks an interaction as coming from a user install only: the
// bot is not a member where it happens.
func userInstall(i *discordgo.Interaction, userID string) *discordgo.Interaction {
	i.AuthorizingIntegrationOwners = map[discordgo.ApplicationIntegrationType]string{discordgo.ApplicationIntegrationUserInstall: userID}
	return i
}

// serverInstall marks an interaction as in a server the bot is in.
func serverInstall(i *discordgo.Interaction) *discordgo.Interaction {
	i.AuthorizingIntegrationOwners = map[discordgo.ApplicationIntegrationType]string{discordgo.ApplicationIntegrationGuildInstall: i.GuildID}
	return i
}

// finalInteractionText waits for an interaction's first message to read
// text in full (no streaming cursor).
func finalInteractionText(t *testing.T, h *harness, i *discordgo.Interaction, want string) discordgo.Message {
	t.Helper()
	var got discordgo.Message
	if !h.fake.WaitFor(15*time.Second, func() bool {
		msgs := h.fake.InteractionMessages(i.ID)
		if len(msgs) == 0 {
			return false
		}
		got = msgs[0]
		return got.Content == want
	}) {
		t.Fatalf("interaction answer = %q, want %q (last Discord calls %s)", got.Content, want, lastCalls(h.fake, 5))
	}
	return got
}

func askInteraction(guildID, channelID, userID, question string) *discordgo.Interaction {
	i := &discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: guildID, ChannelID: channelID,
		Data: discordgo.ApplicationCommandInteractionData{Name: "ask", Options: []*discordgo.ApplicationCommandInteractionDataOption{
			strOpt("question", question)}}}
	if guildID != "" {
		i.Member = &discordgo.Member{User: &discordgo.User{ID: userID, Username: "u" + userID}}
	} else {
		i.User = &discordgo.User{ID: userID, Username: "u" + userID}
	}
	return i
}

// A person who installed the app asks in a server the bot is not in: the
// answer streams into the interaction, nothing is posted in the channel,
// the exchange joins their conversation, and their budget applies.
func TestAsk_UserInstallInAServerWithoutTheBot(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0; c.API = llm.APIChat })
	const ann, channel = "555000555001301", "666000666001301"
	h.fake.Refuse("POST", "/channels/"+channel+"/messages", 100, 403, 50001) // not a member there
	i := h.fake.SendInteraction(userInstall(askInteraction("777000777001301", channel, ann, "what is 2+2?"), ann))
	a := finalInteractionText(t, h, i, "echo: what is 2+2?")
	if a.Flags&discordgo.MessageFlagsEphemeral != 0 {
		t.Error("/ask answered privately; it is public where it was asked")
	}
	for _, r := range h.fake.RequestsTo("POST", "/channels/"+channel+"/messages") {
		if r.Status == 200 {
			t.Error("the bot posted in a channel of a server it is not in")
		}
	}
	// In a DM with the bot, too; the conversation carries over.
	j := h.fake.SendInteraction(userInstall(askInteraction("", "dm"+ann, ann, "and 3+3?"), ann))
	finalInteractionText(t, h, j, "echo: and 3+3?")
	if !strings.Contains(requestText(lastChat(t, h.ai)), "what is 2+2?") {
		t.Error("the second /ask did not see the first")
	}
	db := h.openStoreAfterStop(t)
	if hist, _ := db.History(ann, 0); len(hist) != 4 {
		t.Errorf("history = %d messages", len(hist))
	}
}

func TestAsk_RefusalsApply(t *testing.T) {
	const ann, ben = "555000555001311", "555000555001312"
	h := startBot(t, func(c *bot.Config) { c.RateCount = 1; c.RateWindow = time.Hour; c.AllowedUsers = []string{ann} })
	i := h.fake.SendInteraction(userInstall(askInteraction("", "dm"+ben, ben, "hi"), ben))
	if a := h.answerOf(t, i); !strings.Contains(a.Content, "only open to certain") || a.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Errorf("a user outside the allow list: %+v", a)
	}
	finalInteractionText(t, h, h.fake.SendInteraction(userInstall(askInteraction("", "dm"+ann, ann, "one"), ann)), "echo: one")
	i = h.fake.SendInteraction(userInstall(askInteraction("", "dm"+ann, ann, "two"), ann))
	if a := h.answerOf(t, i); !strings.Contains(a.Content, "too quickly") || a.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Errorf("over the rate limit: %q", a.Content)
	}
}

// messageCommand uses a message command on target.
func messageCommand(name, guildID, channelID, userID string, target *discordgo.Message) *discordgo.Interaction {
	return &discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: guildID, ChannelID: channelID,
		Member: &discordgo.Member{User: &discordgo.User{ID: userID, Username: "u" + userID}},
		Data: discordgo.ApplicationCommandInteractionData{Name: name, CommandType: discordgo.MessageApplicationCommand, TargetID: target.ID,
			Resolved: &discordgo.ApplicationCommandInteractionDataResolved{Messages: map[string]*discordgo.Message{target.ID: target}}}}
}

func TestAskMessage_ReplyWhereMemberPrivateElsewhere(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0; c.API = llm.APIChat })
	const ann, ben, channel = "555000555001321", "555000555001322", "666000666001321"
	bens := h.fake.SendMessage(&discordgo.Message{GuildID: discordtest.DefaultGuildID, ChannelID: channel,
		Author: &discordgo.User{ID: ben, Username: "ben"}, Content: "is this legit?",
		Attachments: []*discordgo.MessageAttachment{h.fake.AddAttachment("shot.png", "image/png", pngBytes)}})
	// The bot is in this server: the answer replies to Ben's message.
	i := h.fake.SendInteraction(serverInstall(messageCommand("Ask discordgpt", discordtest.DefaultGuildID, channel, ann, bens)))
	if a := h.answerOf(t, i); !strings.Contains(a.Content, "Answering in the channel") || a.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Errorf("ack = %+v", a)
	}
	reply := waitReplyPrefix(t, h, bens, "echo: [A message from ben:]")
	if !strings.Contains(reply, "is this legit?") {
		t.Errorf("reply = %q", reply)
	}
	last := lastChat(t, h.ai).Messages
	images := 0
	for _, p := range last[len(last)-1].MultiContent {
		if p.ImageURL != nil {
			images++
		}
	}
	if images != 1 {
		t.Errorf("the message's image was not asked about (%d images)", images)
	}
	// A channel where the bot may not post: the answer comes privately.
	const closed = "666000666001323"
	h.fake.Refuse("POST", "/channels/"+closed+"/messages", 100, 403, 50013)
	carols := h.fake.SendMessage(&discordgo.Message{GuildID: discordtest.DefaultGuildID, ChannelID: closed,
		Author: &discordgo.User{ID: ben, Username: "ben"}, Content: "read-only here"})
	k := h.fake.SendInteraction(serverInstall(messageCommand("Ask discordgpt", discordtest.DefaultGuildID, closed, ann, carols)))
	if a := finalInteractionText(t, h, k, "echo: [A message from ben:]\nread-only here"); a.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Error("the fallback answer is not private")
	}
	// Installed only on Ann's account here: a private answer.
	j := h.fake.SendInteraction(userInstall(messageCommand("Ask discordgpt", "777000777001321", "666000666001322", ann,
		&discordgo.Message{ID: h.fake.NewID(), ChannelID: "666000666001322", Author: &discordgo.User{ID: ben, Username: "ben"}, Content: "hello there"}), ann))
	a := finalInteractionText(t, h, j, "echo: [A message from ben:]\nhello there")
	if a.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Error("an answer where the bot cannot post was not private")
	}
}

func TestSummarize_UpToHere(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0; c.API = llm.APIChat })
	const ann, ben, channel = "555000555001331", "555000555001332", "666000666001331"
	var msgs []*discordgo.Message
	for n, text := range []string{"too early", "let's meet at 5", "no, 6 is better", "ok 6 it is"} {
		who, name := ann, "ann"
		if n%2 == 1 {
			who, name = ben, "ben"
		}
		msgs = append(msgs, h.fake.SendMessage(&discordgo.Message{GuildID: discordtest.DefaultGuildID, ChannelID: channel,
			Author: &discordgo.User{ID: who, Username: name}, Content: text}))
	}
	i := h.fake.SendInteraction(serverInstall(messageCommand("Summarize up to here", discordtest.DefaultGuildID, channel, ann, msgs[1])))
	if !h.fake.WaitFor(15*time.Second, func() bool {
		m := h.fake.InteractionMessages(i.ID)
		return len(m) > 0 && strings.HasPrefix(m[0].Content, "echo: Summarize this Discord conversation (3 messages")
	}) {
		t.Fatalf("summary = %+v", h.fake.InteractionMessages(i.ID))
	}
	sent := requestText(lastChat(t, h.ai))
	if strings.Contains(sent, "too early") || !strings.Contains(sent, "ben: let's meet at 5\nann: no, 6 is better\nben: ok 6 it is") {
		t.Errorf("summarized: %s", sent)
	}
	// Without Read Message History, it says what it needs.
	h.fake.Refuse("GET", "/channels/"+channel+"/messages", 1, 403, 50001)
	j := h.fake.SendInteraction(serverInstall(messageCommand("Summarize up to here", discordtest.DefaultGuildID, channel, ann, msgs[1])))
	finalInteractionText(t, h, j, "📜 To summarize I need to read this channel's history: add me to the server with the Read Message History permission here.")
	// Where only a user installed it, it cannot read the channel.
	k := h.fake.SendInteraction(userInstall(messageCommand("Summarize up to here", "777000777001331", "666000666001332", ann, msgs[1]), ann))
	if a := h.answerOf(t, k); !strings.Contains(a.Content, "Read Message History") {
		t.Errorf("user install summary = %q", a.Content)
	}
	// Stored: the request, not the transcript.
	db := h.openStoreAfterStop(t)
	hist, _ := db.History(ann, 0)
	if len(hist) != 2 || hist[0].Content != "[Summarize up to here: 3 messages of a channel]" {
		t.Errorf("history = %+v", hist)
	}
}

// Commands are declared for server and user installs; the server-only
// ones (threads, personas) for servers.
func TestCommands_DeclaredForUserInstalls(t *testing.T) {
	h := startBot(t, nil)
	cmds := h.fake.Commands("global")
	found := map[string]*discordgo.ApplicationCommand{}
	for _, c := range cmds {
		found[c.Name] = c
	}
	for _, name := range []string{"ask", "help", "reset", "Ask discordgpt", "Summarize up to here"} {
		c := found[name]
		if c == nil || c.IntegrationTypes == nil || len(*c.IntegrationTypes) != 2 || c.Contexts == nil || len(*c.Contexts) != 3 {
			t.Errorf("%s: %+v", name, c)
		}
	}
	for _, name := range []string{"chat", "persona"} {
		c := found[name]
		if c == nil || c.IntegrationTypes == nil || len(*c.IntegrationTypes) != 1 || (*c.IntegrationTypes)[0] != discordgo.ApplicationIntegrationGuildInstall {
			t.Errorf("%s: %+v", name, c)
		}
	}
	if c := found["Ask discordgpt"]; c == nil || c.Type != discordgo.MessageApplicationCommand {
		t.Errorf("Ask discordgpt = %+v", c)
	}
}
