package bot_test

import (
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
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
