package o200k

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
)

// splitPattern is o200k_base's split pattern as OpenAI publishes it in
// tiktoken (and tiktoken-go copies); here only to check split.go.
const splitPattern = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`

var pattern = regexp2.MustCompile(splitPattern, regexp2.None)

// engineSplit splits s with the published pattern and a backtracking
// engine: the reference split.go must match.
func engineSplit(t testing.TB, s string) []string {
	var out []string
	m, err := pattern.FindStringMatch(s)
	for ; m != nil && err == nil; m, err = pattern.FindNextMatch(m) {
		out = append(out, m.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func ourSplit(s string) []string {
	var out []string
	split(s, func(p string) { out = append(out, p) })
	return out
}

func checkSplit(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		s = string([]rune(s))
	}
	if strings.ContainsRune(s, 0x7f) {
		return // regexp2 never matches DEL: see TestSplit_Delete
	}
	want, got := engineSplit(t, s), ourSplit(s)
	if !slices.Equal(got, want) {
		t.Fatalf("split(%q)\n got %q\nwant %q", s, got, want)
	}
}

// Every class the pattern tells apart, and the runes where case folding
// or the classes could go wrong.
var splitAlphabet = []string{
	"a", "b", "s", "t", "r", "e", "v", "m", "l", "d", "S", "T", "R", "E", "V", "M", "L", "D", "A", "Z",
	"é", "É", "ß", "ǅ" /* Lt */, "ʰ" /* Lm */, "中", "א", "ก" /* Lo */, "\u0301", "\u0903", "\u20dd", /* Mn Mc Me */
	"0", "7", "٣", "Ⅻ", "½", "²" /* Nd Nl No */, "'", "'", "’", "ſ", "K", "İ",
	" ", " ", " ", "\t", "\n", "\r", "\v", "\f", "\u00a0", "\u2003", "\u2028", "\u0085", "\u3000",
	"/", "/", ".", ",", "!", "?", "-", "_", "(", ")", "{", "}", "\"", "#", "$", "€", "🎉", "👩\u200d👧", "\u200b", "\ufffd",
}

func TestSplit_SameAsThePattern(t *testing.T) {
	for _, s := range []string{
		"", "hello world", "Hello, World! How's it going? I'd say WE'RE fine, THEY'LL see.",
		"don't DON'T Don'T 're 'S 'Ll x'ſ x'K x'İ", "  leading and trailing  ", "a\n\n  b \r\n c\t\t\n", "end with spaces   ",
		"end with newline\n", "   ", "\n", " \n ", "x  \n  y", "$$$ ///\n\n/ !!", " !x", "!x", " 123456 7", "١٢٣٤",
		"ABC def GHi jKL", "\u0301abc", "a\u0301\u0301B", "中文English混合", "ǅungla ǅ", "ʰʰA", "Aʰ.",
		"func main() {\n\tfmt.Println(\"hi\")\n}\n", `{"a":[1,2,3]}`, "https://example.com/a/b?c=d#e",
	} {
		checkSplit(t, s)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 20000; i++ {
		var sb strings.Builder
		for j, n := 0, r.IntN(24)+1; j < n; j++ {
			sb.WriteString(splitAlphabet[r.IntN(len(splitAlphabet))])
		}
		checkSplit(t, sb.String())
	}
}

// DEL (U+007F) is a symbol like any control character, but regexp2
// never matches it (its pieces skip it, so tiktoken-go does not count
// it): here it is split as the pattern says.
func TestSplit_Delete(t *testing.T) {
	for s, want := range map[string][]string{
		"\x7f": {"\x7f"}, "!\x7f!": {"!\x7f!"}, "a\x7fb": {"a", "\x7fb"}, " \x7f": {" \x7f"},
	} {
		if got := ourSplit(s); !slices.Equal(got, want) {
			t.Errorf("split(%q) = %q, want %q", s, got, want)
		}
	}
}

// The contraction letters fold only as split.go assumes: s also to ſ,
// the others to their ASCII pair only.
func TestSplit_ContractionFolds(t *testing.T) {
	for _, c := range "strevmld" {
		var orbit []rune
		for r := unicode.SimpleFold(c); r != c; r = unicode.SimpleFold(r) {
			orbit = append(orbit, r)
		}
		want := []rune{unicode.ToUpper(c)}
		if c == 's' {
			want = []rune{unicode.ToUpper(c), 'ſ'}
		}
		slices.Sort(orbit)
		slices.Sort(want)
		if !slices.Equal(orbit, want) {
			t.Errorf("%c folds to %q", c, orbit)
		}
	}
}

// FuzzSplit compares the splits on any input (go test -fuzz FuzzSplit).
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"Hello, World! How's it going?", "a\n\n  b \r\n c", "x'LL 123456", "\xff\xfe bad \xc3\x28"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkSplit(t, s)
	})
}
