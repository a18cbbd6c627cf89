package extract

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"time"
)

// An XLSX workbook is a zip of XML parts (ECMA-376 / ISO 29500 SpreadsheetML):
// xl/workbook.xml names the sheets in order and points at them through
// xl/_rels/workbook.xml.rels; xl/sharedStrings.xml holds the strings cells
// refer to by index; xl/styles.xml maps a cell's style to a number format,
// which says whether a number is a date. Reading them with encoding/xml
// keeps excelize (and its 1.3 MB of package-init allocations) out of the
// binary.

// Unpacking limits for a workbook (a zip bomb stops there).
const (
	maxXLSXUnzip = 256 << 20
	// maxSharedStrings bounds the shared string table.
	maxSharedStrings = 2_000_000
	// maxRowGap bounds the empty rows a gap in row numbers produces.
	maxRowGap = 10_000
)

// xlsxPart opens one part of the workbook, reading at most limit bytes.
func xlsxPart(z *zip.Reader, name string) (io.ReadCloser, error) {
	for _, f := range z.File {
		if f.Name == name {
			if f.UncompressedSize64 > maxXLSXUnzip {
				return nil, fmt.Errorf("%w: %s is too large", ErrMalformed, name)
			}
			rc, err := f.Open()
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
			}
			return struct {
				io.Reader
				io.Closer
			}{io.LimitReader(rc, maxXML), rc}, nil
		}
	}
	return nil, nil
}

type xlsxSheet struct {
	Name string `xml:"name,attr"`
	RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
}

type xlsxWorkbook struct {
	Pr struct {
		Date1904 string `xml:"date1904,attr"`
	} `xml:"workbookPr"`
	Sheets []xlsxSheet `xml:"sheets>sheet"`
}

type xlsxRels struct {
	Rel []struct {
		ID     string `xml:"Id,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

type xlsxStyles struct {
	NumFmts []struct {
		ID   int    `xml:"numFmtId,attr"`
		Code string `xml:"formatCode,attr"`
	} `xml:"numFmts>numFmt"`
	Xfs []struct {
		NumFmtID int `xml:"numFmtId,attr"`
	} `xml:"cellXfs>xf"`
}

// decodePart decodes a whole XML part into v; a missing part leaves v as it is.
func decodePart(z *zip.Reader, name string, v any) (bool, error) {
	rc, err := xlsxPart(z, name)
	if err != nil || rc == nil {
		return false, err
	}
	defer rc.Close()
	if err := xml.NewDecoder(rc).Decode(v); err != nil {
		return false, fmt.Errorf("%w: %s: %v", ErrMalformed, name, err)
	}
	return true, nil
}

// workbook is what is read of a workbook before its sheet.
type workbook struct {
	sheets   []xlsxSheet
	targets  map[string]string // relationship ID -> part name
	strings  []string
	dateXf   map[int]bool // style indexes whose format is a date
	date1904 bool
}

func openWorkbook(z *zip.Reader) (*workbook, error) {
	var wb xlsxWorkbook
	if ok, err := decodePart(z, "xl/workbook.xml", &wb); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("%w: no xl/workbook.xml", ErrMalformed)
		}
		return nil, err
	}
	w := &workbook{sheets: wb.Sheets, targets: map[string]string{}, dateXf: map[int]bool{},
		date1904: wb.Pr.Date1904 == "1" || wb.Pr.Date1904 == "true"}
	var rels xlsxRels
	if _, err := decodePart(z, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return nil, err
	}
	for _, r := range rels.Rel {
		t := r.Target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join("xl", t)
		}
		w.targets[r.ID] = t
	}
	var st xlsxStyles
	if _, err := decodePart(z, "xl/styles.xml", &st); err != nil {
		return nil, err
	}
	custom := map[int]string{}
	for _, f := range st.NumFmts {
		custom[f.ID] = f.Code
	}
	for i, xf := range st.Xfs {
		if isDateFormat(xf.NumFmtID, custom[xf.NumFmtID]) {
			w.dateXf[i] = true
		}
	}
	var err error
	w.strings, err = sharedStrings(z)
	return w, err
}

// isDateFormat reports whether a number format shows a date or time: the
// built-in IDs 14-22 and 45-47, or a custom code with date or time letters
// outside quotes and brackets.
func isDateFormat(id int, code string) bool {
	if id >= 14 && id <= 22 || id >= 45 && id <= 47 {
		return true
	}
	if code == "" {
		return false
	}
	inQuote, inBracket := false, false
	for _, c := range strings.ToLower(code) {
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '[':
			inBracket = true
		case c == ']':
			inBracket = false
		case inBracket:
		case c == 'y' || c == 'd' || c == 'h' || c == 's' || c == 'm':
			return true
		}
	}
	return false
}

// sharedStrings streams the shared string table: each <si> is one string,
// its <t> texts joined (rich text runs), phonetic hints left out.
func sharedStrings(z *zip.Reader) ([]string, error) {
	rc, err := xlsxPart(z, "xl/sharedStrings.xml")
	if err != nil || rc == nil {
		return nil, err
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	var out []string
	var sb strings.Builder
	inSI, inT, inPhonetic := false, false, false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: shared strings: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI = true
				sb.Reset()
			case "t":
				inT = true
			case "rPh":
				inPhonetic = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				inSI = false
				if len(out) >= maxSharedStrings {
					return nil, fmt.Errorf("%w: too many shared strings", ErrMalformed)
				}
				out = append(out, sb.String())
			case "t":
				inT = false
			case "rPh":
				inPhonetic = false
			}
		case xml.CharData:
			if inSI && inT && !inPhonetic {
				sb.Write(t)
			}
		}
	}
}

// columnIndex turns a cell reference's letters ("C7") into a 0-based
// column, or -1.
func columnIndex(ref string) int {
	n := 0
	i := 0
	for ; i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z'; i++ {
		n = n*26 + int(ref[i]-'A'+1)
		if n > 16384 {
			return -1
		}
	}
	if i == 0 {
		return -1
	}
	return n - 1
}

// cellText shows a cell's value as Excel's General format would, dates as
// dates.
func (w *workbook) cellText(typ, style, v, inline string) string {
	switch typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= len(w.strings) {
			return ""
		}
		return w.strings[i]
	case "inlineStr":
		return inline
	case "b":
		if strings.TrimSpace(v) == "1" {
			return "TRUE"
		}
		return "FALSE"
	case "str", "e":
		return v
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return v
	}
	if s, err := strconv.Atoi(style); err == nil && w.dateXf[s] {
		return excelDate(f, w.date1904)
	}
	return strconv.FormatFloat(f, 'g', 15, 64) // General shows 15 significant digits
}

// excelDate turns a date serial into a date (and time when it has one).
func excelDate(serial float64, date1904 bool) string {
	if math.IsNaN(serial) || serial < 0 || serial > 2958465 { // 9999-12-31
		return strconv.FormatFloat(serial, 'g', 15, 64)
	}
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC) // 1900 system, with its leap-year bug folded in
	if date1904 {
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	days := math.Floor(serial)
	secs := math.Round((serial - days) * 86400)
	t := base.AddDate(0, 0, int(days)).Add(time.Duration(secs) * time.Second)
	switch {
	case days == 0 && secs != 0 && !date1904:
		return t.Format("15:04:05")
	case secs == 0:
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04:05")
}

// readXLSX reads one sheet of a workbook as CSV; the window counts the
// sheet's rows (row 1 is the sheet's first row, usually its header).
func readXLSX(p string, w Window) (d Doc, err error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return Doc{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	defer zr.Close()
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
	}
	if total > maxXLSXUnzip {
		return Doc{}, fmt.Errorf("%w: it unpacks to more than %d MB", ErrMalformed, maxXLSXUnzip>>20)
	}
	wb, err := openWorkbook(&zr.Reader)
	if err != nil {
		return Doc{}, err
	}
	if len(wb.sheets) == 0 {
		return Doc{}, fmt.Errorf("%w: no sheets", ErrMalformed)
	}
	names := make([]string, len(wb.sheets))
	for i, s := range wb.sheets {
		names[i] = s.Name
	}
	sheet := wb.sheets[0]
	if w.Sheet != "" {
		found := false
		for _, s := range wb.sheets {
			if strings.EqualFold(s.Name, w.Sheet) {
				sheet, found = s, true
			}
		}
		if !found {
			return Doc{}, fmt.Errorf("%w %q; the sheets are: %s", ErrNoSheet, w.Sheet, strings.Join(names, ", "))
		}
	}
	rc, err := xlsxPart(&zr.Reader, wb.targets[sheet.RID])
	if err != nil {
		return Doc{}, err
	}
	if rc == nil {
		return Doc{}, fmt.Errorf("%w: sheet %q has no part", ErrMalformed, sheet.Name)
	}
	defer rc.Close()

	d = Doc{Unit: "row"}
	c := capped{max: w.MaxBytes}
	n, cols := 0, 0
	emit := func(rec []string) {
		n++
		if len(rec) > maxFields {
			rec = rec[:maxFields]
		}
		cols = max(cols, len(rec))
		if n < w.Start {
			return
		}
		if c.cut || (w.Count > 0 && n >= w.Start+w.Count) || !c.add(csvLine(rec, ',')) {
			d.More = true
			return
		}
		if d.From == 0 {
			d.From = n
		}
		d.To = n
	}
	dec := xml.NewDecoder(rc)
	var row []string
	var typ, style, ref, value, inline string
	inRow, inV, inIS := false, false, false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Doc{}, fmt.Errorf("%w: sheet: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				inRow, row = true, row[:0]
				if r, err := strconv.Atoi(attr(t, "r")); err == nil && r > n+1 {
					for gap := 0; r > n+1 && gap < maxRowGap; gap++ {
						emit(nil) // rows with nothing in them
					}
				}
			case "c":
				typ, style, ref, value, inline = attr(t, "t"), attr(t, "s"), attr(t, "r"), "", ""
			case "v":
				inV = true
			case "is":
				inIS = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "row":
				inRow = false
				emit(row)
			case "c":
				if !inRow {
					continue
				}
				col := len(row)
				if ref != "" {
					if i := columnIndex(ref); i >= 0 {
						col = i
					}
				}
				if col >= maxFields {
					continue
				}
				for len(row) < col {
					row = append(row, "")
				}
				text := wb.cellText(typ, style, value, inline)
				if col < len(row) {
					row[col] = text
				} else {
					row = append(row, text)
				}
			case "v":
				inV = false
			case "is":
				inIS = false
			}
		case xml.CharData:
			switch {
			case inV:
				value += string(t)
			case inIS:
				inline += string(t)
			}
		}
	}
	d.Total, d.Cut = n, c.cut
	head := fmt.Sprintf("Excel workbook, sheets: %s. Sheet %q: %d rows × %d columns, as CSV.", strings.Join(names, ", "), sheet.Name, n, cols)
	if d.From == 0 {
		d.Text = head + fmt.Sprintf(" No row %d.", w.Start)
		return d, nil
	}
	d.Text = joinParts(head+fmt.Sprintf(" Rows %d–%d:", d.From, d.To), c.sb.String(), d.footer())
	return d, nil
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
