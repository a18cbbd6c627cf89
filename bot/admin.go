package bot

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/store"
)

// adminPermission hides /admin from members who are not server
// administrators; the handler still checks ADMIN_IDS, since a command's
// visibility is no access control.
var adminPermission int64 = discordgo.PermissionAdministrator

// adminCommand is /admin and its subcommands.
func adminCommand() *discordgo.ApplicationCommand {
	user := func(desc string) []*discordgo.ApplicationCommandOption {
		return []*discordgo.ApplicationCommandOption{{Type: discordgo.ApplicationCommandOptionUser, Name: "user", Description: desc, Required: true}}
	}
	return &discordgo.ApplicationCommand{
		Name: "admin", Description: "Bot administration (only for the bot's admins)", DefaultMemberPermissions: &adminPermission,
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: "blacklist", Description: "Block or unblock users",
				Options: []*discordgo.ApplicationCommandOption{
					{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "add", Description: "Block a user", Options: user("Who to block")},
					{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "remove", Description: "Unblock a user", Options: user("Who to unblock")},
					{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "List blocked users"},
				}},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "usage", Description: "Top users by cost this month, and a CSV of all"},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "stop", Description: "Stop a user's running answer", Options: user("Whose answer")},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "backup", Description: "Write a snapshot of the database now"},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "mcp", Description: "The MCP servers: running or not, and their tools"},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "reset", Description: "Reset a user's data, as their /reset would", Options: user("Whose data")},
		},
	}
}

// cmdAdmin runs an /admin subcommand for an admin; anyone else is refused,
// whatever Discord showed them.
func (b *Bot) cmdAdmin(ctx context.Context, i *discordgo.Interaction) error {
	admin := interactionUser(i).ID
	if !b.cfg.IsAdmin(admin) {
		b.log.Warn("non-admin tried /admin", "user_id", admin)
		return b.respondEphemeral(i, "⛔ Only the bot's admins can use `/admin`.")
	}
	path, opts := subcommand(i.ApplicationCommandData().Options)
	target := ""
	for _, o := range opts {
		if o.Name == "user" {
			if s, ok := o.Value.(string); ok && isSnowflake(s) {
				target = s
			}
		}
	}
	needsUser := path == "blacklist add" || path == "blacklist remove" || path == "stop" || path == "reset"
	if needsUser && target == "" {
		return b.respondEphemeral(i, "❓ Name a user.")
	}
	log := b.log.With("user_id", admin, "command", "admin "+path)
	switch path {
	case "mcp":
		return b.respondEphemeral(i, truncateRunes(b.mcpReport(), MessageLimit-1))
	case "blacklist add":
		if b.cfg.IsAdmin(target) {
			return b.respondEphemeral(i, "❌ Admins can't be blacklisted.")
		}
		if err := b.db.Blacklist(target, admin, b.cfg.now()); err != nil {
			return err
		}
		b.users.stop(target)
		log.Info("blacklisted", "target_id", target)
		return b.respondEphemeral(i, fmt.Sprintf("🚫 <@%s> is blacklisted.", target))
	case "blacklist remove":
		was, err := b.db.Unblacklist(target)
		if err != nil {
			return err
		}
		log.Info("unblacklisted", "target_id", target)
		if !was {
			return b.respondEphemeral(i, fmt.Sprintf("<@%s> was not blacklisted.", target))
		}
		return b.respondEphemeral(i, fmt.Sprintf("✅ <@%s> is no longer blacklisted.", target))
	case "blacklist list":
		bans, err := b.db.Bans()
		if err != nil {
			return err
		}
		if len(bans) == 0 {
			return b.respondEphemeral(i, "Nobody is blacklisted.")
		}
		data, err := b.blacklistPage(0)
		if err != nil {
			return err
		}
		data.Flags = discordgo.MessageFlagsEphemeral
		return b.dg.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: data})
	case "usage":
		return b.adminUsage(i)
	case "stop":
		if b.users.stop(target) {
			log.Info("stopped an answer", "target_id", target)
			return b.respondEphemeral(i, fmt.Sprintf("⏹️ Stopped <@%s>'s running answer.", target))
		}
		return b.respondEphemeral(i, fmt.Sprintf("<@%s> has no answer running.", target))
	case "backup":
		if err := b.deferEphemeral(i); err != nil {
			return err
		}
		path, n, err := b.backup("manual")
		if err != nil {
			return err
		}
		log.Info("manual backup")
		return b.editOriginal(i, fmt.Sprintf("💾 Backup written: `%s` (%s).", path, humanSize(n)))
	case "reset":
		if err := b.deferEphemeral(i); err != nil {
			return err
		}
		res, err := b.resetUser(target)
		if err != nil {
			return err
		}
		log.Info("reset a user's data", "target_id", target)
		err = b.editOriginal(i, fmt.Sprintf("For <@%s>:\n%s", target, resetAnswer(res)))
		b.scrub(ctx)
		return err
	}
	return b.respondEphemeral(i, staleComponent)
}

// blacklistPerPage is how many bans one page of /admin blacklist list shows.
const blacklistPerPage = 20

// blacklistPrefix starts the custom_id of the blacklist's page buttons.
const blacklistPrefix = "bl:"

// blacklistPage is one page of the blacklist, with buttons to the others.
func (b *Bot) blacklistPage(page int) (*discordgo.InteractionResponseData, error) {
	bans, err := b.db.Bans()
	if err != nil {
		return nil, err
	}
	pages := max(1, (len(bans)+blacklistPerPage-1)/blacklistPerPage)
	page = min(max(page, 0), pages-1)
	var sb strings.Builder
	for _, ban := range bans[min(page*blacklistPerPage, len(bans)):min((page+1)*blacklistPerPage, len(bans))] {
		fmt.Fprintf(&sb, "<@%s> (`%s`), since <t:%d:d>\n", ban.UserID, ban.UserID, ban.At.Unix())
	}
	if len(bans) == 0 {
		sb.WriteString("Nobody is blacklisted.")
	}
	embed := &discordgo.MessageEmbed{Title: fmt.Sprintf("🚫 Blacklist (%d)", len(bans)), Description: sb.String(),
		Footer: &discordgo.MessageEmbedFooter{Text: fmt.Sprintf("Page %d of %d", page+1, pages)}}
	data := &discordgo.InteractionResponseData{Embeds: []*discordgo.MessageEmbed{embed}, Components: []discordgo.MessageComponent{}}
	if pages > 1 {
		data.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "◀ Previous", Style: discordgo.SecondaryButton, CustomID: fmt.Sprintf("%sprev:%d", blacklistPrefix, page-1), Disabled: page == 0},
			discordgo.Button{Label: "Next ▶", Style: discordgo.SecondaryButton, CustomID: fmt.Sprintf("%snext:%d", blacklistPrefix, page+1), Disabled: page == pages-1},
		}}}
	}
	return data, nil
}

// onBlacklistPage turns a page of the blacklist, for admins only.
func (b *Bot) onBlacklistPage(i *discordgo.Interaction) error {
	if !b.cfg.IsAdmin(interactionUser(i).ID) {
		return b.respondEphemeral(i, "🔒 This is for the bot's admins.")
	}
	_, num, _ := strings.Cut(strings.TrimPrefix(i.MessageComponentData().CustomID, blacklistPrefix), ":")
	page, err := strconv.Atoi(num)
	if err != nil || page < 0 || page > 1_000_000 {
		return b.respondEphemeral(i, staleComponent)
	}
	data, err := b.blacklistPage(page)
	if err != nil {
		return err
	}
	return b.update(i, data)
}

// subcommand flattens "group sub" and returns the innermost options.
func subcommand(opts []*discordgo.ApplicationCommandInteractionDataOption) (string, []*discordgo.ApplicationCommandInteractionDataOption) {
	var path []string
	for len(opts) == 1 && (opts[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup || opts[0].Type == discordgo.ApplicationCommandOptionSubCommand) {
		path = append(path, opts[0].Name)
		opts = opts[0].Options
	}
	return strings.Join(path, " "), opts
}

// adminUsage lists the top users by cost this month and attaches a CSV of
// every user.
func (b *Bot) adminUsage(i *discordgo.Interaction) error {
	if err := b.deferEphemeral(i); err != nil {
		return err
	}
	now := b.cfg.now()
	month := b.ledgerMonth(now)
	spend, err := b.db.MonthSpending(month)
	if err != nil {
		return err
	}
	monthOf := map[string]float64{}
	var sb strings.Builder
	fmt.Fprintf(&sb, "**Top users by cost in %s**\n", month)
	for n, s := range spend {
		monthOf[s.UserID] = s.USD
		if n < 10 {
			fmt.Fprintf(&sb, "%d. <@%s>: %s\n", n+1, s.UserID, llm.FormatCost(s.USD))
		}
	}
	if len(spend) == 0 {
		sb.WriteString("Nobody has spent anything this month.\n")
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"user_id", "month_cost_usd", "total_cost_usd", "requests", "input_tokens", "output_tokens", "estimated"})
	seen := map[string]bool{}
	err = b.db.AllUsage(func(userID string, usage []store.Usage) {
		seen[userID] = true
		var u store.Usage
		for _, x := range usage {
			u.CostUSD, u.Requests, u.InputTokens, u.OutputTokens = u.CostUSD+x.CostUSD, u.Requests+x.Requests, u.InputTokens+x.InputTokens, u.OutputTokens+x.OutputTokens
			u.Estimated = u.Estimated || x.Estimated
		}
		_ = w.Write([]string{userID, fmt.Sprintf("%.6f", monthOf[userID]), fmt.Sprintf("%.6f", u.CostUSD), fmt.Sprint(u.Requests),
			fmt.Sprint(u.InputTokens), fmt.Sprint(u.OutputTokens), fmt.Sprint(u.Estimated)})
	})
	if err != nil {
		return err
	}
	for _, s := range spend { // spent this month, statistics since reset
		if !seen[s.UserID] {
			_ = w.Write([]string{s.UserID, fmt.Sprintf("%.6f", s.USD), "0", "0", "0", "0", "false"})
		}
	}
	w.Flush()
	content := sb.String()
	attach := []*discordgo.File{{Name: "usage-" + month + ".csv", ContentType: "text/csv", Reader: &buf}}
	days := b.chartWindow(now)
	daily, err := b.db.DailySpend(days[0], days[len(days)-1])
	if err != nil {
		return err
	}
	if f := b.chartAttachment("Everyone's spending per day, last 30 days", days, daily); f != nil {
		attach = append(attach, f)
	}
	_, err = b.dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &content, AllowedMentions: noMentions(), Files: attach})
	return err
}

// mcpReport says, per MCP server, whether it runs and its tools.
func (b *Bot) mcpReport() string {
	if b.mcp == nil {
		return "🧩 No MCP servers are configured (`MCP_CONFIG`)."
	}
	var sb strings.Builder
	for _, st := range b.mcp.Status() {
		if st.Up {
			fmt.Fprintf(&sb, "🟢 `%s` (%s): %d tools: %s\n", st.Name, st.Transport, len(st.Tools), strings.Join(st.Tools, ", "))
		} else {
			fmt.Fprintf(&sb, "🔴 `%s` (%s): not running: %s\n", st.Name, st.Transport, truncateRunes(st.Err, 200))
		}
	}
	return sb.String()
}
