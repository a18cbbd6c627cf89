// Package discordtest is a fake Discord for tests: a gateway websocket and
// the REST routes discordgpt uses, served on loopback. The real discordgo
// client talks to it. It enforces the platform limits the real service
// enforces (message and embed sizes, component shapes, the interaction
// deadlines, upload sizes), records every request, lets a test inject
// gateway events, answer 429s and drop the websocket.
package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Defaults for a new Server.
const (
	DefaultToken   = "fake-bot-token" // each fake adds "-N"
	DefaultBotID   = "900000000000000001"
	DefaultAppID   = "900000000000000002"
	DefaultGuildID = "900000000000000003"
)

// Request is one recorded REST call.
type Request struct {
	Method string
	// Path is the URL path, e.g. /api/v9/channels/1/messages.
	Path   string
	Query  string
	Header http.Header
	// Body is the raw body; for multipart requests, the payload_json part.
	Body []byte
	// Files are the uploaded files of a multipart request.
	Files []File
	// Status is the status the fake answered with.
	Status int
	Time   time.Time
}

// JSON decodes the request's JSON body into v.
func (r Request) JSON(v any) error { return json.Unmarshal(r.Body, v) }

// File is one uploaded file.
type File struct {
	Name        string
	ContentType string
	Data        []byte
	// serve, if set, answers downloads instead of Data (faults).
	serve http.HandlerFunc
}

// Server is the fake Discord.
type Server struct {
	// URL is the base URL to give the bot as DISCORD_API_URL (ends in /).
	URL string
	// Token is the bot token the fake accepts (without "Bot "); unique per
	// fake, since fakes share one listener.
	Token string
	// BotUser is the bot's own user.
	BotUser discordgo.User
	// AppID is the application ID sent in READY.
	AppID string
	// InteractionDeadline is how long after an interaction is dispatched its
	// first response is accepted (Discord: 3 seconds).
	InteractionDeadline time.Duration

	// evMu guards the recorded requests and the change signal; it may be
	// taken while mu is held, never the other way round.
	evMu     sync.Mutex
	changed  chan struct{}
	requests []Request

	mu       sync.Mutex
	gw       gateway
	messages map[string]*discordgo.Message // by message ID
	order    []string                      // message IDs in creation order
	inter    map[string]*interactionState  // by interaction ID
	commands map[string][]*discordgo.ApplicationCommand
	files    map[string]File // attachment downloads by URL path
	// disallowed are intents the Developer Portal does not enable;
	// guilds are the servers READY lists.
	disallowed discordgo.Intent
	guilds     []string
	limits     []*rateRule
	faults     []*faultRule
	// Per-channel limits (ChannelLimit) and recent writes per channel.
	chanLimit  int
	chanWindow time.Duration
	chanWrites map[string][]time.Time
	// nonces maps channel+nonce to the message a send with enforce_nonce
	// made, and when.
	nonces   map[string]nonceEntry
	dmByUser map[string]string
	// threads are the threads started, by ID.
	threads   map[string]*discordgo.Channel
	closeOnce sync.Once
}

// New starts a fake Discord on loopback; it is closed when the test ends.
func New(tb interface {
	Cleanup(func())
	Helper()
}) *Server {
	tb.Helper()
	hs := sharedServer()
	s := &Server{
		Token:               DefaultToken + "-" + strconv.FormatInt(shared.nextN.Add(1), 10),
		BotUser:             discordgo.User{ID: DefaultBotID, Username: "discordgpt", Bot: true},
		AppID:               DefaultAppID,
		InteractionDeadline: 3 * time.Second,
		changed:             make(chan struct{}),
		messages:            map[string]*discordgo.Message{},
		inter:               map[string]*interactionState{},
		commands:            map[string][]*discordgo.ApplicationCommand{},
		files:               map[string]File{},
		nonces:              map[string]nonceEntry{},
		dmByUser:            map[string]string{},
	}
	s.URL = hs.URL + "/"
	register(shared.tokens, s.Token, s)
	tb.Cleanup(s.Close)
	return s
}

// Close drops every connection and stops the server.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		unregister(s)
		s.DropConnection()
	})
}

// newID returns a fresh snowflake-like ID, unique in the process.
func (s *Server) newID() string {
	return strconv.FormatInt(shared.nextID.Add(1), 10)
}

// gatewayURL is the websocket URL every fake hands out.
func gatewayURL() string {
	return "ws" + strings.TrimPrefix(sharedServer().URL, "http") + "/gateway"
}

// NewID returns a fresh ID for a test's users, channels and messages.
func (s *Server) NewID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newID()
}

// notify wakes every waiter.
func (s *Server) notify() {
	s.evMu.Lock()
	defer s.evMu.Unlock()
	close(s.changed)
	s.changed = make(chan struct{})
}

// record adds a request to the log.
func (s *Server) record(r Request) {
	s.evMu.Lock()
	s.requests = append(s.requests, r)
	s.evMu.Unlock()
	s.notify()
}

// WaitFor polls cond (called with no lock held) each time the fake's state
// changes, until it holds or timeout passes. It reports whether it held.
func (s *Server) WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.evMu.Lock()
		ch := s.changed
		s.evMu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-time.After(50 * time.Millisecond):
		case <-deadline.C:
			return cond()
		}
	}
}

// Requests returns a copy of every recorded REST request, oldest first.
func (s *Server) Requests() []Request {
	s.evMu.Lock()
	defer s.evMu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RequestsTo returns the recorded requests with this method whose path
// contains part.
func (s *Server) RequestsTo(method, part string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Method == method && strings.Contains(r.Path, part) {
			out = append(out, r)
		}
	}
	return out
}

// Reset forgets recorded requests (state such as messages stays).
func (s *Server) Reset() {
	s.evMu.Lock()
	defer s.evMu.Unlock()
	s.requests = nil
}

// ChannelMessages returns copies of the messages now in a channel (after
// edits and deletes), oldest first.
func (s *Server) ChannelMessages(channelID string) []discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []discordgo.Message
	for _, id := range s.order {
		if m, ok := s.messages[id]; ok && m.ChannelID == channelID {
			out = append(out, *m)
		}
	}
	return out
}

// Message returns a copy of one message, if it exists.
func (s *Server) Message(id string) (discordgo.Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[id]
	if !ok {
		return discordgo.Message{}, false
	}
	return *m, true
}

// PostAsBot makes a message in a channel as if the bot had posted it (to
// set up what a bot that crashed left behind).
func (s *Server) PostAsBot(channelID, content string) discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.createMessage(channelID, messagePayload{Content: &content}, nil, false, false)
	if err != nil {
		panic("PostAsBot: " + err.Error())
	}
	return *m
}

// DeleteMessage deletes a message as its author would (a user deleting
// their question, say).
func (s *Server) DeleteMessage(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.messages, id)
	s.notify()
}

// AddAttachment makes data downloadable from the fake's CDN and returns the
// attachment to put in a message.
func (s *Server) AddAttachment(filename, contentType string, data []byte) *discordgo.MessageAttachment {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newID()
	path := "/attachments/" + id + "/" + filename
	s.files[path] = File{Name: filename, ContentType: contentType, Data: data}
	register(shared.files, path, s)
	return &discordgo.MessageAttachment{
		ID: id, Filename: filename, ContentType: contentType, Size: len(data),
		URL: s.URL + path[1:], ProxyURL: s.URL + path[1:],
	}
}

// AddAttachmentServedBy is an attachment whose download serve answers, to
// script faults: a download that hangs, or a body larger than the size
// the message claims (size).
func (s *Server) AddAttachmentServedBy(filename, contentType string, size int, serve http.HandlerFunc) *discordgo.MessageAttachment {
	a := s.AddAttachment(filename, contentType, nil)
	s.mu.Lock()
	defer s.mu.Unlock()
	path := "/attachments/" + a.ID + "/" + filename
	f := s.files[path]
	f.serve = serve
	s.files[path] = f
	a.Size = size
	return a
}

// rateRule answers matching requests with 429 a number of times.
type rateRule struct {
	method, part string
	times        int
	retryAfter   time.Duration
	global       bool
}

// RateLimit makes the next times requests with method whose path contains
// part answer 429 with retry_after.
func (s *Server) RateLimit(method, part string, times int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = append(s.limits, &rateRule{method: method, part: part, times: times, retryAfter: retryAfter})
}

// takeRateLimit returns the rule that limits this request, if any; call
// with s.mu held.
func (s *Server) takeRateLimit(method, path string) *rateRule {
	for _, r := range s.limits {
		if r.times > 0 && r.method == method && strings.Contains(path, r.part) {
			r.times--
			return r
		}
	}
	return nil
}

// apiError is Discord's error body.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Errors  any    `json:"errors,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status, code int, format string, args ...any) {
	writeJSON(w, status, apiError{Code: code, Message: fmt.Sprintf(format, args...)})
}
