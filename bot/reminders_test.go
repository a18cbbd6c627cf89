package bot_test

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	openai "github.com/sashabaranov/go-openai"
)

// remindingModel sets a reminder with the text and time the user wrote
// after "remind me:" as "text @ time".
func remindingModel(req openai.ChatCompletionRequest) openaitest.Reply {
	if lastIsTool(req) {
		res := toolResults(req)
		return openaitest.Reply{Text: "tool: " + res[len(res)-1]}
	}
	q := openaitest.LastUserText(req)
	if rest, ok := strings.CutPrefix(q, "remind me:"); ok {
		text, when, _ := strings.Cut(rest, "@")
		return openaitest.Reply{ToolCalls: []openai.ToolCall{call("r1", "set_reminder",
			`{"text":"`+strings.TrimSpace(text)+`","time":"`+strings.TrimSpace(when)+`"}`)}}
	}
	return openaitest.Echo(req)
}

// reminderIn finds the bot's reminder message for userID in a channel.
func reminderIn(h *harness, channelID, userID, text string) (discordgo.Message, bool) {
	for _, m := range botMessages(h.fake, channelID) {
		if strings.HasPrefix(m.Content, "⏰ <@"+userID+"> Reminder: "+text) {
			return m, true
		}
	}
	return discordgo.Message{}, false
}

// TestReminders_DeliveredAcrossRestartsAndLate: a reminder set in a
// channel survives a restart and is delivered there at its time (a
// controlled clock), pinging only its user; one due while the bot was
// down is delivered at the start, late, and says so.
func TestReminders_DeliveredAcrossRestartsAndLate(t *testing.T) {
	for _, api := range []llm.API{llm.APIChat, llm.APIResponses} {
		t.Run(string(api), func(t *testing.T) {
			clk := newClock()
			h := startBot(t, func(c *bot.Config) {
				c.API = api
				c.Now = clk.Now
				c.ReminderTick = 20 * time.Millisecond
				c.RateCount = 0
			})
			h.ai.SetResponder(remindingModel)
			const u = "7201"
			ch := "rem-" + string(api)
			r := waitFinalReply(t, h, mention(h.fake, u, ch, "remind me: call Sam @ in 10 minutes"), "tool: Reminder 1 set for")
			if !strings.Contains(r, "Sunday 1 March 2026 12:10 UTC") {
				t.Errorf("set: %q", r)
			}
			h.restart(t)
			time.Sleep(100 * time.Millisecond)
			if _, ok := reminderIn(h, ch, u, "call Sam"); ok {
				t.Fatal("delivered before its time")
			}
			clk.Add(10*time.Minute + time.Second)
			var got discordgo.Message
			if !h.fake.WaitFor(10*time.Second, func() bool { var ok bool; got, ok = reminderIn(h, ch, u, "call Sam"); return ok }) {
				t.Fatal("reminder not delivered")
			}
			if strings.Contains(got.Content, "late") {
				t.Errorf("an on-time reminder says it is late: %q", got.Content)
			}
			// Only its user is pinged.
			for _, req := range h.fake.RequestsTo("POST", "/channels/"+ch+"/messages") {
				if strings.Contains(string(req.Body), "call Sam") && !strings.Contains(string(req.Body), `"users":["`+u+`"]`) {
					t.Errorf("allowed mentions: %s", req.Body)
				}
			}
			// Missed while the bot was down.
			waitReplyPrefix(t, h, mention(h.fake, u, ch, "remind me: water the plants @ in 5 minutes"), "tool: Reminder 2 set for")
			h.stop(t)
			clk.Add(3 * time.Hour)
			h.run(t)
			if !h.fake.WaitFor(10*time.Second, func() bool { got, _ = reminderIn(h, ch, u, "water the plants"); return got.ID != "" }) {
				t.Fatal("missed reminder not delivered at start")
			}
			if !strings.Contains(got.Content, "the bot was offline then, so it comes 2h55m late") {
				t.Errorf("late reminder: %q", got.Content)
			}
			// Each was delivered once.
			time.Sleep(100 * time.Millisecond)
			n := 0
			for _, m := range botMessages(h.fake, ch) {
				if strings.Contains(m.Content, "Reminder: ") {
					n++
				}
			}
			if n != 2 {
				t.Errorf("%d reminder messages, want 2", n)
			}
		})
	}
}

// TestReminders_CommandCancelForgedLimitTimezoneReset: /reminders lists
// them with Cancel buttons that only their owner can use; a forged or
// stale button changes nothing; MAX_REMINDERS_PER_USER holds; /timezone
// changes how times are read; /reset cancels them and says so.
func TestReminders_CommandCancelForgedLimitTimezoneReset(t *testing.T) {
	clk := newClock()
	h := startBot(t, func(c *bot.Config) {
		c.Now = clk.Now
		c.ReminderTick = 20 * time.Millisecond
		c.RateCount = 0
		c.MaxRemindersPerUser = 2
	})
	h.ai.SetResponder(remindingModel)
	const u, other = "7202", "7203"
	tz := h.answerOf(t, h.command(u, "timezone", &discordgo.ApplicationCommandInteractionDataOption{Name: "zone", Type: discordgo.ApplicationCommandOptionString, Value: "europe/berlin"}))
	if !strings.HasPrefix(tz.Content, "✅ Your time zone is now `Europe/Berlin`") {
		t.Fatalf("/timezone = %q", tz.Content)
	}
	bad := h.answerOf(t, h.command(u, "timezone", &discordgo.ApplicationCommandInteractionDataOption{Name: "zone", Type: discordgo.ApplicationCommandOptionString, Value: "Mars/Olympus"}))
	if !strings.HasPrefix(bad.Content, "❌ `Mars/Olympus` is not a time zone") {
		t.Fatalf("bad zone = %q", bad.Content)
	}
	// 2026-03-01 14:00 in Berlin is 13:00 UTC, an hour from the clock.
	r := waitReplyPrefix(t, h, h.dm(u, "remind me: dentist @ 2026-03-01 14:00"), "tool: Reminder 1 set for Sunday 1 March 2026 14:00 CET (Europe/Berlin), in 1h0m; it will be sent in this DM.")
	_ = r
	waitReplyPrefix(t, h, h.dm(u, "remind me: taxes @ in 2 days"), "tool: Reminder 2 set for")
	waitReplyPrefix(t, h, h.dm(u, "remind me: one too many @ in 1h"), "tool: Error: the user already has 2 reminders")
	waitReplyPrefix(t, h, h.dm(u, "remind me: the past @ 2020-01-01 10:00"), "tool: Error: 2020-01-01 10:00 CET is in the past")
	waitReplyPrefix(t, h, h.dm(u, "remind me: nonsense @ when pigs fly"), "tool: Error: \"when pigs fly\" is not a time I understand")
	list := h.answerOf(t, h.command(u, "reminders"))
	if list.Flags&discordgo.MessageFlagsEphemeral == 0 || !strings.Contains(list.Content, "`#1` Sun 1 Mar 14:00: dentist") ||
		!strings.Contains(list.Content, "`#2` Tue 3 Mar 13:00: taxes") {
		t.Fatalf("/reminders = %q", list.Content)
	}
	btns, _ := buttons(list)
	if btns["Cancel #1"] == nil || btns["Cancel #2"] == nil {
		t.Fatalf("buttons: %v", btns)
	}
	// Someone else's click, and forged IDs, change nothing.
	if a := h.click(t, other, list, btns["Cancel #1"].CustomID); a.Content != "❌ These aren't your reminders!" {
		t.Errorf("other user's click = %q", a.Content)
	}
	if a := h.click(t, u, list, "rem:"+u+":999"); !strings.HasPrefix(a.Content, "⚠️ That reminder is gone") {
		t.Errorf("forged id = %q", a.Content)
	}
	if a := h.click(t, u, list, "rem:"+u+":abc"); !strings.HasPrefix(a.Content, "❓") {
		t.Errorf("malformed id = %q", a.Content)
	}
	a := h.click(t, u, list, btns["Cancel #1"].CustomID)
	if !strings.HasPrefix(a.Content, "✅ Cancelled reminder `#1` (dentist).") || strings.Contains(a.Content, "`#1`  ") ||
		strings.Contains(a.Content, "Sun 1 Mar 14:00: dentist") || !strings.Contains(a.Content, "taxes") {
		t.Errorf("after cancel = %q", a.Content)
	}
	// The cancelled one never comes.
	clk.Add(3 * time.Hour)
	time.Sleep(200 * time.Millisecond)
	for _, m := range botMessages(h.fake, "dm"+u) {
		if strings.Contains(m.Content, "Reminder: dentist") {
			t.Fatal("a cancelled reminder was delivered")
		}
	}
	// /export carries the reminder, the time zone and the tool calls.
	ex := h.finalAnswer(t, h.command(u, "export"))
	data, _ := h.fake.FileData(ex.Attachments[0])
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		got[f.Name] = string(b)
	}
	if !strings.Contains(got["reminders.json"], `"text": "taxes"`) || strings.Contains(got["reminders.json"], "dentist") ||
		!strings.Contains(got["history.json"], `"timezone": "Europe/Berlin"`) || !strings.Contains(got["history.json"], `"name": "set_reminder"`) ||
		!strings.Contains(got["history.md"], "_Tools used: set_reminder_") {
		t.Errorf("export: reminders %s\nhistory.md %s", got["reminders.json"], got["history.md"])
	}
	// /reset cancels the rest and adds its line after the seed's.
	if got := h.reset(t, u).Content; got != resetDone+"\n📁 No files to delete.\n⏰ Cancelled 1 reminder(s)." {
		t.Fatalf("reset = %q", got)
	}
	clk.Add(3 * 24 * time.Hour)
	time.Sleep(200 * time.Millisecond)
	for _, m := range botMessages(h.fake, "dm"+u) {
		if strings.Contains(m.Content, "Reminder: taxes") {
			t.Fatal("a reset reminder was delivered")
		}
	}
	if l := h.answerOf(t, h.command(u, "reminders")); !strings.HasPrefix(l.Content, "⏰ You have no reminders.") {
		t.Errorf("after reset: %q", l.Content)
	}
}

// TestReminders_ByDM: with REMINDER_DELIVERY=dm a reminder set in a
// server channel comes in a DM.
func TestReminders_ByDM(t *testing.T) {
	clk := newClock()
	h := startBot(t, func(c *bot.Config) {
		c.Now = clk.Now
		c.ReminderTick = 20 * time.Millisecond
		c.ReminderDelivery = "dm"
	})
	h.ai.SetResponder(remindingModel)
	const u = "7204"
	r := waitFinalReply(t, h, mention(h.fake, u, "public", "remind me: stretch @ in 1m"), "tool: Reminder 1 set for")
	if !strings.HasSuffix(r, "it will be sent by DM.") {
		t.Errorf("set = %q", r)
	}
	clk.Add(2 * time.Minute)
	if !h.fake.WaitFor(10*time.Second, func() bool {
		dm, ok := h.fake.DMChannel(u)
		if !ok {
			return false
		}
		_, ok = reminderIn(h, dm, u, "stretch")
		return ok
	}) {
		t.Fatal("no reminder in the DM")
	}
	if _, ok := reminderIn(h, "public", u, "stretch"); ok {
		t.Error("the reminder was also posted in public")
	}
}

// TestImages_OffWithoutAnImageModel: a provider whose model list has no
// image model offers no generate_image, and /imagine says images are off.
func TestImages_OffWithoutAnImageModel(t *testing.T) {
	h := startBotWith(t, []string{"gpt-4o-mini"}, func(c *bot.Config) { c.ImageModel = "gpt-image-2" })
	waitReply(t, h.fake, h.dm("7205", "hi"), "echo: hi")
	if names := offered(t, h.ai.Requests()[0]); slicesContain(names, "generate_image") || !slicesContain(names, "read_file") {
		t.Errorf("tools offered: %v", names)
	}
	a := h.answerOf(t, h.command("7205", "imagine", &discordgo.ApplicationCommandInteractionDataOption{Name: "prompt", Type: discordgo.ApplicationCommandOptionString, Value: "x"}))
	if !strings.HasPrefix(a.Content, "🖼️ Images are off on this bot") {
		t.Errorf("/imagine = %q", a.Content)
	}
	// TOOLS=none: no tools at all.
	h2 := startBot(t, func(c *bot.Config) { c.Tools = []string{} })
	waitReply(t, h2.fake, h2.dm("7206", "hi"), "echo: hi")
	if strings.Contains(string(h2.ai.Requests()[0].Raw), `"tools"`) {
		t.Error("TOOLS=none still sent tools")
	}
}
