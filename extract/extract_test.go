package extract_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/discordgpt/discordgpt/extract"
	"github.com/discordgpt/discordgpt/extract/extracttest"
)

func write(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestKindOf(t *testing.T) {
	for _, c := range []struct {
		ext, ct string
		want    extract.Kind
	}{
		{".csv", "text/plain", extract.CSV}, {".TSV", "", extract.TSV}, {".pdf", "application/pdf", extract.PDF},
		{".docx", "application/zip", extract.DOCX}, {".xlsx", "", extract.XLSX}, {".txt", "text/plain; charset=utf-8", extract.Text},
		{".json", "application/json", extract.Text}, {".png", "image/png", extract.None}, {".zip", "application/zip", extract.None},
	} {
		if got := extract.KindOf(c.ext, c.ct); got != c.want {
			t.Errorf("KindOf(%q, %q) = %q, want %q", c.ext, c.ct, got, c.want)
		}
	}
}

func TestText_WindowAndCap(t *testing.T) {
	var sb strings.Builder
	for i := 1; i <= 1000; i++ {
		fmt.Fprintf(&sb, "line %d\n", i)
	}
	p := write(t, "a.txt", []byte(sb.String()))
	d := must(extract.Read(p, extract.Text, extract.Window{Start: 10, Count: 3}))
	if d.Total != 1000 || d.From != 10 || d.To != 12 || !d.More || !strings.Contains(d.Text, "line 10\nline 11\nline 12\n") ||
		strings.Contains(d.Text, "line 13\n") || !strings.Contains(d.Text, "start=13") {
		t.Fatalf("window: %+v", d)
	}
	d = must(extract.Read(p, extract.Text, extract.Window{MaxBytes: 2000}))
	if !d.Cut || d.To < 100 || len(d.Text) > 2300 || !strings.Contains(d.Text, fmt.Sprintf("start=%d", d.To+1)) {
		t.Fatalf("cap: To=%d cut=%v len=%d", d.To, d.Cut, len(d.Text))
	}
	d = must(extract.Read(p, extract.Text, extract.Window{Start: 5000}))
	if !strings.Contains(d.Text, "Nothing at line 5000") {
		t.Fatalf("past the end: %q", d.Text)
	}
	// One giant line, and invalid UTF-8.
	p = write(t, "b.txt", append(bytes.Repeat([]byte("x"), 1<<20), 0xff, '\n', 'y'))
	d = must(extract.Read(p, extract.Text, extract.Window{MaxBytes: 4096}))
	if !d.Cut || len(d.Text) > 4500 || d.Total != 2 {
		t.Fatalf("giant line: total=%d cut=%v len=%d", d.Total, d.Cut, len(d.Text))
	}
}

func TestCSV_ShapeHeaderRows(t *testing.T) {
	data := "region,month,sales\nnorth,jan,10\nsouth,jan,\"1,5\"\nwest,feb,7\n"
	p := write(t, "s.csv", []byte(data))
	d := must(extract.Read(p, extract.CSV, extract.Window{}))
	for _, want := range []string{"3 data rows × 3 columns", "Header: region,month,sales", "Rows 1–3:", `south,jan,"1,5"`} {
		if !strings.Contains(d.Text, want) {
			t.Errorf("missing %q in %q", want, d.Text)
		}
	}
	d = must(extract.Read(p, extract.CSV, extract.Window{Start: 2, Count: 1}))
	if d.From != 2 || d.To != 2 || !d.More || strings.Contains(d.Text, "north") {
		t.Fatalf("window: %+v", d)
	}
	p = write(t, "s.tsv", []byte("a\tb\n1\t2\n"))
	if d := must(extract.Read(p, extract.TSV, extract.Window{})); !strings.Contains(d.Text, "TSV file: 1 data rows × 2 columns") ||
		!strings.Contains(d.Text, "1\t2") {
		t.Fatalf("tsv: %q", d.Text)
	}
	p = write(t, "bad.csv", []byte("a,b\n\"x,\"y\"z\n"))
	if _, err := extract.Read(p, extract.CSV, extract.Window{}); err != nil && !errors.Is(err, extract.ErrMalformed) {
		t.Fatalf("malformed csv: %v", err)
	}
}

func TestPDF_PagesAndWindow(t *testing.T) {
	var pages []string
	for i := 1; i <= 5; i++ {
		pages = append(pages, fmt.Sprintf("Quarterly report page %d\nRevenue grew %d percent", i, i*3))
	}
	p := write(t, "r.pdf", must(extracttest.PDF(pages...)))
	d := must(extract.Read(p, extract.PDF, extract.Window{}))
	if d.Total != 5 || d.From != 1 || d.To != 5 || !strings.Contains(d.Text, "--- Page 3 ---") ||
		!strings.Contains(d.Text, "Quarterly report page 3") || !strings.Contains(d.Text, "Revenue grew 15 percent") {
		t.Fatalf("pdf: %+v", d)
	}
	d = must(extract.Read(p, extract.PDF, extract.Window{Start: 4, Count: 1}))
	if d.From != 4 || d.To != 4 || !d.More || strings.Contains(d.Text, "page 3") || !strings.Contains(d.Text, "start=5") {
		t.Fatalf("pdf window: %+v", d)
	}
	empty := write(t, "e.pdf", must(extracttest.PDF("")))
	if d := must(extract.Read(empty, extract.PDF, extract.Window{})); !strings.Contains(d.Text, "no text layer") {
		t.Fatalf("scan: %q", d.Text)
	}
}

func TestDOCX_Paragraphs(t *testing.T) {
	p := write(t, "d.docx", must(extracttest.DOCX("Dear team,", "The launch moves to <Friday> & stays there.", "", "Thanks")))
	d := must(extract.Read(p, extract.DOCX, extract.Window{}))
	if d.Total != 3 || !strings.Contains(d.Text, "The launch moves to <Friday> & stays there.\nThanks") {
		t.Fatalf("docx: %+v", d)
	}
}

func TestXLSX_SheetsAsCSV(t *testing.T) {
	data := must(extracttest.XLSX(
		extracttest.Sheet{Name: "Sales", Rows: [][]any{{"region", "q1", "q2"}, {"north", 10, 12.5}, {"south", 7, 9}}},
		extracttest.Sheet{Name: "Notes", Rows: [][]any{{"checked by", "ana"}}}))
	p := write(t, "w.xlsx", data)
	d := must(extract.Read(p, extract.XLSX, extract.Window{}))
	for _, want := range []string{"sheets: Sales, Notes", `Sheet "Sales": 3 rows × 3 columns`, "region,q1,q2\nnorth,10,12.5\nsouth,7,9"} {
		if !strings.Contains(d.Text, want) {
			t.Errorf("missing %q in %q", want, d.Text)
		}
	}
	d = must(extract.Read(p, extract.XLSX, extract.Window{Sheet: "notes"}))
	if !strings.Contains(d.Text, "checked by,ana") {
		t.Fatalf("second sheet: %q", d.Text)
	}
	if _, err := extract.Read(p, extract.XLSX, extract.Window{Sheet: "Missing"}); !errors.Is(err, extract.ErrNoSheet) ||
		!strings.Contains(err.Error(), "Sales, Notes") {
		t.Fatalf("missing sheet: %v", err)
	}
}

// Hostile and broken files give ErrMalformed, never a panic or a hang.
func TestMalformedDocuments(t *testing.T) {
	garbage := bytes.Repeat([]byte("%PDF-1.7 garbage \x00\xff"), 100)
	good := must(extracttest.PDF("hello"))
	var bomb bytes.Buffer
	z := zip.NewWriter(&bomb)
	w, _ := z.Create("word/document.xml")
	_, _ = w.Write([]byte("<w:document><w:body><w:p><w:t>"))
	zero := make([]byte, 1<<20)
	for i := 0; i < 100; i++ { // 100 MB of zeros unpacked
		_, _ = w.Write(zero)
	}
	_ = z.Close()
	for _, c := range []struct {
		name string
		kind extract.Kind
		data []byte
	}{
		{"garbage.pdf", extract.PDF, garbage},
		{"truncated.pdf", extract.PDF, good[:len(good)/2]},
		{"empty.pdf", extract.PDF, nil},
		{"text.docx", extract.DOCX, []byte("not a zip")},
		{"nodoc.docx", extract.DOCX, must(extracttest.XLSX(extracttest.Sheet{Name: "a"}))},
		{"bomb.docx", extract.DOCX, bomb.Bytes()},
		{"text.xlsx", extract.XLSX, []byte("not a zip")},
		{"docx.xlsx", extract.XLSX, must(extracttest.DOCX("x"))},
	} {
		p := write(t, c.name, c.data)
		if _, err := extract.Read(p, c.kind, extract.Window{}); !errors.Is(err, extract.ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", c.name, err)
		}
	}
	if _, err := extract.Read(filepath.Join(t.TempDir(), "x.png"), extract.None, extract.Window{}); !errors.Is(err, extract.ErrNotDocument) {
		t.Errorf("image: %v", err)
	}
}

// Cells as a spreadsheet shows them: dates as dates, booleans, numbers in
// General format, empty cells and rows kept in place.
func TestXLSX_CellKinds(t *testing.T) {
	data := must(extracttest.XLSX(extracttest.Sheet{Name: "Log", Rows: [][]any{
		{"when", "ok", "amount", "note"},
		{time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), true, 0.1 + 0.2, nil},
		{time.Date(2026, 11, 27, 14, 30, 0, 0, time.UTC), false, 1234567.5, "a, \"quoted\" note"},
		{nil, nil, nil, "only the last"},
	}}))
	d := must(extract.Read(write(t, "k.xlsx", data), extract.XLSX, extract.Window{}))
	want := "when,ok,amount,note\n2026-11-26,TRUE,0.3\n2026-11-27 14:30:00,FALSE,1234567.5,\"a, \"\"quoted\"\" note\"\n,,,only the last"
	if !strings.Contains(d.Text, want) {
		t.Errorf("got %q\nwant it to contain %q", d.Text, want)
	}
}
