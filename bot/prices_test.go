package bot

import (
	"math"
	"testing"
)

func TestPriceTable_Cost(t *testing.T) {
	tab := priceTable(builtinPrices)
	cases := []struct {
		model           string
		in, cached, out int64
		want            float64
	}{
		{"gpt-4o-mini", 1_000_000, 0, 1_000_000, 0.15 + 0.60},
		{"gpt-4o", 2000, 1000, 500, (1000*2.50 + 1000*1.25 + 500*10.0) / 1e6},
		{"o4-mini", 10_000, 0, 2_000, (10_000*1.10 + 2_000*4.40) / 1e6},
		{"gpt-4o-2024-08-06", 1_000_000, 0, 0, 2.50},
		{"GPT-5", 0, 0, 1_000_000, 10.00},
		{"llama3", 1_000_000, 0, 1_000_000, 0},
	}
	for _, c := range cases {
		if got := tab.cost(c.model, c.in, c.cached, c.out); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: %v, want %v", c.model, got, c.want)
		}
	}
}

func TestFormatCost(t *testing.T) {
	for usd, want := range map[float64]string{
		0.000001: "$0.000001", 0.005: "$0.005000", 0.05: "$0.0500", 1.5: "$1.50", 100: "$100.00", 0: "$0.000000",
	} {
		if got := FormatCost(usd); got != want {
			t.Errorf("FormatCost(%v) = %q, want %q", usd, got, want)
		}
	}
}
