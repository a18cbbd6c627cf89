package extract

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxFields caps the columns of one row; wider rows are cut.
const maxFields = 1000

// readCSV reads a CSV or TSV file: its shape, header and the data rows of
// the window (row 1 is the first row after the header).
func readCSV(path string, sep rune, w Window) (Doc, error) {
	f, err := os.Open(path)
	if err != nil {
		return Doc{}, fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	r.Comma = sep
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	d := Doc{Unit: "row"}
	c := capped{max: w.MaxBytes}
	var header string
	seenHeader := false
	cols, rows := 0, 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return Doc{}, fmt.Errorf("%w: line %d: %v", ErrMalformed, pe.Line, pe.Err)
			}
			return Doc{}, fmt.Errorf("read: %w", err)
		}
		if len(rec) > maxFields {
			rec = rec[:maxFields]
		}
		if !seenHeader {
			seenHeader = true
			cols = len(rec)
			header = csvLine(rec, sep)
			continue
		}
		rows++
		cols = max(cols, len(rec))
		if rows < w.Start {
			continue
		}
		if c.cut || (w.Count > 0 && rows >= w.Start+w.Count) {
			d.More = true
			continue
		}
		if !c.add(csvLine(rec, sep)) {
			d.More = true
			continue
		}
		if d.From == 0 {
			d.From = rows
		}
		d.To = rows
	}
	d.Total, d.Cut = rows, c.cut
	kind := "CSV"
	if sep == '\t' {
		kind = "TSV"
	}
	head := fmt.Sprintf("%s file: %d data rows × %d columns (plus the header row).\nHeader: %s", kind, rows, cols, cutUTF8(header, 4<<10))
	switch {
	case d.From == 0 && rows > 0:
		d.Text = head + fmt.Sprintf("\nNo row %d: rows go from 1 to %d.", w.Start, rows)
	case d.From == 0:
		d.Text = head
	default:
		d.Text = joinParts(head+fmt.Sprintf("\nRows %d–%d:", d.From, d.To), c.sb.String(), d.footer())
	}
	return d, nil
}

// csvLine renders one record as a CSV (or TSV) line.
func csvLine(rec []string, sep rune) string {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Comma = sep
	for i, f := range rec {
		rec[i] = strings.ToValidUTF8(f, "\uFFFD")
	}
	_ = w.Write(rec)
	w.Flush()
	return strings.TrimRight(buf.String(), "\r\n")
}
