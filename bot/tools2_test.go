package bot_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	openai "github.com/sashabaranov/go-openai"
)

// drawOnAsk is a model that draws when asked and then says what the tool
// answered.
func drawOnAsk(args string) func(openai.ChatCompletionRequest) openaitest.Reply {
	return func(req openai.ChatCompletionRequest) openaitest.Reply {
		if lastIsTool(req) {
			res := toolResults(req)
			return openaitest.Reply{Text: "tool: " + res[len(res)-1]}
		}
		if strings.Contains(openaitest.LastUserText(req), "draw") {
			return openaitest.Reply{ToolCalls: []openai.ToolCall{call("img1", "generate_image", args)}}
		}
		return openaitest.Echo(req)
	}
}

// TestTools_StopInsideATool: /stop while an image is being drawn stops
// the answer at once; the calls made are counted, nothing is stored.
func TestTools_StopInsideATool(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.ImageModel = "gpt-image-2"; c.RateCount = 0 })
	const u = "7101"
	h.ai.EnqueueImage(openaitest.Reply{Delay: 3 * time.Second})
	h.ai.SetResponder(drawOnAsk(`{"prompt":"a slow cat"}`))
	q := mention(h.fake, u, "stop-chan", "draw a cat")
	if !h.fake.WaitFor(10*time.Second, func() bool { return sawEdit(h, q, "🖼️ Drawing…") }) {
		t.Fatal("no drawing status")
	}
	if a := h.answerOf(t, h.command(u, "stop")); !strings.Contains(a.Content, "Stopped") {
		t.Fatalf("/stop = %q", a.Content)
	}
	waitReplyPrefix(t, h, q, "⏹️ *Stopped.*")
	// The answer ended while the provider was still drawing: the fake
	// records an image request only once it has answered it.
	if n := len(h.ai.ImageRequests()); n != 0 {
		t.Errorf("the stop waited for the tool to finish (%d image answered first)", n)
	}
	db := h.openStoreAfterStop(t)
	if hist, _ := db.History(u, 0); len(hist) != 0 {
		t.Errorf("a stopped answer was stored: %+v", hist)
	}
	if fs, _ := db.Files(u); len(fs) != 0 {
		t.Errorf("files kept: %+v", fs)
	}
	usage, _ := db.UserUsage(u)
	got := map[string]int64{}
	for _, x := range usage {
		got[x.Model] = x.Requests
	}
	if got["gpt-image-2"] != 1 || got[h.cfg.DefaultModel] != 1 {
		t.Errorf("usage after a stop: %+v (the chat round and the image under way are paid)", usage)
	}
}

// TestTools_ResetDuringAToolRun: /reset while an image is being drawn
// keeps nothing of that answer: no history, no statistics, no image file,
// not even the folder.
func TestTools_ResetDuringAToolRun(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.ImageModel = "gpt-image-2"; c.RateCount = 0 })
	const u = "7102"
	h.ai.EnqueueImage(openaitest.Reply{Delay: 1500 * time.Millisecond})
	h.ai.SetResponder(drawOnAsk(`{"prompt":"a fox"}`))
	q := mention(h.fake, u, "reset-chan", "draw a fox")
	if !h.fake.WaitFor(10*time.Second, func() bool { return sawEdit(h, q, "🖼️ Drawing…") }) {
		t.Fatal("no drawing status")
	}
	if got := h.reset(t, u).Content; got != resetDone+"\n📁 No files to delete." {
		t.Fatalf("reset = %q", got)
	}
	// The tool finishes after the reset: the model is told, the user sees
	// its answer, and nothing stays.
	waitReplyPrefix(t, h, q, "tool: Error: the user erased their data meanwhile")
	if len(h.ai.ImageRequests()) != 1 || h.ai.ImageRequests()[0].Status != 200 {
		t.Fatalf("image requests: %+v", h.ai.ImageRequests())
	}
	if got := filesOnDisk(t, h.userDir(u)); len(got) != 0 {
		t.Errorf("files on disk after reset: %v", got)
	}
	db := h.openStoreAfterStop(t)
	if hist, _ := db.History(u, 0); len(hist) != 0 {
		t.Errorf("history after reset: %+v", hist)
	}
	if fs, _ := db.Files(u); len(fs) != 0 {
		t.Errorf("files after reset: %+v", fs)
	}
	if usage, _ := db.UserUsage(u); len(usage) != 0 {
		t.Errorf("statistics after reset: %+v", usage)
	}
}

// TestImages_GeneratedStoredAttachedCounted: generate_image makes an
// image through the images endpoint, saves it to the user's files,
// attaches it to the answer and counts it; an image the budget cannot
// cover is refused before the call; an attached image is edited; /imagine
// does the same without chat.
func TestImages_GeneratedStoredAttachedCounted(t *testing.T) {
	for _, api := range bothAPIs {
		t.Run(string(api), func(t *testing.T) {
			h := startBot(t, func(c *bot.Config) {
				c.API = api
				c.ImageModel = "gpt-image-2"
				c.RateCount = 0
				c.UserDailyBudget = 0.05
			})
			const u = "7103"
			h.ai.SetResponder(drawOnAsk(`{"prompt":"a red fox","quality":"low"}`))
			q := mention(h.fake, u, "img-"+string(api), "draw a fox")
			waitReplyPrefix(t, h, q, "tool: Image made (file_id")
			var att *discordgo.MessageAttachment
			if !h.fake.WaitFor(10*time.Second, func() bool {
				for _, m := range botMessages(h.fake, q.ChannelID) {
					if m.MessageReference != nil && m.MessageReference.MessageID == q.ID && len(m.Attachments) == 1 {
						att = m.Attachments[0]
						return true
					}
				}
				return false
			}) {
				t.Fatal("the image was not attached")
			}
			if !strings.HasPrefix(att.Filename, "image-") || !strings.HasSuffix(att.Filename, ".png") {
				t.Errorf("attachment name %q", att.Filename)
			}
			ir := h.ai.ImageRequests()
			if len(ir) != 1 || ir[0].Model != "gpt-image-2" || ir[0].Quality != "low" || ir[0].Size != "1024x1024" || ir[0].ResponseFormat != "" {
				t.Fatalf("image request: %+v", ir)
			}
			// Over budget: high quality costs more than what is left.
			h.ai.SetResponder(drawOnAsk(`{"prompt":"a huge fox","quality":"high"}`))
			waitReplyPrefix(t, h, mention(h.fake, u, "img-"+string(api), "draw it big"), "tool: Error: not made: That costs about $0.1250")
			if len(h.ai.ImageRequests()) != 1 {
				t.Error("an image over budget reached the provider")
			}
			// An attached image is edited.
			h.ai.SetResponder(func(req openai.ChatCompletionRequest) openaitest.Reply {
				if lastIsTool(req) {
					res := toolResults(req)
					return openaitest.Reply{Text: "tool: " + res[len(res)-1]}
				}
				ids := fileIDsIn(req)
				return openaitest.Reply{ToolCalls: []openai.ToolCall{call("e1", "generate_image",
					`{"prompt":"make it blue","quality":"low","edit_file_id":"`+ids[len(ids)-1]+`"}`)}}
			})
			src := pngBytes
			q = h.fake.SendMessage(&discordgo.Message{GuildID: "", ChannelID: "dm" + u, Author: &discordgo.User{ID: u},
				Content: "make it blue", Attachments: []*discordgo.MessageAttachment{h.fake.AddAttachment("me.png", "image/png", src)}})
			waitReplyPrefix(t, h, q, "tool: Image made")
			ir = h.ai.ImageRequests()
			if last := ir[len(ir)-1]; !last.Edit || !bytes.Equal(last.Source, src) {
				t.Errorf("edit request: edit=%v source %d bytes", last.Edit, len(last.Source))
			}
			// /imagine.
			i := h.command(u, "imagine", &discordgo.ApplicationCommandInteractionDataOption{Name: "prompt", Type: discordgo.ApplicationCommandOptionString, Value: "a lighthouse"},
				&discordgo.ApplicationCommandInteractionDataOption{Name: "quality", Type: discordgo.ApplicationCommandOptionString, Value: "low"})
			var msg discordgo.Message
			if !h.fake.WaitFor(10*time.Second, func() bool {
				msgs := h.fake.InteractionMessages(i.ID)
				if len(msgs) == 1 && len(msgs[0].Attachments) == 1 {
					msg = msgs[0]
					return true
				}
				return false
			}) {
				t.Fatalf("/imagine: %+v", h.fake.InteractionMessages(i.ID))
			}
			if !strings.Contains(msg.Content, "a lighthouse") || !strings.Contains(msg.Content, "$0.009") {
				t.Errorf("/imagine said %q", msg.Content)
			}
			i = h.command(u, "imagine", &discordgo.ApplicationCommandInteractionDataOption{Name: "prompt", Type: discordgo.ApplicationCommandOptionString, Value: "a palace"},
				&discordgo.ApplicationCommandInteractionDataOption{Name: "quality", Type: discordgo.ApplicationCommandOptionString, Value: "high"})
			waitInteraction(t, h, i, "💸 That costs about $0.1250")
			if p := h.answerOf(t, h.command(u, "prices")); len(p.Embeds) != 1 ||
				!strings.Contains(p.Embeds[0].Description, "Images (`gpt-image-2`), per 1024x1024 image (larger sizes in proportion): low $0.009000 · medium $0.0320 · high $0.1250") {
				t.Errorf("/prices: %+v", p.Embeds)
			}
			db := h.openStoreAfterStop(t)
			fs, _ := db.Files(u)
			images := 0
			for _, f := range fs {
				if strings.HasPrefix(f.Name, "image-") && f.ContentType == "image/png" {
					images++
				}
			}
			if images != 3 { // the fox, the edit, the lighthouse
				t.Errorf("%d images stored, want 3: %+v", images, fs)
			}
			usage, _ := db.UserUsage(u)
			for _, x := range usage {
				if x.Model == "gpt-image-2" && (x.Requests != 3 || fmt.Sprintf("%.3f", x.CostUSD) != "0.027") {
					t.Errorf("image usage: %+v", x)
				}
			}
		})
	}
}

func waitInteraction(t *testing.T, h *harness, i *discordgo.Interaction, prefix string) discordgo.Message {
	t.Helper()
	var got discordgo.Message
	if !h.fake.WaitFor(10*time.Second, func() bool {
		msgs := h.fake.InteractionMessages(i.ID)
		if len(msgs) > 0 {
			got = msgs[0]
		}
		return strings.HasPrefix(got.Content, prefix)
	}) {
		t.Fatalf("interaction answer %q, want prefix %q", got.Content, prefix)
	}
	return got
}

// TestImages_AtMostFourPerAnswer: a model that asks for five images in
// one answer gets four and an error for the fifth.
func TestImages_AtMostFourPerAnswer(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.ImageModel = "gpt-image-2" })
	h.ai.SetResponder(func(req openai.ChatCompletionRequest) openaitest.Reply {
		if lastIsTool(req) {
			return openaitest.Reply{Text: "results: " + strings.Join(toolResults(req), " | ")}
		}
		var calls []openai.ToolCall
		for i := 0; i < 5; i++ {
			calls = append(calls, call(fmt.Sprint("i", i), "generate_image", `{"prompt":"fox `+fmt.Sprint(i)+`","quality":"low"}`))
		}
		return openaitest.Reply{ToolCalls: calls}
	})
	r := waitFinalReply(t, h, h.dm("7105", "five foxes"), "results: ")
	if strings.Count(r, "Image made") != 4 || !strings.Contains(r, "Error: at most 4 images per answer") || len(h.ai.ImageRequests()) != 4 {
		t.Errorf("reply %q, %d image requests", r, len(h.ai.ImageRequests()))
	}
}

// TestImages_ImagineForgedOptions: /imagine options Discord would never
// send (a quality outside the choices, a blank prompt) are refused with a
// clear answer and reach no provider.
func TestImages_ImagineForgedOptions(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.ImageModel = "gpt-image-2"; c.AdminIDs = []string{adminID} })
	opt := func(name, v string) *discordgo.ApplicationCommandInteractionDataOption {
		return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: v}
	}
	waitInteraction(t, h, h.command("7106", "imagine", opt("prompt", "a fox"), opt("quality", "ultra")), "❌ The quality must be one of low, medium, high.")
	waitInteraction(t, h, h.command("7106", "imagine", opt("prompt", "   ")), "❌ The image needs a prompt.")
	waitInteraction(t, h, h.command("7106", "imagine", opt("prompt", "a fox"), opt("size", "99999x1")), "❌ The size must be one of")
	if n := len(h.ai.ImageRequests()); n != 0 {
		t.Errorf("%d forged requests reached the provider", n)
	}
	// And /admin mcp with no servers configured says so.
	if a := h.answerOf(t, h.admin(adminID, "mcp", "")); !strings.HasPrefix(a.Content, "🧩 No MCP servers are configured") {
		t.Errorf("/admin mcp = %q", a.Content)
	}
}
