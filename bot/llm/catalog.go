package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/discordgpt/discordgpt/store"
)

// DefaultModel is the model used when DEFAULT_MODEL is not set: OpenAI's
// cheapest current general model (checked against OpenAI's model and
// deprecation pages on PricesTaken).
const DefaultModel = "gpt-6-luna"

// DefaultModels are offered on OpenAI when MODELS is not set: current
// models at sensible prices, none with an announced shutdown on
// PricesTaken. The dearest (gpt-6-astra, gpt-5.6-sol, gpt-5.5) are opt-in
// through MODELS, since the owner pays. Only those the provider still
// lists are offered.
var DefaultModels = []string{"gpt-6-luna", "gpt-6.1-sol", "gpt-6-sol", "gpt-5.6-luna", "gpt-5.6-terra", "gpt-5.4-mini"}

// RetireWarning is how long before a model's shutdown its users are told.
const RetireWarning = 14 * 24 * time.Hour

// nonChat matches model names that cannot chat: embeddings, audio, images,
// moderation, realtime, reranking.
var nonChat = regexp.MustCompile(`(?i)embed|whisper|tts|transcribe|audio|realtime|dall-e|gpt-image|image-|moderation|rerank|sora|speech|davinci|babbage|computer-use`)

// modelsPage is GET /models as OpenAI, OpenRouter and most compatible
// servers send it.
type modelsPage struct {
	Data []struct {
		ID           string  `json:"id"`
		OwnedBy      string  `json:"owned_by"`
		ShutdownDate *string `json:"shutdown_date"`
		// Pricing is OpenRouter's: dollars per token, as strings.
		Pricing *struct {
			Prompt          string `json:"prompt"`
			Completion      string `json:"completion"`
			InputCacheRead  string `json:"input_cache_read"`
			InputCacheReads string `json:"cache_read"`
		} `json:"pricing"`
		Architecture *struct {
			OutputModalities []string `json:"output_modalities"`
		} `json:"architecture"`
	} `json:"data"`
}

// FetchModels lists the provider's models (GET /models), with shutdown
// dates (OpenAI) and prices (OpenRouter) where it gives them.
func (c *Client) FetchModels(ctx context.Context) ([]store.ProviderModel, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/models", nil)
	if err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("list models: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body[:min(len(body), 200)])))
	}
	var page modelsPage
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	out := make([]store.ProviderModel, 0, len(page.Data))
	for _, d := range page.Data {
		if d.ID == "" {
			continue
		}
		m := store.ProviderModel{ID: d.ID, OwnedBy: d.OwnedBy, Chat: !nonChat.MatchString(d.ID)}
		if d.ShutdownDate != nil {
			if _, err := time.Parse(time.DateOnly, *d.ShutdownDate); err == nil {
				m.ShutdownDate = *d.ShutdownDate
			}
		}
		if a := d.Architecture; a != nil && len(a.OutputModalities) > 0 {
			m.Chat = m.Chat && contains(a.OutputModalities, "text")
		}
		if p := d.Pricing; p != nil {
			in, err1 := strconv.ParseFloat(p.Prompt, 64)
			out, err2 := strconv.ParseFloat(p.Completion, 64)
			if err1 == nil && err2 == nil && in >= 0 && out >= 0 {
				m.HasPrice, m.InputPerM, m.OutputPerM, m.CachedPerM = true, in*1e6, out*1e6, in*1e6
				cache := p.InputCacheRead
				if cache == "" {
					cache = p.InputCacheReads
				}
				if cr, err := strconv.ParseFloat(cache, 64); err == nil && cr >= 0 {
					m.CachedPerM = cr * 1e6
				}
			}
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ProviderPrices are the prices the provider published in its list.
func ProviderPrices(models []store.ProviderModel) map[string]Price {
	out := map[string]Price{}
	for _, m := range models {
		if m.HasPrice {
			out[strings.ToLower(m.ID)] = Price{Input: m.InputPerM, CachedInput: m.CachedPerM, Output: m.OutputPerM}
		}
	}
	return out
}

// Shutdown is a model's announced shutdown date.
func Shutdown(m store.ProviderModel) (time.Time, bool) {
	if m.ShutdownDate == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, m.ShutdownDate)
	return t, err == nil
}
