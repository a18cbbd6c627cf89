package bot

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// customIDChooseModel is the select menu of /choose_model.
const customIDChooseModel = "model:choose"

// cmdChooseModel shows a select menu of MODELS.
func (b *Bot) cmdChooseModel(_ context.Context, i *discordgo.Interaction) error {
	user := interactionUser(i)
	current := b.currentModel(user.ID)
	menu := discordgo.SelectMenu{CustomID: customIDChooseModel, Placeholder: "Pick a model"}
	offered := b.offered()
	more := ""
	if len(offered) > 25 { // Discord's limit; /set_model reaches the rest
		more = fmt.Sprintf(" (%d more: type one in `/set_model`)", len(offered)-25)
		offered = offered[:25]
	}
	for _, m := range offered {
		if len(m) > 100 {
			continue // too long for a menu option; /set_model takes it
		}
		menu.Options = append(menu.Options, discordgo.SelectMenuOption{Label: m, Value: m, Default: m == current})
	}
	return b.dg.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{
			Content:    fmt.Sprintf("Your model is `%s`. Pick another%s:", current, more),
			Flags:      discordgo.MessageFlagsEphemeral,
			Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{menu}}},
		},
	})
}

// onChooseModel stores the model picked in the menu. A value that is not
// in MODELS (a forged interaction) changes nothing.
func (b *Bot) onChooseModel(_ context.Context, i *discordgo.Interaction) error {
	data := i.MessageComponentData()
	user := interactionUser(i)
	msg := ""
	if len(data.Values) != 1 || !contains(b.offered(), data.Values[0]) {
		msg = "❌ That model is not offered here. Run `/choose_model` again."
	} else if err := b.db.SetModel(user.ID, data.Values[0]); err != nil {
		return err
	} else {
		msg = fmt.Sprintf("✅ Your model is now `%s`.", data.Values[0])
	}
	empty := []discordgo.MessageComponent{}
	return b.dg.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseUpdateMessage,
		Data: &discordgo.InteractionResponseData{Content: msg, Components: empty},
	})
}

// offeredModel finds a model offered here by name, in any case, and
// returns its exact name.
func (b *Bot) offeredModel(name string) (string, bool) {
	for _, m := range b.offered() {
		if strings.EqualFold(m, name) {
			return m, true
		}
	}
	return "", false
}

// cmdSetModel sets the model named in the option, or suggests the nearest.
func (b *Bot) cmdSetModel(_ context.Context, i *discordgo.Interaction) error {
	user := interactionUser(i)
	want := ""
	for _, o := range i.ApplicationCommandData().Options {
		if o.Name == "model" && o.Type == discordgo.ApplicationCommandOptionString {
			want = strings.TrimSpace(o.StringValue())
		}
	}
	if m, ok := b.offeredModel(want); ok {
		if err := b.db.SetModel(user.ID, m); err != nil {
			return err
		}
		return b.respondEphemeral(i, fmt.Sprintf("✅ Your model is now `%s`.", m))
	}
	msg := fmt.Sprintf("❌ `%s` is not one of the models offered here.", truncateRunes(want, 80))
	if s := suggestModels(b.offered(), want, 3); len(s) > 0 {
		msg += " Did you mean `" + strings.Join(s, "`, `") + "`?"
	}
	return b.respondEphemeral(i, msg)
}

// onModelAutocomplete suggests models matching what the user typed.
func (b *Bot) onModelAutocomplete(i *discordgo.Interaction) error {
	typed := ""
	var find func([]*discordgo.ApplicationCommandInteractionDataOption)
	find = func(opts []*discordgo.ApplicationCommandInteractionDataOption) {
		for _, o := range opts {
			if o.Focused {
				typed, _ = o.Value.(string)
			}
			find(o.Options) // a subcommand's options
		}
	}
	find(i.ApplicationCommandData().Options)
	var choices []*discordgo.ApplicationCommandOptionChoice
	for _, m := range suggestModels(b.offered(), typed, 25) {
		if len(m) <= 100 {
			choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: m, Value: m})
		}
	}
	return b.dg.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices},
	})
}

// suggestModels ranks models for what was typed: prefix matches, then
// substring matches, then the closest by edit distance (for typos).
func suggestModels(models []string, typed string, n int) []string {
	t := strings.ToLower(strings.TrimSpace(typed))
	type scored struct {
		m     string
		score int
	}
	var list []scored
	for _, m := range models {
		lm := strings.ToLower(m)
		switch {
		case t == "" || strings.HasPrefix(lm, t):
			list = append(list, scored{m, 0})
		case strings.Contains(lm, t):
			list = append(list, scored{m, 1})
		default:
			if d := editDistance(lm, t); d <= max(2, len(t)/3) {
				list = append(list, scored{m, 2 + d})
			}
		}
	}
	sort.SliceStable(list, func(a, b int) bool { return list[a].score < list[b].score })
	var out []string
	for _, s := range list {
		if len(out) == n {
			break
		}
		out = append(out, s.m)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}

// truncateRunes shortens s to n characters for echoing user input.
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// cmdStop cancels the user's running answer.
func (b *Bot) cmdStop(_ context.Context, i *discordgo.Interaction) error {
	user := interactionUser(i)
	// In one of the bot's threads: the answer being written there, if it is
	// theirs (the thread's owner may stop any).
	if th := b.threadOf(&discordgo.Message{GuildID: i.GuildID, ChannelID: i.ChannelID}); th != nil &&
		b.users.stopAsked(turnKey(user.ID, th), user.ID, th.OwnerID == user.ID) {
		return b.respondEphemeral(i, "⏹️ Stopped the answer being written here. What was written so far stays.")
	}
	if b.users.stop(user.ID) {
		return b.respondEphemeral(i, "⏹️ Stopped your running answer. What was written so far stays.")
	}
	return b.respondEphemeral(i, "Nothing to stop: I'm not writing an answer for you right now.")
}
