package bot_test

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	openai "github.com/sashabaranov/go-openai"
)

// BenchmarkChat_Overhead measures the bot's own cost per chat message: a
// DM injected at the fake gateway, the streamed answer of a fake model
// with no delay, the reply posted and finally edited on the fake Discord,
// the exchange committed to bbolt. Both fakes run in the same process, so
// their cost is included. It reports messages per second and the p50/p99
// latency from event to final edit.
func BenchmarkChat_Overhead(b *testing.B) {
	for _, bc := range []struct {
		api      llm.API
		parallel int
	}{{llm.APIChat, 1}, {llm.APIChat, 8}, {llm.APIResponses, 1}, {llm.APIResponses, 8}} {
		parallel := bc.parallel
		b.Run(fmt.Sprintf("api=%s/users=%d", bc.api, parallel), func(b *testing.B) {
			h := startBot(b, func(c *bot.Config) { c.RateCount = 0; c.API = bc.api })
			h.ai.SetResponder(func(req openai.ChatCompletionRequest) openaitest.Reply {
				return openaitest.Reply{Text: "answer to " + openaitest.LastUserText(req), ChunkSize: 8}
			})
			var mu sync.Mutex
			var lat []time.Duration
			next := make(chan int)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := 0; w < parallel; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := range next {
						text := fmt.Sprintf("q%d", i)
						t0 := time.Now()
						q := h.fake.SendMessage(&discordgo.Message{ChannelID: fmt.Sprint("bench", w),
							Author: &discordgo.User{ID: fmt.Sprint(5000 + w)}, Content: text})
						ok := h.fake.WaitFor(10*time.Second, func() bool {
							r, found := replyTo(h.fake, q)
							return found && r.Content == "answer to "+text
						})
						if !ok {
							b.Errorf("no answer to %s", text)
							return
						}
						mu.Lock()
						lat = append(lat, time.Since(t0))
						mu.Unlock()
					}
				}(w)
			}
			for i := 0; i < b.N; i++ {
				next <- i
			}
			close(next)
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			if len(lat) > 0 {
				b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "msgs/s")
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			}
			h.stop(b)
		})
	}
}

// BenchmarkChat_FinalsUnderChannelLimits: 50 users in 10 channels ask at
// once while the fake Discord applies its per-channel write limit (5 per
// 5 s); it reports how long after the model finished each final text
// landed (p50, p99, max), the figure the channel's intermediate edits used
// to push to half a minute.
func BenchmarkChat_FinalsUnderChannelLimits(b *testing.B) {
	h := startBot(b, func(c *bot.Config) { c.RateCount = 0; c.StreamEditInterval = 200 * time.Millisecond })
	h.fake.ChannelLimit(5, 5*time.Second)
	h.ai.SetResponder(func(req openai.ChatCompletionRequest) openaitest.Reply {
		return openaitest.Reply{Text: "answer for " + openaitest.LastUserText(req) + strings.Repeat(" and more words", 20),
			ChunkSize: 12, ChunkDelay: 65 * time.Millisecond} // about 1.8 s, as in the workload
	})
	var lat []time.Duration
	for n := 0; n < b.N; n++ {
		var qs []*discordgo.Message
		var texts []string
		for u := 0; u < 50; u++ {
			text := fmt.Sprintf("round %d user %d", n, u)
			texts = append(texts, text)
			qs = append(qs, mention(h.fake, fmt.Sprint(8000+u), fmt.Sprint("chan", u%10), text))
		}
		for i, q := range qs {
			want := "answer for " + texts[i] + strings.Repeat(" and more words", 20)
			if !h.fake.WaitFor(2*time.Minute, func() bool { r, ok := replyTo(h.fake, q); return ok && r.Content == want }) {
				b.Fatalf("no final answer for %q", texts[i])
			}
		}
		done := map[string]time.Time{}
		for _, r := range h.ai.Requests() {
			done[openaitest.LastUserText(r.Chat)] = r.Done
		}
		for i, text := range texts {
			want := `"content":"answer for ` + text + strings.Repeat(" and more words", 20) + `"`
			for _, r := range h.fake.Requests() {
				if r.Status == 200 && strings.Contains(string(r.Body), want) {
					lat = append(lat, r.Time.Sub(done[texts[i]]))
					break
				}
			}
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(lat[len(lat)/2].Seconds(), "p50-final-s")
		b.ReportMetric(lat[len(lat)*99/100].Seconds(), "p99-final-s")
		b.ReportMetric(lat[len(lat)-1].Seconds(), "max-final-s")
	}
	h.stop(b)
}

// BenchmarkToolLoop measures what a round of tools adds to an answer: a
// DM whose fake model calls list_files `rounds` times (no delay) before it
// answers, through both fakes and bbolt, event in to final edit. The
// overhead of one round is (rounds=3 - rounds=0) / 3.
func BenchmarkToolLoop(b *testing.B) {
	for _, api := range []llm.API{llm.APIChat, llm.APIResponses} {
		for _, rounds := range []int{0, 1, 3} {
			b.Run(fmt.Sprintf("api=%s/rounds=%d", api, rounds), func(b *testing.B) {
				h := startBot(b, func(c *bot.Config) { c.RateCount = 0; c.API = api })
				h.ai.SetResponder(func(req openai.ChatCompletionRequest) openaitest.Reply {
					done := 0
					for _, m := range req.Messages {
						if m.Role == openai.ChatMessageRoleTool {
							done++
						}
					}
					if done < rounds {
						return openaitest.Reply{ToolCalls: []openai.ToolCall{{ID: fmt.Sprint("c", done), Type: openai.ToolTypeFunction,
							Function: openai.FunctionCall{Name: "list_files", Arguments: "{}"}}}}
					}
					return openaitest.Reply{Text: "answer to " + openaitest.LastUserText(req), ChunkSize: 64}
				})
				lat := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					text := fmt.Sprintf("q%d", i)
					t0 := time.Now()
					// A user per message: each history starts empty, so every
					// message costs the same.
					q := h.fake.SendMessage(&discordgo.Message{ChannelID: fmt.Sprint("tl", i),
						Author: &discordgo.User{ID: fmt.Sprint(60000 + i)}, Content: text})
					if !h.fake.WaitFor(10*time.Second, func() bool {
						r, found := replyTo(h.fake, q)
						return found && r.Content == "answer to "+text
					}) {
						b.Fatalf("no answer to %s", text)
					}
					lat = append(lat, time.Since(t0))
				}
				b.StopTimer()
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				h.stop(b)
			})
		}
	}
}
