// Package llm is the model side of discordgpt: one streamed call over
// OpenAI's Chat Completions or Responses API (text, tool calls, the finish
// reason and usage, whichever wire protocol carries them), retries,
// parameters learned from the provider's refusals, token counting and
// trimming, <think> handling, prices and the provider's model catalogue.
// It knows nothing of Discord.
package llm

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/discordgpt/discordgpt/store"
	openai "github.com/sashabaranov/go-openai"
)

// Roles of a message.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
)

// Part is one piece of a message with mixed content: text or an image.
type Part struct {
	Text string
	// ImageURL is an http(s) or data: URL; set for an image part.
	ImageURL string
}

// Message is one turn of the conversation as the model sees it.
type Message struct {
	Role string
	// Content is the text of a plain message.
	Content string
	// Parts, when set, replace Content (text and images).
	Parts []Part
	// ToolCalls are the calls an assistant message made.
	ToolCalls []ToolCall
	// ToolCallID names the call a RoleTool message answers.
	ToolCallID string
}

// Tool is a function the model may call.
type Tool struct {
	Name        string
	Description string
	// Parameters is the JSON schema of the arguments.
	Parameters any
}

// ToolCall is one call the model made.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string
}

// Request is one call: the system prompt, the conversation and limits.
type Request struct {
	Model    string
	System   string
	Messages []Message
	// MaxOutputTokens caps the answer (reasoning included).
	MaxOutputTokens int
	// Temperature is sent to models that take one; nil sends none.
	Temperature *float32
	// ReasoningEffort is sent to reasoning models; "" sends none.
	ReasoningEffort string
	Tools           []Tool
}

// Finish says why an answer ended.
type Finish string

// Finish reasons, the same on both APIs.
const (
	FinishStop      Finish = "stop"
	FinishLength    Finish = "length"
	FinishToolCalls Finish = "tool_calls"
	FinishFilter    Finish = "content_filter"
)

// Usage is what one call used, in tokens. Input includes Cached; Output
// includes Reasoning (OpenAI bills reasoning tokens as output).
type Usage struct {
	Input, Cached, Output, Reasoning int64
	// Estimated is set when the provider reported nothing and the tokens
	// were counted here.
	Estimated bool
}

// Result is what a call produced, finished or not.
type Result struct {
	// Text is the answer as streamed, <think> sections included.
	Text      string
	ToolCalls []ToolCall
	// Finish is empty when the answer did not finish (Err says why).
	Finish Finish
	Usage  Usage
	// Reached is set once the provider accepted the request: from then
	// on it may bill for it, whatever happens next.
	Reached bool
	Err     error
}

// API names a wire protocol.
type API string

// The wire protocols.
const (
	APIChat      API = "chat"
	APIResponses API = "responses"
)

// Config sets up a Client.
type Config struct {
	BaseURL string
	APIKey  string
	// API is APIChat or APIResponses; "" or "auto" picks Responses for
	// api.openai.com and Chat Completions elsewhere.
	API API
	// RetryBackoff is the first wait before retrying a provider error.
	RetryBackoff time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Client talks to one provider.
type Client struct {
	ai      *openai.Client
	http    *http.Client
	base    string
	key     string
	api     API
	backoff time.Duration
	db      *store.DB
	log     *slog.Logger
	now     func() time.Time
}

// New makes a client. db keeps what the provider refused per model; it may
// be nil (nothing is remembered), as in `discordgpt check`.
func New(cfg Config, db *store.DB, log *slog.Logger) *Client {
	hc := &http.Client{Transport: retryAfterTransport{next: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		ResponseHeaderTimeout: 2 * time.Minute,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   16, // as many as answers may stream at once, and then some
	}}}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = cfg.BaseURL
	oc.HTTPClient = hc
	api := cfg.API
	if api == "" || api == "auto" {
		api = APIChat
		if IsOpenAI(cfg.BaseURL) {
			api = APIResponses
		}
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	backoff := cfg.RetryBackoff
	if backoff <= 0 {
		backoff = time.Second
	}
	return &Client{ai: openai.NewClientWithConfig(oc), http: hc, base: strings.TrimRight(cfg.BaseURL, "/"), key: cfg.APIKey,
		api: api, backoff: backoff, db: db, log: log, now: now}
}

// API is the wire protocol the client speaks.
func (c *Client) API() API { return c.api }

// IsOpenAI reports whether base is OpenAI's own API.
func IsOpenAI(base string) bool {
	u, err := url.Parse(base)
	return err == nil && strings.EqualFold(u.Hostname(), "api.openai.com")
}
