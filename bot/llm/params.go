package llm

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// Parameters a provider may refuse for a model. Each is left out of later
// requests to that model once refused.
const (
	ParamMaxTokens           = "max_tokens"
	ParamMaxCompletionTokens = "max_completion_tokens"
	ParamMaxOutputTokens     = "max_output_tokens"
	ParamTemperature         = "temperature"
	ParamReasoningEffort     = "reasoning_effort"
	ParamStreamOptions       = "stream_options"
	ParamSystemRole          = "system_role"
	ParamTools               = "tools"
	// ParamToolEffort is a reasoning model that takes function tools on
	// Chat Completions only with reasoning_effort "none" (OpenAI's GPT-5.4
	// and later): once learned, tool calls there are sent with "none".
	ParamToolEffort = "tools_with_reasoning"
)

// reasoningName matches the model names OpenAI gives its reasoning models:
// the o-series (o1, o3, o4-mini, o3-pro, ...) and GPT-5 and later, with
// dotted versions and suffixes (gpt-5.1, gpt-6-luna, gpt-5.4-mini-2026-03-05).
var reasoningName = regexp.MustCompile(`^(?:o(\d+)|gpt-(\d+)(?:\.\d+)?)(?:-.*)?$`)

// IsReasoning reports whether model is one of OpenAI's reasoning models,
// which take max_completion_tokens and no temperature. A provider prefix
// such as OpenRouter's "openai/" is ignored.
func IsReasoning(model string) bool {
	m := strings.ToLower(strings.TrimSpace(model))
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	g := reasoningName.FindStringSubmatch(m)
	if g == nil {
		return false
	}
	if g[1] != "" {
		return true
	}
	major, err := strconv.Atoi(g[2])
	return err == nil && major >= 5
}

// quirkSet is what a provider refused for one model.
type quirkSet map[string]bool

// quirks reads what the provider refused for model.
func (c *Client) quirks(model string) quirkSet {
	q := quirkSet{}
	if c.db == nil {
		return q
	}
	stored, err := c.db.Quirks(model)
	if err != nil {
		c.log.Warn("read model quirks", "model", model, "err", err)
		return q
	}
	for p := range stored.Unsupported {
		q[p] = true
	}
	return q
}

// learn records that the provider refused param for model.
func (c *Client) learn(model, param string, q quirkSet) {
	q[param] = true
	c.log.Warn("provider refused a parameter; leaving it out for this model from now on", "model", model, "param", param)
	if c.db == nil {
		return
	}
	if err := c.db.AddQuirk(model, param, c.now()); err != nil {
		c.log.Warn("remember model quirk", "model", model, "err", err)
	}
}

// unsupportedHint matches the words providers use when they refuse a
// parameter or a value of one.
var unsupportedHint = regexp.MustCompile(`(?i)unsupported|not supported|does not support|unrecognized|unknown (?:parameter|field|argument|name)|extra (?:inputs|fields)|not permitted|not allowed|invalid (?:parameter|field)`)

// refusedParam finds which of the parameters sent the provider refused;
// "" if the error is not such a refusal.
func refusedParam(err error, sent []string) string {
	// go-openai refuses some combinations itself, before sending, for
	// the models it knows; those are learned the same way.
	local := ""
	switch {
	case errors.Is(err, openai.ErrReasoningEffortUnsupported):
		local = ParamReasoningEffort
	case errors.Is(err, openai.ErrReasoningModelMaxTokensDeprecated):
		local = ParamMaxTokens
	case errors.Is(err, openai.ErrReasoningSamplingUnsupported), errors.Is(err, openai.ErrReasoningModelLimitationsOther):
		local = ParamTemperature
	case errors.Is(err, openai.ErrReasoningToolsRequireResponses):
		local = ParamToolEffort
	}
	if local != "" {
		if contains(sent, local) {
			return local
		}
		return ""
	}
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) {
		return ""
	}
	if apiErr.HTTPStatusCode != http.StatusBadRequest && apiErr.HTTPStatusCode != http.StatusUnprocessableEntity {
		return ""
	}
	code := strings.ToLower(strings.TrimSpace(toString(apiErr.Code)))
	if code != "unsupported_parameter" && code != "unsupported_value" && !unsupportedHint.MatchString(apiErr.Message) {
		return ""
	}
	if strings.Contains(strings.ToLower(apiErr.Message), "function tools with reasoning_effort") && contains(sent, ParamToolEffort) {
		return ParamToolEffort // OpenAI names reasoning_effort, but dropping it does not help
	}
	if apiErr.Param != nil && *apiErr.Param != "" {
		if p := paramOf(*apiErr.Param); p != "" && contains(sent, p) {
			return p
		}
	}
	msg := strings.ToLower(apiErr.Message)
	for _, p := range sent { // sent is in order of preference
		for _, word := range paramWords[p] {
			if strings.Contains(msg, word) {
				return p
			}
		}
	}
	return ""
}

// paramWords are how each parameter shows in error messages.
var paramWords = map[string][]string{
	ParamMaxTokens:           {"max_tokens"},
	ParamMaxCompletionTokens: {"max_completion_tokens"},
	ParamMaxOutputTokens:     {"max_output_tokens"},
	ParamTemperature:         {"temperature"},
	ParamReasoningEffort:     {"reasoning_effort", "reasoning.effort", "reasoning"},
	ParamStreamOptions:       {"stream_options", "include_usage"},
	ParamSystemRole:          {"'system'", "system role", "system message", "role 'system'"},
	ParamTools:               {"tools", "tool_choice", "function calling", "functions"},
}

// paramOf maps an error's `param` field to our parameter names.
func paramOf(p string) string {
	p = strings.ToLower(p)
	switch {
	case p == "max_tokens":
		return ParamMaxTokens
	case p == "max_completion_tokens":
		return ParamMaxCompletionTokens
	case p == "max_output_tokens":
		return ParamMaxOutputTokens
	case p == "temperature":
		return ParamTemperature
	case p == "reasoning_effort", strings.HasPrefix(p, "reasoning"):
		return ParamReasoningEffort
	case strings.HasPrefix(p, "stream_options"):
		return ParamStreamOptions
	case strings.HasPrefix(p, "messages[") && strings.HasSuffix(p, ".role"):
		return ParamSystemRole
	case strings.HasPrefix(p, "tools"), strings.HasPrefix(p, "tool_choice"):
		return ParamTools
	}
	return ""
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
