package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/discordgpt/discordgpt/store"
)

// Asking through interactions: /ask, and the message commands "Ask
// discordgpt" and "Summarize up to here". They work where the bot is a
// member and, for a person who installed the app on their account, in DMs
// and in servers without the bot: there the answer is written into the
// interaction's response, streaming by edits.

// Names of the message commands (shown in the Apps menu of a message).
const (
	askMessageCommand       = "Ask discordgpt"
	summarizeMessageCommand = "Summarize up to here"
	// maxSummarized is how many messages a summary reads at most.
	maxSummarized = 100
)

// everywhere are the installs and places a command works in: a server
// install and a user install; servers, DMs with the bot, other DMs.
var (
	everywhereInstalls = []discordgo.ApplicationIntegrationType{discordgo.ApplicationIntegrationGuildInstall, discordgo.ApplicationIntegrationUserInstall}
	everywhereContexts = []discordgo.InteractionContextType{discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM, discordgo.InteractionContextPrivateChannel}
	serverInstalls     = []discordgo.ApplicationIntegrationType{discordgo.ApplicationIntegrationGuildInstall}
)

func askCommand() *discordgo.ApplicationCommand {
	return &discordgo.ApplicationCommand{Name: "ask", Description: "Ask me something, anywhere (also where I'm not a member, if you installed me)",
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "question", Description: "Your question", Required: true, MaxLength: 4000},
			{Type: discordgo.ApplicationCommandOptionAttachment, Name: "file", Description: "A file or image to ask about"},
		}}
}

func askMessageCommandDef() *discordgo.ApplicationCommand {
	return &discordgo.ApplicationCommand{Name: askMessageCommand, Type: discordgo.MessageApplicationCommand}
}

func summarizeCommandDef() *discordgo.ApplicationCommand {
	return &discordgo.ApplicationCommand{Name: summarizeMessageCommand, Type: discordgo.MessageApplicationCommand}
}

// botMember reports whether the bot itself is installed where the
// interaction happened (a server install in this server), so it may post
// in the channel and read its history.
func botMember(i *discordgo.Interaction) bool {
	if i.GuildID == "" {
		return false
	}
	if owners := i.AuthorizingIntegrationOwners; owners != nil {
		return owners[discordgo.ApplicationIntegrationGuildInstall] == i.GuildID
	}
	return true // an interaction from before installs were reported
}

// admit applies the asker's access rules, rate limit and budget; it
// returns what to tell a refused user, or "".
func (b *Bot) admit(i *discordgo.Interaction, userID string) string {
	var roles []string
	if i.Member != nil {
		roles = i.Member.Roles
	}
	now := b.cfg.now()
	if refusal := b.access(userID, b.accessChannel(i.ChannelID, nil), roles); refusal != "" {
		return refusal
	}
	if !b.cfg.IsAdmin(userID) && !b.users.allow(userID, now, b.cfg.RateCount, b.cfg.RateWindow) {
		return rateLimitText
	}
	if err := b.checkBudget(userID, now); err != nil {
		return UserMessage(err)
	}
	return ""
}

// interNotice replaces a deferred interaction's "thinking" with text.
func (b *Bot) interNotice(i *discordgo.Interaction, text string) {
	if _, err := b.dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &text, AllowedMentions: noMentions()}); err != nil {
		b.log.Warn("interaction notice", "err", err)
	}
}

// interFollowup adds a private note to an interaction.
func (b *Bot) interFollowup(i *discordgo.Interaction, text string) {
	if _, err := b.dg.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: text, AllowedMentions: noMentions(),
		Flags: discordgo.MessageFlagsEphemeral}); err != nil {
		b.log.Warn("interaction follow-up", "err", err)
	}
}

// deferInteraction acknowledges an interaction whose answer follows.
func (b *Bot) deferInteraction(i *discordgo.Interaction, ephemeral bool) error {
	data := &discordgo.InteractionResponseData{}
	if ephemeral {
		data.Flags = discordgo.MessageFlagsEphemeral
	}
	return b.dg.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource, Data: data})
}

// asker is the message an interaction's answer belongs to, for the chat
// path: who asks, where.
func asker(i *discordgo.Interaction, id string) *discordgo.Message {
	return &discordgo.Message{ID: id, ChannelID: i.ChannelID, GuildID: i.GuildID, Author: interactionUser(i), Member: i.Member}
}

// cmdAsk answers a question in the interaction's response.
func (b *Bot) cmdAsk(ctx context.Context, i *discordgo.Interaction) error {
	user := interactionUser(i)
	data := i.ApplicationCommandData()
	var question, fileID string
	for _, o := range data.Options {
		switch {
		case o.Name == "question" && o.Type == discordgo.ApplicationCommandOptionString:
			question = strings.TrimSpace(o.StringValue())
		case o.Name == "file" && o.Type == discordgo.ApplicationCommandOptionAttachment:
			fileID, _ = o.Value.(string)
		}
	}
	var atts []*discordgo.MessageAttachment
	if fileID != "" && data.Resolved != nil {
		if a := data.Resolved.Attachments[fileID]; a != nil {
			atts = append(atts, a)
		}
	}
	if question == "" && len(atts) == 0 {
		return b.respondEphemeral(i, emptyHintText)
	}
	if refusal := b.admit(i, user.ID); refusal != "" {
		return b.respondEphemeral(i, refusal)
	}
	if err := b.deferInteraction(i, false); err != nil {
		return err
	}
	return b.askIn(ctx, i, asker(i, ""), question, atts, target{inter: i})
}

// askIn saves a question's attachments as the asker's files and answers it.
func (b *Bot) askIn(ctx context.Context, i *discordgo.Interaction, m *discordgo.Message, question string, atts []*discordgo.MessageAttachment, at target) error {
	userID := m.Author.ID
	gen := b.users.gen(userID)
	valid := func() bool { return b.users.current(userID, gen) }
	withFiles := *m
	withFiles.Attachments = atts
	saved, notes := b.saveAttachments(ctx, &withFiles, valid)
	if len(notes) > 0 {
		b.interFollowup(i, strings.Join(notes, "\n"))
	}
	if question == "" && len(saved) == 0 {
		b.interNotice(i, emptyHintText)
		return nil
	}
	q := store.Message{Role: store.RoleUser, Content: question, ChannelID: m.ChannelID}
	for _, f := range saved {
		q.FileIDs = append(q.FileIDs, f.ID)
	}
	b.converse(ctx, m, q, valid, at)
	return nil
}

// targetMessage is the message a message command was used on.
func targetMessage(i *discordgo.Interaction) *discordgo.Message {
	data := i.ApplicationCommandData()
	if data.Resolved == nil || data.TargetID == "" {
		return nil
	}
	return data.Resolved.Messages[data.TargetID]
}

// cmdAskMessage makes a message (its text and attachments) the question.
// Where the bot is a member the answer is a reply to that message in the
// channel; elsewhere it is private, in the interaction.
func (b *Bot) cmdAskMessage(ctx context.Context, i *discordgo.Interaction) error {
	user := interactionUser(i)
	tm := targetMessage(i)
	if tm == nil {
		return b.respondEphemeral(i, "⚠️ I could not see that message.")
	}
	if refusal := b.admit(i, user.ID); refusal != "" {
		return b.respondEphemeral(i, refusal)
	}
	question := strings.TrimSpace(tm.Content)
	if tm.Author != nil && tm.Author.ID != user.ID && question != "" {
		name := tm.Author.GlobalName
		if name == "" {
			name = tm.Author.Username
		}
		question = fmt.Sprintf("[A message from %s:]\n%s", name, question)
	}
	if botMember(i) {
		if err := b.deferInteraction(i, true); err != nil {
			return err
		}
		b.interNotice(i, "💬 Answering in the channel.")
		return b.askIn(ctx, i, asker(i, tm.ID), question, tm.Attachments, target{fallback: i})
	}
	if err := b.deferInteraction(i, true); err != nil {
		return err
	}
	return b.askIn(ctx, i, asker(i, ""), question, tm.Attachments, target{inter: i, ephemeral: true})
}

// cmdSummarize summarises the channel from the chosen message to the
// newest (at most maxSummarized messages), privately. It needs the bot in
// the server with Read Message History there.
func (b *Bot) cmdSummarize(ctx context.Context, i *discordgo.Interaction) error {
	user := interactionUser(i)
	tm := targetMessage(i)
	if tm == nil {
		return b.respondEphemeral(i, "⚠️ I could not see that message.")
	}
	const needHistory = "📜 To summarize I need to read this channel's history: add me to the server with the Read Message History permission here."
	if !botMember(i) {
		return b.respondEphemeral(i, needHistory)
	}
	if refusal := b.admit(i, user.ID); refusal != "" {
		return b.respondEphemeral(i, refusal)
	}
	if err := b.deferInteraction(i, true); err != nil {
		return err
	}
	later, err := b.dg.ChannelMessages(i.ChannelID, maxSummarized-1, "", tm.ID, "")
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil && (re.Response.StatusCode == http.StatusForbidden || re.Response.StatusCode == http.StatusNotFound) {
		b.interNotice(i, needHistory)
		return nil
	}
	if err != nil {
		return err
	}
	msgs := append([]*discordgo.Message{tm}, later...)
	sort.Slice(msgs, func(a, c int) bool { return snowflakeLess(msgs[a].ID, msgs[c].ID) })
	if len(msgs) > maxSummarized {
		msgs = msgs[:maxSummarized]
	}
	var sb strings.Builder
	for _, m := range msgs {
		if m.Author == nil || strings.TrimSpace(m.Content) == "" {
			continue
		}
		name := m.Author.GlobalName
		if name == "" {
			name = m.Author.Username
		}
		fmt.Fprintf(&sb, "%s: %s\n", name, strings.TrimSpace(m.Content))
	}
	if sb.Len() == 0 {
		b.interNotice(i, "📜 There is no text to summarize from that message on.")
		return nil
	}
	question := fmt.Sprintf("Summarize this Discord conversation (%d messages, oldest first) in a few short bullet points:\n\n%s", len(msgs), sb.String())
	gen := b.users.gen(user.ID)
	valid := func() bool { return b.users.current(user.ID, gen) }
	q := store.Message{Role: store.RoleUser, Content: question, ChannelID: i.ChannelID}
	b.converse(ctx, asker(i, ""), q, valid, target{inter: i, ephemeral: true,
		storeAs: fmt.Sprintf("[Summarize up to here: %d messages of a channel]", len(msgs))})
	return nil
}

// snowflakeLess orders Discord IDs by time.
func snowflakeLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
