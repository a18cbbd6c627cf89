// Package chart draws small PNG charts in pure Go (the standard image
// packages and x/image's built-in bitmap font), for the usage commands.
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Size of a chart in pixels: wide enough for 30 bars and readable on a
// phone, where Discord scales the image down.
const (
	Width  = 760
	Height = 400
)

// Series is one stacked part of every bar: a model's spending per day.
type Series struct {
	Name   string
	Values []float64
}

// Colors of the series, in order, chosen to read on Discord's dark and
// light themes; the last is for "other".
var Colors = []color.RGBA{
	{0x58, 0x65, 0xf2, 0xff}, // blurple
	{0x57, 0xf2, 0x87, 0xff}, // green
	{0xfe, 0xe7, 0x5c, 0xff}, // yellow
	{0xeb, 0x45, 0x9e, 0xff}, // fuchsia
	{0xed, 0x42, 0x45, 0xff}, // red
	{0x3b, 0xc5, 0xd5, 0xff}, // cyan
	{0x99, 0xaa, 0xb5, 0xff}, // grey
}

// MaxSeries is how many series a chart shows; callers merge the rest.
var MaxSeries = len(Colors)

var (
	background = color.RGBA{0x2b, 0x2d, 0x31, 0xff}
	grid       = color.RGBA{0x44, 0x47, 0x4e, 0xff}
	text       = color.RGBA{0xdb, 0xde, 0xe1, 0xff}
)

// Layout of the plot area.
const (
	left, right, top = 76, 16, 34
	bottom           = 92 // x labels and the legend
)

// StackedBars draws one bar per label, each stacked from the series'
// values at that index, with a y axis labelled by format and a legend.
func StackedBars(title string, labels []string, series []Series, format func(float64) string) ([]byte, error) {
	if len(labels) == 0 {
		return nil, errors.New("chart: no bars")
	}
	if len(series) > MaxSeries {
		return nil, fmt.Errorf("chart: %d series, at most %d", len(series), MaxSeries)
	}
	peak := 0.0
	for i := range labels {
		sum := 0.0
		for _, s := range series {
			if i < len(s.Values) && s.Values[i] > 0 {
				sum += s.Values[i]
			}
		}
		peak = math.Max(peak, sum)
	}
	ceil := niceCeil(peak)
	img := image.NewRGBA(image.Rect(0, 0, Width, Height))
	draw.Draw(img, img.Bounds(), &image.Uniform{background}, image.Point{}, draw.Src)
	writeText(img, left, 20, title)

	x0, x1, y0, y1 := left, Width-right, top, Height-bottom
	const steps = 4
	for k := 0; k <= steps; k++ {
		y := y1 - (y1-y0)*k/steps
		fill(img, image.Rect(x0, y, x1, y+1), grid)
		label := format(ceil * float64(k) / steps)
		writeText(img, x0-8-textWidth(label), y+4, label)
	}
	slot := float64(x1-x0) / float64(len(labels))
	barW := max(int(slot*0.7), 1)
	for i, l := range labels {
		bx := x0 + int(slot*float64(i)+(slot-float64(barW))/2)
		base := 0.0
		for si, s := range series {
			if i >= len(s.Values) || s.Values[i] <= 0 {
				continue
			}
			ya := y1 - int(math.Round(float64(y1-y0)*base/ceil))
			base += s.Values[i]
			yb := y1 - int(math.Round(float64(y1-y0)*base/ceil))
			if yb == ya { // too small to see: one pixel, so it is not lost
				yb = ya - 1
			}
			fill(img, image.Rect(bx, yb, bx+barW, ya), Colors[si])
		}
		if i%5 == 0 || i == len(labels)-1 {
			writeText(img, bx+barW/2-textWidth(l)/2, y1+16, l)
		}
	}
	// The legend: a square and a name per series, wrapping to a new line.
	lx, ly := x0, y1+40
	for si, s := range series {
		w := 14 + 6 + textWidth(s.Name) + 18
		if lx+w > Width-right && lx > x0 {
			lx, ly = x0, ly+20
		}
		fill(img, image.Rect(lx, ly-10, lx+12, ly+2), Colors[si])
		writeText(img, lx+18, ly, s.Name)
		lx += w
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	return buf.Bytes(), nil
}

// BarColumn is the x of the middle of bar i of n, for tests that read
// the picture back.
func BarColumn(i, n int) int {
	slot := float64(Width-right-left) / float64(n)
	return left + int(slot*float64(i)+slot/2)
}

// PlotBottom is the y of the axis the bars stand on.
const PlotBottom = Height - bottom

// niceCeil rounds up to 1, 2, 4, 6 or 8 times a power of ten, so the
// axis's quarter steps are round numbers.
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 4, 6, 8, 10} {
		if v <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r.Intersect(img.Bounds()), &image.Uniform{c}, image.Point{}, draw.Src)
}

func writeText(img *image.RGBA, x, y int, s string) {
	d := font.Drawer{Dst: img, Src: &image.Uniform{text}, Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func textWidth(s string) int {
	return font.MeasureString(basicfont.Face7x13, s).Ceil()
}
