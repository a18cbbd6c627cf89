package llm

import (
	"fmt"
	"strings"
	"testing"
)

func TestStripThink(t *testing.T) {
	cases := []struct {
		in    string
		final bool
		want  string
	}{
		{"<think>pondering</think>The answer.", true, "The answer."},
		{"<think>pondering</think>\n\nThe answer.", true, "The answer."},
		{"Before <think>x</think>after", true, "Before after"},
		{"<think>still thinking", false, ""},
		{"Answer so far <thi", false, "Answer so far "},
		{"a < b and c", true, "a < b and c"},
	}
	for _, c := range cases {
		if got := StripThink(c.in, c.final); got != c.want {
			t.Errorf("StripThink(%q, %v) = %q, want %q", c.in, c.final, got, c.want)
		}
	}
}

func TestFitToBudget(t *testing.T) {
	model := "gpt-4o-mini"
	sys := "You are helpful."
	var hist []Message
	for i := 0; i < 200; i++ {
		hist = append(hist, Message{Role: "user", Content: fmt.Sprintf("message %d: %s", i, strings.Repeat("lorem ipsum ", 20))})
	}
	q := Message{Role: "user", Content: "the new question"}
	out, dropped := FitToBudget(model, 8000, sys, hist, q)
	total := PerMessageTokens + CountTokens(model, sys)
	for _, m := range out {
		total += MessageTokens(model, m)
	}
	if total > 8000-ReplyReserve(8000) {
		t.Fatalf("%d tokens sent, budget %d", total, 8000-ReplyReserve(8000))
	}
	if out[len(out)-1].Content != q.Content || dropped == 0 {
		t.Fatalf("system/question/drop wrong: %d dropped", dropped)
	}
	if !strings.HasPrefix(out[len(out)-2].Content, "message 199:") || !strings.HasPrefix(out[0].Content, fmt.Sprintf("message %d:", dropped)) {
		t.Fatalf("not the newest whole messages: first kept %q", out[0].Content[:12])
	}
	// One huge question is cut to fit, and says so.
	huge := Message{Role: "user", Content: strings.Repeat("big ", 20000)}
	out, _ = FitToBudget(model, 8000, sys, nil, huge)
	if n := MessageTokens(model, out[0]); n > 8000-ReplyReserve(8000) || !strings.Contains(out[0].Content, "cut to fit") {
		t.Fatalf("huge question: %d tokens, cut note %v", n, strings.Contains(out[0].Content, "cut"))
	}
}

func TestCountTokens(t *testing.T) {
	for _, model := range []string{"gpt-4o", "gpt-5.4-mini", "llama3"} {
		if n := CountTokens(model, "hello world"); n != 2 {
			t.Errorf("%s: hello world = %d tokens", model, n)
		}
	}
}

func TestStripThink_KeepsLeadingIndentWithoutThinking(t *testing.T) {
	in := "    indented code first\nthen text"
	if got := StripThink(in, true); got != in {
		t.Errorf("stripThink changed an answer without reasoning: %q", got)
	}
}

// A remembered prompt count is the count, and the memory stays bounded
// however many prompts (one a minute: they carry the time) go through.
func TestPromptTokens_RememberedAndBounded(t *testing.T) {
	for i := 0; i < 3*maxPromptCounts; i++ {
		p := fmt.Sprintf("You are helpful. Current date and time: minute %d.", i)
		if got, want := promptTokens("gpt-4o", p), CountTokens("gpt-4o", p); got != want {
			t.Fatalf("prompt %d: %d tokens remembered, %d counted", i, got, want)
		}
		if got, want := promptTokens("gpt-4o", p), CountTokens("gpt-4o", p); got != want {
			t.Fatalf("prompt %d again: %d tokens remembered, %d counted", i, got, want)
		}
		promptCounts.Lock()
		n := len(promptCounts.m)
		promptCounts.Unlock()
		if n > maxPromptCounts {
			t.Fatalf("%d prompts remembered", n)
		}
	}
}
