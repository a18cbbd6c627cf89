// Package o200k counts tokens the way OpenAI's o200k_base tokenizer
// (GPT-4o, GPT-4.1, GPT-5 and the o-series) splits text, without building
// its vocabulary in memory: the 200,000 tokens live sorted in the binary's
// read-only data (vocab.bin, 3 MB, generated from tiktoken-go's copy by
// ./gen) and are found by binary search. The heap stays free of the 7.7 MB
// map a tokenizer library builds, and the binary carries one vocabulary
// instead of four. Text is split into pieces by hand-written code
// (split.go) rather than a regular-expression library. The tests check
// every count against tiktoken-go, and every split against the published
// pattern run by regexp2.
package o200k

//go:generate go run ./gen

import (
	_ "embed"
	"math"
	"sync"
	"unicode/utf8"
)

//go:embed vocab.bin
var vocab string

var (
	setupOnce sync.Once
	n         int
	offsets   int // where the offsets start in vocab
	ranks     int // where the ranks start
	tokens    int // where the token bytes start
)

func setup() {
	n = int(u32(0))
	offsets = 4
	ranks = offsets + 4*(n+1)
	tokens = ranks + 4*n
}

func u32(at int) uint32 {
	return uint32(vocab[at]) | uint32(vocab[at+1])<<8 | uint32(vocab[at+2])<<16 | uint32(vocab[at+3])<<24
}

// token is the i-th token in byte order.
func token(i int) string {
	return vocab[tokens+int(u32(offsets+4*i)) : tokens+int(u32(offsets+4*i+4))]
}

// rank returns the token's rank, or false when s is not a token.
func rank(s string) (uint32, bool) {
	lo, hi := 0, n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if token(mid) < s {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < n && token(lo) == s {
		return u32(ranks + 4*lo), true
	}
	return 0, false
}

// Count returns how many tokens text is. Invalid UTF-8 is counted as the
// tokenizer sees it: each bad byte as U+FFFD.
func Count(text string) int {
	setupOnce.Do(setup)
	if !utf8.ValidString(text) {
		text = string([]rune(text))
	}
	count := 0
	split(text, func(piece string) {
		if _, ok := rank(piece); ok {
			count++
			return
		}
		count += merges(piece)
	})
	return count
}

// noRank marks a pair that does not merge.
const noRank = math.MaxUint32

// merges runs byte-pair encoding on piece and returns how many tokens it
// ends as: from single bytes, the adjacent pair whose joined bytes have
// the lowest rank merges first (the leftmost on a tie), until no pair is
// a token. Long pieces use a heap, short ones a scan; both give the same
// result.
func merges(piece string) int {
	if len(piece) >= 96 {
		return mergesHeap(piece)
	}
	return mergesScan(piece)
}

// mergesScan finds each merge with a linear scan: O(n²), fast for the
// short pieces nearly all text splits into.
func mergesScan(piece string) int {
	bounds := make([]int, len(piece)+1) // part boundaries
	rk := make([]uint32, len(piece)+1)  // rank of merging part i with i+1
	for i := range bounds {
		bounds[i] = i
	}
	pair := func(i int) uint32 {
		if i+2 < len(bounds) {
			if r, ok := rank(piece[bounds[i]:bounds[i+2]]); ok {
				return r
			}
		}
		return noRank
	}
	for i := range rk {
		rk[i] = pair(i)
	}
	for len(bounds) > 2 {
		best, at := uint32(noRank), -1
		for i := 0; i < len(bounds)-2; i++ {
			if rk[i] < best {
				best, at = rk[i], i
			}
		}
		if at < 0 {
			break
		}
		bounds = append(bounds[:at+1], bounds[at+2:]...)
		rk = append(rk[:at+1], rk[at+2:]...)
		rk[at] = pair(at)
		if at > 0 {
			rk[at-1] = pair(at - 1)
		}
	}
	return len(bounds) - 1
}

// mergesHeap is merges in O(n log n) for long pieces: boundaries in a
// linked list, candidate merges in a min-heap by (rank, position), stale
// candidates skipped when they surface.
func mergesHeap(piece string) int {
	size := len(piece)
	next := make([]int32, size+1)
	prev := make([]int32, size+1)
	alive := make([]bool, size+1)
	for i := range next {
		next[i], prev[i], alive[i] = int32(i+1), int32(i-1), true
	}
	next[size] = -1
	pairRank := func(i int32) uint32 {
		j := next[i]
		if j < 0 {
			return noRank
		}
		k := next[j]
		if k < 0 {
			return noRank
		}
		if r, ok := rank(piece[i:k]); ok {
			return r
		}
		return noRank
	}
	cur := make([]uint32, size+1) // the current rank of each boundary's pair
	h := &candHeap{}
	for i := int32(0); i < int32(size); i++ {
		cur[i] = pairRank(i)
		if cur[i] != noRank {
			h.push(cand{cur[i], i})
		}
	}
	parts := size
	for h.len() > 0 {
		c := h.pop()
		if !alive[c.pos] || cur[c.pos] != c.rank {
			continue // merged away, or its pair changed since
		}
		// Merge the part at c.pos with the next one: drop the boundary between.
		j := next[c.pos]
		alive[j] = false
		next[c.pos] = next[j]
		if next[j] >= 0 {
			prev[next[j]] = c.pos
		}
		parts--
		cur[c.pos] = pairRank(c.pos)
		if cur[c.pos] != noRank {
			h.push(cand{cur[c.pos], c.pos})
		}
		if p := prev[c.pos]; p >= 0 {
			cur[p] = pairRank(p)
			if cur[p] != noRank {
				h.push(cand{cur[p], p})
			}
		}
	}
	return parts
}

type cand struct {
	rank uint32
	pos  int32
}

// candHeap is a min-heap of candidates by rank, then position (the
// leftmost first, as the scan does).
type candHeap struct{ a []cand }

func (h *candHeap) len() int { return len(h.a) }

func less(x, y cand) bool { return x.rank < y.rank || x.rank == y.rank && x.pos < y.pos }

func (h *candHeap) push(c cand) {
	h.a = append(h.a, c)
	i := len(h.a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(h.a[i], h.a[p]) {
			break
		}
		h.a[i], h.a[p] = h.a[p], h.a[i]
		i = p
	}
}

func (h *candHeap) pop() cand {
	top := h.a[0]
	last := len(h.a) - 1
	h.a[0] = h.a[last]
	h.a = h.a[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h.a) && less(h.a[l], h.a[m]) {
			m = l
		}
		if r < len(h.a) && less(h.a[r], h.a[m]) {
			m = r
		}
		if m == i {
			break
		}
		h.a[i], h.a[m] = h.a[m], h.a[i]
		i = m
	}
	return top
}
