package bot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/discordgpt/discordgpt/store"
)

// Price is what a model costs in US dollars per million tokens.
type Price struct {
	Input       float64 `json:"input"`
	CachedInput float64 `json:"cached_input"`
	Output      float64 `json:"output"`
}

// PricesTaken is when the built-in price table was copied from OpenAI's
// published pricing.
const PricesTaken = "2025-08-07"

// builtinPrices are OpenAI's list prices (standard tier) on PricesTaken.
var builtinPrices = map[string]Price{
	"gpt-4o-mini":   {0.15, 0.075, 0.60},
	"gpt-4o":        {2.50, 1.25, 10.00},
	"gpt-4.1":       {2.00, 0.50, 8.00},
	"gpt-4.1-mini":  {0.40, 0.10, 1.60},
	"gpt-4.1-nano":  {0.10, 0.025, 0.40},
	"o1":            {15.00, 7.50, 60.00},
	"o3":            {2.00, 0.50, 8.00},
	"o3-mini":       {1.10, 0.55, 4.40},
	"o4-mini":       {1.10, 0.275, 4.40},
	"gpt-5":         {1.25, 0.125, 10.00},
	"gpt-5-mini":    {0.25, 0.025, 2.00},
	"gpt-5-nano":    {0.05, 0.005, 0.40},
	"gpt-4-turbo":   {10.00, 10.00, 30.00},
	"gpt-3.5-turbo": {0.50, 0.50, 1.50},
}

// loadPrices returns the built-in table with PRICING_FILE's models added
// or overriding. The file is JSON: {"model": {"input": 0.15,
// "cached_input": 0.075, "output": 0.6}, ...}, in dollars per million
// tokens; 0 suits a local model.
func loadPrices(path string) (map[string]Price, error) {
	out := make(map[string]Price, len(builtinPrices))
	for k, v := range builtinPrices {
		out[k] = v
	}
	if path == "" {
		return out, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{"PRICING_FILE", "cannot read " + path + ": " + errReason(err)}
	}
	var file map[string]*Price
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, &ConfigError{"PRICING_FILE", "is not a JSON object of model prices: " + err.Error()}
	}
	for model, p := range file {
		if p == nil || p.Input < 0 || p.CachedInput < 0 || p.Output < 0 || strings.TrimSpace(model) == "" {
			return nil, &ConfigError{"PRICING_FILE", fmt.Sprintf("model %q: prices must be numbers of 0 or more", model)}
		}
		if p.CachedInput == 0 {
			p.CachedInput = p.Input // no cache discount stated
		}
		out[strings.ToLower(strings.TrimSpace(model))] = *p
	}
	return out, nil
}

// datedSnapshot matches a model name's snapshot suffix, like -2024-08-06.
var datedSnapshot = regexp.MustCompile(`-\d{4}-\d{2}-\d{2}$`)

// priceTable finds a model's price: exact name first, then the name
// without a dated snapshot suffix.
type priceTable map[string]Price

func (t priceTable) lookup(model string) (Price, bool) {
	m := strings.ToLower(strings.TrimSpace(model))
	if p, ok := t[m]; ok {
		return p, true
	}
	if base := datedSnapshot.ReplaceAllString(m, ""); base != m {
		p, ok := t[base]
		return p, ok
	}
	return Price{}, false
}

// cost prices one call's usage; an unknown model costs 0.
func (t priceTable) cost(model string, inTokens, cachedTokens, outTokens int64) float64 {
	p, ok := t.lookup(model)
	if !ok {
		return 0
	}
	cachedTokens = min(max(cachedTokens, 0), inTokens)
	return (float64(inTokens-cachedTokens)*p.Input + float64(cachedTokens)*p.CachedInput + float64(outTokens)*p.Output) / 1e6
}

// usageCost fills in the cost of a usage record.
func (t priceTable) usageCost(u store.Usage, cachedTokens int64) store.Usage {
	u.CostUSD = t.cost(u.Model, u.InputTokens, cachedTokens, u.OutputTokens)
	return u
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
