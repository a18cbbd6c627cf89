package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	"github.com/discordgpt/discordgpt/extract/extracttest"
	openai "github.com/sashabaranov/go-openai"
)

// toolModel calls the tool the test registered for a question with the
// arguments given, then says what the tool answered.
type toolModel struct {
	mu    sync.Mutex
	calls map[string]openai.ToolCall
}

func newToolModel() *toolModel { return &toolModel{calls: map[string]openai.ToolCall{}} }

func (m *toolModel) set(question, tool string, args any) {
	raw, _ := json.Marshal(args)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls[question] = call("t1", tool, string(raw))
}

func (m *toolModel) respond(req openai.ChatCompletionRequest) openaitest.Reply {
	if lastIsTool(req) {
		res := toolResults(req)
		return openaitest.Reply{Text: "tool: " + truncate(res[len(res)-1], 1500)}
	}
	m.mu.Lock()
	c, ok := m.calls[openaitest.LastUserText(req)]
	m.mu.Unlock()
	if !ok {
		return openaitest.Echo(req)
	}
	return openaitest.Reply{ToolCalls: []openai.ToolCall{c}}
}

// loopbackServer serves on 127.0.0.1 and returns its host:port.
func loopbackServer(t *testing.T, h http.Handler) (string, *httptest.Server) {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://"), s
}

// TestWeb_SSRFGuard: fetch_url refuses every address and trick on the
// list with a clear tool result, and the internal server they aim at is
// never reached; an allowed loopback server (WEB_ALLOW_HOSTS) is read and
// converted to Markdown, a PDF through the documents code.
func TestWeb_SSRFGuard(t *testing.T) {
	var internalHits atomic.Int64
	internal, _ := loopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		internalHits.Add(1)
		fmt.Fprint(w, "internal secret: the admin password")
	}))
	pdf, err := extracttest.PDF("Annual report", "Revenue doubled")
	if err != nil {
		t.Fatal(err)
	}
	var allowed string
	mux := http.NewServeMux()
	mux.HandleFunc("/article", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") == "" || !strings.Contains(r.Header.Get("User-Agent"), "discordgpt") {
			http.Error(w, "no user agent", 400)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><head><title>Otters hold hands</title></head><body><nav>Home | About | Login</nav>
<article><h1>Otters hold hands</h1><p>Sea otters hold hands while they sleep so that they do not drift apart. This is called rafting,
and a group of otters floating together can number in the dozens.</p><p>Read more at <a href="/more">the otter page</a>.</p>
<p>Otters also keep a favourite stone in a pouch of skin under their forearm, which they use to crack open shellfish.</p></article>
<footer>© 2026 Otter Facts</footer></body></html>`)
	})
	mux.HandleFunc("/report.pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = w.Write(pdf)
	})
	mux.HandleFunc("/redirect-loopback", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+internal+"/", http.StatusFound)
	})
	mux.HandleFunc("/redirect-metadata", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	})
	mux.HandleFunc("/redirect-loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/redirect-loop", http.StatusFound)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		chunk := strings.Repeat("x", 64<<10)
		for i := 0; i < 48; i++ { // 3 MB, no Content-Length
			fmt.Fprint(w, chunk)
		}
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		for i := 0; i < 40; i++ {
			fmt.Fprint(w, "tick ")
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	allowed, _ = loopbackServer(t, mux)
	_, internalPort, _ := net.SplitHostPort(internal)
	h := startBot(t, func(c *bot.Config) {
		c.RateCount = 0
		c.WebAllowHosts = []string{allowed}
		c.WebTimeout = time.Second
		c.WebLookup = func(_ context.Context, host string) ([]netip.Addr, error) {
			switch host {
			case "public.example", "localhost":
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			case "six.example":
				return []netip.Addr{netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("::1")}, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
	})
	tm := newToolModel()
	h.ai.SetResponder(tm.respond)
	cases := []struct{ url, want string }{
		{"http://127.0.0.1/", "loopback"},
		{"http://127.0.0.1:" + internalPort + "/", "only ports 80 and 443"},
		{"http://127.1/", "loopback"},
		{"http://0x7f000001/", "loopback"},
		{"http://2130706433/", "loopback"},
		{"http://0177.0.0.1/", "loopback"},
		{"http://[::1]/", "loopback"},
		{"http://[::ffff:127.0.0.1]/", "loopback"},
		{"http://[::ffff:7f00:1]/", "loopback"},
		{"http://0.0.0.0/", "unspecified"},
		{"http://10.0.0.1/", "private network"},
		{"http://172.16.5.4/", "private network"},
		{"http://192.168.0.1/", "private network"},
		{"http://100.64.1.1/", "100.64.0.0/10"},
		{"http://169.254.169.254/latest/meta-data/", "link-local"},
		{"http://[fd00::1]/", "private network"},
		{"http://[fe80::1]/", "link-local"},
		{"http://224.0.0.1/", "multicast"},
		{"http://public.example/", "resolves to 127.0.0.1 (loopback)"},
		{"http://six.example/", "resolves to ::1 (loopback)"},
		{"http://localhost:" + strings.Split(allowed, ":")[1] + "/article", "resolves to 127.0.0.1"},
		{"http://" + allowed + "/redirect-loopback", "only ports 80 and 443"},
		{"http://" + allowed + "/redirect-metadata", "link-local"},
		{"http://" + allowed + "/redirect-loop", "more than 5 redirects"},
		{"file:///etc/passwd", `only http and https URLs are read, not "file"`},
		{"gopher://127.0.0.1:6379/_INFO", `not "gopher"`},
		{"ftp://example.com/file.txt", `not "ftp"`},
		{"http://example.com:22/", "only ports 80 and 443"},
		{"http://user:pass@example.com/", "user name or password"},
		{"http://" + allowed + "/big", "more than the 2048 KB read"},
		{"http://" + allowed + "/slow", "took longer than 1s"},
		{"javascript:alert(1)", `not "javascript"`},
	}
	for i, c := range cases {
		q := fmt.Sprintf("fetch %d", i)
		tm.set(q, "fetch_url", map[string]string{"url": c.url})
		r := waitReplyPrefix(t, h, h.dm("7501", q), "tool: ")
		res := lastToolResult(t, h)
		if !strings.HasPrefix(res, "Error: ") || !strings.Contains(res, c.want) {
			t.Errorf("%s: result %q, want an error with %q", c.url, res, c.want)
		}
		if strings.Contains(r, "internal secret") {
			t.Fatalf("%s reached the internal server", c.url)
		}
	}
	if n := internalHits.Load(); n != 0 {
		t.Errorf("the internal server was reached %d times", n)
	}
	// The allowed server: readable text as Markdown, and a PDF.
	tm.set("read the article", "fetch_url", map[string]string{"url": "http://" + allowed + "/article"})
	q := mention(h.fake, "7501", "web-chan", "read the article")
	waitReplyPrefix(t, h, q, "tool: Page \"Otters hold hands\"")
	res := lastToolResult(t, h)
	if !strings.Contains(res, "Sea otters hold hands while they sleep") || !strings.Contains(res, "[the otter page](http://"+allowed+"/more)") ||
		strings.Contains(res, "Home | About | Login") || !strings.Contains(res, "angle brackets") {
		t.Errorf("article: %q", res)
	}
	// The answer's links show no previews.
	if !h.fake.WaitFor(5*time.Second, func() bool {
		m, ok := replyTo(h.fake, q)
		return ok && m.Flags&discordgo.MessageFlagsSuppressEmbeds != 0
	}) {
		m, _ := replyTo(h.fake, q)
		t.Errorf("answer flags = %d, want embeds suppressed", m.Flags)
	}
	tm.set("read the report", "fetch_url", map[string]string{"url": "http://" + allowed + "/report.pdf"})
	waitReplyPrefix(t, h, h.dm("7501", "read the report"), "tool: Page http://"+allowed+"/report.pdf")
	if res := lastToolResult(t, h); !strings.Contains(res, "Revenue doubled") || !strings.Contains(res, "PDF, 2 pages") {
		t.Errorf("pdf: %q", res)
	}
}

// TestWeb_Search: web_search through a local fake SearXNG (JSON API) and
// a fake Brave endpoint; Brave's searches are priced, counted and refused
// over budget; the answer's links do not unfurl.
func TestWeb_Search(t *testing.T) {
	var gotQuery atomic.Value
	searx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/search" || r.URL.Query().Get("format") != "json" {
			http.Error(w, "bad", 400)
			return
		}
		gotQuery.Store(r.URL.Query().Get("q"))
		fmt.Fprint(w, `{"results": [{"title": "Otter - Wikipedia", "url": "https://en.wikipedia.org/wiki/Otter", "content": "Otters are <b>carnivorous</b> mammals"},
			{"title": "Sea otter", "url": "https://example.org/sea-otter", "content": "The sea otter &amp; its fur"}]}`)
	}))
	t.Cleanup(searx.Close)
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0; c.SearxngURL = searx.URL })
	tm := newToolModel()
	h.ai.SetResponder(tm.respond)
	tm.set("search otters", "web_search", map[string]string{"query": "otter facts"})
	waitReplyPrefix(t, h, h.dm("7502", "search otters"), "tool: Results for \"otter facts\"")
	res := lastToolResult(t, h)
	if gotQuery.Load() != "otter facts" || !strings.Contains(res, "1. Otter - Wikipedia <https://en.wikipedia.org/wiki/Otter>") ||
		!strings.Contains(res, "Otters are carnivorous mammals") || !strings.Contains(res, "The sea otter & its fur") {
		t.Errorf("searxng: %q", res)
	}
	// Brave: priced per search, counted, refused over budget.
	var braveKey atomic.Value
	brave := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		braveKey.Store(r.Header.Get("X-Subscription-Token"))
		fmt.Fprint(w, `{"web": {"results": [{"title": "Otters", "url": "https://brave.example/otters", "description": "All about otters"}]}}`)
	}))
	t.Cleanup(brave.Close)
	h2 := startBot(t, func(c *bot.Config) {
		c.RateCount = 0
		c.BraveAPIKey, c.BraveURL = "brave-key-123", brave.URL
		c.UserDailyBudget = 0.0075
		c.UnknownPrice = nil
		c.PriceFile = nil
	})
	h2.ai.SetResponder(tm.respond)
	waitReplyPrefix(t, h2, h2.dm("7503", "search otters"), "tool: Results for \"otter facts\"")
	if braveKey.Load() != "brave-key-123" || !strings.Contains(lastToolResult(t, h2), "Otters <https://brave.example/otters>") {
		t.Errorf("brave: key %v, result %q", braveKey.Load(), lastToolResult(t, h2))
	}
	waitReplyPrefix(t, h2, h2.dm("7503", "search otters"), "tool: Error: not searched: That costs about $0.005000")
	db := h2.openStoreAfterStop(t)
	usage, _ := db.UserUsage("7503")
	found := false
	for _, u := range usage {
		if u.Model == "brave-search" {
			found = u.Requests == 1 && fmt.Sprintf("%.3f", u.CostUSD) == "0.005"
		}
	}
	if !found {
		t.Errorf("brave usage: %+v", usage)
	}
}
