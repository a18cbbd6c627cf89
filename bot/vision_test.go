package bot_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	"github.com/discordgpt/discordgpt/internal/heappeak"
	"github.com/discordgpt/discordgpt/internal/testimg"
)

// photo is a w×h JPEG with a gradient and, when noisy, per-pixel noise
// (which keeps it large, like a real photo).
func photo(t testing.TB, w, h int, noisy bool, quality int) []byte {
	b, err := testimg.Photo(w, h, noisy, quality)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sentImages decodes the images of the last chat request.
func sentImages(t *testing.T, req openai.ChatCompletionRequest) (imgs []image.Config, texts []string) {
	t.Helper()
	for _, m := range req.Messages {
		for _, p := range m.MultiContent {
			if p.ImageURL == nil {
				texts = append(texts, p.Text)
				continue
			}
			_, data, ok := strings.Cut(p.ImageURL.URL, ";base64,")
			if !ok {
				t.Fatalf("image sent as %q", p.ImageURL.URL[:min(40, len(p.ImageURL.URL))])
			}
			raw, err := base64.StdEncoding.DecodeString(data)
			if err != nil {
				t.Fatal(err)
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			imgs = append(imgs, cfg)
		}
	}
	return imgs, texts
}

func TestVision_PhotosScaledDownBombsRefused(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.API = llm.APIChat; c.RateCount = 0 })
	// A 3000x2000 photo goes at 1152x768: 768 on the short side.
	q := h.dm("555000555000901", "what is this?", h.fake.AddAttachment("big.jpg", "image/jpeg", photo(t, 3000, 2000, false, 90)))
	waitReplyPrefix(t, h, q, "echo: what is this?")
	imgs, _ := sentImages(t, lastChat(t, h.ai))
	if len(imgs) != 1 || imgs[0].Width != 1152 || imgs[0].Height != 768 {
		t.Errorf("sent %+v, want one 1152x768 image", imgs)
	}
	// A very long screenshot: 2000 on the long side decides.
	q = h.dm("555000555000902", "and this?", h.fake.AddAttachment("long.jpg", "image/jpeg", photo(t, 600, 5000, false, 80)))
	waitReplyPrefix(t, h, q, "echo: and this?")
	if imgs, _ := sentImages(t, lastChat(t, h.ai)); len(imgs) != 1 || imgs[0].Width != 240 || imgs[0].Height != 2000 {
		t.Errorf("sent %+v, want one 240x2000 image", imgs)
	}
	// A pixel bomb: a small PNG that would decode to 56 megapixels.
	var bomb bytes.Buffer
	if err := png.Encode(&bomb, image.NewGray(image.Rect(0, 0, 8000, 7000))); err != nil {
		t.Fatal(err)
	}
	q = h.dm("555000555000903", "look", h.fake.AddAttachment("bomb.png", "image/png", bomb.Bytes()))
	waitReplyPrefix(t, h, q, "echo: look")
	imgs, texts := sentImages(t, lastChat(t, h.ai))
	if len(imgs) != 0 || !strings.Contains(strings.Join(texts, "|"), "[image bomb.png is too large to show: 8000x7000: too many pixels]") {
		t.Errorf("a pixel bomb: images %+v, texts %q", imgs, texts)
	}
	// Not an image at all, though named one: a note, and the bot answers.
	q = h.dm("555000555000904", "see", h.fake.AddAttachment("fake.png", "image/png", []byte("\x89PNG\r\n\x1a\nnot really")))
	waitReplyPrefix(t, h, q, "echo: see")
}

func TestAnswers_AtMostMaxConcurrentTheRestTold(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.MaxConcurrentAnswers = 1; c.RateCount = 0 })
	h.ai.Enqueue(openaitest.Reply{Text: strings.Repeat("slowly ", 100), ChunkSize: 7, ChunkDelay: 20 * time.Millisecond})
	q1 := h.dm("555000555000911", "first")
	if !h.fake.WaitFor(10*time.Second, func() bool { r, ok := replyTo(h.fake, q1); return ok && strings.HasPrefix(r.Content, "slowly") }) {
		t.Fatal("first answer never started")
	}
	q2 := h.dm("555000555000912", "second")
	waitReply(t, h.fake, q2, "⏳ Lots of questions at once: yours is next in line and will be answered in a moment.")
	if n := len(h.ai.Requests()); n != 1 {
		t.Fatalf("%d model calls while only one answer may run", n)
	}
	q3 := h.dm("555000555000913", "third")
	waitReply(t, h.fake, q3, "⏳ Lots of questions at once: yours is next in line and will be answered in a moment.")
	// The third asker gives up: /stop finishes their notice.
	h.answerOf(t, h.command("555000555000913", "stop"))
	waitReplySuffix(t, h, q3, "⏹️ *Stopped.*")
	// The notice becomes the second answer once the first is done.
	waitFinalReply(t, h, q2, "echo: second")
	if msgs := botMessages(h.fake, q2.ChannelID); len(msgs) != 1 {
		t.Errorf("second user got %d messages, want the notice turned answer", len(msgs))
	}
	if n := len(h.ai.Requests()); n != 2 {
		t.Errorf("%d model calls, want 2 (the stopped one never reached the model)", n)
	}
}

// BenchmarkImages_TwentyPhotosAtOnce is issue 15's image figure: 20 users
// each send a 10 MB photo at the same moment. It reports the peak Go heap
// above the idle bot's (the fakes run in the process too: the fake Discord
// serves one shared buffer) and the time until all are answered.
func BenchmarkImages_TwentyPhotosAtOnce(b *testing.B) {
	big := photo(b, 3000, 2200, true, 97)
	b.Logf("photo: %.1f MB", float64(len(big))/(1<<20))
	h := startBot(b, func(c *bot.Config) { c.API = llm.APIChat; c.RateCount = 0; c.MaxFileSizeMB = 25 })
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		stop := heappeak.Watch(time.Millisecond)
		start := time.Now()
		var wg sync.WaitGroup
		for u := 0; u < 20; u++ {
			wg.Add(1)
			go func(u int) {
				defer wg.Done()
				user := fmt.Sprint(555000555100000 + i*100 + u)
				q := h.dm(user, "what is this?", h.fake.AddAttachment("photo.jpg", "image/jpeg", big))
				if !h.fake.WaitFor(2*time.Minute, func() bool {
					r, ok := replyTo(h.fake, q)
					return ok && strings.HasPrefix(r.Content, "echo: what is this?") && !strings.HasSuffix(r.Content, "▌")
				}) {
					b.Errorf("user %d not answered", u)
				}
			}(u)
		}
		wg.Wait()
		peak := stop()
		b.ReportMetric(float64(peak-min(base, peak))/(1<<20), "peak-heap-MiB")
		b.ReportMetric(time.Since(start).Seconds(), "s-all-answered")
	}
}
