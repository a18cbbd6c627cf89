package bot

import (
	"errors"

	"github.com/bwmarrin/discordgo"
)

// respondEphemeral answers an interaction with a message only the user sees.
func (b *Bot) respondEphemeral(i *discordgo.Interaction, content string) error {
	return b.dg.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: content, Flags: discordgo.MessageFlagsEphemeral},
	})
}

// deferEphemeral acknowledges an interaction now and answers later,
// privately.
func (b *Bot) deferEphemeral(i *discordgo.Interaction) error {
	return b.dg.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
	})
}

// editOriginal replaces the interaction's first answer.
func (b *Bot) editOriginal(i *discordgo.Interaction, content string) error {
	_, err := b.dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &content})
	return err
}

// update replaces the message a component sits on.
func (b *Bot) update(i *discordgo.Interaction, data *discordgo.InteractionResponseData) error {
	return b.dg.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage, Data: data})
}

// replyError tells the user what went wrong: as the interaction's answer
// if none was sent yet, else by editing the deferred answer.
func (b *Bot) replyError(i *discordgo.Interaction, err error) {
	msg := UserMessage(err)
	if rerr := b.respondEphemeral(i, msg); rerr != nil {
		var re *discordgo.RESTError
		if errors.As(rerr, &re) && re.Message != nil && re.Message.Code == 40060 {
			if _, rerr = b.dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &msg}); rerr == nil {
				return
			}
		}
		b.log.Warn("could not send error reply", "err", rerr)
	}
}
