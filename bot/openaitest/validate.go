package openaitest

import (
	"encoding/json"
	"net/http"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

type refusal struct {
	status int
	code   string
	msg    string
	param  string
}

func bad(code, msg string) *refusal {
	return &refusal{status: http.StatusBadRequest, code: code, msg: msg}
}

// unsupportedParam is OpenAI's refusal of a parameter the model lacks.
func unsupportedParam(param, msg string) *refusal {
	return &refusal{http.StatusBadRequest, "unsupported_parameter", msg, param}
}

// unsupportedValue is OpenAI's refusal of a value the model does not take.
func unsupportedValue(param, msg string) *refusal {
	return &refusal{http.StatusBadRequest, "unsupported_value", msg, param}
}

// refused reports whether the test told the fake to refuse param for model.
func (s *Server) refused(model, param string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.Refuse[model] {
		if p == param {
			return true
		}
	}
	return false
}

func (s *Server) knownModel(model string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.Models) == 0 || containsModel(s.Models, model)
}

// validate refuses what the real API refuses.
func (s *Server) validate(raw []byte, req openai.ChatCompletionRequest) *refusal {
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields)
	if req.Model == "" {
		return bad("", "you must provide a model parameter")
	}
	if !s.knownModel(req.Model) {
		return &refusal{status: http.StatusNotFound, code: "model_not_found", msg: "The model `" + req.Model + "` does not exist or you do not have access to it.", param: "model"}
	}
	if len(req.Messages) == 0 {
		return bad("", "[] is too short - 'messages'")
	}
	if _, ok := fields["stream_options"]; ok && !req.Stream {
		return bad("", "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
	}
	f, documented := facts(req.Model)
	if f.Reasoning {
		if _, ok := fields["max_tokens"]; ok {
			return unsupportedParam("max_tokens", "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.")
		}
		for _, k := range []string{"temperature", "top_p"} {
			if v, ok := fields[k]; ok && string(v) != "1" {
				return unsupportedValue(k, "Unsupported value: '"+k+"' does not support "+string(v)+" with this model. Only the default (1) value is supported.")
			}
		}
		if _, ok := fields["tools"]; ok && f.ChatToolsNeedNoEffort && req.ReasoningEffort != "none" {
			return bad("", "Function tools with reasoning_effort are not supported for "+req.Model+" in /v1/chat/completions. Please use /v1/responses instead.")
		}
	} else if _, ok := fields["reasoning_effort"]; ok && documented {
		return unsupportedParam("reasoning_effort", "Unsupported parameter: 'reasoning_effort' is not supported with this model.")
	}
	for _, k := range []string{"temperature", "max_tokens", "max_completion_tokens", "stream_options", "reasoning_effort", "tools"} {
		if _, ok := fields[k]; ok && s.refused(req.Model, k) {
			return unsupportedParam(k, "Unsupported parameter: '"+k+"' is not supported with this model.")
		}
	}
	noSystem := noSystemRole(req.Model) || s.refused(req.Model, "system")
	chars := 0
	for _, m := range req.Messages {
		switch m.Role {
		case openai.ChatMessageRoleSystem, openai.ChatMessageRoleDeveloper:
			if noSystem {
				return unsupportedValue("messages[0].role", "Unsupported value: 'messages[0].role' does not support 'system' with this model.")
			}
		case openai.ChatMessageRoleUser, openai.ChatMessageRoleAssistant, openai.ChatMessageRoleTool:
		default:
			return bad("", "Invalid value: '"+m.Role+"'. Supported values are: 'system', 'assistant', 'user', 'tool', 'developer'.")
		}
		chars += len(m.Content)
		for _, p := range m.MultiContent {
			chars += len(p.Text)
			if p.Type == openai.ChatMessagePartTypeImageURL {
				if p.ImageURL == nil || !validImageURL(p.ImageURL.URL) {
					return bad("invalid_image_url", "Invalid image URL: expected an http(s) URL or a data URL.")
				}
			}
		}
	}
	if r := toolSequence(req.Messages); r != nil {
		return r
	}
	if max := s.maxContext(); max > 0 && chars/4 > max {
		return bad("context_length_exceeded", "This model's maximum context length is exceeded. Please reduce the length of the messages.")
	}
	return nil
}

func validImageURL(u string) bool {
	return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "data:image/")
}

func containsModel(models []string, m string) bool {
	for _, x := range models {
		if x == m {
			return true
		}
	}
	return false
}

// toolSequence refuses what Chat Completions refuses of tool messages: a
// tool message that answers no call of the assistant message before it,
// and an assistant message with tool_calls not followed by a tool message
// for each call.
func toolSequence(msgs []openai.ChatCompletionMessage) *refusal {
	var pending []string
	for _, m := range msgs {
		if m.Role == openai.ChatMessageRoleTool {
			k := -1
			for i, id := range pending {
				if id == m.ToolCallID {
					k = i
				}
			}
			if k < 0 {
				return bad("", "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.")
			}
			pending = append(pending[:k], pending[k+1:]...)
			continue
		}
		if len(pending) > 0 {
			return bad("", "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: "+strings.Join(pending, ", "))
		}
		for _, tc := range m.ToolCalls {
			pending = append(pending, tc.ID)
		}
	}
	if len(pending) > 0 {
		return bad("", "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: "+strings.Join(pending, ", "))
	}
	return nil
}
