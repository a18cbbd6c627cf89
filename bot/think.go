package bot

import "strings"

// stripThink hides reasoning between <think> and </think>. An unclosed
// <think> hides everything after it; while streaming (final false) a
// trailing partial "<think" is hidden too, so it never flashes on screen.
func stripThink(s string, final bool) string {
	const open, close = "<think>", "</think>"
	var sb strings.Builder
	for {
		i := strings.Index(s, open)
		if i < 0 {
			break
		}
		sb.WriteString(s[:i])
		j := strings.Index(s[i:], close)
		if j < 0 {
			s = ""
			break
		}
		s = s[i+j+len(close):]
	}
	if !final {
		for k := len(open) - 1; k > 0; k-- {
			if strings.HasSuffix(s, open[:k]) {
				s = s[:len(s)-k]
				break
			}
		}
	}
	sb.WriteString(s)
	out := sb.String()
	if out != s || strings.Contains(out, "\n") {
		return strings.TrimLeft(out, " \n")
	}
	return out
}
