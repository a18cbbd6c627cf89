package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Result is one search hit.
type Result struct {
	Title, URL, Snippet string
}

// Searcher is a search backend the owner configured. Its address is the
// owner's choice (often a SearXNG on the same machine), so it is reached
// without the guard; the model only chooses the query.
type Searcher interface {
	// Name names the backend in statistics and prices.
	Name() string
	Search(ctx context.Context, query string, n int) ([]Result, error)
}

var searchClient = &http.Client{Timeout: 15 * time.Second}

// SearXNG is a SearXNG instance's JSON API (its settings must allow the
// json format).
type SearXNG struct{ Base string }

// Name is the backend's name.
func (s SearXNG) Name() string { return "searxng" }

// Search asks SearXNG.
func (s SearXNG) Search(ctx context.Context, query string, n int) ([]Result, error) {
	u := strings.TrimRight(s.Base, "/") + "/search?" + url.Values{"q": {query}, "format": {"json"}}.Encode()
	var body struct {
		Results []struct {
			Title   string `json:"title"`
			URL     string `json:"url"`
			Content string `json:"content"`
		} `json:"results"`
	}
	if err := getJSON(ctx, u, nil, &body); err != nil {
		return nil, fmt.Errorf("searxng: %w", err)
	}
	var out []Result
	for _, r := range body.Results {
		if len(out) == n {
			break
		}
		out = append(out, Result{Title: r.Title, URL: r.URL, Snippet: r.Content})
	}
	return out, nil
}

// BraveURL is Brave Search's web search endpoint.
const BraveURL = "https://api.search.brave.com/res/v1/web/search"

// Brave is the Brave Search API.
type Brave struct {
	// URL is the endpoint; "" means BraveURL.
	URL string
	Key string
}

// Name is the backend's name.
func (b Brave) Name() string { return "brave-search" }

// Search asks Brave.
func (b Brave) Search(ctx context.Context, query string, n int) ([]Result, error) {
	base := b.URL
	if base == "" {
		base = BraveURL
	}
	u := base + "?" + url.Values{"q": {query}, "count": {fmt.Sprint(n)}}.Encode()
	var body struct {
		Web struct {
			Results []struct {
				Title       string `json:"title"`
				URL         string `json:"url"`
				Description string `json:"description"`
			} `json:"results"`
		} `json:"web"`
	}
	if err := getJSON(ctx, u, map[string]string{"X-Subscription-Token": b.Key, "Accept": "application/json"}, &body); err != nil {
		return nil, fmt.Errorf("brave: %w", err)
	}
	var out []Result
	for _, r := range body.Web.Results {
		if len(out) == n {
			break
		}
		out = append(out, Result{Title: r.Title, URL: r.URL, Snippet: r.Description})
	}
	return out, nil
}

// getJSON fetches a JSON document of at most 2 MB.
func getJSON(ctx context.Context, u string, headers map[string]string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", UserAgent)
	for k, val := range headers {
		req.Header.Set(k, val)
	}
	resp, err := searchClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the search service answered %s", resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 2<<20)).Decode(v); err != nil {
		return fmt.Errorf("the search service sent something that is not its JSON: %w", err)
	}
	return nil
}

// StripHTML removes the tags search snippets carry (<strong>, &amp;).
func StripHTML(s string) string {
	var sb strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			sb.WriteRune(r)
		}
	}
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&nbsp;", " ").Replace(sb.String())
}
