package discordtest

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// faultRule answers matching requests with a fault a number of times.
type faultRule struct {
	method, part string
	times        int
	// status, when set, is answered without acting on the request, with
	// code as Discord's JSON error code.
	status, code int
	// garble acts on the request, then answers 200 with a body that does
	// not parse (a proxy or a Discord-compatible server misbehaving).
	garble bool
	// hold, when set, keeps the request waiting until it is closed, then
	// serves it normally (a slow Discord).
	hold chan struct{}
	held chan struct{}
	// heldOnce closes held at the first request held.
	heldOnce sync.Once
}

// Fail makes the next times requests with method whose path contains part
// answer status (a 5xx, say) without doing anything.
func (s *Server) Fail(method, part string, times, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{method: method, part: part, times: times, status: status})
}

// Refuse makes the next times requests with method whose path contains
// part answer status with Discord's error code, as Discord refuses (403
// 50013 Missing Permissions, 403 50001 Missing Access).
func (s *Server) Refuse(method, part string, times, status, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{method: method, part: part, times: times, status: status, code: code})
}

// Garble makes the next times requests with method whose path contains
// part take effect and answer 200 with a body that is not JSON.
func (s *Server) Garble(method, part string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{method: method, part: part, times: times, garble: true})
}

// Hold makes the next times requests with method whose path contains part
// wait until release is called, then take effect as usual: Discord
// answering slowly, made deterministic. held is closed once the first such
// request is waiting.
func (s *Server) Hold(method, part string, times int) (release func(), held <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, first := make(chan struct{}), make(chan struct{})
	s.faults = append(s.faults, &faultRule{method: method, part: part, times: times, hold: ch, held: first})
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }, first
}

// takeFault returns the fault for this request, if any; call with s.mu
// held.
func (s *Server) takeFault(method, path string) *faultRule {
	for _, f := range s.faults {
		if f.times > 0 && f.method == method && strings.Contains(path, f.part) {
			f.times--
			return f
		}
	}
	return nil
}

// serveGarbled runs the request, then answers a success with garbage.
func (s *Server) serveGarbled(w http.ResponseWriter, method string, parts []string, req Request) {
	rec := httptest.NewRecorder()
	s.route(rec, method, parts, req)
	if rec.Code >= 300 {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("<html><body>upstream hiccup</body></html>"))
}

// ChannelLimit applies Discord's per-channel limit on message writes:
// at most n creates, edits and deletes per channel in any window of per,
// answered 429 past it, with the X-RateLimit headers discordgo reads on
// every answer. n = 0 turns it off.
func (s *Server) ChannelLimit(n int, per time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chanLimit, s.chanWindow = n, per
	s.chanWrites = map[string][]time.Time{}
}

// channelLimited applies ChannelLimit to a request and sets its headers;
// it reports the wait when the request is over the limit. Call with s.mu
// held.
func (s *Server) channelLimited(w http.ResponseWriter, method string, parts []string) (time.Duration, bool) {
	if s.chanLimit == 0 || method == http.MethodGet || len(parts) < 3 || parts[0] != "channels" || parts[2] != "messages" {
		return 0, false
	}
	ch, now := parts[1], time.Now()
	recent := s.chanWrites[ch][:0]
	for _, t := range s.chanWrites[ch] {
		if now.Sub(t) < s.chanWindow {
			recent = append(recent, t)
		}
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.chanLimit))
	h.Set("X-RateLimit-Bucket", "channel-messages-"+ch)
	if len(recent) >= s.chanLimit {
		s.chanWrites[ch] = recent
		return s.chanWindow - now.Sub(recent[0]), true
	}
	recent = append(recent, now)
	s.chanWrites[ch] = recent
	h.Set("X-RateLimit-Remaining", strconv.Itoa(s.chanLimit-len(recent)))
	h.Set("X-RateLimit-Reset-After", strconv.FormatFloat((s.chanWindow-now.Sub(recent[0])).Seconds(), 'f', 3, 64))
	return 0, false
}
