package bot

import (
	"context"
	"strings"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/store"
)

// continuePrefix starts the custom_id of an answer's Continue button,
// followed by the asking user's ID.
const continuePrefix = "cont:"

// continuePrompt is the question that asks the model for the rest of a
// cut answer.
const continuePrompt = "Continue your previous answer exactly where it stopped. Do not repeat what you already wrote."

// continueButton is the row with the Continue button under a cut answer.
func continueButton(userID string) []discordgo.MessageComponent {
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: "Continue", Style: discordgo.PrimaryButton, CustomID: continuePrefix + userID,
			Emoji: &discordgo.ComponentEmoji{Name: "▶️"}},
	}}}
}

// onContinue continues a cut answer for the user who asked: the button
// goes away and the rest comes as a reply to the cut answer.
func (b *Bot) onContinue(ctx context.Context, i *discordgo.Interaction) error {
	user := interactionUser(i)
	owner := strings.TrimPrefix(i.MessageComponentData().CustomID, continuePrefix)
	if !isSnowflake(owner) || i.Message == nil {
		return b.respondEphemeral(i, staleComponent)
	}
	if owner != user.ID {
		return b.respondEphemeral(i, "🔒 Only the person who asked can continue this answer.")
	}
	if !b.cfg.IsAdmin(user.ID) && !b.users.allow(user.ID, b.cfg.now(), b.cfg.RateCount, b.cfg.RateWindow) {
		return b.respondEphemeral(i, rateLimitText)
	}
	gen := b.users.gen(user.ID)
	valid := func() bool { return b.users.current(user.ID, gen) }
	// Acknowledge at once by taking the button away; the answer follows.
	if err := b.update(i, &discordgo.InteractionResponseData{Content: i.Message.Content, Components: []discordgo.MessageComponent{}}); err != nil {
		return err
	}
	cut := &discordgo.Message{ID: i.Message.ID, ChannelID: i.ChannelID, GuildID: i.GuildID, Author: user}
	q := store.Message{Role: store.RoleUser, Content: continuePrompt, ChannelID: i.ChannelID}
	// In one of the bot's threads the rest belongs to the thread's conversation.
	b.converse(ctx, cut, q, valid, target{thread: b.threadOf(cut)})
	return nil
}
