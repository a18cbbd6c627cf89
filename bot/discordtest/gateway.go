package discordtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Gateway close codes the fake uses, as Discord documents them.
const (
	closeAuthFailed = 4004
	// closeDisallowedIntents is sent when a bot asks for a privileged
	// intent its Developer Portal page does not enable.
	closeDisallowedIntents = 4014
	closeInvalidVersion    = 4012
	closeDecodeError       = 4002
)

// gateway is the fake's websocket session state, guarded by Server.mu.
type gateway struct {
	conn       *websocket.Conn
	sessionID  string
	seq        int64
	log        []frame // every dispatch of the session, for RESUME
	identifies int
	resumes    int
	intents    discordgo.Intent
	ready      bool
}

// frame is one gateway payload.
type frame struct {
	Op   int             `json:"op"`
	Data json.RawMessage `json:"d"`
	Seq  int64           `json:"s,omitempty"`
	Type string          `json:"t,omitempty"`
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// GatewayStats tells how often the bot identified and resumed, and with
// which intents.
type GatewayStats struct {
	Identifies int
	Resumes    int
	Intents    discordgo.Intent
	Connected  bool
}

// Gateway returns the gateway counters.
func (s *Server) Gateway() GatewayStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return GatewayStats{s.gw.identifies, s.gw.resumes, s.gw.intents, s.gw.conn != nil && s.gw.ready}
}

// WaitConnected waits until a bot has identified (or resumed) and holds an
// open gateway connection.
func (s *Server) WaitConnected(timeout time.Duration) bool {
	return s.WaitFor(timeout, func() bool { return s.Gateway().Connected })
}

// DropConnection closes the gateway websocket without a close frame, as a
// network failure would; discordgo reconnects and resumes.
func (s *Server) DropConnection() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gw.conn != nil {
		_ = s.gw.conn.UnderlyingConn().Close()
		s.gw.conn = nil
		s.gw.ready = false
		s.notify()
	}
}

// Dispatch sends a gateway event (op 0) of type t with data to the bot. An
// event dispatched while the bot is disconnected is delivered on RESUME.
func (s *Server) Dispatch(t string, data any) {
	raw, err := json.Marshal(data)
	if err != nil {
		panic("discordtest: marshal " + t + ": " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.seq++
	f := frame{Op: 0, Data: raw, Seq: s.gw.seq, Type: t}
	s.gw.log = append(s.gw.log, f)
	if s.gw.conn != nil && s.gw.ready {
		s.writeFrame(s.gw.conn, f)
	}
}

// writeFrame writes to the current connection; call with s.mu held. A
// failed write drops the connection.
func (s *Server) writeFrame(c *websocket.Conn, f frame) {
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.WriteJSON(f); err != nil && s.gw.conn == c {
		_ = c.UnderlyingConn().Close()
		s.gw.conn = nil
		s.gw.ready = false
	}
}

// heartbeatInterval is sent in HELLO.
const heartbeatInterval = 41250 * time.Millisecond

// runGateway serves one websocket after HELLO, starting from the client's
// first frame.
func (s *Server) runGateway(ws *websocket.Conn, first frame) {
	// Handshake: IDENTIFY, or RESUME; a RESUME of an unknown session gets
	// op 9 and the client may IDENTIFY on the same connection.
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			first = frame{}
			if err := ws.ReadJSON(&first); err != nil {
				closeWith(ws, closeDecodeError, "Decode error")
				return
			}
			_ = ws.SetReadDeadline(time.Time{})
		}
		ok := false
		switch {
		case first.Op == 2:
			if !s.identify(ws, first.Data) {
				return
			}
			ok = true
		case first.Op == 6 && attempt == 0:
			ok = s.resume(ws, first.Data)
		default:
			closeWith(ws, 4003, "Not authenticated")
			return
		}
		if ok {
			break
		}
	}
	for {
		var f frame
		if err := ws.ReadJSON(&f); err != nil {
			s.mu.Lock()
			if s.gw.conn == ws {
				s.gw.conn = nil
				s.gw.ready = false
				s.notify()
			}
			s.mu.Unlock()
			return
		}
		if f.Op == 1 {
			s.mu.Lock()
			if s.gw.conn == ws {
				s.writeFrame(ws, frame{Op: 11})
			}
			s.mu.Unlock()
		}
	}
}

func closeWith(ws *websocket.Conn, code int, text string) {
	msg := websocket.FormatCloseMessage(code, text)
	_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
}

func (s *Server) identify(ws *websocket.Conn, raw json.RawMessage) bool {
	var id struct {
		Token   string           `json:"token"`
		Intents discordgo.Intent `json:"intents"`
	}
	if err := json.Unmarshal(raw, &id); err != nil || id.Token != "Bot "+s.Token {
		closeWith(ws, closeAuthFailed, "Authentication failed.")
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id.Intents&s.disallowed != 0 {
		closeWith(ws, closeDisallowedIntents, "Disallowed intent(s).")
		return false
	}
	guilds := []any{}
	for _, g := range s.guilds {
		guilds = append(guilds, map[string]any{"id": g, "unavailable": true})
	}
	s.replaceConn(ws)
	s.gw.identifies++
	s.gw.intents = id.Intents
	s.gw.sessionID = "session-" + strconv.Itoa(s.gw.identifies)
	s.gw.seq = 0
	s.gw.log = nil
	ready := map[string]any{
		"v":                  9,
		"user":               s.BotUser,
		"session_id":         s.gw.sessionID,
		"resume_gateway_url": gatewayURL(),
		"guilds":             guilds,
		"application":        map[string]any{"id": s.AppID, "flags": 0},
	}
	s.gw.seq++
	data, _ := json.Marshal(ready)
	f := frame{Op: 0, Type: "READY", Seq: s.gw.seq, Data: data}
	s.gw.log = append(s.gw.log, f)
	s.writeFrame(ws, f)
	s.gw.ready = s.gw.conn == ws
	s.notify()
	return s.gw.ready
}

func (s *Server) resume(ws *websocket.Conn, raw json.RawMessage) bool {
	var rs struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	if err := json.Unmarshal(raw, &rs); err != nil || rs.Token != "Bot "+s.Token {
		closeWith(ws, closeAuthFailed, "Authentication failed.")
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rs.SessionID == "" || rs.SessionID != s.gw.sessionID {
		// Invalid session, not resumable: the client identifies afresh.
		_ = ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_ = ws.WriteJSON(frame{Op: 9, Data: json.RawMessage("false")})
		return false
	}
	s.replaceConn(ws)
	s.gw.resumes++
	for _, f := range s.gw.log {
		if f.Seq > rs.Seq {
			s.writeFrame(ws, f)
		}
	}
	s.gw.seq++
	f := frame{Op: 0, Type: "RESUMED", Seq: s.gw.seq, Data: json.RawMessage("{}")}
	s.gw.log = append(s.gw.log, f)
	s.writeFrame(ws, f)
	s.gw.ready = s.gw.conn == ws
	s.notify()
	return s.gw.ready
}

// replaceConn makes ws the current connection; call with s.mu held.
func (s *Server) replaceConn(ws *websocket.Conn) {
	if s.gw.conn != nil && s.gw.conn != ws {
		_ = s.gw.conn.UnderlyingConn().Close()
	}
	s.gw.conn = ws
	s.gw.ready = false
}

// SetDisallowedIntents makes IDENTIFY with any of these intents fail with
// 4014, as Discord does when a privileged intent is off in the Developer
// Portal.
func (s *Server) SetDisallowedIntents(i discordgo.Intent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disallowed = i
}

// SetGuilds sets the servers READY lists the bot in.
func (s *Server) SetGuilds(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.guilds = ids
}
