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
	sb.WriteString("**discordgpt**: mention me, reply to one of my messages, or DM me to chat. " +
		"Attach images and I'll look at them; attach text files and I'll read them.\n\n**Commands**\n")
	for _, c := range b.commands() {
		fmt.Fprintf(&sb, "`/%s`: %s\n", c.def.Name, c.def.Description)
	}
	sb.WriteString("\n**What I keep about you**, on the server that runs me, in one database file:\n")
	sb.WriteString("• your conversation with me (one per person, across channels and DMs), so I remember it after a restart;\n")
	fmt.Fprintf(&sb, "• the files you send me (at most %d; the oldest go first), %s;\n", b.cfg.MaxFilesPerUser, b.fileLifetime())
	sb.WriteString("• how many tokens you used, per model, and what they cost;\n")
	sb.WriteString("• your model choice.\n")
	sb.WriteString("\n**`/reset`** deletes your conversation, your usage statistics and every file you sent me, at once. " +
		"It keeps only three things: your model choice (a setting), a block on your account if the bot's owner set one, " +
		"and the spending counted against the owner's budgets (or a reset would lift them).\n")
	sb.WriteString("**`/files`** lists your files; you can download or delete each one. " +
		"**`/export`** sends you all of the above as one zip, to take with you.")
	if b.hasBudgets() {
		sb.WriteString("\n\nThe bot's owner set spending limits; `/user_stat` shows where you stand.")
	}
	return b.respondEphemeral(i, sb.String())
}

// fileLifetime says how long files live, for people.
func (b *Bot) fileLifetime() string {
	if b.cfg.FileExpiration <= 0 {
		return "kept until you delete them"
	}
	return fmt.Sprintf("deleted %d hours after you send them", int(b.cfg.FileExpiration.Hours()))
}
