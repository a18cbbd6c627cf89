package bot

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot/llm"
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
	fmt.Fprintf(&sb, "**Model:** `%s`\n", b.currentModel(userID))
	fmt.Fprintf(&sb, "**Tokens:** %s in · %s out%s · **Requests:** %d\n", thousands(in), thousands(out), mark, reqs)
	fmt.Fprintf(&sb, "**Total cost:** %s%s\n", llm.FormatCost(cost), mark)
	fmt.Fprintf(&sb, "**Today:** %s%s · **This month:** %s%s\n", llm.FormatCost(spent.UserDay), ofBudget(b.cfg.UserDailyBudget),
		llm.FormatCost(spent.UserMonth), ofBudget(b.cfg.UserMonthlyBudget))
	if len(usage) > 0 {
		sb.WriteString("\n**Top models by cost**\n")
		for n, u := range usage {
			if n == 10 {
				break
			}
			price := llm.FormatCost(u.CostUSD)
			if _, ok := b.models().prices.Lookup(u.Model); !ok {
				price += " (price unknown)"
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
	data := &discordgo.InteractionResponseData{Embeds: []*discordgo.MessageEmbed{embed}, Flags: discordgo.MessageFlagsEphemeral}
	days := b.chartWindow(now)
	daily, err := b.db.UserDailySpend(userID, days[0], days[len(days)-1])
	if err != nil {
		b.log.Warn("read daily spending", "user_id", userID, "err", err)
	}
	if f := b.chartAttachment("Your spending per day, last 30 days", days, daily); f != nil {
		data.Files = []*discordgo.File{f}
		embed.Image = &discordgo.MessageEmbedImage{URL: "attachment://" + chartFile}
	}
	return b.dg.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: data})
}

// ofBudget is " of $X" when a budget is set.
func ofBudget(budget float64) string {
	if budget <= 0 {
		return ""
	}
	return " of " + llm.FormatCost(budget)
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

// cmdPrices shows the price of every offered model.
func (b *Bot) cmdPrices(_ context.Context, i *discordgo.Interaction) error {
	st := b.models()
	models := append([]string(nil), st.offered...)
	sort.Strings(models)
	var sb strings.Builder
	sb.WriteString("Dollars per million tokens: input / cached input / output.\n\n")
	unknown := "price unknown (counted as $0)"
	if p, ok := st.prices.Unknown(); ok {
		unknown = fmt.Sprintf("price unknown (counted at $%g / $%g / $%g)", p.Input, p.CachedInput, p.Output)
	}
	for n, m := range models {
		line := ""
		if p, ok := st.prices.Lookup(m); ok {
			line = fmt.Sprintf("%s: $%g / $%g / $%g", codeSpan(m), p.Input, p.CachedInput, p.Output)
		} else {
			line = fmt.Sprintf("%s: %s", codeSpan(m), unknown)
		}
		if d, ok := st.shutdown(m); ok {
			line += fmt.Sprintf(" · shuts down %s", d.Format("2006-01-02"))
		}
		if sb.Len()+len(line) > 3900 {
			fmt.Fprintf(&sb, "… and %d more", len(models)-n)
			break
		}
		sb.WriteString(line + "\n")
	}
	if b.imagesOn() {
		m := b.cfg.ImageModel
		var qs []string
		for _, q := range llm.ImageQualities {
			c, _ := st.prices.ImageCost(m, q, llm.ImageSizes[0])
			qs = append(qs, fmt.Sprintf("%s %s", q, llm.FormatCost(c)))
		}
		fmt.Fprintf(&sb, "\nImages (%s), per 1024x1024 image (larger sizes in proportion): %s; prices of %s.\n",
			codeSpan(m), strings.Join(qs, " · "), llm.ImagePricesTaken)
	}
	footer := llm.PricesSource + " as of " + llm.PricesTaken
	if st.prices.HasFile() {
		footer += ", with the owner's own prices added"
	}
	embed := &discordgo.MessageEmbed{Title: "💲 Prices", Description: sb.String(), Footer: &discordgo.MessageEmbedFooter{Text: footer}}
	return b.dg.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Embeds: []*discordgo.MessageEmbed{embed}, Flags: discordgo.MessageFlagsEphemeral}})
}
