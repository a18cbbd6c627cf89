package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// cmdHelp lists every command, built from the registered definitions so it
// cannot drift from them, and says what the bot keeps.
func (b *Bot) cmdHelp(_ context.Context, i *discordgo.Interaction) error {
	var sb strings.Builder
	sb.WriteString("**discordgpt**: mention me, reply to one of my messages, or DM me to chat.\n\n**Commands**\n")
	for _, c := range b.commands() {
		fmt.Fprintf(&sb, "`/%s`: %s\n", c.def.Name, c.def.Description)
	}
	sb.WriteString("\n**What I keep**\nYour conversation with me (one per person, across channels and DMs), " +
		"so I remember it after a restart. It stays on the server that runs me, in one database file.")
	return b.respondEphemeral(i, sb.String())
}
