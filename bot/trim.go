package bot

import openai "github.com/sashabaranov/go-openai"

// replyReserve is the part of the token budget kept free for the answer.
func replyReserve(budget int) int { return min(1024, budget/4) }

// fitToBudget builds the request's messages: the system prompt always, the
// newest history messages that fit whole (oldest dropped first), then the
// new question. Messages are counted with the model's tokenizer against
// budget minus room for the reply. A single message too large for what is
// left is cut, never dropped silently. It returns how many history
// messages were left out.
func fitToBudget(model string, budget int, system openai.ChatCompletionMessage, hist []openai.ChatCompletionMessage, question openai.ChatCompletionMessage) ([]openai.ChatCompletionMessage, int) {
	left := budget - replyReserve(budget) - messageTokens(model, system)
	qTokens := messageTokens(model, question)
	if qTokens > left {
		question = cutMessage(model, question, left)
		qTokens = messageTokens(model, question)
	}
	left -= qTokens
	keep := len(hist)
	for i := len(hist) - 1; i >= 0; i-- {
		n := messageTokens(model, hist[i])
		if n > left {
			if i == len(hist)-1 && left > perMessageTokens+16 && hist[i].Content != "" && len(hist[i].MultiContent) == 0 {
				// The newest history message alone is too big: keep its start.
				hist[i].Content = cutToTokens(model, hist[i].Content, left-perMessageTokens)
				keep = i
			}
			break
		}
		left -= n
		keep = i
	}
	out := make([]openai.ChatCompletionMessage, 0, len(hist)-keep+2)
	out = append(out, system)
	out = append(out, hist[keep:]...)
	out = append(out, question)
	return out, keep
}

// cutMessage shortens a message's text parts to fit max tokens (images
// counted first).
func cutMessage(model string, m openai.ChatCompletionMessage, limit int) openai.ChatCompletionMessage {
	if len(m.MultiContent) == 0 {
		m.Content = cutToTokens(model, m.Content, limit-perMessageTokens)
		return m
	}
	room := limit - perMessageTokens
	parts := make([]openai.ChatMessagePart, len(m.MultiContent))
	copy(parts, m.MultiContent)
	for _, p := range parts {
		if p.Type == openai.ChatMessagePartTypeImageURL {
			room -= imageTokens
		}
	}
	for i, p := range parts {
		if p.Type != openai.ChatMessagePartTypeText {
			continue
		}
		p.Text = cutToTokens(model, p.Text, max(room, 16))
		room -= countTokens(model, p.Text)
		parts[i] = p
	}
	m.MultiContent = parts
	return m
}
