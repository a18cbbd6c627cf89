package llm

// ReplyReserve is the part of the token budget kept free for the answer.
func ReplyReserve(budget int) int { return min(1024, budget/4) }

// Turn is one stored message as the model sees it: a question, or an
// answer with the tool calls it made first. Tokens, when above zero, is
// its size counted when it was stored, so it is not counted again.
type Turn struct {
	Messages []Message
	Tokens   int
}

// Size is the turn's tokens: the stored count, else counted now.
func (t Turn) Size(model string) int {
	if t.Tokens > 0 {
		return t.Tokens
	}
	n := 0
	for _, m := range t.Messages {
		n += MessageTokens(model, m)
	}
	return n
}

// FitToBudget is FitTurns with each history message its own turn.
func FitToBudget(model string, budget int, system string, hist []Message, question Message) ([]Message, int) {
	turns := make([]Turn, len(hist))
	for i, m := range hist {
		turns[i] = Turn{Messages: []Message{m}}
	}
	return FitTurns(model, budget, system, turns, question)
}

// FitTurns picks what is sent: the newest history turns that fit whole
// (oldest dropped first, a turn's tool calls never split from their
// results), then the new question, against budget minus the system prompt
// and room for the reply. A single message too large for what is left is
// cut, never dropped silently. It returns the messages to send (history
// then question) and how many history turns were left out.
func FitTurns(model string, budget int, system string, hist []Turn, question Message) ([]Message, int) {
	left := budget - ReplyReserve(budget) - PerMessageTokens - promptTokens(model, system)
	qTokens := MessageTokens(model, question)
	if qTokens > left {
		question = cutMessage(model, question, left)
		qTokens = MessageTokens(model, question)
	}
	left -= qTokens
	keep := len(hist)
	var cut *Message
	for i := len(hist) - 1; i >= 0; i-- {
		n := hist[i].Size(model)
		if n > left {
			if i == len(hist)-1 && left > PerMessageTokens+16 && len(hist[i].Messages) == 1 {
				if m := hist[i].Messages[0]; m.Content != "" && len(m.Parts) == 0 && len(m.ToolCalls) == 0 {
					// The newest history message alone is too big: keep its start.
					m.Content = CutToTokens(model, m.Content, left-PerMessageTokens)
					cut, keep = &m, i
				}
			}
			break
		}
		left -= n
		keep = i
	}
	out := make([]Message, 0, 2*(len(hist)-keep)+1)
	for i := keep; i < len(hist); i++ {
		if cut != nil && i == len(hist)-1 {
			out = append(out, *cut)
			continue
		}
		out = append(out, hist[i].Messages...)
	}
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
