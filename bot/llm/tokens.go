package llm

import (
	"strings"
	"sync"

	"github.com/tiktoken-go/tokenizer"
)

// ImageTokens is what one image is counted as when trimming history: the
// cost of a high-detail 512x512 tile set, a fair middle for chat images.
const ImageTokens = 765

// PerMessageTokens is the framing each chat message costs on top of its text.
const PerMessageTokens = 4

var codecs struct {
	mu sync.Mutex
	m  map[tokenizer.Encoding]tokenizer.Codec
}

// encodingFor picks the tokenizer of a model's family: o200k for gpt-4o,
// gpt-4.1, GPT-5 and later and the o-series; cl100k for older GPT-4 and
// GPT-3.5; o200k for anything unknown.
func encodingFor(model string) tokenizer.Encoding {
	m := strings.ToLower(model)
	if IsReasoning(m) {
		return tokenizer.O200kBase
	}
	for _, p := range []string{"gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5"} {
		if strings.HasPrefix(m, p) {
			return tokenizer.O200kBase
		}
	}
	for _, p := range []string{"gpt-4", "gpt-3.5", "text-embedding"} {
		if strings.HasPrefix(m, p) {
			return tokenizer.Cl100kBase
		}
	}
	return tokenizer.O200kBase
}

// codecFor returns the (shared, read-only) codec of a model's family.
func codecFor(model string) tokenizer.Codec {
	enc := encodingFor(model)
	codecs.mu.Lock()
	defer codecs.mu.Unlock()
	if c, ok := codecs.m[enc]; ok {
		return c
	}
	c, err := tokenizer.Get(enc)
	if err != nil {
		panic("tokenizer " + string(enc) + ": " + err.Error()) // compiled in; cannot fail
	}
	if codecs.m == nil {
		codecs.m = map[tokenizer.Encoding]tokenizer.Codec{}
	}
	codecs.m[enc] = c
	return c
}

// CountTokens counts text's tokens with the model's tokenizer; on a
// tokenizer error it falls back on four characters a token.
func CountTokens(model, text string) int {
	if text == "" {
		return 0
	}
	n, err := codecFor(model).Count(text)
	if err != nil {
		return len(text)/4 + 1
	}
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
