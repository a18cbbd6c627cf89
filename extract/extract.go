// Package extract renders a user's document as text for the model: plain
// text by lines, CSV/TSV with its shape and header, PDF text by page,
// DOCX text and XLSX sheets as CSV. Every reader works from a window
// (Start, Count) and stops at a byte cap, so a 10 MB file or a 500-page
// PDF costs only the part asked for. Documents come from users: a
// malformed or hostile file gives an error, never a crash or an unbounded
// read.
package extract

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Kind is how a document is read.
type Kind string

// The kinds of documents.
const (
	Text Kind = "text"
	CSV  Kind = "csv"
	TSV  Kind = "tsv"
	PDF  Kind = "pdf"
	DOCX Kind = "docx"
	XLSX Kind = "xlsx"
	// None is a file that is not a document (an image, an archive).
	None Kind = ""
)

// KindOf decides how to read a file from its stored extension and
// detected content type.
func KindOf(ext, contentType string) Kind {
	ext = strings.ToLower(strings.TrimPrefix(filepath.Ext("x"+ext), "."))
	ct := strings.ToLower(contentType)
	switch {
	case ext == "csv" || strings.HasPrefix(ct, "text/csv"):
		return CSV
	case ext == "tsv" || strings.HasPrefix(ct, "text/tab-separated-values"):
		return TSV
	case ext == "pdf" || strings.HasPrefix(ct, "application/pdf"):
		return PDF
	case ext == "docx" || strings.HasPrefix(ct, "application/vnd.openxmlformats-officedocument.wordprocessingml"):
		return DOCX
	case ext == "xlsx" || strings.HasPrefix(ct, "application/vnd.openxmlformats-officedocument.spreadsheetml"):
		return XLSX
	case strings.HasPrefix(ct, "text/") || strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "application/xml"):
		return Text
	}
	return None
}

// Window is the part of a document to read. Start counts from 1 in the
// document's own unit (lines, rows, pages); 0 means 1. Count 0 means as
// many as fit the cap.
type Window struct {
	Start, Count int
	// Sheet names the XLSX sheet; "" is the first.
	Sheet string
	// MaxBytes caps the text returned (at least 1 KiB).
	MaxBytes int
}

// Doc is the text read from a document.
type Doc struct {
	// Text is the part read, with a short heading (shape, pages, sheet).
	Text string
	// Unit names what Start and Count count: "line", "row", "page".
	Unit string
	// From and To are the first and last unit included (0 when none).
	From, To int
	// Total is how many units the document has; -1 when unknown.
	Total int
	// More is set when the document goes on after To.
	More bool
	// Cut is set when the cap stopped the read inside the window.
	Cut bool
}

// Errors a caller may tell the user or the model about.
var (
	// ErrNotDocument is a file no reader here understands.
	ErrNotDocument = errors.New("not a document this bot can read")
	// ErrMalformed is a document whose format is broken or hostile.
	ErrMalformed = errors.New("the file is damaged or not what its name says")
	// ErrNoSheet is an XLSX sheet name that does not exist.
	ErrNoSheet = errors.New("no such sheet")
)

// Read reads the window w of the document at path.
func Read(path string, kind Kind, w Window) (Doc, error) {
	if w.Start < 1 {
		w.Start = 1
	}
	if w.Count < 0 {
		w.Count = 0
	}
	if w.MaxBytes < 1024 {
		w.MaxBytes = 1024
	}
	switch kind {
	case Text:
		return readText(path, w)
	case CSV:
		return readCSV(path, ',', w)
	case TSV:
		return readCSV(path, '\t', w)
	case PDF:
		return readPDF(path, w)
	case DOCX:
		return readDOCX(path, w)
	case XLSX:
		return readXLSX(path, w)
	}
	return Doc{}, ErrNotDocument
}

// capped collects text up to a byte cap.
type capped struct {
	sb  strings.Builder
	max int
	cut bool
}

// add appends s and a newline unless that would pass the cap; it reports
// whether s went in. A first unit too big for the cap goes in cut (and
// cut is set); after that, nothing more is taken.
func (c *capped) add(s string) bool {
	if c.cut {
		return false
	}
	if c.sb.Len()+len(s)+1 > c.max {
		c.cut = true
		if c.sb.Len() == 0 { // one huge unit: keep its start
			c.sb.WriteString(cutUTF8(s, c.max-1))
			c.sb.WriteByte('\n')
			return true
		}
		return false
	}
	c.sb.WriteString(s)
	c.sb.WriteByte('\n')
	return true
}

// cutUTF8 shortens s to at most n bytes on a rune boundary.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// footer says where the window ended and how to go on.
func (d Doc) footer() string {
	switch {
	case d.From == 0:
		return ""
	case d.Cut || d.More:
		return fmt.Sprintf("[%ss %d–%d shown; the file goes on: read again with start=%d]", d.Unit, d.From, d.To, d.To+1)
	}
	return ""
}
