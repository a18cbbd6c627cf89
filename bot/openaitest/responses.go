package openaitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"time"

	openai "github.com/sashabaranov/go-openai"
)

// ResponsesRequest is the part of a Responses API request the fake
// checks.
type ResponsesRequest struct {
	Model           string          `json:"model"`
	Instructions    string          `json:"instructions"`
	Input           json.RawMessage `json:"input"`
	Stream          bool            `json:"stream"`
	Store           *bool           `json:"store"`
	MaxOutputTokens int             `json:"max_output_tokens"`
	Temperature     *float64        `json:"temperature"`
	Reasoning       *struct {
		Effort string `json:"effort"`
	} `json:"reasoning"`
	PreviousResponseID string            `json:"previous_response_id"`
	Tools              []json.RawMessage `json:"tools"`
}

// responsesFields are the top-level fields /v1/responses accepts; anything
// else is refused as OpenAI refuses it.
var responsesFields = map[string]bool{
	"background": true, "context_management": true, "conversation": true, "include": true, "input": true, "instructions": true,
	"max_output_tokens": true, "max_tool_calls": true, "metadata": true, "model": true, "parallel_tool_calls": true,
	"previous_response_id": true, "prompt": true, "prompt_cache_key": true, "prompt_cache_retention": true, "reasoning": true,
	"safety_identifier": true, "service_tier": true, "store": true, "stream": true, "stream_options": true, "temperature": true,
	"text": true, "tool_choice": true, "tools": true, "top_logprobs": true, "top_p": true, "truncation": true, "user": true,
}

// inputItem is one item of a Responses request's input.
type inputItem struct {
	Type      string          `json:"type"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	CallID    string          `json:"call_id"`
	Output    json.RawMessage `json:"output"`
	Name      string          `json:"name"`
	Arguments string          `json:"arguments"`
}

type inputPart struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	ImageURL string `json:"image_url"`
}

// asChat turns a Responses request into the equivalent chat request, for
// responders and helpers, and refuses input OpenAI refuses.
func asChat(rr ResponsesRequest) (openai.ChatCompletionRequest, *refusal) {
	out := openai.ChatCompletionRequest{Model: rr.Model, Stream: rr.Stream}
	if rr.Instructions != "" {
		out.Messages = append(out.Messages, openai.ChatCompletionMessage{Role: "system", Content: rr.Instructions})
	}
	var text string
	if err := json.Unmarshal(rr.Input, &text); err == nil {
		out.Messages = append(out.Messages, openai.ChatCompletionMessage{Role: "user", Content: text})
		return out, nil
	}
	var items []inputItem
	if err := json.Unmarshal(rr.Input, &items); err != nil {
		return out, bad("", "Invalid type for 'input': expected a string or an array of input items.")
	}
	calls, answered := map[string]bool{}, map[string]bool{}
	for _, it := range items {
		switch it.Type {
		case "function_call":
			calls[it.CallID] = true
		case "function_call_output":
			if !calls[it.CallID] {
				return out, bad("", fmt.Sprintf("No tool call found for function call output with call_id %s.", it.CallID))
			}
			answered[it.CallID] = true
		}
	}
	for id := range calls {
		if !answered[id] {
			return out, bad("", fmt.Sprintf("No tool output found for function call %s.", id))
		}
	}
	for i, it := range items {
		switch it.Type {
		case "", "message":
			if it.Role != "user" && it.Role != "assistant" && it.Role != "system" && it.Role != "developer" {
				return out, bad("", fmt.Sprintf("Invalid value: '%s'. Supported values are: 'assistant', 'system', 'developer', and 'user'.", it.Role))
			}
			m := openai.ChatCompletionMessage{Role: it.Role}
			var s string
			if err := json.Unmarshal(it.Content, &s); err == nil {
				m.Content = s
			} else {
				var parts []inputPart
				if err := json.Unmarshal(it.Content, &parts); err != nil {
					return out, bad("", fmt.Sprintf("Invalid type for 'input[%d].content'.", i))
				}
				for _, p := range parts {
					switch {
					case p.Type == "input_text" && it.Role != "assistant", p.Type == "output_text" && it.Role == "assistant":
						m.MultiContent = append(m.MultiContent, openai.ChatMessagePart{Type: openai.ChatMessagePartTypeText, Text: p.Text})
					case p.Type == "input_image" && it.Role == "user":
						if !validImageURL(p.ImageURL) {
							return out, bad("invalid_image_url", "Invalid image URL: expected an http(s) URL or a data URL.")
						}
						m.MultiContent = append(m.MultiContent, openai.ChatMessagePart{Type: openai.ChatMessagePartTypeImageURL,
							ImageURL: &openai.ChatMessageImageURL{URL: p.ImageURL}})
					default:
						return out, bad("", fmt.Sprintf("Invalid value: '%s' in input[%d].content for role '%s'.", p.Type, i, it.Role))
					}
				}
			}
			out.Messages = append(out.Messages, m)
		case "function_call":
			out.Messages = append(out.Messages, openai.ChatCompletionMessage{Role: "assistant",
				ToolCalls: []openai.ToolCall{{ID: it.CallID, Type: "function", Function: openai.FunctionCall{Name: it.Name, Arguments: it.Arguments}}}})
		case "function_call_output":
			var s string
			_ = json.Unmarshal(it.Output, &s)
			out.Messages = append(out.Messages, openai.ChatCompletionMessage{Role: "tool", ToolCallID: it.CallID, Content: s})
		default:
			return out, bad("", fmt.Sprintf("Invalid value: '%s' for input[%d].type.", it.Type, i))
		}
	}
	return out, nil
}

// validateResponses refuses what /v1/responses refuses.
func (s *Server) validateResponses(fields map[string]json.RawMessage, rr ResponsesRequest, chat openai.ChatCompletionRequest) *refusal {
	for k := range fields {
		if !responsesFields[k] {
			return unsupportedParam(k, "Unsupported parameter: '"+k+"'.")
		}
	}
	if rr.Model == "" {
		return bad("", "Missing required parameter: 'model'.")
	}
	if !s.knownModel(rr.Model) {
		return &refusal{status: http.StatusNotFound, code: "model_not_found", msg: "The model `" + rr.Model + "` does not exist or you do not have access to it.", param: "model"}
	}
	if len(rr.Input) == 0 || len(chat.Messages) == 0 {
		return bad("", "Missing required parameter: 'input'.")
	}
	if _, ok := fields["stream_options"]; ok && !rr.Stream {
		return bad("", "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
	}
	f, documented := facts(rr.Model)
	if f.Reasoning {
		for _, k := range []string{"temperature", "top_p"} {
			if _, ok := fields[k]; ok {
				return unsupportedParam(k, "Unsupported parameter: '"+k+"' is not supported with this model.")
			}
		}
	} else if _, ok := fields["reasoning"]; ok && documented {
		return unsupportedParam("reasoning.effort", "Unsupported parameter: 'reasoning.effort' is not supported with this model.")
	}
	if rr.PreviousResponseID != "" && (rr.Store != nil && !*rr.Store) {
		return bad("previous_response_not_found", "Previous response with id '"+rr.PreviousResponseID+"' not found.")
	}
	for _, k := range []string{"temperature", "max_output_tokens", "reasoning", "tools"} {
		if _, ok := fields[k]; ok && s.refused(rr.Model, k) {
			return unsupportedParam(k, "Unsupported parameter: '"+k+"' is not supported with this model.")
		}
	}
	chars := len(rr.Instructions)
	for _, m := range chat.Messages {
		chars += len(m.Content)
		for _, p := range m.MultiContent {
			chars += len(p.Text)
		}
	}
	if max := s.maxContext(); max > 0 && chars/4 > max {
		return bad("context_length_exceeded", "Your input exceeds the context window of this model.")
	}
	return nil
}

func (s *Server) responses(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "could not read body")
		return
	}
	rec := Request{API: "responses", Raw: raw, Time: time.Now()}
	sw := &statusWriter{ResponseWriter: w}
	var rr ResponsesRequest
	var fields map[string]json.RawMessage
	decodeErr := json.Unmarshal(raw, &rr)
	if decodeErr == nil {
		decodeErr = json.Unmarshal(raw, &fields)
	}
	var refused *refusal
	if decodeErr == nil {
		rec.Chat, refused = asChat(rr)
		rec.Responses = &rr
	}
	defer s.track(rec, sw)()
	if decodeErr != nil {
		writeError(sw, http.StatusBadRequest, "invalid_request_error", "", "We could not parse the JSON body of your request.")
		return
	}
	if refused == nil {
		refused = s.validateResponses(fields, rr, rec.Chat)
	}
	if refused != nil {
		writeRefusal(sw, refused)
		return
	}
	if !rr.Stream {
		writeError(sw, http.StatusBadRequest, "invalid_request_error", "", "This fake serves /v1/responses streamed only.")
		return
	}
	reply, ok := s.scripted(sw, r, rec.Chat)
	if !ok {
		return
	}
	s.streamResponse(sw, r, rr, reply, reply.usage(rec.Chat))
}

// streamResponse sends the reply as the Responses API's event sequence.
func (s *Server) streamResponse(w *statusWriter, r *http.Request, rr ResponsesRequest, reply Reply, usage openai.Usage) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	seq := 0
	send := func(typ string, ev map[string]any) bool {
		ev["type"] = typ
		ev["sequence_number"] = seq
		seq++
		b, _ := json.Marshal(ev)
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, b); err != nil {
			return false
		}
		w.Flush()
		return true
	}
	resp := func(status string) map[string]any {
		return map[string]any{"id": "resp_fake", "object": "response", "created_at": time.Now().Unix(), "status": status,
			"model": rr.Model, "output": []any{}, "store": rr.Store != nil && *rr.Store}
	}
	if !send("response.created", map[string]any{"response": resp("in_progress")}) ||
		!send("response.in_progress", map[string]any{"response": resp("in_progress")}) {
		return
	}
	msgItem := map[string]any{"id": "msg_fake", "type": "message", "status": "in_progress", "role": "assistant", "content": []any{}}
	if !send("response.output_item.added", map[string]any{"output_index": 0, "item": msgItem}) ||
		!send("response.content_part.added", map[string]any{"item_id": "msg_fake", "output_index": 0, "content_index": 0,
			"part": map[string]any{"type": "output_text", "text": ""}}) {
		return
	}
	sent := 0
	fault := func() bool {
		switch {
		case reply.CutAfter > 0 && sent >= reply.CutAfter:
			panic(http.ErrAbortHandler)
		case reply.MalformedAfter > 0 && sent >= reply.MalformedAfter:
			_, _ = fmt.Fprint(w, "event: response.output_text.delta\ndata: {\"type\": \"response.output_text.delta\", \"delta\": \n\n")
			w.Flush()
			return true
		case reply.ErrorAfter > 0 && sent >= reply.ErrorAfter:
			send("error", map[string]any{"code": "server_error", "message": "The server had an error processing your request.", "param": nil})
			return true
		}
		return false
	}
	for _, p := range splitRunes(reply.Text, reply.ChunkSize) {
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
		if !send("response.output_text.delta", map[string]any{"item_id": "msg_fake", "output_index": 0, "content_index": 0, "delta": p}) {
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
	text := map[string]any{"type": "output_text", "text": reply.Text, "annotations": []any{}}
	send("response.output_text.done", map[string]any{"item_id": "msg_fake", "output_index": 0, "content_index": 0, "text": reply.Text})
	send("response.content_part.done", map[string]any{"item_id": "msg_fake", "output_index": 0, "content_index": 0, "part": text})
	msgItem["status"], msgItem["content"] = "completed", []any{text}
	send("response.output_item.done", map[string]any{"output_index": 0, "item": msgItem})
	output := []any{msgItem}
	for i, tc := range reply.ToolCalls {
		item := map[string]any{"id": fmt.Sprintf("fc_%d", i), "type": "function_call", "status": "completed",
			"call_id": tc.ID, "name": tc.Function.Name, "arguments": tc.Function.Arguments}
		send("response.output_item.added", map[string]any{"output_index": i + 1, "item": item})
		send("response.function_call_arguments.delta", map[string]any{"item_id": item["id"], "output_index": i + 1, "delta": tc.Function.Arguments})
		send("response.function_call_arguments.done", map[string]any{"item_id": item["id"], "output_index": i + 1, "arguments": tc.Function.Arguments})
		send("response.output_item.done", map[string]any{"output_index": i + 1, "item": item})
		output = append(output, item)
	}
	final := resp("completed")
	final["output"] = output
	if !reply.NoUsage {
		u := map[string]any{"input_tokens": usage.PromptTokens, "output_tokens": usage.CompletionTokens,
			"total_tokens":         usage.PromptTokens + usage.CompletionTokens,
			"input_tokens_details": map[string]any{"cached_tokens": 0}, "output_tokens_details": map[string]any{"reasoning_tokens": 0}}
		if d := usage.PromptTokensDetails; d != nil {
			u["input_tokens_details"] = map[string]any{"cached_tokens": d.CachedTokens}
		}
		if d := usage.CompletionTokensDetails; d != nil {
			u["output_tokens_details"] = map[string]any{"reasoning_tokens": d.ReasoningTokens}
		}
		final["usage"] = u
	}
	if reply.Truncate {
		final["status"] = "incomplete"
		final["incomplete_details"] = map[string]any{"reason": "max_output_tokens"}
		send("response.incomplete", map[string]any{"response": final})
		return
	}
	send("response.completed", map[string]any{"response": final})
}
