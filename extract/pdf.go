package extract

import (
	"fmt"
	"os"
	"strings"

	"github.com/ledongthuc/pdf"
)

// readPDF reads the text of the window's pages. Only those pages are
// parsed. A PDF with no text layer (a scan) says so.
func readPDF(path string, w Window) (d Doc, err error) {
	defer func() { // the parser panics on some broken files
		if r := recover(); r != nil {
			d, err = Doc{}, fmt.Errorf("%w: %v", ErrMalformed, r)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return Doc{}, fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Doc{}, fmt.Errorf("stat: %w", err)
	}
	r, err := pdf.NewReader(f, st.Size())
	if err != nil {
		return Doc{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	pages := r.NumPage()
	d = Doc{Unit: "page", Total: pages}
	c := capped{max: w.MaxBytes}
	empty := 0
	for n := w.Start; n <= pages; n++ {
		if c.cut || (w.Count > 0 && n >= w.Start+w.Count) {
			d.More = true
			break
		}
		p := r.Page(n)
		text := ""
		if !p.V.IsNull() {
			text, err = p.GetPlainText(nil)
			if err != nil {
				text = "[this page could not be read]"
			}
		}
		text = strings.TrimSpace(strings.ToValidUTF8(text, "\uFFFD"))
		if text == "" {
			empty++
			text = "[no text on this page]"
		}
		if !c.add(fmt.Sprintf("--- Page %d ---\n%s", n, text)) {
			d.More = true
			break
		}
		if d.From == 0 {
			d.From = n
		}
		d.To = n
	}
	d.Cut = c.cut
	head := fmt.Sprintf("PDF, %d pages.", pages)
	if d.From == 0 {
		d.Text = head + fmt.Sprintf(" No page %d.", w.Start)
		return d, nil
	}
	if empty == d.To-d.From+1 {
		head += " These pages have no text layer (a scan or pictures): their text cannot be read here."
	}
	d.Text = joinParts(head, c.sb.String(), d.footer())
	return d, nil
}
