package chart_test

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"testing"

	"github.com/discordgpt/discordgpt/chart"
)

func dollars(v float64) string { return fmt.Sprintf("$%.2f", v) }

// colorsIn lists the series colours found in bar i's column.
func colorsIn(t *testing.T, pngBytes []byte, i, n int) map[color.RGBA]bool {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != chart.Width || b.Dy() != chart.Height {
		t.Fatalf("size %v", b)
	}
	found := map[color.RGBA]bool{}
	x := chart.BarColumn(i, n)
	for y := 0; y < chart.PlotBottom; y++ {
		r, g, b, a := img.At(x, y).RGBA()
		c := color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
		for _, s := range chart.Colors {
			if c == s {
				found[c] = true
			}
		}
	}
	return found
}

func TestStackedBars_DrawsWhatItIsGiven(t *testing.T) {
	labels := make([]string, 30)
	for i := range labels {
		labels[i] = fmt.Sprintf("11-%02d", i+1)
	}
	a := chart.Series{Name: "gpt-5.4-mini", Values: make([]float64, 30)}
	b := chart.Series{Name: "gpt-image-1.5", Values: make([]float64, 30)}
	a.Values[3], b.Values[3] = 0.40, 0.10 // both on day 4
	a.Values[10] = 0.00001                // tiny: still one pixel
	b.Values[29] = 1.5
	img, err := chart.StackedBars("Spending per day", labels, []chart.Series{a, b}, dollars)
	if err != nil {
		t.Fatal(err)
	}
	if got := colorsIn(t, img, 3, 30); !got[chart.Colors[0]] || !got[chart.Colors[1]] {
		t.Errorf("day 4 shows %v, want both series", got)
	}
	if got := colorsIn(t, img, 0, 30); len(got) != 0 {
		t.Errorf("day 1 has no spending but shows %v", got)
	}
	if got := colorsIn(t, img, 10, 30); !got[chart.Colors[0]] {
		t.Error("a tiny amount vanished")
	}
	if got := colorsIn(t, img, 29, 30); !got[chart.Colors[1]] || got[chart.Colors[0]] {
		t.Errorf("day 30 shows %v", got)
	}
}

func TestStackedBars_Refuses(t *testing.T) {
	if _, err := chart.StackedBars("x", nil, nil, dollars); err == nil {
		t.Error("no bars drawn without error")
	}
	many := make([]chart.Series, chart.MaxSeries+1)
	if _, err := chart.StackedBars("x", []string{"a"}, many, dollars); err == nil {
		t.Error("too many series drawn without error")
	}
	// All zero, negative or NaN: an empty chart, not a panic.
	if _, err := chart.StackedBars("x", []string{"a", "b"}, []chart.Series{{Name: "m", Values: []float64{0, -1}}}, dollars); err != nil {
		t.Error(err)
	}
}

// BenchmarkStackedBars is the cost of one 30-day chart with seven series.
func BenchmarkStackedBars(b *testing.B) {
	labels := make([]string, 30)
	series := make([]chart.Series, chart.MaxSeries)
	for i := range series {
		series[i] = chart.Series{Name: fmt.Sprintf("model-%d", i), Values: make([]float64, 30)}
		for d := range labels {
			series[i].Values[d] = float64(d%7+i) / 10
		}
	}
	for i := range labels {
		labels[i] = fmt.Sprintf("11-%02d", i+1)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := chart.StackedBars("Spending", labels, series, dollars); err != nil {
			b.Fatal(err)
		}
	}
}
