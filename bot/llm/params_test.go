package llm

import (
	"net/http"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

func TestIsReasoning(t *testing.T) {
	yes := []string{"o1", "o3", "o3-pro", "o4-mini", "o4-mini-2025-04-16", "o10", "gpt-5", "gpt-5-mini", "gpt-5.1", "gpt-5.1-chat-latest",
		"gpt-5.4-mini-2026-03-05", "gpt-5.6-terra", "gpt-6-luna", "gpt-6.1-sol", "GPT-6-Astra", "gpt-7", "gpt-12.3-x", "openai/gpt-6-sol"}
	no := []string{"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.5-preview", "gpt-3.5-turbo", "llama3.1", "o", "omni-moderation-latest",
		"gpt-5o", "gpt-55x", "qwen3:8b", "mistral-large", "", "gpt-", "ollama/gpt-4o"}
	for _, m := range yes {
		if !IsReasoning(m) {
			t.Errorf("%q is a reasoning model", m)
		}
	}
	for _, m := range no {
		if IsReasoning(m) {
			t.Errorf("%q is not a reasoning model", m)
		}
	}
}

func apiErr(status int, code, param, msg string) error {
	e := &openai.APIError{HTTPStatusCode: status, Message: msg, Code: code}
	if param != "" {
		e.Param = &param
	}
	return e
}

func TestRefusedParam(t *testing.T) {
	sent := []string{ParamMaxTokens, ParamTemperature, ParamStreamOptions, ParamSystemRole}
	cases := []struct {
		err  error
		want string
	}{
		{apiErr(400, "unsupported_parameter", "max_tokens", "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."), ParamMaxTokens},
		{apiErr(400, "unsupported_value", "temperature", "Unsupported value: 'temperature' does not support 0.7 with this model."), ParamTemperature},
		{apiErr(400, "unsupported_value", "messages[0].role", "Unsupported value: 'messages[0].role' does not support 'system' with this model."), ParamSystemRole},
		// Other providers: no code, no param, only words.
		{apiErr(400, "", "", "temperature is not supported for this model"), ParamTemperature},
		{apiErr(422, "", "", "Extra inputs are not permitted: stream_options"), ParamStreamOptions},
		// Not refusals of what we sent.
		{apiErr(400, "context_length_exceeded", "messages", "This model's maximum context length is exceeded."), ""},
		{apiErr(400, "unsupported_parameter", "top_p", "Unsupported parameter: 'top_p'"), ""},
		{apiErr(http.StatusInternalServerError, "", "", "unsupported"), ""},
		{apiErr(400, "", "", "Invalid image"), ""},
	}
	for i, c := range cases {
		if got := refusedParam(c.err, sent); got != c.want {
			t.Errorf("case %d: %q, want %q", i, got, c.want)
		}
	}
}
