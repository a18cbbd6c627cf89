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
}

func bad(code, msg string) *refusal { return &refusal{http.StatusBadRequest, code, msg} }

// validate refuses what the real API refuses.
func (s *Server) validate(raw []byte, req openai.ChatCompletionRequest) *refusal {
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields)
	if req.Model == "" {
		return bad("", "you must provide a model parameter")
	}
	if len(s.Models) > 0 && !containsModel(s.Models, req.Model) {
		return &refusal{http.StatusNotFound, "model_not_found", "The model `" + req.Model + "` does not exist or you do not have access to it."}
	}
	if len(req.Messages) == 0 {
		return bad("", "[] is too short - 'messages'")
	}
	if _, ok := fields["stream_options"]; ok && !req.Stream {
		return bad("", "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
	}
	if IsReasoningModel(req.Model) {
		if _, ok := fields["max_tokens"]; ok {
			return bad("unsupported_parameter", "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.")
		}
		for _, k := range []string{"temperature", "top_p"} {
			if v, ok := fields[k]; ok && string(v) != "1" {
				return bad("unsupported_value", "Unsupported value: '"+k+"' does not support "+string(v)+" with this model. Only the default (1) value is supported.")
			}
		}
	}
	noSystem := strings.HasPrefix(req.Model, "o1-mini") || strings.HasPrefix(req.Model, "o1-preview")
	chars := 0
	for _, m := range req.Messages {
		switch m.Role {
		case openai.ChatMessageRoleSystem, openai.ChatMessageRoleDeveloper:
			if noSystem {
				return bad("unsupported_value", "Unsupported value: 'messages[0].role' does not support 'system' with this model.")
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
	if s.MaxContextTokens > 0 && chars/4 > s.MaxContextTokens {
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
