package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// cmdHelp lists every command, built from the registered definitions so it
// cannot drift from them, and says what the bot keeps.
func (b *Bot) cmdHelp(_ context.Context, i *discordgo.Interaction) error {
	var sb strings.Builder
	sb.WriteString("**discordgpt**: mention me, reply to one of my messages, or DM me to chat; `/chat` opens a thread where I answer without being mentioned. " +
		"Attach images and I'll look at them; attach text files, CSVs, PDFs, Word documents and Excel sheets and I'll read them.\n")
	if ts := b.tools(); len(ts) > 0 {
		var can []string
		if ts["read_file"] != nil {
			can = append(can, "go back to any file you sent me and read it (ask about it turns later)")
		}
		if ts["run_python"] != nil {
			can = append(can, "run Python on your files in a sandbox (charts and files I make come back to you)")
		}
		if ts["web_search"] != nil {
			can = append(can, "search the web")
		}
		if ts["fetch_url"] != nil {
			can = append(can, "read web pages (public addresses only)")
		}
		if ts["set_reminder"] != nil {
			can = append(can, "set reminders (\"remind me tomorrow at 9 to call Sam\"), sent "+b.reminderWhere())
		}
		if ts["generate_image"] != nil {
			can = append(can, "draw or edit images, which cost money and count against budgets")
		}
		if len(can) > 0 {
			sb.WriteString("I can also " + strings.Join(can, "; ") + ".\n")
		}
	}
	if i.GuildID != "" {
		ch := b.personaChannel(i)
		if server, channel := b.personas(i.GuildID, ch); server != nil || channel != nil {
			sb.WriteString("\n**Personas here**\n" + b.personaReport(i.GuildID, ch))
		}
	}
	sb.WriteString("\n**Commands**\n")
	for _, c := range b.commands() {
		if c.def.Type == discordgo.MessageApplicationCommand {
			continue
		}
		fmt.Fprintf(&sb, "`/%s`: %s\n", c.def.Name, c.def.Description)
	}
	fmt.Fprintf(&sb, "On any message, in its **Apps** menu: **%s** (the message becomes your question) and **%s** (a private summary of the channel from there on).\n",
		askMessageCommand, summarizeMessageCommand)
	var keep strings.Builder
	keep.WriteString("On the server that runs me, in one database file:\n")
	if b.cfg.ConversationScope == "place" {
		keep.WriteString("• your conversation with me: one in DMs and one per server, kept apart, so I remember them after a restart;\n")
	} else {
		keep.WriteString("• your conversation with me (one per person, across channels and DMs), so I remember it after a restart;\n")
	}
	keep.WriteString("• the threads opened with `/chat`, each its own conversation, with who said what;\n")
	fmt.Fprintf(&keep, "• the files you send me (at most %d; the oldest go first), %s;\n", b.cfg.MaxFilesPerUser, b.fileLifetime())
	keep.WriteString("• how many tokens you used, per model, and what they cost;\n")
	keep.WriteString("• your reminders, until they are sent or cancelled;\n")
	keep.WriteString("• what the tools I used found (parts of your files, cut short), as part of our conversation;\n")
	keep.WriteString("• your model choice and time zone.\n")
	if b.cfg.HistoryRetention > 0 {
		fmt.Fprintf(&keep, "Messages older than %d days are deleted.\n", int(b.cfg.HistoryRetention.Hours()/24))
	}
	keep.WriteString("\n**`/reset`** deletes your conversation, the threads you opened and what you said in others', your usage statistics, every file you sent me (and images I made for you) " +
		"and your reminders, at once, wiped from the database file itself. It keeps only three things: your settings (model and time zone), a block on your " +
		"account if the bot's owner set one, and the spending counted against the owner's budgets (or a reset would lift them).\n")
	keep.WriteString("\n**Backups.** " + b.backupPolicy() + " After a `/reset`, the snapshots I keep are rewritten without you. " +
		"Copies the owner made elsewhere by hand are out of my reach.\n")
	keep.WriteString("\n**`/files`** lists your files; you can download or delete each one. " +
		"**`/export`** sends you all of the above as a zip, to take with you. " +
		"`/help`, `/export` and `/reset` work for everyone, whatever else the owner restricted.")
	if b.hasBudgets() {
		keep.WriteString("\n\nThe bot's owner set spending limits; `/user_stat` shows where you stand.")
	}
	embed := &discordgo.MessageEmbed{Title: "What I keep about you", Description: keep.String()}
	return b.dg.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: sb.String(), Embeds: []*discordgo.MessageEmbed{embed}, Flags: discordgo.MessageFlagsEphemeral}})
}

// backupPolicy says how long the bot's own snapshots keep data.
func (b *Bot) backupPolicy() string {
	if b.cfg.BackupInterval <= 0 {
		return "The owner turned automatic snapshots of the database off."
	}
	return fmt.Sprintf("The database is snapshotted every %s and the last %d snapshots are kept, so a snapshot lives about %s.",
		humanDuration(b.cfg.BackupInterval), b.cfg.BackupKeep, humanDuration(b.cfg.BackupInterval*time.Duration(b.cfg.BackupKeep)))
}

// humanDuration prints a duration in whole days or hours.
func humanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return d.String()
}

// fileLifetime says how long files live, for people.
func (b *Bot) fileLifetime() string {
	if b.cfg.FileExpiration <= 0 {
		return "kept until you delete them"
	}
	return fmt.Sprintf("deleted %d hours after you send them", int(b.cfg.FileExpiration.Hours()))
}

// reminderWhere says where reminders are delivered.
func (b *Bot) reminderWhere() string {
	if b.cfg.ReminderDelivery == "dm" {
		return "to you by DM"
	}
	return "where you asked, pinging only you"
}
