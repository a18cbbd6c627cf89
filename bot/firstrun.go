package bot

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/store"
	"github.com/gorilla/websocket"
)

// SetupError is a problem only the owner can fix (a wrong token, an
// intent switched off): retrying does not help, so the bot exits with
// status 2, which the README's service unit does not restart.
type SetupError struct {
	// What says what is wrong and what to do, in one line.
	What string
	Err  error
}

func (e *SetupError) Error() string { return e.What }
func (e *SetupError) Unwrap() error { return e.Err }

// explainConnect turns a failed gateway connection into what the owner
// should do, when it is one of the first-run mistakes.
func explainConnect(err error) error {
	var ce *websocket.CloseError
	var re *discordgo.RESTError
	switch {
	case errors.As(err, &ce) && ce.Code == 4014:
		return &SetupError{What: "Discord refused the Message Content intent (gateway close 4014). Turn on MESSAGE CONTENT INTENT in the " +
			"Developer Portal (https://discord.com/developers/applications → your application → Bot → Privileged Gateway Intents), " +
			"save, and start the bot again.", Err: err}
	case errors.As(err, &ce) && ce.Code == 4004, errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized:
		return &SetupError{What: "Discord refused the bot token (401/4004): it is wrong, or was reset. In the Developer Portal → your application " +
			"→ Bot, press Reset Token and put the new one in DISCORD_TOKEN (without \"Bot \").", Err: err}
	case errors.As(err, &ce) && (ce.Code == 4013 || ce.Code == 4012):
		return &SetupError{What: fmt.Sprintf("Discord refused the connection (gateway close %d: %s); please report this as a bug.", ce.Code, ce.Text), Err: err}
	}
	return err
}

// Permissions the bot's features need in a server: view channels, send
// messages (and in threads), open public threads (/chat, AUTO_THREAD),
// embed links, attach files, read message history (Summarize up to here).
const invitePermissions = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionSendMessagesInThreads | discordgo.PermissionCreatePublicThreads | discordgo.PermissionEmbedLinks |
	discordgo.PermissionAttachFiles | discordgo.PermissionReadMessageHistory

// InviteURL is the link that adds the bot to a server with exactly the
// scopes and permissions it needs.
func InviteURL(appID string) string {
	return "https://discord.com/oauth2/authorize?" + url.Values{
		"client_id":   {appID},
		"scope":       {"bot applications.commands"},
		"permissions": {fmt.Sprint(int64(invitePermissions))},
	}.Encode()
}

// logReady says the bot is up: its name, its servers (a warning at none,
// with the invite link), and where its commands are registered.
func (b *Bot) logReady(r *discordgo.Ready) {
	name := ""
	if r.User != nil {
		name = r.User.Username
	}
	appID := ""
	if r.Application != nil {
		appID = r.Application.ID
	}
	servers := len(r.Guilds)
	log := b.log.With("bot", name, "servers", servers)
	if servers == 0 {
		log.Warn("ready, but in no server yet: invite the bot with the invite_url (or DM it)", "invite_url", InviteURL(appID))
	} else {
		log.Info("ready", "invite_url", InviteURL(appID))
	}
	if b.cfg.GuildID == "" {
		b.log.Info("slash commands are registered globally: Discord can take up to an hour to show them; set GUILD_ID for one server at once")
	}
}

// scopeName names where commands are registered.
func scopeName(guildID string) string {
	if guildID == "" {
		return "global"
	}
	return "guild " + guildID
}

// clearOldScope removes the commands of the scope registered last time,
// when the owner moved between global and GUILD_ID registration (or to
// another guild), so nothing is listed twice.
func (b *Bot) clearOldScope() error {
	old, err := b.db.CommandsScope()
	if err != nil || old == "" || old == scopeName(b.cfg.GuildID) {
		return err
	}
	guild := ""
	if g, ok := strings.CutPrefix(old, "guild "); ok {
		guild = g
	}
	if _, err := b.dg.ApplicationCommandBulkOverwrite(b.appID, guild, []*discordgo.ApplicationCommand{}); err != nil {
		return fmt.Errorf("remove the commands registered in %s: %w", old, err)
	}
	b.log.Info("removed the slash commands of the previous registration", "scope", old)
	return nil
}

// logMessage is the one info line per handled message: who, where, the
// outcome and, for an answer, tokens, cost and time. Never the text.
func (b *Bot) logMessage(m *discordgo.Message, outcome, reason string, u store.Usage, tools int, start time.Time) {
	args := []any{"user_id", m.Author.ID, "guild_id", m.GuildID, "channel_id", m.ChannelID, "outcome", outcome}
	if reason != "" {
		args = append(args, "reason", reason)
	}
	if u.Requests > 0 {
		args = append(args, "model", u.Model, "calls", u.Requests, "input_tokens", u.InputTokens, "output_tokens", u.OutputTokens,
			"cost_usd", fmt.Sprintf("%.6f", u.CostUSD))
	}
	if tools > 0 {
		args = append(args, "tool_calls", tools)
	}
	if !start.IsZero() {
		args = append(args, "duration_ms", time.Since(start).Milliseconds())
	}
	b.log.Info("message", args...)
}
