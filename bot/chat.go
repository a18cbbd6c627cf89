package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/store"
	openai "github.com/sashabaranov/go-openai"
)

// historyTurns is how many stored messages go back to the model with a
// new question.
const historyTurns = 40

// defaultSystemPrompt is the instruction every conversation starts with.
const defaultSystemPrompt = "You are a helpful assistant in a Discord chat. Answer clearly and concisely; use Markdown that Discord renders."

// addressed reports whether a message is for the bot: a DM, an explicit
// mention of the bot, or a reply to one of its messages. Bots, webhooks
// and the bot itself are never answered, and @everyone/@here alone is not
// a mention of the bot.
func (b *Bot) addressed(m *discordgo.Message) bool {
	if m.Author == nil || m.Author.Bot || m.WebhookID != "" || m.Author.ID == b.botUserID {
		return false
	}
	if m.GuildID == "" {
		return true
	}
	for _, u := range m.Mentions {
		if u != nil && u.ID == b.botUserID {
			return true
		}
	}
	ref := m.ReferencedMessage
	return ref != nil && ref.Author != nil && ref.Author.ID == b.botUserID
}

// stripMention removes the bot's mention from the text.
func (b *Bot) stripMention(text string) string {
	for _, m := range []string{"<@" + b.botUserID + ">", "<@!" + b.botUserID + ">"} {
		text = strings.ReplaceAll(text, m, "")
	}
	return strings.TrimSpace(text)
}

// onMessage answers a chat message addressed to the bot.
func (b *Bot) onMessage(ctx context.Context, m *discordgo.Message) {
	if !b.addressed(m) {
		return
	}
	log := b.log.With("user_id", m.Author.ID, "guild_id", m.GuildID)
	text := b.stripMention(m.Content)
	if text == "" {
		b.sendReply(m, "👋 Ask me something after the mention, and I'll answer.")
		return
	}
	_ = b.dg.ChannelTyping(m.ChannelID)
	answer, err := b.complete(ctx, m.Author.ID, text)
	if err != nil {
		log.Error("chat failed", "err", err)
		b.sendReply(m, UserMessage(err))
		return
	}
	sent := b.sendReply(m, answer)
	_, err = b.db.AppendMessages(m.Author.ID,
		store.Message{Role: store.RoleUser, Content: text, DiscordMessageID: m.ID, ChannelID: m.ChannelID},
		store.Message{Role: store.RoleAssistant, Content: answer, DiscordMessageID: sent, ChannelID: m.ChannelID, Model: b.cfg.DefaultModel},
	)
	if err != nil {
		log.Error("store exchange", "err", err)
	}
}

// complete asks the model, with the user's recent history.
func (b *Bot) complete(ctx context.Context, userID, text string) (string, error) {
	hist, err := b.db.History(userID, historyTurns)
	if err != nil {
		return "", err
	}
	msgs := []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleSystem, Content: b.systemPrompt(time.Now())}}
	for _, h := range hist {
		msgs = append(msgs, openai.ChatCompletionMessage{Role: h.Role, Content: h.Content})
	}
	msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: text})
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	resp, err := b.ai.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: b.cfg.DefaultModel, Messages: msgs})
	if err != nil {
		return "", fmt.Errorf("chat completion: %w", err)
	}
	if len(resp.Choices) == 0 || strings.TrimSpace(resp.Choices[0].Message.Content) == "" {
		return "", fmt.Errorf("chat completion: empty answer")
	}
	return resp.Choices[0].Message.Content, nil
}

// systemPrompt carries the current date and time in TIMEZONE.
func (b *Bot) systemPrompt(now time.Time) string {
	return defaultSystemPrompt + "\nCurrent date and time: " + now.In(b.cfg.Timezone).Format("Monday, 2 January 2006 15:04 MST") + "."
}

// sendReply posts text as a reply to m, in messages of at most 2000
// characters, and returns the ID of the first.
func (b *Bot) sendReply(m *discordgo.Message, text string) string {
	first := ""
	for n, part := range chunkRunes(text, 2000) {
		send := &discordgo.MessageSend{Content: part, AllowedMentions: &discordgo.MessageAllowedMentions{}}
		if n == 0 {
			send.Reference = m.Reference()
		}
		sent, err := b.dg.ChannelMessageSendComplex(m.ChannelID, send)
		if err != nil {
			b.log.Error("send reply", "user_id", m.Author.ID, "err", err)
			return first
		}
		if first == "" {
			first = sent.ID
		}
	}
	return first
}

// chunkRunes cuts s into pieces of at most n characters.
func chunkRunes(s string, n int) []string {
	var out []string
	r := []rune(s)
	for len(r) > n {
		out = append(out, string(r[:n]))
		r = r[n:]
	}
	return append(out, string(r))
}
