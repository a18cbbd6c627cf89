package bot

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
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
