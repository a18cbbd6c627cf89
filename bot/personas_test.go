package bot_test

import (
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/discordtest"
	"github.com/discordgpt/discordgpt/bot/llm"
)

// persona sends /persona <sub> in a channel as a member with perms.
func (h *harness) persona(userID string, perms int64, channelID, sub string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.Interaction {
	return h.fake.SendInteraction(&discordgo.Interaction{
		Type: discordgo.InteractionApplicationCommand, GuildID: discordtest.DefaultGuildID, ChannelID: channelID,
		Member: &discordgo.Member{User: &discordgo.User{ID: userID}, Permissions: perms, Roles: []string{"1234567890"}},
		Data: discordgo.ApplicationCommandInteractionData{Name: "persona", Options: []*discordgo.ApplicationCommandInteractionDataOption{
			{Name: sub, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts}}},
	})
}

func strOpt(name, v string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: v}
}

func TestPersona_ServerThenChannelWithPermissions(t *testing.T) {
	h := startBot(t, func(c *bot.Config) {
		c.RateCount = 0
		c.API = llm.APIChat
		c.Models = []string{"gpt-4o-mini", "gpt-4o"}
	})
	const owner, mod, member, chanA, chanB = "555000555001201", "555000555001202", "555000555001203", "666000666001201", "666000666001202"
	// Without the permission Discord computed, nothing changes, whatever
	// the member's roles.
	for _, c := range []struct {
		perms int64
		scope string
	}{{0, "server"}, {discordgo.PermissionManageChannels, "server"}, {0, "channel"}} {
		a := h.answerOf(t, h.persona(member, c.perms, chanA, "set", strOpt("scope", c.scope), strOpt("prompt", "Talk like a pirate.")))
		if !strings.HasPrefix(a.Content, "🔒") {
			t.Errorf("perms %d, scope %s: %q", c.perms, c.scope, a.Content)
		}
	}
	if a := h.answerOf(t, h.persona(owner, discordgo.PermissionManageGuild, chanA, "set", strOpt("scope", "server"),
		strOpt("prompt", "Talk like a pirate."), strOpt("model", "gpt-4o"))); !strings.HasPrefix(a.Content, "🎭 Saved.") {
		t.Fatalf("server persona: %q", a.Content)
	}
	if a := h.answerOf(t, h.persona(mod, discordgo.PermissionManageChannels, chanA, "set", strOpt("scope", "channel"),
		strOpt("prompt", "Answer in French."))); !strings.Contains(a.Content, "Answer in French") || !strings.Contains(a.Content, "pirate") {
		t.Fatalf("channel persona: %q", a.Content)
	}
	// A bad model is refused.
	if a := h.answerOf(t, h.persona(mod, discordgo.PermissionManageChannels, chanA, "set", strOpt("scope", "channel"),
		strOpt("model", "gpt-nonsense"))); !strings.HasPrefix(a.Content, "❌") {
		t.Errorf("bad model: %q", a.Content)
	}

	// In channel A: the bot's prompt, then the server's, then the channel's;
	// the server's model, as the member chose none.
	waitFinalReply(t, h, mention(h.fake, member, chanA, "hello"), "echo: hello")
	req := lastChat(t, h.ai)
	sys := req.Messages[0].Content
	if p, f := strings.Index(sys, "Talk like a pirate."), strings.Index(sys, "Answer in French."); p < 0 || f < p || !strings.HasPrefix(sys, bot.DefaultSystemPrompt) {
		t.Errorf("system prompt in channel A: %q", sys)
	}
	if req.Model != "gpt-4o" {
		t.Errorf("model in channel A = %s, want the server persona's", req.Model)
	}
	// Channel B: the server's persona only. A DM: none.
	waitFinalReply(t, h, mention(h.fake, member, chanB, "hi"), "echo: hi")
	if sys := lastChat(t, h.ai).Messages[0].Content; !strings.Contains(sys, "pirate") || strings.Contains(sys, "French") {
		t.Errorf("system prompt in channel B: %q", sys)
	}
	waitReply(t, h.fake, h.dm(member, "private"), "echo: private")
	if r := lastChat(t, h.ai); strings.Contains(r.Messages[0].Content, "pirate") || r.Model != "gpt-4o-mini" {
		t.Errorf("a DM got a persona: %q, %s", r.Messages[0].Content, r.Model)
	}
	// A member's own model choice wins over an unlocked persona ...
	h.answerOf(t, h.command(member, "set_model", strOpt("model", "gpt-4o-mini")))
	waitFinalReply(t, h, mention(h.fake, member, chanA, "mine"), "echo: mine")
	if m := lastChat(t, h.ai).Model; m != "gpt-4o-mini" {
		t.Errorf("the member's choice lost to the persona: %s", m)
	}
	// ... but not over a locked one.
	h.answerOf(t, h.persona(owner, discordgo.PermissionAdministrator, chanA, "set", strOpt("scope", "server"),
		strOpt("prompt", "Talk like a pirate."), strOpt("model", "gpt-4o"),
		&discordgo.ApplicationCommandInteractionDataOption{Name: "lock_model", Type: discordgo.ApplicationCommandOptionBoolean, Value: true}))
	waitFinalReply(t, h, mention(h.fake, member, chanA, "locked"), "echo: locked")
	if m := lastChat(t, h.ai).Model; m != "gpt-4o" {
		t.Errorf("a locked persona's model lost: %s", m)
	}
	// /persona show and /help name them; clear removes one.
	if a := h.answerOf(t, h.persona(member, 0, chanA, "show")); !strings.Contains(a.Content, "for everyone") || !strings.Contains(a.Content, "French") {
		t.Errorf("show = %q", a.Content)
	}
	help := h.answerOf(t, h.fake.SendInteraction(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand,
		GuildID: discordtest.DefaultGuildID, ChannelID: chanA, Member: &discordgo.Member{User: &discordgo.User{ID: member}},
		Data: discordgo.ApplicationCommandInteractionData{Name: "help"}}))
	helpText := help.Content
	for _, e := range help.Embeds {
		helpText += e.Description
	}
	if !strings.Contains(helpText, "Personas here") || !strings.Contains(helpText, "pirate") {
		t.Errorf("/help does not show the personas: %q", helpText)
	}
	if a := h.answerOf(t, h.persona(mod, discordgo.PermissionManageChannels, chanA, "clear", strOpt("scope", "channel"))); !strings.Contains(a.Content, "removed") {
		t.Errorf("clear = %q", a.Content)
	}
	waitFinalReply(t, h, mention(h.fake, member, chanA, "after"), "echo: after")
	if sys := lastChat(t, h.ai).Messages[0].Content; strings.Contains(sys, "French") {
		t.Errorf("a cleared persona still applies: %q", sys)
	}
	// Personas hold no one's ID.
	db := h.openStoreAfterStop(t)
	for _, u := range []string{owner, mod} {
		for _, where := range holders(t, db, u) {
			if strings.HasPrefix(where, "personas/") {
				t.Errorf("a persona holds %s", u)
			}
		}
	}
}
