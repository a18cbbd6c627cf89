package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/store"
)

// Reminder limits.
const (
	// maxReminderText caps what a reminder says.
	maxReminderText = 1000
	// maxReminderAhead is the furthest ahead a reminder may be set.
	maxReminderAhead = 366 * 24 * time.Hour
	// reminderLate is how late a delivery may be before it says so.
	reminderLate = 2 * time.Minute
	// maxReminderAttempts is how often a failing delivery is tried.
	maxReminderAttempts = 5
	// defaultReminderTick is the longest the reminder clock sleeps.
	defaultReminderTick = 30 * time.Second
)

// userZone is the user's time zone for reminders: their own (/timezone)
// or the bot's TIMEZONE.
func (b *Bot) userZone(userID string) *time.Location {
	if s, err := b.db.Settings(userID); err == nil && s.Timezone != "" {
		if loc, err := time.LoadLocation(s.Timezone); err == nil {
			return loc
		}
	}
	return b.cfg.Timezone
}

// relativeTime matches "in 2h30m", "in 10 minutes", "+1d" and the like.
var relativeTime = regexp.MustCompile(`^(?:in\s+|\+)?((?:\d+\s*(?:d|days?|h|hours?|hrs?|m|mins?|minutes?|s|secs?|seconds?)\s*(?:and\s+|,\s*)?)+)$`)
var relativePart = regexp.MustCompile(`(\d+)\s*(d|days?|h|hours?|hrs?|m|mins?|minutes?|s|secs?|seconds?)`)

// parseWhen resolves a reminder time given by the model: an absolute
// time in loc ("2026-11-27 09:00", "2026-11-27T09:00"), one with its own
// offset (RFC 3339), or relative to now ("in 2h30m", "in 10 minutes").
func parseWhen(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if m := relativeTime.FindStringSubmatch(s); m != nil {
		var d time.Duration
		for _, p := range relativePart.FindAllStringSubmatch(m[1], -1) {
			n, err := strconv.Atoi(p[1])
			if err != nil || n > 1_000_000 {
				return time.Time{}, toolErrorf("%q is not a time I understand", s)
			}
			unit := map[byte]time.Duration{'d': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute, 's': time.Second}[p[2][0]]
			d += time.Duration(n) * unit
		}
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339, strings.ToUpper(s)); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02t15:04", "2006-01-02 15:04:05", "2006-01-02t15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, toolErrorf("%q is not a time I understand; give YYYY-MM-DD HH:MM in the user's time zone (%s), or 'in 2h30m'", truncateRunes(s, 40), loc)
}

// reminderTools are set_reminder, list_reminders and cancel_reminder.
func (b *Bot) reminderTools() []*tool {
	return []*tool{{
		def: llm.Tool{Name: "set_reminder", Description: "Set a reminder: at the given time the bot sends the user the text, " +
			"pinging them where they asked (or by DM). Times are in the user's time zone (the system prompt names it).",
			Parameters: map[string]any{"type": "object", "properties": map[string]any{
				"text": map[string]any{"type": "string", "description": "What to remind the user of."},
				"time": map[string]any{"type": "string", "description": "When: YYYY-MM-DD HH:MM in the user's time zone, or relative like 'in 2h30m' or 'in 10 minutes'."},
			}, "required": []string{"text", "time"}, "additionalProperties": false}},
		status: func(*toolCall) string { return "⏰ Setting a reminder…" },
		run:    b.setReminderTool,
	}, {
		def: llm.Tool{Name: "list_reminders", Description: "List the user's reminders with their IDs and times.",
			Parameters: map[string]any{"type": "object", "properties": map[string]any{}, "additionalProperties": false}},
		status: func(*toolCall) string { return "⏰ Looking at your reminders…" },
		run:    b.listRemindersTool,
	}, {
		def: llm.Tool{Name: "cancel_reminder", Description: "Cancel one of the user's reminders by its ID (from list_reminders).",
			Parameters: map[string]any{"type": "object", "properties": map[string]any{
				"id": map[string]any{"type": "integer", "description": "The reminder's ID."},
			}, "required": []string{"id"}, "additionalProperties": false}},
		status: func(*toolCall) string { return "⏰ Cancelling a reminder…" },
		run:    b.cancelReminderTool,
	}}
}

func (b *Bot) setReminderTool(_ context.Context, tc *toolCall) (string, error) {
	var a struct {
		Text string `json:"text"`
		Time string `json:"time"`
	}
	if err := tc.decode(&a); err != nil {
		return "", err
	}
	a.Text = strings.TrimSpace(a.Text)
	switch {
	case a.Text == "":
		return "", toolErrorf("the reminder needs a text")
	case len([]rune(a.Text)) > maxReminderText:
		return "", toolErrorf("the text is too long (at most %d characters)", maxReminderText)
	}
	now := b.cfg.now()
	loc := b.userZone(tc.userID)
	due, err := parseWhen(a.Time, now, loc)
	if err != nil {
		return "", err
	}
	switch {
	case !due.After(now):
		return "", toolErrorf("%s is in the past (it is now %s)", due.In(loc).Format("2006-01-02 15:04 MST"), now.In(loc).Format("2006-01-02 15:04 MST"))
	case due.Sub(now) > maxReminderAhead:
		return "", toolErrorf("reminders can be set at most a year ahead")
	}
	r, err := b.db.AddReminder(store.Reminder{UserID: tc.userID, ChannelID: tc.channelID, GuildID: tc.guildID, Text: a.Text,
		Due: due.UTC(), Zone: loc.String(), Created: now.UTC()}, b.cfg.MaxRemindersPerUser, tc.valid)
	switch {
	case errors.Is(err, store.ErrTooMany):
		return "", toolErrorf("the user already has %d reminders, the most this bot keeps; they can cancel some with /reminders", b.cfg.MaxRemindersPerUser)
	case errors.Is(err, store.ErrStale):
		return "", toolErrorf("the user erased their data meanwhile; nothing was set")
	case err != nil:
		return "", err
	}
	b.wakeReminders()
	where := "here, pinging the user"
	switch {
	case tc.guildID == "":
		where = "in this DM"
	case b.cfg.ReminderDelivery == "dm":
		where = "by DM"
	}
	return fmt.Sprintf("Reminder %d set for %s (%s), in %s; it will be sent %s.", r.ID, due.In(loc).Format("Monday 2 January 2006 15:04 MST"),
		loc, roundDuration(due.Sub(now)), where), nil
}

func (b *Bot) listRemindersTool(_ context.Context, tc *toolCall) (string, error) {
	if err := tc.decode(&struct{}{}); err != nil {
		return "", err
	}
	list, err := b.db.Reminders(tc.userID)
	if err != nil {
		return "", err
	}
	loc := b.userZone(tc.userID)
	if len(list) == 0 {
		return "The user has no reminders.", nil
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d reminder(s); times in %s:\n", len(list), loc)
	for _, r := range list {
		fmt.Fprintf(&sb, "- id %d: %s: %s\n", r.ID, r.Due.In(loc).Format("2006-01-02 15:04"), r.Text)
	}
	return sb.String(), nil
}

func (b *Bot) cancelReminderTool(_ context.Context, tc *toolCall) (string, error) {
	var a struct {
		ID uint64 `json:"id"`
	}
	if err := tc.decode(&a); err != nil {
		return "", err
	}
	r, err := b.db.TakeReminder(tc.userID, a.ID)
	if errors.Is(err, store.ErrNotFound) {
		return "", toolErrorf("the user has no reminder with id %d", a.ID)
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Reminder %d (%q) cancelled.", r.ID, truncateRunes(r.Text, 80)), nil
}

// roundDuration prints a duration for people: 2h30m, 3d4h, 45s.
func roundDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		days := int(d / (24 * time.Hour))
		return fmt.Sprintf("%dd%dh", days, int((d-time.Duration(days)*24*time.Hour)/time.Hour))
	case d >= time.Hour:
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	case d >= time.Minute:
		return strings.TrimSuffix(d.Round(time.Second).String(), "0s")
	}
	return d.Round(time.Second).String()
}

// wakeReminders tells the reminder clock that the next due time changed.
func (b *Bot) wakeReminders() {
	select {
	case b.reminderWake <- struct{}{}:
	default:
	}
}

// runReminders delivers reminders at their time until ctx ends. Reminders
// due while the bot was down are delivered at start, late, and say so.
func (b *Bot) runReminders(ctx context.Context) {
	tick := b.cfg.ReminderTick
	if tick <= 0 {
		tick = defaultReminderTick
	}
	for {
		now := b.cfg.now()
		due, next, err := b.db.DueReminders(now)
		if err != nil {
			b.log.Warn("read due reminders", "err", err)
		}
		for _, r := range due {
			if ctx.Err() != nil {
				return
			}
			b.deliverReminder(r, now)
		}
		wait := tick
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(b.cfg.now()), 10*time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return
		case <-b.reminderWake:
		case <-time.After(wait):
		}
	}
}

// deliverReminder sends one due reminder. It is taken out of the store
// first, so a reminder cancelled or reset meanwhile is not sent and none
// is sent twice; a delivery Discord refuses for now is put back and
// tried again, at most maxReminderAttempts times.
func (b *Bot) deliverReminder(r store.Reminder, now time.Time) {
	gen := b.users.gen(r.UserID)
	if _, err := b.db.TakeReminder(r.UserID, r.ID); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			b.log.Warn("take due reminder", "user_id", r.UserID, "err", err)
		}
		return
	}
	text := fmt.Sprintf("⏰ <@%s> Reminder: %s", r.UserID, r.Text)
	if late := now.Sub(r.Due); late > reminderLate {
		text += fmt.Sprintf("\n*(This was due <t:%d:f>; the bot was offline then, so it comes %s late.)*", r.Due.Unix(), roundDuration(late))
	}
	mentions := &discordgo.MessageAllowedMentions{Users: []string{r.UserID}}
	var err error
	if b.cfg.ReminderDelivery == "dm" || r.GuildID == "" {
		err = b.remindByDM(r.UserID, text)
	} else {
		_, err = b.send(r.ChannelID, &discordgo.MessageSend{Content: text, AllowedMentions: mentions})
		if err != nil && !retryableDiscord(err) { // the channel is gone or closed to the bot: tell them privately
			b.log.Info("reminder channel refused; sending by DM", "user_id", r.UserID, "err", err)
			err = b.remindByDM(r.UserID, text)
		}
	}
	if err == nil {
		b.log.Info("reminder delivered", "user_id", r.UserID, "late_s", int(max(now.Sub(r.Due), 0).Seconds()))
		return
	}
	r.Attempts++
	if r.Attempts >= maxReminderAttempts {
		b.log.Warn("reminder dropped after failed deliveries", "user_id", r.UserID, "attempts", r.Attempts, "err", err)
		return
	}
	b.log.Warn("reminder delivery failed; trying again", "user_id", r.UserID, "attempts", r.Attempts, "err", err)
	r.Retry = now.Add(time.Duration(r.Attempts) * time.Minute)
	if _, perr := b.db.AddReminder(r, b.cfg.MaxRemindersPerUser, func() bool { return b.users.current(r.UserID, gen) }); perr != nil &&
		!errors.Is(perr, store.ErrStale) {
		b.log.Warn("put back reminder", "user_id", r.UserID, "err", perr)
	}
}

// remindByDM sends a reminder in a DM.
func (b *Bot) remindByDM(userID, text string) error {
	ch, err := b.dg.UserChannelCreate(userID)
	if err != nil {
		return fmt.Errorf("open DM: %w", err)
	}
	_, err = b.send(ch.ID, &discordgo.MessageSend{Content: text, AllowedMentions: &discordgo.MessageAllowedMentions{Users: []string{userID}}})
	return err
}
