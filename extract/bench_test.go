package extract_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/discordgpt/discordgpt/extract"
	"github.com/discordgpt/discordgpt/extract/extracttest"
	"github.com/discordgpt/discordgpt/internal/heappeak"
)

// peakHeap runs f and returns the highest live heap seen while it ran
// above the heap before it started.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	stop := heappeak.Watch(500 * time.Microsecond)
	f()
	if p := stop(); p > ms.HeapAlloc {
		return p - ms.HeapAlloc
	}
	return 0
}

func benchRead(b *testing.B, path string, kind extract.Kind, w extract.Window) {
	b.ReportAllocs()
	var peak uint64
	for i := 0; i < b.N; i++ {
		p := peakHeap(func() {
			if _, err := extract.Read(path, kind, w); err != nil {
				b.Fatal(err)
			}
		})
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkRead_CSV10MB reads the first 32 KB of rows of a 10 MB CSV (the
// whole file is scanned for its shape), as read_file does.
func BenchmarkRead_CSV10MB(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("id,name,region,amount,date\n")
	for i := 0; sb.Len() < 10<<20; i++ {
		fmt.Fprintf(&sb, "%d,customer %d,region-%d,%d.%02d,2026-%02d-%02d\n", i, i, i%7, i*13%10000, i%100, i%12+1, i%28+1)
	}
	path := write(b, "big.csv", []byte(sb.String()))
	b.SetBytes(int64(sb.Len()))
	b.Run("first-window", func(b *testing.B) { benchRead(b, path, extract.CSV, extract.Window{MaxBytes: 32 << 10}) })
	b.Run("last-rows", func(b *testing.B) { benchRead(b, path, extract.CSV, extract.Window{Start: 200000, MaxBytes: 32 << 10}) })
}

// BenchmarkRead_PDF100Pages reads a 100-page PDF: the first window (as
// much as the cap takes) and 5 pages from the middle.
func BenchmarkRead_PDF100Pages(b *testing.B) {
	pages := make([]string, 100)
	for i := range pages {
		pages[i] = strings.Repeat(fmt.Sprintf("Page %d of the annual report: revenue, costs and outlook. ", i+1), 30)
	}
	data, err := extracttest.PDF(pages...)
	if err != nil {
		b.Fatal(err)
	}
	path := write(b, "report.pdf", data)
	b.Run("first-window", func(b *testing.B) { benchRead(b, path, extract.PDF, extract.Window{MaxBytes: 32 << 10}) })
	b.Run("pages-50-54", func(b *testing.B) {
		benchRead(b, path, extract.PDF, extract.Window{Start: 50, Count: 5, MaxBytes: 32 << 10})
	})
	b.Run("all-100-pages", func(b *testing.B) { benchRead(b, path, extract.PDF, extract.Window{MaxBytes: 1 << 20}) })
}
