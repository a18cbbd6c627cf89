package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/discordgpt/discordgpt/store"
)

// Personas: a system prompt and a default model for a whole server or one
// channel, set by members who may manage it. The instructions the model
// gets are SYSTEM_PROMPT, then the server's persona, then the channel's. A
// user's own model choice wins over a persona's model unless the persona
// locks it.

// maxPersonaPrompt bounds a persona's prompt (it goes with every request).
const maxPersonaPrompt = 4000

func personaCommand() *discordgo.ApplicationCommand {
	scope := func(required bool) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "scope",
			Description: "This channel, or the whole server", Required: required,
			Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "channel", Value: "channel"}, {Name: "server", Value: "server"}}}
	}
	manage := int64(discordgo.PermissionManageChannels)
	return &discordgo.ApplicationCommand{Name: "persona", Description: "The bot's instructions and model for this channel or server",
		DefaultMemberPermissions: &manage,
		Contexts:                 &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild},
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "set", Description: "Set the persona (Manage Channels, or Manage Server for the server)",
				Options: []*discordgo.ApplicationCommandOption{scope(true),
					{Type: discordgo.ApplicationCommandOptionString, Name: "prompt", Description: "Instructions added to the system prompt", MaxLength: maxPersonaPrompt},
					{Type: discordgo.ApplicationCommandOptionString, Name: "model", Description: "The default model here", Autocomplete: true, MaxLength: 100},
					{Type: discordgo.ApplicationCommandOptionBoolean, Name: "lock_model", Description: "Use the model even for people who chose their own"},
				}},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "show", Description: "Show the personas in effect here"},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "clear", Description: "Remove a persona",
				Options: []*discordgo.ApplicationCommandOption{scope(true)}},
		}}
}

// personaTarget is the store scope and ID a command's scope option names:
// the server, or the channel (a thread's parent for a thread).
func (b *Bot) personaTarget(i *discordgo.Interaction, scope string) (string, string) {
	if scope == "server" {
		return store.PersonaServer, i.GuildID
	}
	ch := i.ChannelID
	if th := b.threadOf(&discordgo.Message{GuildID: i.GuildID, ChannelID: ch}); th != nil {
		ch = th.ParentID
	} else if parent := b.parentOf(ch); parent != "" {
		ch = parent
	}
	return store.PersonaChannel, ch
}

// mayManagePersona checks the permissions Discord computed for the member
// (never anything the member sent): Manage Channels for a channel, Manage
// Server for the server, or Administrator; the bot's admins always may.
func (b *Bot) mayManagePersona(i *discordgo.Interaction, scope string) bool {
	user := interactionUser(i)
	if b.cfg.IsAdmin(user.ID) {
		return true
	}
	if i.Member == nil {
		return false
	}
	p := i.Member.Permissions
	if p&discordgo.PermissionAdministrator != 0 {
		return true
	}
	if scope == "server" {
		return p&discordgo.PermissionManageGuild != 0
	}
	return p&discordgo.PermissionManageChannels != 0
}

func (b *Bot) cmdPersona(_ context.Context, i *discordgo.Interaction) error {
	if i.GuildID == "" {
		return b.respondEphemeral(i, "🎭 Personas belong to servers and channels; use `/persona` in a server.")
	}
	data := i.ApplicationCommandData()
	if len(data.Options) != 1 {
		return b.respondEphemeral(i, "🎭 Use `/persona set`, `/persona show` or `/persona clear`.")
	}
	sub := data.Options[0]
	var scope, prompt, model string
	lock, lockSet := false, false
	for _, o := range sub.Options {
		switch {
		case o.Name == "scope" && o.Type == discordgo.ApplicationCommandOptionString:
			scope = o.StringValue()
		case o.Name == "prompt" && o.Type == discordgo.ApplicationCommandOptionString:
			prompt = strings.TrimSpace(o.StringValue())
		case o.Name == "model" && o.Type == discordgo.ApplicationCommandOptionString:
			model = strings.TrimSpace(o.StringValue())
		case o.Name == "lock_model" && o.Type == discordgo.ApplicationCommandOptionBoolean:
			lock, lockSet = o.BoolValue(), true
		}
	}
	if sub.Name == "show" {
		return b.respondEphemeral(i, b.personaReport(i.GuildID, b.personaChannel(i)))
	}
	if scope != "channel" && scope != "server" {
		return b.respondEphemeral(i, "🎭 The scope is `channel` or `server`.")
	}
	if !b.mayManagePersona(i, scope) {
		need := "Manage Channels"
		if scope == "server" {
			need = "Manage Server"
		}
		return b.respondEphemeral(i, fmt.Sprintf("🔒 Changing the %s's persona needs the %s permission.", scope, need))
	}
	kind, id := b.personaTarget(i, scope)
	switch sub.Name {
	case "clear":
		had, err := b.db.ClearPersona(kind, id)
		if err != nil {
			return err
		}
		if !had {
			return b.respondEphemeral(i, fmt.Sprintf("🎭 This %s has no persona.", scope))
		}
		return b.respondEphemeral(i, fmt.Sprintf("🎭 The %s's persona is removed.", scope))
	case "set":
		if len([]rune(prompt)) > maxPersonaPrompt {
			return b.respondEphemeral(i, fmt.Sprintf("❌ A persona's prompt is at most %d characters.", maxPersonaPrompt))
		}
		if model != "" {
			found, ok := b.offeredModel(model)
			if !ok {
				return b.respondEphemeral(i, fmt.Sprintf("❌ `%s` is not one of the models offered here.", truncateRunes(model, 80)))
			}
			model = found
		}
		if prompt == "" && model == "" {
			return b.respondEphemeral(i, "❌ Give a `prompt`, a `model`, or both.")
		}
		if lockSet && lock && model == "" {
			return b.respondEphemeral(i, "❌ `lock_model` needs a `model`.")
		}
		if err := b.db.SetPersona(kind, id, store.Persona{Prompt: prompt, Model: model, LockModel: lock, Updated: b.cfg.now().UTC()}); err != nil {
			return err
		}
		return b.respondEphemeral(i, "🎭 Saved.\n"+b.personaReport(i.GuildID, b.personaChannel(i)))
	}
	return b.respondEphemeral(i, "🎭 Use `/persona set`, `/persona show` or `/persona clear`.")
}

// personaChannel is the channel whose persona applies to an interaction.
func (b *Bot) personaChannel(i *discordgo.Interaction) string {
	_, ch := b.personaTarget(i, "channel")
	return ch
}

// personas returns the server's and the channel's personas (either may be
// missing) for a place; none in DMs.
func (b *Bot) personas(guildID, channelID string) (server, channel *store.Persona) {
	if guildID == "" {
		return nil, nil
	}
	if p, ok, err := b.db.GetPersona(store.PersonaServer, guildID); err != nil {
		b.log.Warn("read persona", "guild_id", guildID, "err", err)
	} else if ok {
		server = &p
	}
	if channelID != "" {
		if p, ok, err := b.db.GetPersona(store.PersonaChannel, channelID); err != nil {
			b.log.Warn("read persona", "channel_id", channelID, "err", err)
		} else if ok {
			channel = &p
		}
	}
	return server, channel
}

// personaPrompt is what the personas where a question was asked add to
// the system prompt: the server's, then the channel's.
func personaPrompt(where convo) string {
	var out string
	for _, p := range []*store.Persona{where.serverPersona, where.channelPersona} {
		if p != nil && p.Prompt != "" {
			out += "\n\n" + p.Prompt
		}
	}
	return out
}

// personaModel applies the personas' model to the user's: the channel's
// over the server's; the user's own choice wins unless the model is locked.
func (b *Bot) personaModel(where convo, userID, model string) string {
	p := where.channelPersona
	if p == nil || p.Model == "" {
		p = where.serverPersona
	}
	if p == nil || p.Model == "" || !b.models().offers(p.Model) {
		return model
	}
	if !p.LockModel {
		if s, err := b.db.Settings(userID); err == nil && s.Model != "" {
			return model
		}
	}
	return p.Model
}

// personaReport describes the personas in effect, for /persona show and
// /help.
func (b *Bot) personaReport(guildID, channelID string) string {
	server, channel := b.personas(guildID, channelID)
	if server == nil && channel == nil {
		return "🎭 No persona here: the bot's own instructions apply."
	}
	var sb strings.Builder
	for _, x := range []struct {
		name string
		p    *store.Persona
	}{{"Server", server}, {"This channel", channel}} {
		if x.p == nil {
			continue
		}
		fmt.Fprintf(&sb, "**%s:** ", x.name)
		if x.p.Prompt != "" {
			fmt.Fprintf(&sb, "“%s”", truncateRunes(x.p.Prompt, 300))
		}
		if x.p.Model != "" {
			lock := ""
			if x.p.LockModel {
				lock = ", for everyone"
			}
			fmt.Fprintf(&sb, " · model `%s`%s", x.p.Model, lock)
		}
		sb.WriteString("\n")
	}
	return sb.String()
}
