package discordtest

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Upload limits, as Discord enforces them for an unboosted server.
const (
	MaxRequestBytes = 25 << 20
	MaxFileBytes    = 10 << 20
)

// statusWriter calls onHeader with the status before the response can
// reach the client, so a request is recorded before its caller sees the
// answer.
type statusWriter struct {
	http.ResponseWriter
	status   int
	onHeader func(status int)
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.onHeader(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/attachments/") {
		s.serveAttachment(w, r)
		return
	}
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Time: time.Now()}
	sw := &statusWriter{ResponseWriter: w, onHeader: func(status int) {
		rec := req // req's body and files are filled in before any answer
		rec.Status = status
		s.record(rec)
	}}
	defer func() {
		if sw.status == 0 {
			sw.WriteHeader(http.StatusOK)
		}
	}()
	body, err := io.ReadAll(http.MaxBytesReader(sw, r.Body, MaxRequestBytes))
	if err != nil {
		writeError(sw, http.StatusRequestEntityTooLarge, 40005, "Request entity too large")
		return
	}
	req.Body = body
	if ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		req.Body, req.Files, err = parseMultipart(body, params["boundary"])
		if err != nil {
			writeError(sw, http.StatusRequestEntityTooLarge, 40005, "%v", err)
			return
		}
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/v9/")
	if !ok {
		writeError(sw, http.StatusNotFound, 0, "404: Not Found")
		return
	}
	parts := strings.Split(rest, "/")
	// Interaction callbacks and webhook routes are authorised by their token.
	if parts[0] != "interactions" && parts[0] != "webhooks" && r.Header.Get("Authorization") != "Bot "+s.Token {
		writeError(sw, http.StatusUnauthorized, 0, "401: Unauthorized")
		return
	}
	s.mu.Lock()
	rule := s.takeRateLimit(r.Method, r.URL.Path)
	wait, limited := s.channelLimited(sw, r.Method, parts)
	fault := s.takeFault(r.Method, r.URL.Path)
	s.mu.Unlock()
	if fault != nil && fault.hold != nil {
		fault.heldOnce.Do(func() { close(fault.held) })
		select {
		case <-fault.hold:
		case <-r.Context().Done():
			return
		}
		fault = nil
	}
	switch {
	case rule != nil:
		writeRateLimited(sw, rule)
	case limited:
		writeRateLimited(sw, &rateRule{retryAfter: wait})
	case fault != nil && fault.status != 0 && fault.code == 50013:
		writeError(sw, fault.status, fault.code, "Missing Permissions")
	case fault != nil && fault.status != 0 && fault.code == 50001:
		writeError(sw, fault.status, fault.code, "Missing Access")
	case fault != nil && fault.status != 0:
		writeError(sw, fault.status, fault.code, "%d: injected fault", fault.status)
	case fault != nil && fault.garble:
		s.serveGarbled(sw, r.Method, parts, req)
	default:
		s.route(sw, r.Method, parts, req)
	}
}

func writeRateLimited(w http.ResponseWriter, rule *rateRule) {
	secs := rule.retryAfter.Seconds()
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(int(math.Ceil(secs))))
	h.Set("X-RateLimit-Limit", "5")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(secs, 'f', 3, 64))
	h.Set("X-RateLimit-Bucket", "fake")
	h.Set("X-RateLimit-Scope", "user")
	writeJSON(w, http.StatusTooManyRequests, map[string]any{
		"message": "You are being rate limited.", "retry_after": secs, "global": rule.global,
	})
}

func (s *Server) route(w http.ResponseWriter, method string, p []string, req Request) {
	n := len(p)
	switch {
	case method == http.MethodGet && (p[0] == "gateway"):
		writeJSON(w, http.StatusOK, map[string]any{"url": gatewayURL()})
	case method == http.MethodGet && n == 2 && p[0] == "users" && p[1] == "@me":
		writeJSON(w, http.StatusOK, s.BotUser)
	case method == http.MethodPost && n == 3 && p[0] == "users" && p[1] == "@me" && p[2] == "channels":
		s.createDM(w, req)
	case p[0] == "applications" && n >= 3 && p[n-1] == "commands":
		s.commandsRoute(w, method, p, req)
	case method == http.MethodPost && n == 4 && p[0] == "interactions" && p[3] == "callback":
		s.interactionCallback(w, p[1], p[2], req)
	case p[0] == "webhooks" && n >= 3:
		s.webhookRoute(w, method, p, req)
	case p[0] == "channels" && n == 3 && p[2] == "typing" && method == http.MethodPost:
		w.WriteHeader(http.StatusNoContent)
	case p[0] == "channels" && n == 3 && p[2] == "threads" && method == http.MethodPost:
		s.startThread(w, p[1], "", req)
	case p[0] == "channels" && n == 5 && p[2] == "messages" && p[4] == "threads" && method == http.MethodPost:
		s.startThread(w, p[1], p[3], req)
	case p[0] == "channels" && n >= 3 && p[2] == "messages":
		s.channelMessagesRoute(w, method, p, req)
	case p[0] == "channels" && n == 2:
		s.channelRoute(w, method, p[1], req)
	default:
		writeError(w, http.StatusNotFound, 0, "404: Not Found")
	}
}

func (s *Server) serveAttachment(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f, ok := s.files[r.URL.Path]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if f.serve != nil {
		f.serve(w, r)
		return
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Data)))
	_, _ = w.Write(f.Data)
}

// parseMultipart splits a Discord upload into payload_json and files[n],
// refusing a file over MaxFileBytes.
func parseMultipart(body []byte, boundary string) ([]byte, []File, error) {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var payload []byte
	var files []File
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return payload, files, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("bad multipart body: %w", err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, nil, fmt.Errorf("bad multipart body: %w", err)
		}
		switch name := part.FormName(); {
		case name == "payload_json":
			payload = data
		case strings.HasPrefix(name, "files["):
			if len(data) > MaxFileBytes {
				return nil, nil, fmt.Errorf("file %s is over %d bytes", part.FileName(), MaxFileBytes)
			}
			files = append(files, File{Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Data: data})
		}
	}
}

func (s *Server) createDM(w http.ResponseWriter, req Request) {
	var body struct {
		RecipientID string `json:"recipient_id"`
	}
	if err := req.JSON(&body); err != nil || body.RecipientID == "" {
		writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body")
		return
	}
	s.mu.Lock()
	id, ok := s.dmByUser[body.RecipientID]
	if !ok {
		id = s.newID()
		s.dmByUser[body.RecipientID] = id
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, discordgo.Channel{ID: id, Type: discordgo.ChannelTypeDM,
		Recipients: []*discordgo.User{{ID: body.RecipientID}}})
}

// DMChannel returns the DM channel the bot opened with a user, if any.
func (s *Server) DMChannel(userID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.dmByUser[userID]
	return id, ok
}

func (s *Server) commandsRoute(w http.ResponseWriter, method string, p []string, req Request) {
	if p[1] != s.AppID {
		writeError(w, http.StatusForbidden, 50001, "Missing Access")
		return
	}
	scope := "global"
	if len(p) == 5 && p[2] == "guilds" {
		scope = p[3]
	} else if len(p) != 3 {
		writeError(w, http.StatusNotFound, 0, "404: Not Found")
		return
	}
	switch method {
	case http.MethodGet:
		s.mu.Lock()
		cmds := s.commands[scope]
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, cmds)
	case http.MethodPut:
		var cmds []*discordgo.ApplicationCommand
		if err := req.JSON(&cmds); err != nil {
			writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: %v", err)
			return
		}
		if err := validateCommands(cmds); err != nil {
			writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: %v", err)
			return
		}
		s.mu.Lock()
		for _, c := range cmds {
			c.ID = s.newID()
			c.ApplicationID = s.AppID
		}
		s.commands[scope] = cmds
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, cmds)
	default:
		writeError(w, http.StatusMethodNotAllowed, 0, "405: Method Not Allowed")
	}
}

// Commands returns the commands registered for scope: "global" or a guild ID.
func (s *Server) Commands(scope string) []*discordgo.ApplicationCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*discordgo.ApplicationCommand(nil), s.commands[scope]...)
}
