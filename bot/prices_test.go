package bot

import (
	"errors"
	"math"
	"os"
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

func TestLoadPrices_File(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/prices.json"
	if err := os.WriteFile(path, []byte(`{"gpt-4o": {"input": 1, "output": 2}, "llama3": {"input": 0, "output": 0}, "My-Router/Model": {"input": 3, "cached_input": 1, "output": 4}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := loadPrices(path)
	if err != nil {
		t.Fatal(err)
	}
	tab := priceTable(p)
	if got := tab.cost("gpt-4o", 1_000_000, 0, 1_000_000); got != 3 {
		t.Errorf("overridden gpt-4o = %v", got)
	}
	if got := tab.cost("gpt-4o-2024-08-06", 1_000_000, 500_000, 0); got != 1 {
		t.Errorf("overridden snapshot with cache (cached defaults to input) = %v", got)
	}
	if _, ok := tab.lookup("llama3"); !ok {
		t.Error("a free local model is unknown")
	}
	if got := tab.cost("my-router/model", 1_000_000, 1_000_000, 0); got != 1 {
		t.Errorf("added model = %v", got)
	}
	if got := tab.cost("gpt-4o-mini", 1_000_000, 0, 0); got != 0.15 {
		t.Errorf("built-in kept = %v", got)
	}
	for _, bad := range []string{`[1,2]`, `{"m": {"input": -1}}`, `{"m": {"inptu": 1}}`, `not json`} {
		if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		var ce *ConfigError
		if _, err := loadPrices(path); !errors.As(err, &ce) || ce.Var != "PRICING_FILE" {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
	var ce *ConfigError
	if _, err := loadPrices(dir + "/missing.json"); !errors.As(err, &ce) {
		t.Errorf("missing file: %v", err)
	}
}
