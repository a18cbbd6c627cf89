package bot

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"
)

// fencesBalance reports whether every ``` opened in s is closed.
func fencesBalance(s string) bool {
	_, open := openFence(s)
	return !open
}

func TestSplitMessage_LongAnswerWithCodeBlocks(t *testing.T) {
	var sb strings.Builder
	last := 0
	for i := 0; sb.Len() < 9000; i++ {
		last = i
		fmt.Fprintf(&sb, "Paragraph %d explains a thing in a sentence or two. It goes on a little.\n\n", i)
		if i == 10 || i == 40 {
			sb.WriteString("```python\n")
			for j := 0; j < 60; j++ {
				fmt.Fprintf(&sb, "print('line %d of a long program')\n", j)
			}
			sb.WriteString("```\n\n")
		}
	}
	text := sb.String()
	parts := splitMessage(text, MessageLimit)
	if len(parts) < 5 {
		t.Fatalf("%d parts for %d chars", len(parts), len(text))
	}
	for i, p := range parts {
		if n := utf8.RuneCountInString(p); n > MessageLimit {
			t.Errorf("part %d has %d characters", i, n)
		}
		if !fencesBalance(p) {
			t.Errorf("part %d has unbalanced fences:\n%s", i, p)
		}
	}
	// Nothing is lost: removing the added fences gives back the words.
	joined := strings.Join(parts, "\n")
	if strings.Count(text, "```python") != 2 {
		t.Fatal("test text lacks its two code blocks")
	}
	for _, w := range []string{"Paragraph 0 ", fmt.Sprintf("Paragraph %d ", last), "line 59 of", "print('line 0"} {
		if !strings.Contains(joined, w) {
			t.Errorf("lost %q", w)
		}
	}
	reopened := 0
	for _, p := range parts[1:] {
		if strings.HasPrefix(p, "```python\n") {
			reopened++
		}
	}
	if reopened == 0 {
		t.Error("no code block was reopened with its language")
	}
}

func TestSplitMessage_Boundaries(t *testing.T) {
	para := strings.Repeat("word ", 300) // 1500 chars
	parts := splitMessage(para+"\n\n"+para, MessageLimit)
	if len(parts) != 2 || parts[0] != strings.TrimRight(para, " ")+"\n\n" && parts[0] != strings.TrimRight(para+"\n\n", " ") {
		if len(parts) != 2 || !strings.HasSuffix(strings.TrimSpace(parts[0]), "word") || utf8.RuneCountInString(parts[0]) > 1600 {
			t.Errorf("paragraph split: %d parts, first %d chars", len(parts), len(parts[0]))
		}
	}
	noSpaces := strings.Repeat("é", 4500)
	parts = splitMessage(noSpaces, MessageLimit)
	if len(parts) != 3 || strings.Join(parts, "") != noSpaces {
		t.Errorf("hard split: %d parts", len(parts))
	}
	sentences := strings.Repeat("This is a sentence. ", 150)
	parts = splitMessage(sentences, MessageLimit)
	if !strings.HasSuffix(parts[0], ".") {
		t.Errorf("sentence split ends with %q", parts[0][len(parts[0])-10:])
	}
	if got := splitMessage("short", MessageLimit); len(got) != 1 || got[0] != "short" {
		t.Errorf("short = %q", got)
	}
	if got := splitMessage("", MessageLimit); len(got) != 1 {
		t.Errorf("empty = %q", got)
	}
}

func TestSplitMessage_StableWhileGrowing(t *testing.T) {
	text := strings.Repeat("Some streamed words go here. ", 400)
	final := splitMessage(text, MessageLimit)
	for n := 100; n < len(text); n += 777 {
		parts := splitMessage(text[:n], MessageLimit)
		for i := 0; i < len(parts)-1; i++ {
			if parts[i] != final[i] {
				t.Fatalf("at %d chars, finished part %d differs from the final one", n, i)
			}
		}
	}
}

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
		if got := stripThink(c.in, c.final); got != c.want {
			t.Errorf("stripThink(%q, %v) = %q, want %q", c.in, c.final, got, c.want)
		}
	}
}

func TestFitToBudget(t *testing.T) {
	model := "gpt-4o-mini"
	sys := openai.ChatCompletionMessage{Role: "system", Content: "You are helpful."}
	var hist []openai.ChatCompletionMessage
	for i := 0; i < 200; i++ {
		hist = append(hist, openai.ChatCompletionMessage{Role: "user", Content: fmt.Sprintf("message %d: %s", i, strings.Repeat("lorem ipsum ", 20))})
	}
	q := openai.ChatCompletionMessage{Role: "user", Content: "the new question"}
	out, dropped := fitToBudget(model, 8000, sys, hist, q)
	total := 0
	for _, m := range out {
		total += messageTokens(model, m)
	}
	if total > 8000-replyReserve(8000) {
		t.Fatalf("%d tokens sent, budget %d", total, 8000-replyReserve(8000))
	}
	if out[0].Content != sys.Content || out[len(out)-1].Content != q.Content || dropped == 0 {
		t.Fatalf("system/question/drop wrong: %d dropped", dropped)
	}
	if !strings.HasPrefix(out[len(out)-2].Content, "message 199:") || !strings.HasPrefix(out[1].Content, fmt.Sprintf("message %d:", dropped)) {
		t.Fatalf("not the newest whole messages: first kept %q", out[1].Content[:12])
	}
	// One huge question is cut to fit, and says so.
	huge := openai.ChatCompletionMessage{Role: "user", Content: strings.Repeat("big ", 20000)}
	out, _ = fitToBudget(model, 8000, sys, nil, huge)
	if n := messageTokens(model, out[1]); n > 8000-replyReserve(8000) || !strings.Contains(out[1].Content, "cut to fit") {
		t.Fatalf("huge question: %d tokens, cut note %v", n, strings.Contains(out[1].Content, "cut"))
	}
}

func TestEncodingFor(t *testing.T) {
	for model, want := range map[string]string{
		"gpt-4o-mini": "o200k_base", "gpt-5": "o200k_base", "o4-mini": "o200k_base", "gpt-4.1-nano": "o200k_base",
		"gpt-4-turbo": "cl100k_base", "gpt-3.5-turbo": "cl100k_base", "llama3": "o200k_base",
	} {
		if got := string(encodingFor(model)); got != want {
			t.Errorf("%s: %s, want %s", model, got, want)
		}
	}
	if n := countTokens("gpt-4o", "hello world"); n != 2 {
		t.Errorf("hello world = %d tokens", n)
	}
}

func TestStripThink_KeepsLeadingIndentWithoutThinking(t *testing.T) {
	in := "    indented code first\nthen text"
	if got := stripThink(in, true); got != in {
		t.Errorf("stripThink changed an answer without reasoning: %q", got)
	}
}
