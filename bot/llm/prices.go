package llm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Price is what a model costs in US dollars per million tokens. Reasoning
// tokens are output tokens; cached input is what OpenAI charges for input
// it served from its prompt cache.
type Price struct {
	Input       float64 `json:"input"`
	CachedInput float64 `json:"cached_input"`
	Output      float64 `json:"output"`
	// PerImage is what an image model charges per 1024x1024 image, by
	// quality (low, medium, high); larger sizes cost in proportion to
	// their pixels.
	PerImage map[string]float64 `json:"per_image,omitempty"`
	// PerSearch is what a search backend charges per search.
	PerSearch float64 `json:"per_search,omitempty"`
}

// PricesTaken is when the built-in price table was last checked.
const PricesTaken = "2026-11-26"

// PricesSource says where the built-in prices come from.
const PricesSource = "OpenAI's standard-tier list prices (requests under 272K input tokens)"

// builtinPrices are OpenAI's standard-tier list prices on PricesTaken, for
// requests of up to 272K input tokens. Models OpenAI has shut down are
// left out; those it still serves until a shutdown date stay until then.
var builtinPrices = map[string]Price{
	"gpt-6-astra":   {Input: 10.00, CachedInput: 1.00, Output: 50.00},
	"gpt-6.1-sol":   {Input: 2.00, CachedInput: 0.10, Output: 10.00},
	"gpt-6-sol":     {Input: 2.00, CachedInput: 0.20, Output: 10.00},
	"gpt-6-luna":    {Input: 0.10, CachedInput: 0.01, Output: 0.50},
	"gpt-5.6-sol":   {Input: 5.00, CachedInput: 0.50, Output: 30.00},
	"gpt-5.6-terra": {Input: 2.00, CachedInput: 0.20, Output: 12.00},
	"gpt-5.6-luna":  {Input: 0.20, CachedInput: 0.02, Output: 1.20},
	"gpt-5.5":       {Input: 5.00, CachedInput: 0.50, Output: 30.00},
	"gpt-5.4":       {Input: 2.50, CachedInput: 0.25, Output: 15.00},
	"gpt-5.4-mini":  {Input: 0.75, CachedInput: 0.075, Output: 4.50},
	"gpt-5.1":       {Input: 1.25, CachedInput: 0.125, Output: 10.00},
	"gpt-5":         {Input: 1.25, CachedInput: 0.125, Output: 10.00},
	"gpt-5-mini":    {Input: 0.25, CachedInput: 0.025, Output: 2.00},
	"gpt-5-nano":    {Input: 0.05, CachedInput: 0.005, Output: 0.40},
	"o3":            {Input: 2.00, CachedInput: 0.50, Output: 8.00},
	"gpt-4.1":       {Input: 2.00, CachedInput: 0.50, Output: 8.00},
	"gpt-4.1-mini":  {Input: 0.40, CachedInput: 0.10, Output: 1.60},
	"gpt-4o":        {Input: 2.50, CachedInput: 1.25, Output: 10.00},
	"gpt-4o-mini":   {Input: 0.15, CachedInput: 0.075, Output: 0.60},
}

// BuiltinPrices returns a copy of the built-in table.
func BuiltinPrices() map[string]Price {
	out := make(map[string]Price, len(builtinPrices))
	for k, v := range builtinPrices {
		out[k] = v
	}
	return out
}

// DearestPrice is the built-in model with the highest output price: what
// a model of unknown price counts at when budgets are set.
func DearestPrice() (string, Price) {
	name, best := "", Price{}
	for k, v := range builtinPrices {
		if v.Output > best.Output || (v.Output == best.Output && k < name) {
			name, best = k, v
		}
	}
	return name, best
}

// LoadPriceFile reads a JSON file of prices: {"model": {"input": 0.15,
// "cached_input": 0.075, "output": 0.6}, ...}, in dollars per million
// tokens; 0 suits a local model. A missing cached_input is the input price.
func LoadPriceFile(path string) (map[string]Price, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	var file map[string]*Price
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("is not a JSON object of model prices: %w", err)
	}
	out := make(map[string]Price, len(file))
	for model, p := range file {
		if p == nil || p.Input < 0 || p.CachedInput < 0 || p.Output < 0 || p.PerSearch < 0 || strings.TrimSpace(model) == "" {
			return nil, fmt.Errorf("model %q: prices must be numbers of 0 or more", model)
		}
		for q, v := range p.PerImage {
			if v < 0 || !contains(ImageQualities, q) {
				return nil, fmt.Errorf("model %q: per_image takes low, medium and high, each a price of 0 or more", model)
			}
		}
		if p.CachedInput == 0 {
			p.CachedInput = p.Input // no cache discount stated
		}
		out[strings.ToLower(strings.TrimSpace(model))] = *p
	}
	return out, nil
}

// Prices is an immutable price table: the built-in prices, then the
// provider's own (OpenRouter), then the owner's file, each overriding the
// one before; and what a model of unknown price counts at.
type Prices struct {
	table   map[string]Price
	unknown *Price
	file    bool
}

// NewPrices layers the tables; unknown, when not nil, prices models found
// in none of them.
func NewPrices(provider, file map[string]Price, unknown *Price) *Prices {
	p := &Prices{table: BuiltinPrices(), unknown: unknown, file: len(file) > 0}
	for k, v := range builtinImagePrices {
		p.table[k] = Price{PerImage: v}
	}
	for k, v := range builtinSearchPrices {
		p.table[k] = Price{PerSearch: v}
	}
	for k, v := range provider {
		p.table[strings.ToLower(k)] = v
	}
	for k, v := range file {
		p.table[strings.ToLower(k)] = v
	}
	return p
}

// HasFile reports whether the owner's price file is part of the table.
func (p *Prices) HasFile() bool { return p.file }

// Unknown is what a model of unknown price counts at, if anything.
func (p *Prices) Unknown() (Price, bool) {
	if p.unknown == nil {
		return Price{}, false
	}
	return *p.unknown, true
}

// datedSnapshot matches a model name's snapshot suffix, like -2024-08-06.
var datedSnapshot = regexp.MustCompile(`-\d{4}-\d{2}-\d{2}$`)

// Lookup finds a model's price: the exact name first, then without a dated
// snapshot suffix, then without a provider prefix ("openai/gpt-6-luna").
func (p *Prices) Lookup(model string) (Price, bool) {
	m := strings.ToLower(strings.TrimSpace(model))
	for range 2 {
		if v, ok := p.table[m]; ok {
			return v, true
		}
		if base := datedSnapshot.ReplaceAllString(m, ""); base != m {
			if v, ok := p.table[base]; ok {
				return v, true
			}
		}
		i := strings.LastIndexByte(m, '/')
		if i < 0 {
			break
		}
		m = m[i+1:]
	}
	return Price{}, false
}

// Cost prices one call's usage. A model of unknown price costs the
// unknown price if one is set, else 0; known says which.
func (p *Prices) Cost(model string, u Usage) (usd float64, known bool) {
	pr, ok := p.Lookup(model)
	if !ok {
		if p.unknown == nil {
			return 0, false
		}
		pr = *p.unknown
	}
	cached := min(max(u.Cached, 0), u.Input)
	return (float64(u.Input-cached)*pr.Input + float64(cached)*pr.CachedInput + float64(u.Output)*pr.Output) / 1e6, ok
}

// FormatCost prints dollars as the upstream bot did: 6 decimals under
// $0.01, 4 under $1, else 2.
func FormatCost(usd float64) string {
	switch {
	case usd < 0.01:
		return fmt.Sprintf("$%.6f", usd)
	case usd < 1:
		return fmt.Sprintf("$%.4f", usd)
	}
	return fmt.Sprintf("$%.2f", usd)
}

// builtinSearchPrices are dollars per search of the search backends, as of
// PricesTaken: Brave Search's API at its $5 per 1,000 requests list price
// (SearXNG, self-hosted, is free). PRICING_FILE's per_search overrides.
var builtinSearchPrices = map[string]float64{"brave-search": 0.005}

// SearchCost is what one search of backend costs; known says whether a
// price was found.
func (p *Prices) SearchCost(backend string) (float64, bool) {
	pr, ok := p.Lookup(backend)
	return pr.PerSearch, ok && pr.PerSearch > 0
}
