package bot

import (
	"strings"
	"unicode/utf8"
)

// MessageLimit is Discord's per-message content limit, in characters.
const MessageLimit = 2000

// splitMessage cuts text into messages of at most limit characters. Cuts
// fall on a paragraph, a line, a sentence or a word boundary, in that
// preference; a code block cut in two is closed at the end of one message
// and reopened, with its language, at the start of the next. Parts only
// ever grow at the end as text grows, which keeps streaming stable.
func splitMessage(text string, limit int) []string {
	var parts []string
	prefix := "" // a reopened code fence for the next part
	rest := text
	for {
		body := prefix + rest
		if utf8.RuneCountInString(body) <= limit {
			if strings.TrimSpace(rest) != "" || len(parts) == 0 {
				parts = append(parts, body)
			}
			return parts
		}
		const closing = "\n```"
		window := limit - utf8.RuneCountInString(prefix) - len(closing)
		cut := cutPoint(rest, window)
		part := prefix + strings.TrimRight(rest[:cut], " ")
		rest = strings.TrimLeft(rest[cut:], "\n ")
		if lang, open := openFence(part); open {
			part = strings.TrimRight(part, "\n") + closing
			prefix = "```" + lang + "\n"
		} else {
			prefix = ""
		}
		parts = append(parts, part)
	}
}

// cutPoint returns the byte offset at which to cut s so that the first
// part holds at most window characters. It prefers a paragraph break in
// the last fifth of the window, then a line, sentence or word boundary in
// its back half (an earlier cut would waste a message on a short part),
// then a hard cut.
func cutPoint(s string, window int) int {
	window = max(window, 1)
	end, n := len(s), 0
	for i := range s {
		if n == window {
			end = i
			break
		}
		n++
	}
	head := s[:end]
	if i := strings.LastIndex(head, "\n\n"); i > len(head)*4/5 {
		return i + 2
	}
	half := len(head) / 2
	if i := strings.LastIndex(head, "\n"); i > half {
		return i + 1
	}
	best := -1
	for _, p := range []string{". ", "! ", "? ", "。"} {
		if i := strings.LastIndex(head, p); i >= 0 && i+len(p) > best {
			best = i + len(p)
		}
	}
	if best > half {
		return best
	}
	if i := strings.LastIndexAny(head, " \t"); i > half {
		return i + 1
	}
	return end
}

// openFence reports whether s ends inside a ``` code block, and the block's
// language.
func openFence(s string) (lang string, open bool) {
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimSpace(line)
		if !strings.HasPrefix(t, "```") {
			continue
		}
		if open {
			open, lang = false, ""
		} else {
			open, lang = true, strings.TrimSpace(strings.TrimPrefix(t, "```"))
		}
	}
	return lang, open
}
