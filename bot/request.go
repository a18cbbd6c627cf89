package bot

import (
	"strings"
	"time"

	"github.com/discordgpt/discordgpt/store"
	openai "github.com/sashabaranov/go-openai"
)

// isReasoningModel reports whether model takes max_completion_tokens and
// no temperature (o1, o3, o4-mini and the gpt-5 family).
func isReasoningModel(model string) bool {
	m := strings.ToLower(model)
	for _, p := range []string{"o1", "o3", "o4-mini", "gpt-5"} {
		if m == p || strings.HasPrefix(m, p+"-") {
			return true
		}
	}
	return false
}

// noSystemRole reports whether model refuses the system role (o1-mini,
// o1-preview): its instructions go in a user message instead.
func noSystemRole(model string) bool {
	m := strings.ToLower(model)
	return strings.HasPrefix(m, "o1-mini") || strings.HasPrefix(m, "o1-preview")
}

// systemPrompt is SYSTEM_PROMPT with the current date and time in TIMEZONE.
func (b *Bot) systemPrompt(now time.Time) string {
	return b.cfg.SystemPrompt + "\nCurrent date and time: " + now.In(b.cfg.Timezone).Format("Monday, 2 January 2006 15:04 MST") + "."
}

// toChatMessage turns a stored message into what the model sees.
func (b *Bot) toChatMessage(userID string, m store.Message, now time.Time) openai.ChatCompletionMessage {
	if len(m.FileIDs) == 0 || m.Role != store.RoleUser {
		return openai.ChatCompletionMessage{Role: m.Role, Content: m.Content}
	}
	var parts []openai.ChatMessagePart
	if m.Content != "" {
		parts = append(parts, openai.ChatMessagePart{Type: openai.ChatMessagePartTypeText, Text: m.Content})
	}
	parts = append(parts, b.fileParts(userID, m.FileIDs, now)...)
	return openai.ChatCompletionMessage{Role: m.Role, MultiContent: parts}
}

// buildRequest assembles the streamed request for question q: the system
// prompt, as much recent history as fits HISTORY_TOKENS, and q.
func (b *Bot) buildRequest(userID, model string, q store.Message, now time.Time) (openai.ChatCompletionRequest, error) {
	hist, err := b.db.History(userID, historyLoad)
	if err != nil {
		return openai.ChatCompletionRequest{}, err
	}
	var msgs []openai.ChatCompletionMessage
	for _, h := range hist {
		msgs = append(msgs, b.toChatMessage(userID, h, now))
	}
	system := openai.ChatCompletionMessage{Role: openai.ChatMessageRoleSystem, Content: b.systemPrompt(now)}
	all, _ := fitToBudget(model, b.cfg.HistoryTokens, system, msgs, b.toChatMessage(userID, q, now))
	b.loadImages(userID, all) // only for the messages that made the cut
	if noSystemRole(model) {
		all[0].Role = openai.ChatMessageRoleUser
		all[0].Content = "Instructions for this conversation:\n" + all[0].Content
	}
	req := openai.ChatCompletionRequest{
		Model: model, Messages: all, Stream: true,
		StreamOptions: &openai.StreamOptions{IncludeUsage: true},
	}
	if isReasoningModel(model) {
		req.MaxCompletionTokens = maxTokensReasoning
	} else {
		req.MaxTokens = maxTokensChat
	}
	return req, nil
}
