package openaitest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/discordgpt/discordgpt/bot/openaitest"
	openai "github.com/sashabaranov/go-openai"
)

func client(fake *openaitest.Server) *openai.Client {
	cfg := openai.DefaultConfig(openaitest.DefaultKey)
	cfg.BaseURL = fake.URL
	return openai.NewClientWithConfig(cfg)
}

func userMsg(text string) []openai.ChatCompletionMessage {
	return []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: text}}
}

// drain reads a stream to its end and returns the text, the usage (if
// any), the finish reason and the error that ended it (nil for [DONE]).
func drain(t *testing.T, fake *openaitest.Server, model string, withUsage bool) (string, *openai.Usage, openai.FinishReason, error) {
	t.Helper()
	req := openai.ChatCompletionRequest{Model: model, Messages: userMsg("hello there"), Stream: true}
	if withUsage {
		req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	st, err := client(fake).CreateChatCompletionStream(context.Background(), req)
	if err != nil {
		return "", nil, "", err
	}
	defer st.Close()
	var sb strings.Builder
	var usage *openai.Usage
	var finish openai.FinishReason
	for {
		r, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return sb.String(), usage, finish, nil
		}
		if err != nil {
			return sb.String(), usage, finish, err
		}
		if r.Usage != nil {
			usage = r.Usage
		}
		for _, c := range r.Choices {
			sb.WriteString(c.Delta.Content)
			if c.FinishReason != "" {
				finish = c.FinishReason
			}
		}
	}
}

func TestChat_PlainAndStreamed(t *testing.T) {
	fake := openaitest.New(t)
	resp, err := client(fake).CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
		Model: "gpt-4o-mini", Messages: userMsg("ping")})
	if err != nil || resp.Choices[0].Message.Content != "echo: ping" || resp.Usage.TotalTokens == 0 {
		t.Fatalf("plain: %+v, %v", resp, err)
	}
	fake.Enqueue(openaitest.Reply{Text: "streamed ünïcode answer", ChunkSize: 3,
		Usage: &openai.Usage{PromptTokens: 11, CompletionTokens: 7, TotalTokens: 18}})
	text, usage, finish, err := drain(t, fake, "gpt-4o-mini", true)
	if err != nil || text != "streamed ünïcode answer" || finish != openai.FinishReasonStop {
		t.Fatalf("stream: %q %q %v", text, finish, err)
	}
	if usage == nil || usage.PromptTokens != 11 || usage.CompletionTokens != 7 {
		t.Fatalf("usage = %+v", usage)
	}
	_, usage, _, err = drain(t, fake, "gpt-4o-mini", false)
	if err != nil || usage != nil {
		t.Fatalf("usage without include_usage = %+v, %v", usage, err)
	}
	if got := fake.Requests(); len(got) != 3 || !got[1].Chat.Stream || got[1].Chat.StreamOptions == nil {
		t.Fatalf("recorded = %+v", got)
	}
}

func TestChat_ToolCallsStreamed(t *testing.T) {
	fake := openaitest.New(t)
	fake.Enqueue(openaitest.Reply{ToolCalls: []openai.ToolCall{{ID: "call_1", Type: openai.ToolTypeFunction,
		Function: openai.FunctionCall{Name: "remind", Arguments: `{"in":"30m"}`}}}})
	st, err := client(fake).CreateChatCompletionStream(context.Background(), openai.ChatCompletionRequest{
		Model: "gpt-4o-mini", Messages: userMsg("remind me"), Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var name, args string
	var finish openai.FinishReason
	for {
		r, err := st.Recv()
		if err != nil {
			break
		}
		for _, c := range r.Choices {
			for _, tc := range c.Delta.ToolCalls {
				name += tc.Function.Name
				args += tc.Function.Arguments
			}
			if c.FinishReason != "" {
				finish = c.FinishReason
			}
		}
	}
	if name != "remind" || args != `{"in":"30m"}` || finish != openai.FinishReasonToolCalls {
		t.Fatalf("tool call = %q %q %q", name, args, finish)
	}
}

func TestChat_ScriptedFaults(t *testing.T) {
	fake := openaitest.New(t)
	c := client(fake)
	req := openai.ChatCompletionRequest{Model: "gpt-4o-mini", Messages: userMsg("x")}
	cases := []struct {
		name   string
		reply  openaitest.Reply
		status int
		code   any
	}{
		{"429", openaitest.RateLimited, 429, "rate_limit_exceeded"},
		{"429 no header", openaitest.RateLimitedNoHeader, 429, "rate_limit_exceeded"},
		{"quota", openaitest.QuotaExceeded, 429, "insufficient_quota"},
		{"500", openaitest.ServerError, 500, nil},
	}
	for _, tc := range cases {
		fake.Enqueue(tc.reply)
		_, err := c.CreateChatCompletion(context.Background(), req)
		var apiErr *openai.APIError
		if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != tc.status || (tc.code != nil && apiErr.Code != tc.code) {
			t.Errorf("%s: err = %#v", tc.name, err)
		}
	}
	// A request without the key is refused before any script is used.
	hr, err := http.Post(fake.URL+"/chat/completions", "application/json", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"x"}]}`))
	if err != nil || hr.StatusCode != 401 {
		t.Fatalf("request without key: %v %v", hr, err)
	}
	hr.Body.Close()
	// Retry-After reaches the client as a header.
	fake.Enqueue(openaitest.RateLimited)
	if status, hdr := postHeader(t, fake, `{"model":"m","messages":[{"role":"user","content":"x"}]}`); status != 429 || hdr.Get("Retry-After") != "1" {
		t.Fatalf("429: %d %v", status, hdr)
	}

	fake.Enqueue(openaitest.Reply{Text: strings.Repeat("a", 64), CutAfter: 2})
	text, _, _, err := drain(t, fake, "gpt-4o-mini", true)
	if err == nil || errors.Is(err, io.EOF) || len(text) != 16 {
		t.Errorf("cut stream: %q, %v", text, err)
	}
	fake.Enqueue(openaitest.Reply{Text: strings.Repeat("b", 64), MalformedAfter: 1})
	if _, _, _, err = drain(t, fake, "gpt-4o-mini", true); err == nil {
		t.Error("malformed chunk: no error")
	}
	fake.Enqueue(openaitest.Reply{Text: strings.Repeat("c", 64), ErrorAfter: 1})
	var apiErr *openai.APIError
	if _, _, _, err = drain(t, fake, "gpt-4o-mini", true); !errors.As(err, &apiErr) {
		t.Errorf("mid-stream error: %v", err)
	}
}

func TestChat_SlowStream(t *testing.T) {
	fake := openaitest.New(t)
	fake.Enqueue(openaitest.Reply{Text: "slow", ChunkSize: 1, ChunkDelay: 30 * time.Millisecond})
	start := time.Now()
	text, _, _, err := drain(t, fake, "gpt-4o-mini", true)
	if err != nil || text != "slow" {
		t.Fatalf("%q %v", text, err)
	}
	if time.Since(start) < 100*time.Millisecond {
		t.Fatal("chunks were not delayed")
	}
}

func postHeader(t *testing.T, fake *openaitest.Server, body string) (int, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, fake.URL+"/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+openaitest.DefaultKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// post sends a raw body, bypassing the client's own checks.
func post(t *testing.T, fake *openaitest.Server, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, fake.URL+"/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+openaitest.DefaultKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestChat_RefusesWhatTheAPIRefuses(t *testing.T) {
	fake := openaitest.New(t)
	fake.SetModels("gpt-4o-mini", "o4-mini", "gpt-5", "o1-mini")
	fake.SetMaxContextTokens(100)
	user := `"messages":[{"role":"user","content":"hi"}]`
	cases := []struct {
		name, body, want string
		status           int
	}{
		{"stream_options without stream", `{"model":"gpt-4o-mini",` + user + `,"stream_options":{"include_usage":true}}`, "stream_options", 400},
		{"max_tokens on reasoning", `{"model":"o4-mini",` + user + `,"max_tokens":10}`, "unsupported_parameter", 400},
		{"temperature on gpt-5", `{"model":"gpt-5",` + user + `,"temperature":0.7}`, "unsupported_value", 400},
		{"system on o1-mini", `{"model":"o1-mini","messages":[{"role":"system","content":"s"},{"role":"user","content":"u"}]}`, "unsupported_value", 400},
		{"unknown model", `{"model":"gpt-9",` + user + `}`, "model_not_found", 404},
		{"too long", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"` + strings.Repeat("w", 1000) + `"}]}`, "context_length_exceeded", 400},
		{"cdn-less image url", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}`, "invalid_image_url", 400},
		{"empty messages", `{"model":"gpt-4o-mini","messages":[]}`, "too short", 400},
	}
	for _, c := range cases {
		status, body := post(t, fake, c.body)
		if status != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s", c.name, status, body)
		}
	}
	if status, body := post(t, fake, `{"model":"o4-mini",`+user+`,"max_completion_tokens":10,"temperature":1}`); status != 200 {
		t.Errorf("valid reasoning request: %d %s", status, body)
	}
	if status, _ := post(t, fake, `{"model":"gpt-4o-mini","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]}`); status != 200 {
		t.Errorf("data URL image refused: %d", status)
	}
	models, err := client(fake).ListModels(context.Background())
	if err != nil || len(models.Models) != 4 {
		t.Fatalf("models = %+v, %v", models, err)
	}
}
