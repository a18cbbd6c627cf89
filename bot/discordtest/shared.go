package discordtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// discordgo keeps its endpoints in process-wide variables, so every fake in
// a test binary shares one loopback listener (one URL) and requests are
// routed to the right fake by bot token, interaction token or file path.
// Tests may run fakes in parallel.
var shared struct {
	once   sync.Once
	hs     *httptest.Server
	mu     sync.Mutex
	tokens map[string]*Server // bot token -> fake
	inter  map[string]*Server // interaction token -> fake
	files  map[string]*Server // attachment path -> fake
	nextID atomic.Int64
	nextN  atomic.Int64
}

func sharedServer() *httptest.Server {
	shared.once.Do(func() {
		shared.tokens = map[string]*Server{}
		shared.inter = map[string]*Server{}
		shared.files = map[string]*Server{}
		shared.nextID.Store(100000000000000000)
		shared.hs = httptest.NewServer(http.HandlerFunc(serveShared))
	})
	return shared.hs
}

func register(m map[string]*Server, key string, s *Server) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	m[key] = s
}

func lookup(m map[string]*Server, key string) *Server {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	return m[key]
}

func unregister(s *Server) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	for _, m := range []map[string]*Server{shared.tokens, shared.inter, shared.files} {
		for k, v := range m {
			if v == s {
				delete(m, k)
			}
		}
	}
}

// serveShared finds the fake a request belongs to.
func serveShared(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	var s *Server
	switch {
	case path == "/gateway" || path == "/gateway/":
		serveGateway(w, r)
		return
	case strings.HasPrefix(path, "/attachments/"):
		s = lookup(shared.files, path)
	case strings.HasPrefix(path, "/api/v9/interactions/") || strings.HasPrefix(path, "/api/v9/webhooks/"):
		if p := strings.Split(path, "/"); len(p) > 5 {
			s = lookup(shared.inter, p[5])
		}
	default:
		s = lookup(shared.tokens, strings.TrimPrefix(r.Header.Get("Authorization"), "Bot "))
	}
	if s == nil {
		switch {
		case strings.HasPrefix(path, "/attachments/"):
			http.NotFound(w, r)
		case strings.HasPrefix(path, "/api/v9/interactions/"):
			writeError(w, http.StatusNotFound, 10062, "Unknown interaction")
		case strings.HasPrefix(path, "/api/v9/webhooks/"):
			writeError(w, http.StatusNotFound, 10015, "Unknown Webhook")
		default:
			writeError(w, http.StatusUnauthorized, 0, "401: Unauthorized")
		}
		return
	}
	s.serveHTTP(w, r)
}

// serveGateway runs the websocket handshake far enough to learn the token,
// then hands the connection to that token's fake.
func serveGateway(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	if q.Get("v") != "9" || q.Get("encoding") != "json" {
		closeWith(ws, closeInvalidVersion, "Invalid API version")
		return
	}
	// Every fake uses the same heartbeat interval.
	hello, _ := json.Marshal(map[string]int64{"heartbeat_interval": heartbeatInterval.Milliseconds()})
	_ = ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := ws.WriteJSON(frame{Op: 10, Data: hello}); err != nil {
		return
	}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var first frame
	if err := ws.ReadJSON(&first); err != nil {
		closeWith(ws, closeDecodeError, "Decode error")
		return
	}
	_ = ws.SetReadDeadline(time.Time{})
	var tok struct {
		Token string `json:"token"`
	}
	_ = json.Unmarshal(first.Data, &tok)
	s := lookup(shared.tokens, strings.TrimPrefix(tok.Token, "Bot "))
	if s == nil || !strings.HasPrefix(tok.Token, "Bot ") {
		closeWith(ws, closeAuthFailed, "Authentication failed.")
		return
	}
	s.runGateway(ws, first)
}
