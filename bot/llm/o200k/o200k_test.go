package o200k

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tiktoken-go/tokenizer"
)

func reference(t testing.TB) tokenizer.Codec {
	c, err := tokenizer.Get(tokenizer.O200kBase)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Every count equals tiktoken-go's o200k_base (the tokenizer library the
// bot used before, and the reference here only).
func TestCount_SameAsTiktoken(t *testing.T) {
	ref := reference(t)
	corpus := []string{
		"", "hello world", "Hello, World! How's it going? I'd say we're fine.",
		"The quick brown fox jumps over the lazy dog. 1234567890 3.14159",
		"func main() {\n\tfmt.Println(\"hi\")\n}\n\n\n    indented\r\n",
		`{"role":"user","content":[{"type":"text","text":"x"}]}`,
		"日本語のテキストと中文文本，还有한국어 텍스트。", "emoji 🎉🎉 👩‍👩‍👧‍👦 flags 🇫🇷🇩🇪",
		"Ünïcödé àccents — “quotes” … «guillemets»", "tabs\t\tand   spaces    end   ",
		strings.Repeat("a", 5000), strings.Repeat("ab", 3000), strings.Repeat("=", 400), strings.Repeat("🙂", 300),
		"aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQgZW5jb2RlZCB0ZXh0IHRoYXQgZ29lcyBvbiBhbmQgb24gYW5kIG9uIGFuZCBvbiBhbmQgb24=",
		"invalid \xff\xfe utf8 \xc3\x28 bytes", "numbers 1 12 123 1234 12345 123456",
		"Don'T SHOUT'LL I'M 'S 'd",
	}
	for _, s := range corpus {
		want, err := ref.Count(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := Count(s); got != want {
			t.Errorf("Count(%.40q) = %d; tiktoken says %d", s, got, want)
		}
	}
	// Random text over a mixed alphabet, long and short pieces.
	alpha := []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789 .,;:'\"!?-_=+*/\\()[]{}<>\n\t日本語中文한국éèàüß🎉🙂")
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 400; i++ {
		var sb strings.Builder
		for j, n := 0, r.IntN(300)+1; j < n; j++ {
			if r.IntN(40) == 0 { // now and then a long run, for the heap path
				sb.WriteString(strings.Repeat(string(alpha[r.IntN(26)]), 100+r.IntN(200)))
			}
			sb.WriteRune(alpha[r.IntN(len(alpha))])
		}
		s := sb.String()
		want, _ := ref.Count(s)
		if got := Count(s); got != want {
			t.Fatalf("random text %q: %d tokens, tiktoken says %d", s, got, want)
		}
	}
}

// The heap and the scan merge alike on every piece length.
func TestMerges_HeapEqualsScan(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 300; i++ {
		b := make([]byte, 96+r.IntN(200))
		for j := range b {
			b[j] = "aabbcdeeeefghilmnorsstt"[r.IntN(23)]
		}
		s := string(b)
		scan := mergesScanForTest(s)
		if heap := mergesHeap(s); heap != scan {
			t.Fatalf("%q: heap %d, scan %d", s, heap, scan)
		}
	}
}

// mergesScanForTest runs the scan whatever the length.
func mergesScanForTest(piece string) int {
	setupOnce.Do(setup)
	return mergesScan(piece)
}

func BenchmarkCount(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog; a small bird sings about rain and coffee. ", 40)
	b.Run("ours", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			Count(text)
		}
	})
	b.Run("tiktoken-go", func(b *testing.B) {
		ref := reference(b)
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			if _, err := ref.Count(text); err != nil {
				b.Fatal(err)
			}
		}
	})
}
