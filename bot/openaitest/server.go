// Package openaitest is a fake OpenAI-compatible server for tests: chat
// completions (plain and streamed as SSE, with a final usage chunk when
// asked), tool calls, model listing, and scripted faults (429 with and
// without Retry-After, 5xx, a stream cut mid-way, a malformed chunk, an
// error line mid-stream, slow streams). It refuses what the real API
// refuses (see validate.go) and records every request. The real go-openai
// client talks to it over loopback.
package openaitest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// DefaultKey is the API key a new fake accepts.
const DefaultKey = "sk-fake-test-key"

// Request is one recorded chat completion or Responses request.
type Request struct {
	// API is "chat" or "responses".
	API string
	// Chat is the decoded request. For a Responses request it holds the
	// model and the conversation (instructions as the system message), so
	// responders and helpers work on both APIs.
	Chat openai.ChatCompletionRequest
	// Responses is the decoded Responses request, for API "responses".
	Responses *ResponsesRequest
	// Raw is the JSON body as sent.
	Raw []byte
	// Status is what the fake answered; 0 while the answer is under way.
	Status int
	Time   time.Time
	// Done is when the fake finished answering (zero while under way).
	Done time.Time
}

// Reply scripts the answer to one request. The zero Reply answers with
// the default responder's text.
type Reply struct {
	// Text is the assistant's answer.
	Text string
	// ToolCalls are returned instead of (or with) text.
	ToolCalls []openai.ToolCall
	// ChunkSize is how many characters (runes) each streamed chunk holds;
	// 0 means 8.
	ChunkSize int
	// Delay is slept before the answer starts (plain or streamed).
	Delay time.Duration
	// ChunkDelay is slept before each streamed chunk.
	ChunkDelay time.Duration
	// PauseAfterFirst is slept after the first streamed chunk of text (a
	// model that starts, then thinks).
	PauseAfterFirst time.Duration
	// Usage overrides the reported usage; nil computes it from the text.
	Usage *openai.Usage
	// NoUsage sends no usage at all, even when asked for it.
	NoUsage bool
	// Truncate ends the answer as cut by the output limit
	// (finish_reason "length", or response.incomplete with
	// max_output_tokens).
	Truncate bool

	// Status, with ErrCode and ErrType, makes the reply an API error.
	Status     int
	ErrCode    string
	ErrType    string
	ErrMessage string
	// RetryAfter, when set, is sent as the Retry-After header of an error.
	RetryAfter string

	// CutAfter > 0 aborts the stream's connection after that many chunks.
	CutAfter int
	// MalformedAfter > 0 sends a chunk that is not JSON after that many.
	MalformedAfter int
	// ErrorAfter > 0 sends a `data: {"error": …}` line after that many
	// chunks and ends the stream.
	ErrorAfter int
}

// Scripted faults, as the real API sends them.
var (
	// RateLimited is a 429 rate_limit_exceeded with Retry-After: 1.
	RateLimited = Reply{Status: 429, ErrCode: "rate_limit_exceeded", ErrType: "requests", ErrMessage: "Rate limit reached", RetryAfter: "1"}
	// RateLimitedNoHeader is a 429 without Retry-After.
	RateLimitedNoHeader = Reply{Status: 429, ErrCode: "rate_limit_exceeded", ErrType: "requests", ErrMessage: "Rate limit reached"}
	// QuotaExceeded is the 429 retrying does not fix.
	QuotaExceeded = Reply{Status: 429, ErrCode: "insufficient_quota", ErrType: "insufficient_quota", ErrMessage: "You exceeded your current quota"}
	// ServerError is a 500.
	ServerError = Reply{Status: 500, ErrType: "server_error", ErrMessage: "The server had an error while processing your request."}
)

// Server is the fake OpenAI API.
type Server struct {
	// URL is the base URL to give the bot as OPENAI_BASE_URL (ends in /v1).
	URL string
	// Key is the bearer token required; "" accepts any or none.
	Key string
	// Models are the known models; a request for another gets 404
	// model_not_found. Empty accepts every model.
	Models []string
	// MaxContextTokens > 0 refuses prompts longer than that (counted as
	// characters / 4) with context_length_exceeded.
	MaxContextTokens int
	// Refuse makes the fake refuse parameters for a model the way an
	// OpenAI-compatible server does for models that lack them: model name
	// to parameter names ("temperature", "max_tokens", "stream_options",
	// "reasoning_effort", "tools", "system" for the system role).
	Refuse map[string][]string
	// Shutdowns adds or overrides shutdown dates (YYYY-MM-DD) in the model
	// list; the rest come from Documented.
	Shutdowns map[string]string

	hs       *httptest.Server
	mu       sync.Mutex
	script   []Reply
	respond  func(openai.ChatCompletionRequest) Reply
	requests []Request
	changed  chan struct{}

	imageScript   []Reply
	imageRequests []ImageRequest
}

// New starts a fake on loopback; it is closed when the test ends.
func New(tb interface {
	Cleanup(func())
	Helper()
}) *Server {
	tb.Helper()
	s := &Server{Key: DefaultKey, changed: make(chan struct{})}
	s.respond = Echo
	s.hs = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.hs.URL + "/v1"
	tb.Cleanup(s.hs.Close)
	return s
}

// Echo is the default responder: it answers "echo: " and the last user
// message's text.
func Echo(req openai.ChatCompletionRequest) Reply {
	return Reply{Text: "echo: " + LastUserText(req)}
}

// LastUserText returns the text of the last user message of a request.
func LastUserText(req openai.ChatCompletionRequest) string {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		m := req.Messages[i]
		if m.Role != openai.ChatMessageRoleUser {
			continue
		}
		if m.Content != "" {
			return m.Content
		}
		var parts []string
		for _, p := range m.MultiContent {
			if p.Type == openai.ChatMessagePartTypeText {
				parts = append(parts, p.Text)
			}
		}
		return strings.Join(parts, "\n")
	}
	return ""
}

// SetModels replaces Models while the fake serves (tests that change the
// fake after the bot started use the setters: they lock).
func (s *Server) SetModels(models ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Models = models
}

// SetRefuse replaces Refuse while the fake serves.
func (s *Server) SetRefuse(r map[string][]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Refuse = r
}

// SetShutdowns replaces Shutdowns while the fake serves.
func (s *Server) SetShutdowns(d map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Shutdowns = d
}

// SetMaxContextTokens replaces MaxContextTokens while the fake serves.
func (s *Server) SetMaxContextTokens(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.MaxContextTokens = n
}

func (s *Server) maxContext() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.MaxContextTokens
}

// Enqueue scripts the next replies, in order; after them the responder
// answers.
func (s *Server) Enqueue(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, r...)
}

// SetResponder replaces the responder used when no reply is scripted.
func (s *Server) SetResponder(f func(openai.ChatCompletionRequest) Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respond = f
}

// Requests returns the recorded chat completion requests, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// WaitRequests waits until at least n requests were recorded.
func (s *Server) WaitRequests(n int, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		got, ch := len(s.requests), s.changed
		s.mu.Unlock()
		if got >= n {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		}
	}
}

func (s *Server) next(req openai.ChatCompletionRequest) Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.script) > 0 {
		r := s.script[0]
		s.script = s.script[1:]
		return r
	}
	return s.respond(req)
}

// record adds a request and returns its index.
func (s *Server) record(r Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	s.notify()
	return len(s.requests) - 1
}

func (s *Server) setStatus(idx, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[idx].Status = status
	s.requests[idx].Done = time.Now()
	s.notify()
}

// notify wakes waiters; call with s.mu held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// apiError is the API's error body.
type apiError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	writeErrorParam(w, status, typ, code, msg, "")
}

func writeErrorParam(w http.ResponseWriter, status int, typ, code, msg, param string) {
	var c, p *string
	if code != "" {
		c = &code
	}
	if param != "" {
		p = &param
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]apiError{"error": {Message: msg, Type: typ, Code: c, Param: p}})
}

// writeRefusal sends a validation refusal in OpenAI's error shape.
func writeRefusal(w http.ResponseWriter, e *refusal) {
	writeErrorParam(w, e.status, "invalid_request_error", e.code, e.msg, e.param)
}
