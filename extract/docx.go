package extract

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxXML caps the unpacked size of a document's XML (a zip bomb stops
// there).
const maxXML = 64 << 20

// readDOCX reads the text of a Word document, one line per paragraph;
// the window counts paragraphs.
func readDOCX(path string, w Window) (Doc, error) {
	z, err := zip.OpenReader(path)
	if err != nil {
		return Doc{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	defer z.Close()
	var doc *zip.File
	for _, f := range z.File {
		if f.Name == "word/document.xml" {
			doc = f
		}
	}
	if doc == nil {
		return Doc{}, fmt.Errorf("%w: no word/document.xml", ErrMalformed)
	}
	rc, err := doc.Open()
	if err != nil {
		return Doc{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	defer rc.Close()
	paras, err := docxParagraphs(io.LimitReader(rc, maxXML))
	if err != nil {
		return Doc{}, err
	}
	d := Doc{Unit: "paragraph", Total: len(paras)}
	c := capped{max: w.MaxBytes}
	for n := w.Start; n <= len(paras); n++ {
		if c.cut || (w.Count > 0 && n >= w.Start+w.Count) || !c.add(paras[n-1]) {
			d.More = true
			break
		}
		if d.From == 0 {
			d.From = n
		}
		d.To = n
	}
	d.Cut = c.cut
	head := fmt.Sprintf("Word document, %d paragraphs.", len(paras))
	if d.From == 0 {
		d.Text = head + fmt.Sprintf(" No paragraph %d.", w.Start)
		return d, nil
	}
	d.Text = joinParts(head, c.sb.String(), d.footer())
	return d, nil
}

// docxParagraphs streams document.xml into paragraphs of text: w:t is
// text, w:tab a tab, w:br and w:cr line breaks; empty paragraphs are
// dropped.
func docxParagraphs(r io.Reader) ([]string, error) {
	dec := xml.NewDecoder(r)
	var paras []string
	var cur strings.Builder
	inText := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "t":
				inText = true
			case "tab":
				cur.WriteByte('\t')
			case "br", "cr":
				cur.WriteByte('\n')
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				if s := strings.TrimSpace(cur.String()); s != "" {
					paras = append(paras, strings.ToValidUTF8(s, "\uFFFD"))
				}
				cur.Reset()
			}
		case xml.CharData:
			if inText && cur.Len() < maxLine {
				cur.Write(t)
			}
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		paras = append(paras, s)
	}
	return paras, nil
}
