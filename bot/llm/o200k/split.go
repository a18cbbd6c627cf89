package o200k

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The pre-tokenizer, written out by hand. o200k_base splits text with this
// pattern (as OpenAI publishes it in tiktoken), run by a backtracking
// engine that takes the first alternative that matches:
//
//	[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//	|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//	|\p{N}{1,3}
//	| ?[^\s\p{L}\p{N}]+[\r\n/]*
//	|\s*[\r\n]+
//	|\s+(?!\S)
//	|\s+
//
// Each alternative is worked out below with the end its backtracking
// reaches. A regular-expression engine costs several times more and
// brings a large library into the binary; the tests check every split
// against that engine (regexp2, as tiktoken-go uses) on random text and
// under fuzzing. Two places follow regexp2 where its reading may differ
// from other engines: \s*[\r\n]+ ends at the first line breaks of a
// whitespace run, and 'ſ closes a word like 's. One does not: regexp2
// never matches DEL (U+007F), so tiktoken-go drops it from its count;
// here it is a symbol, as the pattern says.

// Character classes of the pattern, for one rune.
const (
	cUpper  = 1 << iota // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
	cLower              // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
	cPrefix             // [^\r\n\p{L}\p{N}]
	cNumber             // \p{N}
	cSpace              // \s (unicode.IsSpace, as the engine's \s)
	cSymbol             // [^\s\p{L}\p{N}]
)

// asciiClass holds the classes of the ASCII runes.
var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for r := range rune(utf8.RuneSelf) {
		t[r] = classOfSlow(r)
	}
	return t
}()

func classOfSlow(r rune) uint8 {
	var c uint8
	letter, number, mark := unicode.IsLetter(r), unicode.IsNumber(r), unicode.IsMark(r)
	lm, lo := unicode.Is(unicode.Lm, r), unicode.Is(unicode.Lo, r)
	if unicode.Is(unicode.Lu, r) || unicode.Is(unicode.Lt, r) || lm || lo || mark {
		c |= cUpper
	}
	if unicode.Is(unicode.Ll, r) || lm || lo || mark {
		c |= cLower
	}
	if r != '\r' && r != '\n' && !letter && !number {
		c |= cPrefix
	}
	if number {
		c |= cNumber
	}
	space := unicode.IsSpace(r)
	if space {
		c |= cSpace
	}
	if !space && !letter && !number {
		c |= cSymbol
	}
	return c
}

func classOf(r rune) uint8 {
	if r < utf8.RuneSelf {
		return asciiClass[r]
	}
	return classOfSlow(r)
}

// at decodes the rune at i with its classes and width; at the end of s
// the classes are 0.
func at(s string, i int) (rune, uint8, int) {
	if i >= len(s) {
		return 0, 0, 0
	}
	if b := s[i]; b < utf8.RuneSelf {
		return rune(b), asciiClass[b], 1
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	return r, classOf(r), w
}

// run is the end of the longest run of runes with class c from i.
func run(s string, i int, c uint8) int {
	for {
		_, k, w := at(s, i)
		if k&c == 0 {
			return i
		}
		i += w
	}
}

// split calls piece for each piece of text (valid UTF-8), in order.
func split(s string, piece func(string)) {
	for i := 0; i < len(s); {
		e := pieceEnd(s, i)
		piece(s[i:e])
		i = e
	}
}

// pieceEnd is where the piece starting at i ends: the end of the first
// alternative of the pattern that matches there.
func pieceEnd(s string, i int) int {
	_, k, w := at(s, i)
	if k&cPrefix != 0 {
		if e := lowerWord(s, i+w); e > 0 {
			return contraction(s, e)
		}
	}
	if e := lowerWord(s, i); e > 0 {
		return contraction(s, e)
	}
	if k&cPrefix != 0 {
		if e := upperWord(s, i+w); e > 0 {
			return contraction(s, e)
		}
	}
	if e := upperWord(s, i); e > 0 {
		return contraction(s, e)
	}
	if k&cNumber != 0 { // \p{N}{1,3}
		e := i + w
		for n := 1; n < 3; n++ {
			_, k2, w2 := at(s, e)
			if k2&cNumber == 0 {
				break
			}
			e += w2
		}
		return e
	}
	// " ?[^\s\p{L}\p{N}]+[\r\n/]*"
	if s[i] == ' ' {
		if _, k2, _ := at(s, i+1); k2&cSymbol != 0 {
			return newlinesAndSlashes(s, run(s, i+1, cSymbol))
		}
	}
	if k&cSymbol != 0 {
		return newlinesAndSlashes(s, run(s, i, cSymbol))
	}
	// Whitespace: k&cSpace is set here (every rune is a letter, a number,
	// a space or a symbol).
	end, lastStart := i, i
	for {
		r, k2, w2 := at(s, end)
		if k2&cSpace == 0 {
			break
		}
		if r == '\r' || r == '\n' {
			// \s*[\r\n]+ ends with the first line breaks of the run. (A
			// greedy \s* would reach the last ones; the engine tiktoken-go
			// uses stops at the first, and the counts follow it.)
			return newlines(s, end)
		}
		lastStart = end
		end += w2
	}
	switch {
	case end == len(s): // \s+(?!\S) at the end of the text
		return end
	case lastStart > i: // \s+(?!\S): all but the last space before a non-space
		return lastStart
	}
	return end // \s+
}

// lowerWord matches [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+
// from i and returns its end, or 0. The greedy first part gives back runes
// until the second can match: the rune after the first part's run when it
// is lowercase, else the last rune inside the run that is in both classes.
func lowerWord(s string, i int) int {
	j, lastBoth, lastBothEnd := i, -1, 0
	for {
		_, k, w := at(s, j)
		if k&cUpper == 0 {
			if k&cLower != 0 {
				return run(s, j, cLower)
			}
			break
		}
		if k&cLower != 0 {
			lastBoth, lastBothEnd = j, j+w
		}
		j += w
	}
	if lastBoth < 0 {
		return 0
	}
	// The run's last rune in both classes starts the second part, which
	// cannot go on: the runes after it in the run are upper only.
	return lastBothEnd
}

// upperWord matches [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*
// from i and returns its end, or 0.
func upperWord(s string, i int) int {
	j := run(s, i, cUpper)
	if j == i {
		return 0
	}
	return run(s, j, cLower)
}

// contraction extends a word ending at e by (?i:'s|'t|'re|'ve|'m|'ll|'d).
// Case is folded as Unicode does (unicode.SimpleFold): of these letters,
// only s has a fold outside ASCII (ſ); the tests check the others.
func contraction(s string, e int) int {
	if e+1 >= len(s) || s[e] != '\'' {
		return e
	}
	lower := func(b byte) byte {
		if 'A' <= b && b <= 'Z' {
			return b + 'a' - 'A'
		}
		return b
	}
	if strings.HasPrefix(s[e+1:], "ſ") { // U+017F folds to s as well
		return e + 1 + len("ſ")
	}
	switch lower(s[e+1]) {
	case 's', 't', 'm', 'd':
		return e + 2
	case 'r', 'v':
		if e+2 < len(s) && lower(s[e+2]) == 'e' {
			return e + 3
		}
	case 'l':
		if e+2 < len(s) && lower(s[e+2]) == 'l' {
			return e + 3
		}
	}
	return e
}

// newlines extends a piece ending at e by [\r\n]*.
func newlines(s string, e int) int {
	for e < len(s) && (s[e] == '\r' || s[e] == '\n') {
		e++
	}
	return e
}

// newlinesAndSlashes extends a piece ending at e by [\r\n/]*.
func newlinesAndSlashes(s string, e int) int {
	for e < len(s) && (s[e] == '\r' || s[e] == '\n' || s[e] == '/') {
		e++
	}
	return e
}
