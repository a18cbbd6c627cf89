package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
	htmltomarkdown "github.com/JohannesKaufmann/html-to-markdown/v2"
	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"

	"github.com/discordgpt/discordgpt/extract"
)

// Fetch limits.
const (
	// DefaultMaxBytes is the largest body read.
	DefaultMaxBytes = 2 << 20
	// DefaultTimeout bounds a whole fetch, redirects and body included.
	DefaultTimeout = 15 * time.Second
	// maxRedirects is how many redirects are followed.
	maxRedirects = 5
)

// UserAgent names the bot to the sites it reads.
const UserAgent = "discordgpt (self-hosted Discord bot; fetches a page when a user asks)"

// Fetcher reads pages through a Guard.
type Fetcher struct {
	Guard    *Guard
	MaxBytes int64
	Timeout  time.Duration
	// TempDir holds PDFs while they are read.
	TempDir string
	client  *http.Client
}

// NewFetcher makes a fetcher whose every connection goes through g.
func NewFetcher(g *Guard, maxBytes int64, timeout time.Duration, tempDir string) *Fetcher {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	f := &Fetcher{Guard: g, MaxBytes: maxBytes, Timeout: timeout, TempDir: tempDir}
	f.client = &http.Client{
		Transport: &http.Transport{
			DialContext:           g.DialContext,
			Proxy:                 nil, // a proxy would reach what the guard refuses
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: timeout,
			MaxIdleConns:          4,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("%w: more than %d redirects", ErrFetch, maxRedirects)
			}
			return checkURL(req.URL)
		},
	}
	return f
}

// ErrFetch is a page that could not be read; its text says why.
var ErrFetch = errors.New("fetch refused")

// Page is what a fetch read.
type Page struct {
	URL   string // after redirects
	Title string
	// Kind is "html", "text", "pdf" or "json".
	Kind string
	// Text is Markdown for HTML, the text for the rest.
	Text string
}

// checkURL refuses what is not a plain http(s) URL.
func checkURL(u *url.URL) error {
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%w: only http and https URLs are read, not %q", ErrFetch, u.Scheme)
	case u.User != nil:
		return fmt.Errorf("%w: URLs with a user name or password are not read", ErrFetch)
	case u.Hostname() == "":
		return fmt.Errorf("%w: the URL has no host", ErrFetch)
	}
	return nil
}

// Fetch reads rawURL and turns it into text.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (Page, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return Page{}, fmt.Errorf("%w: not a URL", ErrFetch)
	}
	if err := checkURL(u); err != nil {
		return Page{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Page{}, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,text/plain,application/json,application/pdf;q=0.9,*/*;q=0.1")
	resp, err := f.client.Do(req)
	if err != nil {
		return Page{}, f.explain(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return Page{}, fmt.Errorf("%w: the site answered %s", ErrFetch, resp.Status)
	}
	if resp.ContentLength > f.MaxBytes {
		return Page{}, fmt.Errorf("%w: the page is %d KB, more than the %d KB read", ErrFetch, resp.ContentLength>>10, f.MaxBytes>>10)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.MaxBytes+1))
	if err != nil {
		return Page{}, f.explain(ctx, err)
	}
	if int64(len(body)) > f.MaxBytes {
		return Page{}, fmt.Errorf("%w: the page is more than the %d KB read", ErrFetch, f.MaxBytes>>10)
	}
	final := resp.Request.URL
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "" {
		ct, _, _ = mime.ParseMediaType(http.DetectContentType(body))
	}
	switch {
	case ct == "text/html" || ct == "application/xhtml+xml":
		return htmlPage(final, body)
	case ct == "application/pdf":
		return f.pdfPage(final, body)
	case ct == "application/json" || strings.HasSuffix(ct, "+json"):
		return Page{URL: final.String(), Kind: "json", Text: validText(body)}, nil
	case strings.HasPrefix(ct, "text/"):
		return Page{URL: final.String(), Kind: "text", Text: validText(body)}, nil
	}
	return Page{}, fmt.Errorf("%w: the page is %s, which is not read here", ErrFetch, ct)
}

// explain turns a transport failure into why the page was not read.
func (f *Fetcher) explain(ctx context.Context, err error) error {
	var re *RefusedError
	switch {
	case errors.As(err, &re):
		return fmt.Errorf("%w: %s is not reachable from this bot (%s)", ErrFetch, re.Host, re.Why)
	case errors.Is(err, ErrFetch):
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err
		}
		return err
	case ctx.Err() != nil:
		return fmt.Errorf("%w: the page took longer than %s", ErrFetch, f.Timeout)
	}
	return fmt.Errorf("%w: %v", ErrFetch, errors.Unwrap(err))
}

func validText(b []byte) string {
	if !utf8.Valid(b) {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(b)
}

// htmlPage keeps the readable part of a page (readability) as Markdown.
func htmlPage(u *url.URL, body []byte) (Page, error) {
	p := Page{URL: u.String(), Kind: "html"}
	art, err := readability.FromReader(bytes.NewReader(body), u)
	node := art.Node
	if err == nil {
		p.Title = art.Title()
	}
	var md []byte
	if node != nil {
		md, err = htmltomarkdown.ConvertNode(node, converter.WithDomain(u.Scheme+"://"+u.Host))
	} else {
		md, err = htmltomarkdown.ConvertReader(bytes.NewReader(body), converter.WithDomain(u.Scheme+"://"+u.Host))
	}
	if err != nil {
		return Page{}, fmt.Errorf("%w: the page's HTML could not be read", ErrFetch)
	}
	p.Text = strings.TrimSpace(validText(md))
	return p, nil
}

// pdfPage reads a PDF with the documents code.
func (f *Fetcher) pdfPage(u *url.URL, body []byte) (Page, error) {
	tmp, err := os.CreateTemp(f.TempDir, "fetch-*.pdf")
	if err != nil {
		return Page{}, fmt.Errorf("read pdf: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return Page{}, fmt.Errorf("read pdf: %w", err)
	}
	tmp.Close()
	doc, err := extract.Read(filepath.Clean(tmp.Name()), extract.PDF, extract.Window{MaxBytes: 64 << 10})
	if err != nil {
		return Page{}, fmt.Errorf("%w: the PDF could not be read (%v)", ErrFetch, err)
	}
	return Page{URL: u.String(), Kind: "pdf", Text: doc.Text}, nil
}
