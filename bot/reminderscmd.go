package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/store"
)

// reminderPrefix starts the custom_id of a /reminders Cancel button:
// "rem:<owner>:<id>".
const reminderPrefix = "rem:"

// Fixed wording of /reminders and /timezone.
const (
	noRemindersText  = "⏰ You have no reminders. Ask me in chat, like \"remind me tomorrow at 9 to call Sam\"."
	notYourReminders = "❌ These aren't your reminders!"
	staleReminder    = "⚠️ That reminder is gone: it was delivered, cancelled, or your data was reset."
)

// cmdReminders lists the user's reminders with a Cancel button each.
func (b *Bot) cmdReminders(_ context.Context, i *discordgo.Interaction) error {
	data, err := b.remindersView(interactionUser(i).ID, "")
	if err != nil {
		return err
	}
	data.Flags = discordgo.MessageFlagsEphemeral
	return b.dg.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: data})
}

// remindersView is the list of a user's reminders, note first if set.
func (b *Bot) remindersView(userID, note string) (*discordgo.InteractionResponseData, error) {
	list, err := b.db.Reminders(userID)
	if err != nil {
		return nil, err
	}
	var lines []string
	if note != "" {
		lines = append(lines, note)
	}
	comps := []discordgo.MessageComponent{}
	if len(list) == 0 {
		lines = append(lines, noRemindersText)
		return &discordgo.InteractionResponseData{Content: strings.Join(lines, "\n"), Components: comps}, nil
	}
	loc := b.userZone(userID)
	lines = append(lines, fmt.Sprintf("⏰ **Your reminders** (%d, times in %s):", len(list), loc))
	var row discordgo.ActionsRow
	for k, r := range list {
		if k == 25 { // 5 rows of 5 buttons is all a message takes
			lines = append(lines, fmt.Sprintf("…and %d more.", len(list)-k))
			break
		}
		lines = append(lines, fmt.Sprintf("`#%d` %s: %s", r.ID, r.Due.In(loc).Format("Mon 2 Jan 15:04"),
			truncateRunes(strings.ReplaceAll(r.Text, "\n", " "), 70)))
		row.Components = append(row.Components, discordgo.Button{Label: fmt.Sprintf("Cancel #%d", r.ID), Style: discordgo.SecondaryButton,
			CustomID: reminderPrefix + userID + ":" + strconv.FormatUint(r.ID, 10)})
		if len(row.Components) == 5 {
			comps = append(comps, row)
			row = discordgo.ActionsRow{}
		}
	}
	if len(row.Components) > 0 {
		comps = append(comps, row)
	}
	return &discordgo.InteractionResponseData{Content: truncateRunes(strings.Join(lines, "\n"), MessageLimit-1), Components: comps,
		AllowedMentions: noMentions()}, nil
}

// onReminderCancel cancels the reminder a button names, for its owner
// only; a forged or stale ID changes nothing.
func (b *Bot) onReminderCancel(_ context.Context, i *discordgo.Interaction) error {
	parts := strings.Split(strings.TrimPrefix(i.MessageComponentData().CustomID, reminderPrefix), ":")
	var id uint64
	var err error
	if len(parts) != 2 || !isSnowflake(parts[0]) {
		return b.respondEphemeral(i, staleComponent)
	}
	if id, err = strconv.ParseUint(parts[1], 10, 64); err != nil {
		return b.respondEphemeral(i, staleComponent)
	}
	user := interactionUser(i).ID
	if parts[0] != user {
		return b.respondEphemeral(i, notYourReminders)
	}
	note := ""
	r, err := b.db.TakeReminder(user, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		note = staleReminder
	case err != nil:
		return err
	default:
		note = fmt.Sprintf("✅ Cancelled reminder `#%d` (%s).", r.ID, truncateRunes(r.Text, 60))
	}
	data, err := b.remindersView(user, note)
	if err != nil {
		return err
	}
	return b.dg.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage, Data: data})
}

// cmdTimezone shows or sets the user's time zone for reminders.
func (b *Bot) cmdTimezone(_ context.Context, i *discordgo.Interaction) error {
	user := interactionUser(i).ID
	zone := ""
	for _, o := range i.ApplicationCommandData().Options {
		if o.Name == "zone" && o.Type == discordgo.ApplicationCommandOptionString {
			zone = strings.TrimSpace(o.StringValue())
		}
	}
	now := b.cfg.now()
	if zone == "" {
		loc := b.userZone(user)
		return b.respondEphemeral(i, fmt.Sprintf("🕐 Your time zone is `%s` (it is %s there). Set yours with `/timezone zone:Europe/Berlin`.",
			loc, now.In(loc).Format("Mon 2 Jan 15:04")))
	}
	loc, ok := lookupZone(zone)
	if !ok {
		return b.respondEphemeral(i, fmt.Sprintf("❌ `%s` is not a time zone I know. Use a name from the tz database, like `Europe/Berlin`, `America/New_York` or `Asia/Tokyo`.",
			strings.ReplaceAll(truncateRunes(zone, 60), "`", "'")))
	}
	if err := b.db.UpdateSettings(user, func(s *store.Settings) { s.Timezone = loc.String() }); err != nil {
		return err
	}
	return b.respondEphemeral(i, fmt.Sprintf("✅ Your time zone is now `%s` (it is %s there). Reminders you set from now on use it.",
		loc, now.In(loc).Format("Mon 2 Jan 15:04")))
}

// lookupZone finds an IANA time zone by name, ignoring case.
func lookupZone(name string) (*time.Location, bool) {
	if name == "" || strings.EqualFold(name, "local") || strings.ContainsAny(name, " \\") || strings.Contains(name, "..") {
		return nil, false
	}
	if loc, err := time.LoadLocation(name); err == nil {
		return loc, true
	}
	// "europe/berlin", "america/new_york": capitalise each word.
	parts := strings.Split(strings.ToLower(name), "/")
	for k, p := range parts {
		words := strings.Split(p, "_")
		for w, x := range words {
			if x != "" {
				words[w] = strings.ToUpper(x[:1]) + x[1:]
			}
		}
		parts[k] = strings.Join(words, "_")
	}
	if loc, err := time.LoadLocation(strings.Join(parts, "/")); err == nil {
		return loc, true
	}
	if loc, err := time.LoadLocation(strings.ToUpper(name)); err == nil { // UTC, EST
		return loc, true
	}
	return nil, false
}
