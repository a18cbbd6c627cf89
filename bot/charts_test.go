package bot_test

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/sashabaranov/go-openai"

	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	"github.com/discordgpt/discordgpt/chart"
)

// chartOf returns the PNG attached as spending.png, decoded, or fails.
func chartOf(t *testing.T, h *harness, m discordgo.Message) []byte {
	t.Helper()
	for _, a := range m.Attachments {
		if a.Filename != "spending.png" {
			continue
		}
		data, ok := h.fake.FileData(a)
		if !ok {
			t.Fatal("chart attachment has no data")
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("chart is not a PNG: %v", err)
		}
		if img.Bounds().Dx() != chart.Width {
			t.Errorf("chart size %v", img.Bounds())
		}
		return data
	}
	t.Fatalf("no chart attached; attachments %+v", m.Attachments)
	return nil
}

// barHas reports whether bar i of 30 shows colour c.
func barHas(t *testing.T, data []byte, i int, c int) bool {
	img, _ := png.Decode(bytes.NewReader(data))
	x := chart.BarColumn(i, 30)
	want := chart.Colors[c]
	for y := 0; y < chart.PlotBottom; y++ {
		r, g, b, _ := img.At(x, y).RGBA()
		if uint8(r>>8) == want.R && uint8(g>>8) == want.G && uint8(b>>8) == want.B {
			return true
		}
	}
	return false
}

func TestCharts_UserStatAndAdminUsage(t *testing.T) {
	clk := newClock()
	h := startBot(t, func(c *bot.Config) {
		c.Now = clk.Now
		c.AdminIDs = []string{adminID}
		c.RateCount = 0
		c.Models = []string{"gpt-4o-mini", "gpt-4o"}
	})
	const ann, ben, cid = "555000555000701", "555000555000702", "555000555000703"
	h.ai.SetResponder(func(openai.ChatCompletionRequest) openaitest.Reply {
		return openaitest.Reply{Text: "paid", Usage: &openai.Usage{PromptTokens: 100_000, CompletionTokens: 100_000}}
	})
	// Ann spends 10 days ago on the default model, then today on gpt-4o.
	clk.Add(-10 * 24 * time.Hour)
	waitReply(t, h.fake, h.dm(ann, "a"), "paid")
	clk.Add(10 * 24 * time.Hour)
	h.answerOf(t, h.command(ann, "set_model", &discordgo.ApplicationCommandInteractionDataOption{Name: "model", Type: discordgo.ApplicationCommandOptionString, Value: "gpt-4o"}))
	waitReply(t, h.fake, h.dm(ann, "b"), "paid")
	waitReply(t, h.fake, h.dm(ben, "c"), "paid")

	stat := h.answerOf(t, h.command(ann, "user_stat"))
	img := chartOf(t, h, stat)
	if len(stat.Embeds) != 1 || stat.Embeds[0].Image == nil || stat.Embeds[0].Image.URL != "attachment://spending.png" {
		t.Errorf("the embed does not show the chart: %+v", stat.Embeds)
	}
	// The biggest model (gpt-4o, today: the last bar) gets the first colour,
	// gpt-4o-mini (ten days ago) the second.
	if !barHas(t, img, 29, 0) || barHas(t, img, 29, 1) {
		t.Error("today's bar does not show gpt-4o alone")
	}
	if !barHas(t, img, 19, 1) || barHas(t, img, 19, 0) {
		t.Error("the bar of ten days ago does not show gpt-4o-mini alone")
	}
	if barHas(t, img, 25, 0) || barHas(t, img, 25, 1) {
		t.Error("a day without spending has a bar")
	}

	// Someone who never spent gets the text without a chart.
	if none := h.answerOf(t, h.command(cid, "user_stat")); len(none.Attachments) != 0 {
		t.Errorf("a chart of nothing: %+v", none.Attachments)
	}

	usage := h.finalAnswer(t, h.admin(adminID, "usage", ""))
	all := chartOf(t, h, usage)
	if !barHas(t, all, 29, 0) || !barHas(t, all, 29, 1) {
		t.Error("everyone's chart today lacks one of the two models (Ann's gpt-4o, Ben's gpt-4o-mini)")
	}

	// After a reset the user's per-model days are gone; the ledger keeps
	// the day's total for the budget, shown as "model not recorded".
	h.reset(t, ann)
	db := h.openStoreAfterStop(t)
	days, err := db.UserDailySpend(ann, "2026-01-01", "2026-12-31")
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 2 {
		t.Fatalf("days after reset = %+v", days)
	}
	for _, d := range days {
		if len(d.ByModel) != 0 || d.Total <= 0 {
			t.Errorf("after reset, %s = %+v", d.Day, d)
		}
	}
	for _, where := range holders(t, db, ann) {
		if !strings.HasPrefix(where, "settings/") && !strings.HasPrefix(where, "spend/") {
			t.Errorf("after reset, ann's ID is held by %s", where)
		}
	}
}
