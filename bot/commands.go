package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// staleComponent answers a button or menu the bot no longer knows.
const staleComponent = "❓ This button or menu is no longer in use. Run the command again."

// command is one slash command: its definition for Discord and its handler.
type command struct {
	def    *discordgo.ApplicationCommand
	handle func(b *Bot, ctx context.Context, i *discordgo.Interaction) error
}

// commands returns the bot's slash commands, in the order /help lists them.
func (b *Bot) commands() []command {
	return []command{
		{def: &discordgo.ApplicationCommand{Name: "help", Description: "What this bot does, its commands, and what it keeps about you"},
			handle: (*Bot).cmdHelp},
		{def: &discordgo.ApplicationCommand{Name: "choose_model", Description: "Pick the AI model that answers you, from a menu"},
			handle: (*Bot).cmdChooseModel},
		{def: &discordgo.ApplicationCommand{Name: "set_model", Description: "Set the AI model that answers you, by name",
			Options: []*discordgo.ApplicationCommandOption{{Type: discordgo.ApplicationCommandOptionString, Name: "model",
				Description: "The model's name", Required: true, Autocomplete: true, MaxLength: 100}}},
			handle: (*Bot).cmdSetModel},
		{def: chatCommand(), handle: (*Bot).cmdChat},
		{def: personaCommand(), handle: (*Bot).cmdPersona},
		{def: &discordgo.ApplicationCommand{Name: "stop", Description: "Stop the answer I'm writing for you"},
			handle: (*Bot).cmdStop},
		{def: &discordgo.ApplicationCommand{Name: "files", Description: "List, download or delete the files you sent me"},
			handle: (*Bot).cmdFiles},
		{def: &discordgo.ApplicationCommand{Name: "reset", Description: "Delete your conversation, usage statistics and every file you sent me"},
			handle: (*Bot).cmdReset},
		{def: imagineCommand(), handle: (*Bot).cmdImagine},
		{def: &discordgo.ApplicationCommand{Name: "reminders", Description: "Your reminders, with a button to cancel each"},
			handle: (*Bot).cmdReminders},
		{def: &discordgo.ApplicationCommand{Name: "timezone", Description: "Show or set your time zone for reminders",
			Options: []*discordgo.ApplicationCommandOption{{Type: discordgo.ApplicationCommandOptionString, Name: "zone",
				Description: "A tz database name, like Europe/Berlin", MaxLength: 64}}},
			handle: (*Bot).cmdTimezone},
		{def: &discordgo.ApplicationCommand{Name: "user_stat", Description: "Your token usage and what it cost"},
			handle: (*Bot).cmdUserStat},
		{def: &discordgo.ApplicationCommand{Name: "prices", Description: "What each model costs"},
			handle: (*Bot).cmdPrices},
		{def: &discordgo.ApplicationCommand{Name: "export", Description: "Download everything I keep about you, as a zip"},
			handle: (*Bot).cmdExport},
		{def: adminCommand(), handle: (*Bot).cmdAdmin},
		{def: askCommand(), handle: (*Bot).cmdAsk},
		{def: askMessageCommandDef(), handle: (*Bot).cmdAskMessage},
		{def: summarizeCommandDef(), handle: (*Bot).cmdSummarize},
	}
}

func (b *Bot) command(name string) (command, bool) {
	for _, c := range b.commands() {
		if c.def.Name == name {
			return c, true
		}
	}
	return command{}, false
}

// commandDefs are the definitions sent to Discord. Every command is
// declared for server installs and user installs, in servers, DMs with the
// bot and other DMs, unless it says otherwise (the server-only ones).
func (b *Bot) commandDefs() []*discordgo.ApplicationCommand {
	var defs []*discordgo.ApplicationCommand
	for _, c := range b.commands() {
		def := *c.def
		if def.IntegrationTypes == nil {
			if def.Contexts != nil && len(*def.Contexts) == 1 && (*def.Contexts)[0] == discordgo.InteractionContextGuild {
				def.IntegrationTypes = &serverInstalls
			} else {
				def.IntegrationTypes = &everywhereInstalls
			}
		}
		if def.Contexts == nil {
			def.Contexts = &everywhereContexts
		}
		defs = append(defs, &def)
	}
	return defs
}

// commandsHash identifies a command set in one scope of one application.
func commandsHash(appID, guildID string, defs []*discordgo.ApplicationCommand) (string, error) {
	raw, err := json.Marshal(struct {
		App      string                          `json:"app"`
		Guild    string                          `json:"guild"`
		Commands []*discordgo.ApplicationCommand `json:"commands"`
	}{appID, guildID, defs})
	if err != nil {
		return "", fmt.Errorf("hash commands: %w", err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:]), nil
}

// registerCommands overwrites the command set in one call, and only when
// it differs from the set registered last time.
func (b *Bot) registerCommands() error {
	defs := b.commandDefs()
	h, err := commandsHash(b.appID, b.cfg.GuildID, defs)
	if err != nil {
		return err
	}
	if err := b.clearOldScope(); err != nil {
		return err
	}
	old, err := b.db.CommandsHash()
	if err != nil {
		return err
	}
	if old == h {
		if err := b.db.SetCommandsScope(scopeName(b.cfg.GuildID)); err != nil {
			return err
		}
		b.log.Info("slash commands unchanged; not registering", "count", len(defs))
		return nil
	}
	if _, err := b.dg.ApplicationCommandBulkOverwrite(b.appID, b.cfg.GuildID, defs); err != nil {
		return fmt.Errorf("register slash commands: %w", err)
	}
	if err := b.db.SetCommandsHash(h); err != nil {
		return err
	}
	if err := b.db.SetCommandsScope(scopeName(b.cfg.GuildID)); err != nil {
		return err
	}
	b.log.Info("registered slash commands", "count", len(defs), "guild_id", b.cfg.GuildID)
	return nil
}

// maxRegisterWait caps the wait between tries to register the commands.
const maxRegisterWait = 5 * time.Minute

// registerWithRetry registers the slash commands, retrying a failure with
// growing waits until it works or ctx ends.
func (b *Bot) registerWithRetry(ctx context.Context) {
	wait := b.cfg.RetryBackoff
	for {
		err := b.registerCommands()
		if err == nil {
			return
		}
		b.log.Error("could not register slash commands; chat still works, retrying", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, maxRegisterWait)
	}
}

// onInteraction routes an interaction to its handler; a handler's error
// becomes the one reply the user sees.
func (b *Bot) onInteraction(ctx context.Context, i *discordgo.Interaction) {
	user := interactionUser(i)
	if user == nil {
		return
	}
	var roles []string
	if i.Member != nil {
		roles = i.Member.Roles
	}
	// Everyone may see what the bot does, take their data and erase it,
	// banned or not, anywhere: nothing else is open to a refused user.
	dataRight := false
	if i.Type == discordgo.InteractionApplicationCommand {
		switch i.ApplicationCommandData().Name {
		case "help", "export", "reset":
			dataRight = true
		}
	}
	if refusal := b.access(user.ID, i.ChannelID, roles); refusal != "" && !dataRight {
		b.refuseInteraction(i, refusal)
		return
	}
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		data := i.ApplicationCommandData()
		log := b.log.With("user_id", user.ID, "guild_id", i.GuildID, "command", data.Name)
		c, ok := b.command(data.Name)
		if !ok {
			log.Warn("unknown command")
			b.replyError(i, errUnknownCommand)
			return
		}
		start := time.Now()
		if err := c.handle(b, ctx, i); err != nil {
			log.Error("command failed", "err", err, "duration_ms", time.Since(start).Milliseconds())
			b.replyError(i, err)
		} else {
			log.Info("command", "outcome", "done", "duration_ms", time.Since(start).Milliseconds())
		}
	case discordgo.InteractionApplicationCommandAutocomplete:
		var err error
		if name := i.ApplicationCommandData().Name; name == "set_model" || name == "chat" || name == "persona" {
			err = b.onModelAutocomplete(i)
		} else { // no other option autocompletes: an empty list, not a spinner
			err = b.dg.InteractionRespond(i, &discordgo.InteractionResponse{
				Type: discordgo.InteractionApplicationCommandAutocompleteResult,
				Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{}}})
		}
		if err != nil {
			b.log.Warn("autocomplete", "user_id", user.ID, "err", err)
		}
	case discordgo.InteractionModalSubmit:
		// The bot opens no forms; one submitted anyway is stale or forged.
		if err := b.respondEphemeral(i, staleComponent); err != nil {
			b.log.Warn("modal submit", "user_id", user.ID, "err", err)
		}
	default:
		// A type this bot does not know (Discord may add some): there is no
		// answer it could be sure Discord accepts, so it is left alone.
		b.log.Debug("interaction of an unknown type ignored", "user_id", user.ID, "type", int(i.Type))
	case discordgo.InteractionMessageComponent:
		data := i.MessageComponentData()
		log := b.log.With("user_id", user.ID, "guild_id", i.GuildID, "component", data.CustomID)
		var err error
		switch {
		case data.CustomID == customIDChooseModel:
			err = b.onChooseModel(ctx, i)
		case strings.HasPrefix(data.CustomID, "f:"):
			err = b.onFilesComponent(ctx, i)
		case strings.HasPrefix(data.CustomID, continuePrefix):
			err = b.onContinue(ctx, i)
		case strings.HasPrefix(data.CustomID, blacklistPrefix):
			err = b.onBlacklistPage(i)
		case strings.HasPrefix(data.CustomID, reminderPrefix):
			err = b.onReminderCancel(ctx, i)
		default:
			err = b.respondEphemeral(i, staleComponent)
		}
		if err != nil {
			log.Error("component failed", "err", err)
			b.replyError(i, err)
		}
	}
}

// refuseInteraction answers a refused user in the form the interaction
// allows: no suggestions for autocomplete, a private message otherwise.
func (b *Bot) refuseInteraction(i *discordgo.Interaction, text string) {
	var err error
	if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
		err = b.dg.InteractionRespond(i, &discordgo.InteractionResponse{
			Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{}}})
	} else {
		err = b.respondEphemeral(i, text)
	}
	if err != nil {
		b.log.Warn("refuse interaction", "err", err)
	}
}

// interactionUser is the user who acted, in a guild or a DM.
func interactionUser(i *discordgo.Interaction) *discordgo.User {
	if i.Member != nil && i.Member.User != nil {
		return i.Member.User
	}
	return i.User
}
