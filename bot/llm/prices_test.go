package llm

import (
	"math"
	"os"
	"testing"
)

func TestPrices_Cost(t *testing.T) {
	p := NewPrices(nil, nil, nil)
	cases := []struct {
		model string
		u     Usage
		want  float64
	}{
		{"gpt-4o-mini", Usage{Input: 1_000_000, Output: 1_000_000}, 0.15 + 0.60},
		{"gpt-4o", Usage{Input: 2000, Cached: 1000, Output: 500}, (1000*2.50 + 1000*1.25 + 500*10.0) / 1e6},
		// Cached input is priced lower; reasoning tokens are output tokens.
		{"gpt-6-luna", Usage{Input: 100_000, Cached: 60_000, Output: 20_000, Reasoning: 15_000}, (40_000*0.10 + 60_000*0.01 + 20_000*0.50) / 1e6},
		{"gpt-6.1-sol", Usage{Input: 1_000_000, Cached: 1_000_000}, 0.10},
		{"gpt-4o-2024-08-06", Usage{Input: 1_000_000}, 2.50},
		{"openai/gpt-6-luna", Usage{Output: 1_000_000}, 0.50},
		{"GPT-5", Usage{Output: 1_000_000}, 10.00},
		{"llama3", Usage{Input: 1_000_000, Output: 1_000_000}, 0},
	}
	for _, c := range cases {
		if got, _ := p.Cost(c.model, c.u); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: %v, want %v", c.model, got, c.want)
		}
	}
}

func TestPrices_UnknownModelIsNeverFreeWhenPriced(t *testing.T) {
	name, dear := DearestPrice()
	if name != "gpt-6-astra" || dear.Output != 50 {
		t.Fatalf("dearest = %s %+v", name, dear)
	}
	p := NewPrices(nil, nil, &dear)
	got, known := p.Cost("some-new-model", Usage{Input: 1_000_000, Output: 1_000_000})
	if known || got != 60 {
		t.Fatalf("unknown model cost %v (known %v), want 60 at the dearest price", got, known)
	}
	if _, ok := p.Lookup("some-new-model"); ok {
		t.Error("an unknown model must stay listed as unpriced")
	}
}

func TestPrices_Layers(t *testing.T) {
	provider := map[string]Price{"meta-llama/llama-4": {Input: 0.2, CachedInput: 0.2, Output: 0.6}, "gpt-4o": {Input: 9, CachedInput: 9, Output: 9}}
	file := map[string]Price{"gpt-4o": {Input: 1, CachedInput: 1, Output: 2}}
	p := NewPrices(provider, file, nil)
	if got, _ := p.Cost("gpt-4o", Usage{Input: 1_000_000, Output: 1_000_000}); got != 3 {
		t.Errorf("owner's file must win: %v", got)
	}
	if got, _ := p.Cost("meta-llama/llama-4", Usage{Output: 1_000_000}); math.Abs(got-0.6) > 1e-12 {
		t.Errorf("provider price: %v", got)
	}
	if !p.HasFile() {
		t.Error("HasFile")
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

func TestLoadPriceFile(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/prices.json"
	if err := os.WriteFile(path, []byte(`{"gpt-4o": {"input": 1, "output": 2}, "llama3": {"input": 0, "output": 0}, "My-Router/Model": {"input": 3, "cached_input": 1, "output": 4}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := LoadPriceFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPrices(nil, f, nil)
	if got, _ := p.Cost("gpt-4o-2024-08-06", Usage{Input: 1_000_000, Cached: 500_000}); got != 1 {
		t.Errorf("overridden snapshot with cache (cached defaults to input) = %v", got)
	}
	if _, ok := p.Lookup("llama3"); !ok {
		t.Error("a free local model is unknown")
	}
	if got, _ := p.Cost("my-router/model", Usage{Input: 1_000_000, Cached: 1_000_000}); got != 1 {
		t.Errorf("added model = %v", got)
	}
	for _, bad := range []string{`[1,2]`, `{"m": {"input": -1}}`, `{"m": {"inptu": 1}}`, `not json`} {
		if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadPriceFile(path); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	if _, err := LoadPriceFile(dir + "/missing.json"); err == nil {
		t.Error("missing file accepted")
	}
}
