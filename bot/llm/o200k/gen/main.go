// Command gen writes vocab.bin, the compact form of OpenAI's o200k_base
// vocabulary that package o200k embeds, from tiktoken-go's copy (which
// only this generator and the tests link). Run it with go generate in
// bot/llm/o200k after changing the tiktoken-go version.
//
// Layout, all little-endian uint32: N, then N+1 offsets into the token
// bytes (tokens sorted by their bytes), then N ranks, then the bytes.
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"sort"

	"github.com/tiktoken-go/tokenizer"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run() error {
	c, err := tokenizer.Get(tokenizer.O200kBase)
	if err != nil {
		return err
	}
	type tok struct {
		b    string
		rank uint32
	}
	var toks []tok
	// o200k_base has ranks 0..199997; 199999 and 200018 are special
	// tokens, which counting never produces from text.
	for id := uint(0); id < 199998; id++ {
		s, err := c.Decode([]uint{id})
		if err != nil {
			return fmt.Errorf("decode %d: %w", id, err)
		}
		toks = append(toks, tok{s, uint32(id)})
	}
	sort.Slice(toks, func(i, j int) bool { return toks[i].b < toks[j].b })
	for i := 1; i < len(toks); i++ {
		if toks[i].b == toks[i-1].b {
			return fmt.Errorf("duplicate token %q", toks[i].b)
		}
	}
	var out bytes.Buffer
	u32 := func(v uint32) { _ = binary.Write(&out, binary.LittleEndian, v) }
	u32(uint32(len(toks)))
	off := uint32(0)
	for _, t := range toks {
		u32(off)
		off += uint32(len(t.b))
	}
	u32(off)
	for _, t := range toks {
		u32(t.rank)
	}
	for _, t := range toks {
		out.WriteString(t.b)
	}
	return os.WriteFile("vocab.bin", out.Bytes(), 0o644)
}
