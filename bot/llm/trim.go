package llm

// ReplyReserve is the part of the token budget kept free for the answer.
func ReplyReserve(budget int) int { return min(1024, budget/4) }

// FitToBudget picks what is sent: the newest history messages that fit
// whole (oldest dropped first), then the new question, counted with the
// model's tokenizer against budget minus the system prompt and room for
// the reply. A single message too large for what is left is cut, never
// dropped silently. It returns the messages to send (history then
// question) and how many history messages were left out.
func FitToBudget(model string, budget int, system string, hist []Message, question Message) ([]Message, int) {
	left := budget - ReplyReserve(budget) - PerMessageTokens - CountTokens(model, system)
	qTokens := MessageTokens(model, question)
	if qTokens > left {
		question = cutMessage(model, question, left)
		qTokens = MessageTokens(model, question)
	}
	left -= qTokens
	keep := len(hist)
	for i := len(hist) - 1; i >= 0; i-- {
		n := MessageTokens(model, hist[i])
		if n > left {
			if i == len(hist)-1 && left > PerMessageTokens+16 && hist[i].Content != "" && len(hist[i].Parts) == 0 {
				// The newest history message alone is too big: keep its start.
				hist[i].Content = CutToTokens(model, hist[i].Content, left-PerMessageTokens)
				keep = i
			}
			break
		}
		left -= n
		keep = i
	}
	out := make([]Message, 0, len(hist)-keep+1)
	out = append(out, hist[keep:]...)
	out = append(out, question)
	return out, keep
}

// cutMessage shortens a message's text parts to fit limit tokens (images
// counted first).
func cutMessage(model string, m Message, limit int) Message {
	if len(m.Parts) == 0 {
		m.Content = CutToTokens(model, m.Content, limit-PerMessageTokens)
		return m
	}
	room := limit - PerMessageTokens
	parts := make([]Part, len(m.Parts))
	copy(parts, m.Parts)
	for _, p := range parts {
		if p.ImageURL != "" {
			room -= ImageTokens
		}
	}
	for i, p := range parts {
		if p.ImageURL != "" {
			continue
		}
		p.Text = CutToTokens(model, p.Text, max(room, 16))
		room -= CountTokens(model, p.Text)
		parts[i] = p
	}
	m.Parts = parts
	return m
}
