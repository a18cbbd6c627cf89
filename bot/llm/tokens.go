package llm

import (
	"sync"

	"github.com/discordgpt/discordgpt/bot/llm/o200k"
)

// ImageTokens is what one image is counted as when trimming history: the
// cost of a high-detail 512x512 tile set, a fair middle for chat images.
const ImageTokens = 765

// PerMessageTokens is the framing each chat message costs on top of its text.
const PerMessageTokens = 4

// CountTokens counts text's tokens with o200k_base, the tokenizer of every
// OpenAI chat model still served (GPT-4o, GPT-4.1, GPT-5 on, the
// o-series; cl100k_base served only models OpenAI has shut down), and a
// fair measure for other providers' models. model is kept for when that
// changes.
func CountTokens(model, text string) int {
	if text == "" {
		return 0
	}
	return o200k.Count(text)
}

// promptCounts remembers the counts of the few system prompts in use (each
// is counted for every question otherwise). It holds at most
// maxPromptCounts, and starts afresh when full: a prompt carries the
// time, so old ones are never asked for again.
var promptCounts struct {
	sync.Mutex
	m map[string]int
}

const maxPromptCounts = 64

// promptTokens is CountTokens for a system prompt, remembered.
func promptTokens(model, text string) int {
	promptCounts.Lock()
	n, ok := promptCounts.m[text]
	promptCounts.Unlock()
	if ok {
		return n
	}
	n = CountTokens(model, text)
	promptCounts.Lock()
	if promptCounts.m == nil || len(promptCounts.m) >= maxPromptCounts {
		promptCounts.m = map[string]int{}
	}
	promptCounts.m[text] = n
	promptCounts.Unlock()
	return n
}

// MessageTokens counts one message as the model will see it.
func MessageTokens(model string, m Message) int {
	n := PerMessageTokens + CountTokens(model, m.Content)
	for _, p := range m.Parts {
		if p.ImageURL != "" {
			n += ImageTokens
		} else {
			n += CountTokens(model, p.Text)
		}
	}
	for _, tc := range m.ToolCalls {
		n += CountTokens(model, tc.Name) + CountTokens(model, tc.Arguments)
	}
	return n
}

// RequestTokens counts a whole request's prompt: the system prompt and
// every message.
func RequestTokens(req Request) int {
	n := PerMessageTokens + CountTokens(req.Model, req.System)
	for _, m := range req.Messages {
		n += MessageTokens(req.Model, m)
	}
	return n
}

// CutToTokens shortens text to at most limit tokens of the model, keeping
// the start, and says that it was cut.
func CutToTokens(model, text string, limit int) string {
	const note = "\n[… message cut to fit the conversation budget]"
	if CountTokens(model, text) <= limit {
		return text
	}
	budget := limit - CountTokens(model, note)
	if budget <= 0 {
		return note[1:]
	}
	r := []rune(text)
	lo, hi := 0, len(r)
	for lo < hi { // longest prefix that fits
		mid := (lo + hi + 1) / 2
		if CountTokens(model, string(r[:mid])) <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return string(r[:lo]) + note
}
