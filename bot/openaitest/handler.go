package openaitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.Key != "" && r.Header.Get("Authorization") != "Bearer "+s.Key {
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.")
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/models":
		s.listModels(w)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/chat/completions":
		s.chat(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/responses":
		s.responses(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/images/generations":
		s.images(w, r, false)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/images/edits":
		s.images(w, r, true)
	default:
		writeError(w, http.StatusNotFound, "invalid_request_error", "unknown_url", "Unknown request URL: "+r.Method+" "+r.URL.Path)
	}
}

// listed is one entry of GET /v1/models, with OpenAI's shutdown_date.
type listed struct {
	ID           string  `json:"id"`
	Object       string  `json:"object"`
	Created      int64   `json:"created"`
	OwnedBy      string  `json:"owned_by"`
	ShutdownDate *string `json:"shutdown_date"`
}

func (s *Server) listModels(w http.ResponseWriter) {
	s.mu.Lock()
	models := append([]string(nil), s.Models...)
	shut := map[string]string{}
	for k, v := range s.Shutdowns {
		shut[k] = v
	}
	s.mu.Unlock()
	if len(models) == 0 {
		models = []string{"gpt-4o-mini", "gpt-image-2"}
	}
	var list struct {
		Object string   `json:"object"`
		Data   []listed `json:"data"`
	}
	list.Object = "list"
	for _, m := range models {
		e := listed{ID: m, Object: "model", Created: 1700000000, OwnedBy: "openai"}
		d, ok := shut[m]
		if !ok {
			f, _ := facts(m)
			d = f.Shutdown
		}
		if d != "" {
			e.ShutdownDate = &d
		}
		list.Data = append(list.Data, e)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(list)
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "could not read body")
		return
	}
	rec := Request{API: "chat", Raw: raw, Time: time.Now()}
	sw := &statusWriter{ResponseWriter: w}
	decodeErr := json.Unmarshal(raw, &rec.Chat)
	defer s.track(rec, sw)()
	if decodeErr != nil {
		writeError(sw, http.StatusBadRequest, "invalid_request_error", "", "We could not parse the JSON body of your request.")
		return
	}
	if e := s.validate(raw, rec.Chat); e != nil {
		writeRefusal(sw, e)
		return
	}
	reply, ok := s.scripted(sw, r, rec.Chat)
	if !ok {
		return
	}
	usage := reply.usage(rec.Chat)
	if rec.Chat.Stream {
		withUsage := rec.Chat.StreamOptions != nil && rec.Chat.StreamOptions.IncludeUsage && !reply.NoUsage
		s.stream(sw, r, rec.Chat.Model, reply, usage, withUsage)
		return
	}
	msg := openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: reply.Text, ToolCalls: reply.ToolCalls}
	finish := openai.FinishReasonStop
	if len(reply.ToolCalls) > 0 {
		finish = openai.FinishReasonToolCalls
	}
	if reply.Truncate {
		finish = openai.FinishReasonLength
	}
	resp := openai.ChatCompletionResponse{
		ID: "chatcmpl-fake", Object: "chat.completion", Created: time.Now().Unix(), Model: rec.Chat.Model,
		Choices: []openai.ChatCompletionChoice{{Index: 0, Message: msg, FinishReason: finish}},
	}
	if !reply.NoUsage {
		resp.Usage = usage
	}
	sw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(sw).Encode(resp)
}

// track records a request on arrival, so a test sees it as soon as the
// client could; a refusal's status is recorded before the client can see
// it, a success's when the answer is done (by the returned function).
func (s *Server) track(rec Request, sw *statusWriter) (done func()) {
	idx := s.record(rec)
	sw.refused = func(code int) { s.setStatus(idx, code) }
	return func() {
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		s.setStatus(idx, status)
	}
}

// scripted takes the next reply, waits out its delay and sends it if it
// is an error; ok is false when nothing more is to be sent.
func (s *Server) scripted(w *statusWriter, r *http.Request, req openai.ChatCompletionRequest) (Reply, bool) {
	reply := s.next(req)
	if reply.Delay > 0 {
		select {
		case <-time.After(reply.Delay):
		case <-r.Context().Done():
			return reply, false
		}
	}
	if reply.Status != 0 {
		if reply.RetryAfter != "" {
			w.Header().Set("Retry-After", reply.RetryAfter)
		}
		writeError(w, reply.Status, reply.ErrType, reply.ErrCode, reply.ErrMessage)
		return reply, false
	}
	return reply, true
}

// usage is what the reply reports: its own, or about four characters a
// token for prompt and answer.
func (r Reply) usage(req openai.ChatCompletionRequest) openai.Usage {
	if r.Usage != nil {
		return *r.Usage
	}
	in := 0
	for _, m := range req.Messages {
		in += len(m.Content)
		for _, p := range m.MultiContent {
			in += len(p.Text)
		}
	}
	u := openai.Usage{PromptTokens: in/4 + 1, CompletionTokens: len(r.Text)/4 + 1}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

type statusWriter struct {
	http.ResponseWriter
	status int
	// refused, if set, records an error status before the client can
	// see it (a success is recorded when the answer is done).
	refused func(code int)
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		if code >= 400 && w.refused != nil {
			w.refused(code)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// stream sends the reply as server-sent events, the way the API does.
func (s *Server) stream(w *statusWriter, r *http.Request, model string, reply Reply, usage openai.Usage, withUsage bool) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	send := func(v any) bool {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		w.Flush()
		return true
	}
	chunk := func(delta openai.ChatCompletionStreamChoiceDelta, finish openai.FinishReason) openai.ChatCompletionStreamResponse {
		return openai.ChatCompletionStreamResponse{
			ID: "chatcmpl-fake", Object: "chat.completion.chunk", Created: time.Now().Unix(), Model: model,
			Choices: []openai.ChatCompletionStreamChoice{{Index: 0, Delta: delta, FinishReason: finish}},
		}
	}
	pieces := splitRunes(reply.Text, reply.ChunkSize)
	sent := 0
	// fault reports whether a scripted fault ended the stream after sent chunks.
	fault := func() bool {
		switch {
		case reply.CutAfter > 0 && sent >= reply.CutAfter:
			panic(http.ErrAbortHandler) // the connection just drops
		case reply.MalformedAfter > 0 && sent >= reply.MalformedAfter:
			_, _ = fmt.Fprint(w, "data: {\"id\": \"chatcmpl-fake\", \"choices\": [{\"delta\": {\"content\": \n\n")
			w.Flush()
			return true
		case reply.ErrorAfter > 0 && sent >= reply.ErrorAfter:
			_, _ = fmt.Fprint(w, `data: {"error": {"message": "The server had an error processing your request.", "type": "server_error", "param": null, "code": null}}`+"\n\n")
			w.Flush()
			return true
		}
		return false
	}
	if !send(chunk(openai.ChatCompletionStreamChoiceDelta{Role: openai.ChatMessageRoleAssistant}, "")) {
		return
	}
	for _, p := range pieces {
		if fault() {
			return
		}
		if reply.ChunkDelay > 0 {
			select {
			case <-time.After(reply.ChunkDelay):
			case <-r.Context().Done():
				return
			}
		}
		if !send(chunk(openai.ChatCompletionStreamChoiceDelta{Content: p}, "")) {
			return
		}
		sent++
		if sent == 1 && reply.PauseAfterFirst > 0 {
			select {
			case <-time.After(reply.PauseAfterFirst):
			case <-r.Context().Done():
				return
			}
		}
	}
	if fault() {
		return
	}
	finish := openai.FinishReasonStop
	for i, tc := range reply.ToolCalls {
		idx := i
		tc.Index = &idx
		if !send(chunk(openai.ChatCompletionStreamChoiceDelta{ToolCalls: []openai.ToolCall{tc}}, "")) {
			return
		}
		finish = openai.FinishReasonToolCalls
	}
	if reply.Truncate {
		finish = openai.FinishReasonLength
	}
	if !send(chunk(openai.ChatCompletionStreamChoiceDelta{}, finish)) {
		return
	}
	if withUsage {
		u := usage
		send(openai.ChatCompletionStreamResponse{ID: "chatcmpl-fake", Object: "chat.completion.chunk",
			Created: time.Now().Unix(), Model: model, Choices: []openai.ChatCompletionStreamChoice{}, Usage: &u})
	}
	_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
	w.Flush()
}

func splitRunes(s string, size int) []string {
	if size <= 0 {
		size = 8
	}
	var out []string
	rs := []rune(s)
	for len(rs) > 0 {
		n := min(size, len(rs))
		out = append(out, string(rs[:n]))
		rs = rs[n:]
	}
	return out
}
