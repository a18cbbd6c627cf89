package bot

import (
	"time"

	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/store"
)

// systemPrompt is SYSTEM_PROMPT with the current date and time in TIMEZONE.
func (b *Bot) systemPrompt(now time.Time) string {
	return b.cfg.SystemPrompt + "\nCurrent date and time: " + now.In(b.cfg.Timezone).Format("Monday, 2 January 2006 15:04 MST") + "."
}

// toMessage turns a stored message into what the model sees.
func (b *Bot) toMessage(userID string, m store.Message, now time.Time) llm.Message {
	if len(m.FileIDs) == 0 || m.Role != store.RoleUser {
		return llm.Message{Role: m.Role, Content: m.Content}
	}
	var parts []llm.Part
	if m.Content != "" {
		parts = append(parts, llm.Part{Text: m.Content})
	}
	parts = append(parts, b.fileParts(userID, m.FileIDs, now)...)
	return llm.Message{Role: m.Role, Parts: parts}
}

// buildRequest assembles the call for question q: the system prompt, as
// much recent history as fits HISTORY_TOKENS, and q.
func (b *Bot) buildRequest(userID, model string, q store.Message, now time.Time) (llm.Request, error) {
	hist, err := b.db.History(userID, historyLoad)
	if err != nil {
		return llm.Request{}, err
	}
	msgs := make([]llm.Message, 0, len(hist))
	for _, h := range hist {
		msgs = append(msgs, b.toMessage(userID, h, now))
	}
	system := b.systemPrompt(now)
	all, _ := llm.FitToBudget(model, b.cfg.HistoryTokens, system, msgs, b.toMessage(userID, q, now))
	b.loadImages(userID, all) // only for the messages that made the cut
	maxOut := maxTokensChat
	if llm.IsReasoning(model) {
		maxOut = maxTokensReasoning
	}
	return llm.Request{Model: model, System: system, Messages: all, MaxOutputTokens: maxOut,
		Temperature: b.cfg.Temperature, ReasoningEffort: b.cfg.ReasoningEffort}, nil
}
