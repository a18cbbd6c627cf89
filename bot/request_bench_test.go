package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/discordgpt/discordgpt/store"
)

// BenchmarkBuildRequest is the cost of assembling one model request (the
// history read, counted and trimmed to HISTORY_TOKENS=8000) for a user
// with 10, 10,000 and 100,000 stored messages, stored as the bot stores
// them (with their token counts), so it shows whether the cost grows with
// the history. Short messages are ordinary chat (about 60 tokens: some
// 115 fit the budget); long ones about 800 tokens (8 fit, so 10 messages
// already fill it). The tokenizer's one-time setup happens before the
// timer.
func BenchmarkBuildRequest(b *testing.B) {
	for _, c := range []struct {
		n     int
		words int
		size  string
	}{{10, 45, "short"}, {10_000, 45, "short"}, {100_000, 45, "short"}, {10, 600, "long"}, {10_000, 600, "long"}, {100_000, 600, "long"}} {
		n := c.n
		b.Run(fmt.Sprintf("size=%s/messages=%d", c.size, n), func(b *testing.B) {
			bot := storeBot(b, Config{HistoryTokens: 8000, SystemPrompt: DefaultSystemPrompt, Timezone: time.UTC})
			db := bot.db
			const user = "424242"
			words := strings.Fields("the quick brown fox jumps over the lazy dog while a small bird sings about rain and coffee")
			batch := make([]store.Message, 0, 10_000)
			for i := 0; i < n; i++ {
				var sb strings.Builder
				for w := 0; w < c.words; w++ {
					sb.WriteString(words[(i+w*7)%len(words)])
					sb.WriteByte(' ')
				}
				role := store.RoleUser
				if i%2 == 1 {
					role = store.RoleAssistant
				}
				m := store.Message{Role: role, Content: fmt.Sprintf("%d: %s", i, sb.String())}
				m.Tokens = bot.turnTokens(user, "gpt-4o-mini", m, time.Now())
				batch = append(batch, m)
				if len(batch) == cap(batch) || i == n-1 {
					if _, err := db.AppendMessages(user, batch...); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
			q := store.Message{Role: store.RoleUser, Content: "and what about tomorrow?"}
			now := time.Now()
			if _, err := bot.buildRequest(user, "gpt-4o-mini", q, nil, now); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				req, err := bot.buildRequest(user, "gpt-4o-mini", q, nil, now)
				if err != nil || len(req.Messages) < 2 {
					b.Fatal(err, len(req.Messages))
				}
			}
		})
	}
}
