package extract

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxLine is the longest line kept whole; longer lines are cut (a minified
// file is one line).
const maxLine = 64 << 10

// readLines calls fn for each line of r (without its newline, valid UTF-8,
// cut at maxLine) until fn returns false.
func readLines(r io.Reader, fn func(n int, line string) bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if line == "" && err == io.EOF {
			return nil
		}
		if err != nil && err != io.EOF {
			return err
		}
		if !fn(n, strings.ToValidUTF8(strings.TrimRight(line, "\r"), "\uFFFD")) || err == io.EOF {
			return nil
		}
	}
}

// readLine reads one line, dropping what passes maxLine.
func readLine(br *bufio.Reader) (string, error) {
	var sb strings.Builder
	for {
		chunk, err := br.ReadSlice('\n')
		if sb.Len() < maxLine {
			sb.Write(chunk[:min(len(chunk), maxLine-sb.Len())])
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return strings.TrimSuffix(sb.String(), "\n"), err
	}
}

func readText(path string, w Window) (Doc, error) {
	f, err := os.Open(path)
	if err != nil {
		return Doc{}, fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	d := Doc{Unit: "line", Total: -1}
	c := capped{max: w.MaxBytes}
	total := 0
	err = readLines(f, func(n int, line string) bool {
		total = n
		if n < w.Start {
			return true
		}
		if c.cut || (w.Count > 0 && n >= w.Start+w.Count) {
			d.More = true
			return true // count on, for the total
		}
		if !c.add(line) {
			d.More = true
			return true
		}
		if d.From == 0 {
			d.From = n
		}
		d.To = n
		return true
	})
	if err != nil {
		return Doc{}, fmt.Errorf("read: %w", err)
	}
	d.Total, d.Cut = total, c.cut
	head := fmt.Sprintf("Text file, %d lines.", total)
	if d.From == 0 {
		d.Text = head + fmt.Sprintf(" Nothing at line %d.", w.Start)
		return d, nil
	}
	if d.From > 1 || d.More {
		head += fmt.Sprintf(" Lines %d–%d:", d.From, d.To)
	}
	d.Text = joinParts(head, c.sb.String(), d.footer())
	return d, nil
}

func joinParts(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimRight(p, "\n"); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n")
}
