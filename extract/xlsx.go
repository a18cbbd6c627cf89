package extract

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Unpacking limits for a workbook (a zip bomb stops there).
const (
	maxXLSXUnzip = 256 << 20
)

// readXLSX reads one sheet of a workbook as CSV; the window counts the
// sheet's rows (row 1 is the sheet's first row, usually its header).
func readXLSX(path string, w Window) (d Doc, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = Doc{}, fmt.Errorf("%w: %v", ErrMalformed, r)
		}
	}()
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: maxXLSXUnzip, UnzipXMLSizeLimit: maxXML})
	if err != nil {
		return Doc{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return Doc{}, fmt.Errorf("%w: no sheets", ErrMalformed)
	}
	sheet := sheets[0]
	if w.Sheet != "" {
		sheet = ""
		for _, s := range sheets {
			if strings.EqualFold(s, w.Sheet) {
				sheet = s
			}
		}
		if sheet == "" {
			return Doc{}, fmt.Errorf("%w %q; the sheets are: %s", ErrNoSheet, w.Sheet, strings.Join(sheets, ", "))
		}
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return Doc{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	defer rows.Close()
	d = Doc{Unit: "row"}
	c := capped{max: w.MaxBytes}
	n, cols := 0, 0
	for rows.Next() {
		n++
		rec, err := rows.Columns()
		if err != nil {
			return Doc{}, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if len(rec) > maxFields {
			rec = rec[:maxFields]
		}
		cols = max(cols, len(rec))
		if n < w.Start {
			continue
		}
		if c.cut || (w.Count > 0 && n >= w.Start+w.Count) || !c.add(csvLine(rec, ',')) {
			d.More = true
			continue
		}
		if d.From == 0 {
			d.From = n
		}
		d.To = n
	}
	if err := rows.Error(); err != nil {
		return Doc{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	d.Total, d.Cut = n, c.cut
	head := fmt.Sprintf("Excel workbook, sheets: %s. Sheet %q: %d rows × %d columns, as CSV.", strings.Join(sheets, ", "), sheet, n, cols)
	if d.From == 0 {
		d.Text = head + fmt.Sprintf(" No row %d.", w.Start)
		return d, nil
	}
	d.Text = joinParts(head+fmt.Sprintf(" Rows %d–%d:", d.From, d.To), c.sb.String(), d.footer())
	return d, nil
}
