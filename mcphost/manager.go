package mcphost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Restart backoff of a server that died or would not start.
const (
	firstBackoff = time.Second
	maxBackoff   = time.Minute
	// connectTimeout bounds starting a server and listing its tools.
	connectTimeout = 30 * time.Second
)

// Manager keeps the owner's MCP servers running.
type Manager struct {
	log     *slog.Logger
	version string
	servers map[string]*server
	wg      sync.WaitGroup
}

// server is one MCP server and what is known of it now.
type server struct {
	name    string
	cfg     ServerConfig
	secrets []string

	mu      sync.Mutex
	session *mcp.ClientSession
	tools   []*mcp.Tool
	up      bool
	lastErr string
}

// Tool is one tool of a running server, as offered to the model.
type Tool struct {
	// Name is what the model calls: mcp_<server>__<tool>, unique.
	Name        string
	Server      string
	Tool        string
	Description string
	Schema      any
	Config      ServerConfig
}

// Status is what check and /admin mcp show of a server.
type Status struct {
	Name  string
	Up    bool
	Tools []string
	// Err is why it is down (secrets redacted).
	Err string
	// Transport is "stdio" or "http".
	Transport string
}

// New makes a manager for cfg; Start runs it.
func New(cfg Config, version string, log *slog.Logger) *Manager {
	m := &Manager{log: log, version: version, servers: map[string]*server{}}
	for name, sc := range cfg.Servers {
		s := &server{name: name, cfg: sc, lastErr: "starting"}
		for _, v := range sc.Env {
			if len(v) >= 4 {
				s.secrets = append(s.secrets, v)
			}
		}
		for _, v := range sc.Headers {
			if len(v) >= 4 {
				s.secrets = append(s.secrets, v)
				if _, tok, ok := strings.Cut(v, " "); ok && len(tok) >= 4 { // "Bearer xyz": xyz alone too
					s.secrets = append(s.secrets, tok)
				}
			}
		}
		m.servers[name] = s
	}
	return m
}

// Start keeps every server running until ctx ends; Wait waits for them.
func (m *Manager) Start(ctx context.Context) {
	for _, s := range m.servers {
		m.wg.Add(1)
		go func(s *server) {
			defer m.wg.Done()
			m.keep(ctx, s)
		}(s)
	}
}

// Wait returns once every server is stopped (after Start's ctx ended).
func (m *Manager) Wait() { m.wg.Wait() }

// keep starts s, waits while it runs, and starts it again with backoff.
func (m *Manager) keep(ctx context.Context, s *server) {
	backoff := firstBackoff
	for ctx.Err() == nil {
		session, err := m.connect(ctx, s)
		if err == nil {
			backoff = firstBackoff
			m.log.Info("mcp server up", "server", s.name, "tools", len(s.toolList()))
			done := make(chan struct{})
			go func() { _ = session.Wait(); close(done) }()
			select {
			case <-done:
			case <-ctx.Done():
				_ = session.Close()
				<-done
			}
			s.down("the server stopped")
			if ctx.Err() != nil {
				return
			}
			m.log.Warn("mcp server stopped; restarting", "server", s.name, "in", backoff.String())
		} else {
			s.down(s.redact(err.Error()))
			m.log.Warn("mcp server failed to start; retrying", "server", s.name, "err", s.redact(err.Error()), "in", backoff.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// connect starts or reaches s and lists its tools.
func (m *Manager) connect(ctx context.Context, s *server) (*mcp.ClientSession, error) {
	var transport mcp.Transport
	var cmd *exec.Cmd
	if s.cfg.Command != "" {
		cmd = exec.Command(s.cfg.Command, s.cfg.Args...)
		// Only what the owner gave it: never the bot's own environment,
		// which holds the Discord token and the API key.
		cmd.Env = baseEnv()
		for k, v := range s.cfg.Env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Stderr = io.Discard // may echo its env
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		transport = &mcp.CommandTransport{Command: cmd, TerminateDuration: 2 * time.Second}
	} else {
		hc := &http.Client{Transport: headerTransport{headers: s.cfg.Headers, next: http.DefaultTransport}}
		transport = &mcp.StreamableClientTransport{Endpoint: s.cfg.URL, HTTPClient: hc, MaxRetries: 1}
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "discordgpt", Version: m.version}, nil)
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	session, err := client.Connect(cctx, transport, nil)
	if err != nil {
		if cmd != nil && cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		return nil, fmt.Errorf("connect: %w", err)
	}
	var tools []*mcp.Tool
	for t, err := range session.Tools(cctx, nil) {
		if err != nil {
			_ = session.Close()
			return nil, fmt.Errorf("list tools: %w", err)
		}
		tools = append(tools, t)
	}
	s.mu.Lock()
	s.session, s.tools, s.up, s.lastErr = session, tools, true, ""
	s.mu.Unlock()
	return session, nil
}

// baseEnv is the environment an MCP server starts with, before its own.
func baseEnv() []string {
	env := []string{"LANG=C.UTF-8"}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

type headerTransport struct {
	headers map[string]string
	next    http.RoundTripper
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.headers {
		r.Header.Set(k, v)
	}
	return h.next.RoundTrip(r)
}

func (s *server) down(why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.session, s.tools, s.up, s.lastErr = nil, nil, false, why
}

func (s *server) toolList() []*mcp.Tool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tools
}

// redact replaces the server's secrets in text.
func (s *server) redact(text string) string {
	for _, v := range s.secrets {
		text = strings.ReplaceAll(text, v, "[redacted]")
	}
	return text
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// exposedName is what the model calls a server's tool: mcp_<server>__<tool>,
// within OpenAI's 64 characters. Server names have no underscores, so
// two servers cannot collide.
func exposedName(server, tool string) string {
	t := strings.Trim(unsafeChars.ReplaceAllString(tool, "_"), "_")
	name := "mcp_" + server + "__" + t
	if len(name) > 64 || t == "" {
		sum := sha256.Sum256([]byte(tool))
		keep := max(0, 64-len("mcp_"+server+"__")-9)
		name = "mcp_" + server + "__" + t[:min(len(t), keep)] + "_" + hex.EncodeToString(sum[:4])
	}
	return name
}

// Tools are the tools of the running servers that allows lets the caller
// use, sorted by name.
func (m *Manager) Tools(allows func(ServerConfig) bool) []Tool {
	var out []Tool
	seen := map[string]bool{}
	for _, s := range m.servers {
		if !allows(s.cfg) {
			continue
		}
		for _, t := range s.toolList() {
			name := exposedName(s.name, t.Name)
			if seen[name] {
				continue
			}
			seen[name] = true
			out = append(out, Tool{Name: name, Server: s.name, Tool: t.Name, Description: s.redact(t.Description), Schema: t.InputSchema, Config: s.cfg})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Result is what a call returned, secrets redacted.
type Result struct {
	Text string
	// Images are the pictures the tool returned.
	Images []Image
	// IsError is the tool saying it failed.
	IsError bool
}

// Image is a picture a tool returned.
type Image struct {
	Data     []byte
	MIMEType string
}

// ErrDown is a server that is not running now.
var ErrDown = errors.New("the MCP server is not running")

// Call calls tool on server within the server's timeout.
func (m *Manager) Call(ctx context.Context, server, tool string, args json.RawMessage) (Result, error) {
	s, ok := m.servers[server]
	if !ok {
		return Result{}, ErrDown
	}
	s.mu.Lock()
	session := s.session
	s.mu.Unlock()
	if session == nil {
		return Result{}, ErrDown
	}
	var params map[string]any
	if len(args) > 0 && string(args) != "null" {
		if err := json.Unmarshal(args, &params); err != nil {
			return Result{}, fmt.Errorf("arguments are not a JSON object: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: params})
	if err != nil {
		return Result{}, errors.New(s.redact(err.Error()))
	}
	var out Result
	var sb strings.Builder
	for _, c := range res.Content {
		switch c := c.(type) {
		case *mcp.TextContent:
			sb.WriteString(c.Text + "\n")
		case *mcp.ImageContent:
			out.Images = append(out.Images, Image{Data: c.Data, MIMEType: c.MIMEType})
			fmt.Fprintf(&sb, "[an image (%s) was returned; it is attached to the answer]\n", c.MIMEType)
		case *mcp.EmbeddedResource:
			if c.Resource != nil && c.Resource.Text != "" {
				fmt.Fprintf(&sb, "Resource %s:\n%s\n", c.Resource.URI, c.Resource.Text)
			} else if c.Resource != nil {
				fmt.Fprintf(&sb, "[a binary resource %s (%s), %d bytes]\n", c.Resource.URI, c.Resource.MIMEType, len(c.Resource.Blob))
			}
		case *mcp.ResourceLink:
			fmt.Fprintf(&sb, "[resource link %s: %s]\n", c.Name, c.URI)
		default:
			sb.WriteString("[content of a kind this bot does not show]\n")
		}
	}
	if len(res.Content) == 0 && res.StructuredContent != nil {
		b, _ := json.Marshal(res.StructuredContent)
		sb.Write(b)
	}
	out.Text = s.redact(sb.String())
	out.IsError = res.IsError
	return out, nil
}

// Status is every server's state, by name.
func (m *Manager) Status() []Status {
	var out []Status
	for _, s := range m.servers {
		s.mu.Lock()
		st := Status{Name: s.name, Up: s.up, Err: s.lastErr, Transport: "stdio"}
		if s.cfg.URL != "" {
			st.Transport = "http"
		}
		for _, t := range s.tools {
			st.Tools = append(st.Tools, t.Name)
		}
		s.mu.Unlock()
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
