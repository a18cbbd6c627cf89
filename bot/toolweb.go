package bot

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/store"
	"github.com/discordgpt/discordgpt/web"
)

// citeNote tells the model how to cite so Discord shows no previews.
const citeNote = "Cite sources as Markdown links with the URL in angle brackets, like [title](<https://…>)."

// newFetcher is fetch_url's reader: every connection through the guard.
func newFetcher(cfg Config) *web.Fetcher {
	g := &web.Guard{Allow: cfg.WebAllowHosts, LookupIP: cfg.WebLookup}
	// An allowed host:port opens its port too.
	for _, h := range cfg.WebAllowHosts {
		if _, p, ok := strings.Cut(h, ":"); ok && !strings.Contains(p, ":") {
			var n int
			if _, err := fmt.Sscan(p, &n); err == nil {
				g.Ports = append(g.Ports, n)
			}
		}
	}
	if g.Ports != nil {
		g.Ports = append(g.Ports, 80, 443)
	}
	return web.NewFetcher(g, cfg.WebMaxBytes, cfg.WebTimeout, filepath.Join(cfg.DataDir, "tmp"))
}

// searcher is the owner's search backend, or nil.
func (b *Bot) searcher() web.Searcher {
	switch {
	case b.cfg.SearxngURL != "":
		return web.SearXNG{Base: b.cfg.SearxngURL}
	case b.cfg.BraveAPIKey != "":
		return web.Brave{URL: b.cfg.BraveURL, Key: b.cfg.BraveAPIKey}
	}
	return nil
}

// webTools are fetch_url and, with a backend, web_search.
func (b *Bot) webTools() []*tool {
	ts := []*tool{{
		def: llm.Tool{Name: "fetch_url", Description: "Read a web page (http or https) and get its text as Markdown; PDFs are read too. " +
			"Use it for URLs the user gave or that a search found. Private and local addresses are not reachable.",
			Parameters: map[string]any{"type": "object", "properties": map[string]any{
				"url": map[string]any{"type": "string", "description": "The page's full URL."},
			}, "required": []string{"url"}, "additionalProperties": false}},
		status: func(tc *toolCall) string {
			var a struct {
				URL string `json:"url"`
			}
			if tc.decode(&a) == nil {
				if u, err := url.Parse(a.URL); err == nil && u.Hostname() != "" {
					return "🌐 Reading " + codeSpan(truncateRunes(u.Hostname(), 60)) + "…"
				}
			}
			return "🌐 Reading a page…"
		},
		run: b.fetchURLTool,
	}}
	if s := b.searcher(); s != nil {
		ts = append(ts, &tool{
			def: llm.Tool{Name: "web_search", Description: "Search the web; results have titles, URLs and snippets. " +
				"Read a result with fetch_url when the snippet is not enough.",
				Parameters: map[string]any{"type": "object", "properties": map[string]any{
					"query": map[string]any{"type": "string", "description": "What to search for."},
				}, "required": []string{"query"}, "additionalProperties": false}},
			status: func(*toolCall) string { return "🔎 Searching the web…" },
			run:    b.webSearchTool,
		})
	}
	return ts
}

func (b *Bot) fetchURLTool(ctx context.Context, tc *toolCall) (string, error) {
	var a struct {
		URL string `json:"url"`
	}
	if err := tc.decode(&a); err != nil {
		return "", err
	}
	if len(a.URL) > 2048 {
		return "", toolErrorf("the URL is too long")
	}
	tc.out.noEmbeds()
	page, err := b.fetcher.Fetch(ctx, a.URL)
	switch {
	case errors.Is(err, web.ErrFetch):
		return "", toolErrorf("%s", strings.TrimPrefix(err.Error(), web.ErrFetch.Error()+": "))
	case err != nil && ctx.Err() == nil:
		return "", toolErrorf("the page could not be read: %v", err)
	case err != nil:
		return "", err
	}
	head := "Page " + page.URL
	if page.Title != "" {
		head = fmt.Sprintf("Page %q (%s)", page.Title, page.URL)
	}
	return head + ". " + citeNote + "\n\n" + page.Text, nil
}

func (b *Bot) webSearchTool(ctx context.Context, tc *toolCall) (string, error) {
	var a struct {
		Query string `json:"query"`
	}
	if err := tc.decode(&a); err != nil {
		return "", err
	}
	a.Query = strings.TrimSpace(a.Query)
	if a.Query == "" || len(a.Query) > 400 {
		return "", toolErrorf("the query must be 1 to 400 characters")
	}
	s := b.searcher()
	cost, priced := b.models().prices.SearchCost(s.Name())
	now := b.cfg.now()
	if priced {
		if err := b.checkBudgetFor(tc.userID, now, cost); err != nil {
			var be *BudgetError
			if errors.As(err, &be) {
				return "", toolErrorf("not searched: %s", strings.TrimPrefix(be.Text, "💸 "))
			}
			return "", err
		}
	}
	tc.out.noEmbeds()
	results, err := s.Search(ctx, a.Query, 8)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		b.log.Warn("web search failed", "user_id", tc.userID, "backend", s.Name(), "err", err)
		return "", toolErrorf("the search service failed; try again later")
	}
	if priced { // only successful searches are billed
		u := store.Usage{Model: s.Name(), Requests: 1, CostUSD: cost}
		if err := b.db.RecordUsage(tc.userID, u, b.ledgerDay(now), b.ledgerMonth(now), tc.valid); err != nil && !errors.Is(err, store.ErrStale) {
			b.log.Error("record search usage", "user_id", tc.userID, "err", err)
		}
	}
	if len(results) == 0 {
		return "No results for " + fmt.Sprintf("%q.", a.Query), nil
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "Results for %q. %s\n", a.Query, citeNote)
	for k, r := range results {
		fmt.Fprintf(&sb, "%d. %s <%s>\n   %s\n", k+1, web.StripHTML(r.Title), r.URL, truncateRunes(web.StripHTML(r.Snippet), 300))
	}
	return sb.String(), nil
}
