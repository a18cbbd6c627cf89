package llm

import "strings"

// StripThink hides reasoning between <think> and </think>. An unclosed
// <think> hides everything after it; while streaming (final false) a
// trailing partial "<think" is hidden too, so it never flashes on screen.
func StripThink(s string, final bool) string {
	const open, close = "<think>", "</think>"
	var sb strings.Builder
	removed := false
	for {
		i := strings.Index(s, open)
		if i < 0 {
			break
		}
		removed = true
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
	if removed {
		// The blank lines that followed the reasoning go with it.
		return strings.TrimLeft(sb.String(), " \n")
	}
	return sb.String()
}
