package bot_test

import (
	"fmt"
	"sort"
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
