package bot

import (
	"strings"
	"sync"

	openai "github.com/sashabaranov/go-openai"
	"github.com/tiktoken-go/tokenizer"
)

// imageTokens is what one image is counted as when trimming history: the
// cost of a high-detail 512x512 tile set, a fair middle for chat images.
const imageTokens = 765

// perMessageTokens is the framing each chat message costs on top of its text.
const perMessageTokens = 4

var codecs struct {
	mu sync.Mutex
	m  map[tokenizer.Encoding]tokenizer.Codec
}

// encodingFor picks the tokenizer of a model's family: o200k for gpt-4o,
// gpt-4.1, gpt-5 and the o-series; cl100k for older GPT-4 and GPT-3.5;
// o200k for anything unknown.
func encodingFor(model string) tokenizer.Encoding {
	m := strings.ToLower(model)
	for _, p := range []string{"gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4"} {
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

// countTokens counts text's tokens with the model's tokenizer; on a
// tokenizer error it falls back on four characters a token.
func countTokens(model, text string) int {
	if text == "" {
		return 0
	}
	n, err := codecFor(model).Count(text)
	if err != nil {
		return len(text)/4 + 1
	}
	return n
}

// messageTokens counts one chat message as the model will see it.
func messageTokens(model string, m openai.ChatCompletionMessage) int {
	n := perMessageTokens + countTokens(model, m.Content)
	for _, p := range m.MultiContent {
		switch p.Type {
		case openai.ChatMessagePartTypeText:
			n += countTokens(model, p.Text)
		case openai.ChatMessagePartTypeImageURL:
			n += imageTokens
		}
	}
	return n
}

// cutToTokens shortens text to at most limit tokens of the model, keeping the
// start, and says that it was cut.
func cutToTokens(model, text string, limit int) string {
	const note = "\n[… message cut to fit the conversation budget]"
	if countTokens(model, text) <= limit {
		return text
	}
	budget := limit - countTokens(model, note)
	if budget <= 0 {
		return note[1:]
	}
	r := []rune(text)
	lo, hi := 0, len(r)
	for lo < hi { // longest prefix that fits
		mid := (lo + hi + 1) / 2
		if countTokens(model, string(r[:mid])) <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return string(r[:lo]) + note
}
