package bot

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// cmdUserStat shows the user's usage: model, totals, today's and this
// month's spending against the budgets, and the top models by cost.
func (b *Bot) cmdUserStat(_ context.Context, i *discordgo.Interaction) error {
	userID := interactionUser(i).ID
	usage, err := b.db.UserUsage(userID)
	if err != nil {
		return err
	}
	now := b.cfg.now()
	spent, err := b.spending(userID, now)
	if err != nil {
		return err
	}
	var in, out, reqs int64
	var cost float64
	estimated := false
	for _, u := range usage {
		in, out, reqs, cost = in+u.InputTokens, out+u.OutputTokens, reqs+u.Requests, cost+u.CostUSD
		estimated = estimated || u.Estimated
	}
	mark := ""
	if estimated {
		mark = "*"
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "**Model:** `%s`\n", b.userModel(userID))
	fmt.Fprintf(&sb, "**Tokens:** %s in · %s out%s · **Requests:** %d\n", thousands(in), thousands(out), mark, reqs)
	fmt.Fprintf(&sb, "**Total cost:** %s%s\n", FormatCost(cost), mark)
	fmt.Fprintf(&sb, "**Today:** %s%s · **This month:** %s%s\n", FormatCost(spent.UserDay), ofBudget(b.cfg.UserDailyBudget),
		FormatCost(spent.UserMonth), ofBudget(b.cfg.UserMonthlyBudget))
	if len(usage) > 0 {
		sb.WriteString("\n**Top models by cost**\n")
		for n, u := range usage {
			if n == 10 {
				break
			}
			price := FormatCost(u.CostUSD)
			if _, ok := b.prices.lookup(u.Model); !ok {
				price = "price unknown"
			}
			est := ""
			if u.Estimated {
				est = "*"
			}
			fmt.Fprintf(&sb, "%s · %d requests · %s in / %s out%s · %s\n", codeSpan(truncateRunes(u.Model, 60)), u.Requests,
				thousands(u.InputTokens), thousands(u.OutputTokens), est, price)
		}
	}
	if estimated {
		sb.WriteString("\n\\* partly estimated: the provider did not report every call's tokens, so I counted them.")
	}
	embed := &discordgo.MessageEmbed{Title: "📊 Your usage", Description: sb.String()}
	return b.dg.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Embeds: []*discordgo.MessageEmbed{embed}, Flags: discordgo.MessageFlagsEphemeral}})
}

// ofBudget is " of $X" when a budget is set.
func ofBudget(budget float64) string {
	if budget <= 0 {
		return ""
	}
	return " of " + FormatCost(budget)
}

// thousands prints n with thousands separators.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// cmdPrices shows the price of every model in MODELS.
func (b *Bot) cmdPrices(_ context.Context, i *discordgo.Interaction) error {
	models := append([]string(nil), b.cfg.Models...)
	sort.Strings(models)
	var sb strings.Builder
	sb.WriteString("Dollars per million tokens: input / cached input / output.\n\n")
	for _, m := range models {
		if p, ok := b.prices.lookup(m); ok {
			fmt.Fprintf(&sb, "%s: $%g / $%g / $%g\n", codeSpan(m), p.Input, p.CachedInput, p.Output)
		} else {
			fmt.Fprintf(&sb, "%s: price unknown (counted as $0)\n", codeSpan(m))
		}
	}
	footer := "OpenAI list prices as of " + PricesTaken
	if b.cfg.PricingFile != "" {
		footer += ", with the owner's own prices added"
	}
	embed := &discordgo.MessageEmbed{Title: "💲 Prices", Description: sb.String(), Footer: &discordgo.MessageEmbedFooter{Text: footer}}
	return b.dg.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Embeds: []*discordgo.MessageEmbed{embed}, Flags: discordgo.MessageFlagsEphemeral}})
}
