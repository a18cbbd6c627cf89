package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	"github.com/discordgpt/discordgpt/store"
	openai "github.com/sashabaranov/go-openai"
)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Error(err)
		}
		_ = db.Close()
	})
	return db
}

func newClient(t *testing.T, fake *openaitest.Server, api llm.API, db *store.DB) *llm.Client {
	t.Helper()
	return llm.New(llm.Config{BaseURL: fake.URL, APIKey: openaitest.DefaultKey, API: api, RetryBackoff: time.Millisecond}, db, nil)
}

func question(model, text string) llm.Request {
	temp := float32(0.7)
	return llm.Request{Model: model, System: "Be brief.", Messages: []llm.Message{{Role: llm.RoleUser, Content: text}},
		MaxOutputTokens: 1000, Temperature: &temp, ReasoningEffort: "low"}
}

func fields(t *testing.T, raw []byte) map[string]json.RawMessage {
	t.Helper()
	var f map[string]json.RawMessage
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestStream_EveryDocumentedModelOnBothAPIs sends every model of the fake's
// table of OpenAI's documented models (and made-up future names) through
// both APIs with a temperature and a reasoning effort set: each must be
// answered at the first try, with the parameters its kind takes.
func TestStream_EveryDocumentedModelOnBothAPIs(t *testing.T) {
	fake := openaitest.New(t)
	fake.SetModels()
	var models []string
	for m := range openaitest.Documented {
		models = append(models, m)
	}
	sort.Strings(models)
	models = append(models, "gpt-5.9-nova", "gpt-7", "o5-mini", "gpt-6.2-sol-2027-01-01")
	for _, api := range []llm.API{llm.APIChat, llm.APIResponses} {
		c := newClient(t, fake, api, nil)
		for _, m := range models {
			before := len(fake.Requests())
			res := c.Stream(context.Background(), question(m, "hi "+m), nil)
			reqs := fake.Requests()[before:]
			want := 1
			if m == "o1-mini" && api == llm.APIChat {
				want = 2 // it refused the system role; learned at the first call
			}
			if res.Err != nil || len(reqs) != want {
				t.Errorf("%s on %s: %d requests, err %v", m, api, len(reqs), res.Err)
				continue
			}
			f := fields(t, reqs[want-1].Raw)
			reasoning := openaitest.Documented[m].Reasoning || !strings.HasPrefix(m, "gpt-4")
			_, hasTemp := f["temperature"]
			if reasoning == hasTemp {
				t.Errorf("%s on %s: temperature sent = %v", m, api, hasTemp)
			}
			switch api {
			case llm.APIChat:
				_, mt := f["max_tokens"]
				_, mct := f["max_completion_tokens"]
				_, re := f["reasoning_effort"]
				if mt == reasoning || mct != reasoning || re != reasoning {
					t.Errorf("%s on chat: max_tokens %v, max_completion_tokens %v, reasoning_effort %v", m, mt, mct, re)
				}
			case llm.APIResponses:
				_, re := f["reasoning"]
				if string(f["store"]) != "false" || string(f["max_output_tokens"]) != "1000" || re != reasoning || f["previous_response_id"] != nil {
					t.Errorf("%s on responses: store %s, max_output_tokens %s, reasoning %v", m, f["store"], f["max_output_tokens"], re)
				}
			}
			if res.Text != "echo: hi "+m || res.Finish != llm.FinishStop || res.Usage.Estimated || res.Usage.Input == 0 || !res.Reached {
				t.Errorf("%s on %s: result %+v", m, api, res)
			}
		}
	}
}

// TestStream_LearnsRefusedParameters: an OpenAI-compatible model that
// refuses temperature and stream_options works at the second try, and the
// next call (even from a new client on the same database) leaves them out.
func TestStream_LearnsRefusedParameters(t *testing.T) {
	for _, api := range []llm.API{llm.APIChat, llm.APIResponses} {
		fake := openaitest.New(t)
		fake.SetRefuse(map[string][]string{"llama3.1": {"temperature", "stream_options"}})
		db := openDB(t)
		c := newClient(t, fake, api, db)
		res := c.Stream(context.Background(), question("llama3.1", "first"), nil)
		if res.Err != nil || res.Text != "echo: first" {
			t.Fatalf("%s: first call: %+v", api, res)
		}
		wantFirst := 3 // temperature, then stream_options refused
		if api == llm.APIResponses {
			wantFirst = 2 // /v1/responses has no stream_options to refuse here
		}
		if n := len(fake.Requests()); n != wantFirst {
			t.Errorf("%s: first call took %d requests, want %d", api, n, wantFirst)
		}
		if api == llm.APIChat && !res.Usage.Estimated {
			t.Errorf("without stream_options there is no usage; it must be estimated: %+v", res.Usage)
		}
		c2 := newClient(t, fake, api, db)
		before := len(fake.Requests())
		res = c2.Stream(context.Background(), question("llama3.1", "second"), nil)
		reqs := fake.Requests()[before:]
		if res.Err != nil || len(reqs) != 1 {
			t.Fatalf("%s: second call: %d requests, %v", api, len(reqs), res.Err)
		}
		if _, ok := fields(t, reqs[0].Raw)["temperature"]; ok {
			t.Errorf("%s: temperature sent again", api)
		}
		// Another model on the same server is not affected.
		before = len(fake.Requests())
		c2.Stream(context.Background(), question("mistral", "third"), nil)
		if _, ok := fields(t, fake.Requests()[before].Raw)["temperature"]; !ok {
			t.Errorf("%s: temperature left out for a model that takes it", api)
		}
	}
}

// TestStream_SystemRoleRefused: a model that refuses the system role gets
// its instructions in a user message.
func TestStream_SystemRoleRefused(t *testing.T) {
	fake := openaitest.New(t)
	fake.SetRefuse(map[string][]string{"gemma": {"system"}})
	c := newClient(t, fake, llm.APIChat, openDB(t))
	res := c.Stream(context.Background(), question("gemma", "hello"), nil)
	reqs := fake.Requests()
	if res.Err != nil || len(reqs) != 2 || reqs[1].Chat.Messages[0].Role != "user" ||
		!strings.Contains(reqs[1].Chat.Messages[0].Content, "Be brief.") {
		t.Fatalf("res %+v, %d requests", res, len(reqs))
	}
}

// TestStream_RefusalThatIsNotAParameter is not retried.
func TestStream_RefusalThatIsNotAParameter(t *testing.T) {
	fake := openaitest.New(t)
	fake.SetMaxContextTokens(1)
	c := newClient(t, fake, llm.APIChat, openDB(t))
	res := c.Stream(context.Background(), question("gpt-4o-mini", strings.Repeat("long ", 100)), nil)
	var apiErr *openai.APIError
	if !errors.As(res.Err, &apiErr) || len(fake.Requests()) != 1 || res.Reached {
		t.Fatalf("err %v, %d requests, reached %v", res.Err, len(fake.Requests()), res.Reached)
	}
}

// TestStream_ResponsesOutcomes: usage with cached and reasoning tokens,
// truncation, a mid-stream error event, a cut connection and images on the
// Responses API.
func TestStream_ResponsesOutcomes(t *testing.T) {
	fake := openaitest.New(t)
	c := newClient(t, fake, llm.APIResponses, nil)
	u := &openai.Usage{PromptTokens: 1000, CompletionTokens: 300,
		PromptTokensDetails:     &openai.PromptTokensDetails{CachedTokens: 400},
		CompletionTokensDetails: &openai.CompletionTokensDetails{ReasoningTokens: 200}}
	fake.Enqueue(openaitest.Reply{Text: "counted", Usage: u})
	res := c.Stream(context.Background(), question("gpt-6-luna", "q"), nil)
	if res.Err != nil || res.Usage != (llm.Usage{Input: 1000, Cached: 400, Output: 300, Reasoning: 200}) {
		t.Fatalf("usage: %+v %v", res.Usage, res.Err)
	}
	fake.Enqueue(openaitest.Reply{Text: "half an ans", Truncate: true})
	res = c.Stream(context.Background(), question("gpt-6-luna", "q"), nil)
	if res.Err != nil || res.Finish != llm.FinishLength || res.Text != "half an ans" {
		t.Fatalf("truncated: %+v", res)
	}
	fake.Enqueue(openaitest.Reply{Text: strings.Repeat("partial ", 20), ChunkSize: 8, ErrorAfter: 3})
	var shown string
	res = c.Stream(context.Background(), question("gpt-6-luna", "q"), func(s string) { shown = s })
	var se *llm.StreamError
	if !errors.As(res.Err, &se) || !res.Reached || shown != strings.Repeat("partial ", 3) || !res.Usage.Estimated || res.Usage.Output == 0 {
		t.Fatalf("error event: %+v (shown %q)", res, shown)
	}
	fake.Enqueue(openaitest.Reply{Text: strings.Repeat("partial ", 20), ChunkSize: 8, CutAfter: 3})
	res = c.Stream(context.Background(), question("gpt-6-luna", "q"), nil)
	if res.Err == nil || !res.Reached || !res.Usage.Estimated || res.Usage.Input == 0 {
		t.Fatalf("cut: %+v", res)
	}
	req := question("gpt-6-luna", "")
	req.Messages = []llm.Message{{Role: llm.RoleUser, Parts: []llm.Part{{Text: "what is this?"}, {ImageURL: "data:image/png;base64,AAAA"}}},
		{Role: llm.RoleAssistant, Content: "a picture"}, {Role: llm.RoleUser, Content: "thanks"}}
	before := len(fake.Requests())
	if res = c.Stream(context.Background(), req, nil); res.Err != nil {
		t.Fatalf("image: %v", res.Err)
	}
	got := fake.Requests()[before].Chat.Messages
	if len(got) != 4 || got[1].MultiContent[1].ImageURL.URL != "data:image/png;base64,AAAA" || got[2].Content != "a picture" {
		t.Fatalf("image input = %+v", got)
	}
}

// TestStream_StopIsReachedAndEstimated: a call cancelled mid-stream (a
// /stop) was accepted by the provider and is paid for.
func TestStream_StopIsReachedAndEstimated(t *testing.T) {
	for _, api := range []llm.API{llm.APIChat, llm.APIResponses} {
		fake := openaitest.New(t)
		c := newClient(t, fake, api, nil)
		fake.Enqueue(openaitest.Reply{Text: strings.Repeat("word ", 200), ChunkSize: 5, ChunkDelay: 5 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		res := c.Stream(ctx, question("gpt-6-luna", "q"), func(s string) {
			if len(s) > 50 {
				cancel()
			}
		})
		if !errors.Is(res.Err, context.Canceled) || !res.Reached || !res.Usage.Estimated || res.Usage.Output == 0 || res.Usage.Input == 0 {
			t.Errorf("%s: %+v", api, res)
		}
	}
}

// TestFetchModels reads OpenAI's shutdown dates and OpenRouter's prices,
// and tells chat models from the rest.
func TestFetchModels(t *testing.T) {
	fake := openaitest.New(t)
	fake.SetModels("gpt-5", "gpt-6-luna", "text-embedding-3-small", "whisper-1", "omni-moderation-latest")
	got, err := newClient(t, fake, llm.APIResponses, nil).FetchModels(context.Background())
	if err != nil || len(got) != 5 {
		t.Fatalf("%+v %v", got, err)
	}
	byID := map[string]store.ProviderModel{}
	for _, m := range got {
		byID[m.ID] = m
	}
	if byID["gpt-5"].ShutdownDate != "2026-12-11" || byID["gpt-6-luna"].ShutdownDate != "" || !byID["gpt-6-luna"].Chat ||
		byID["text-embedding-3-small"].Chat || byID["whisper-1"].Chat || byID["omni-moderation-latest"].Chat {
		t.Errorf("models = %+v", byID)
	}
	// OpenRouter's list, in the shape its API documents (prices in dollars
	// per token, as strings).
	or := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data":[
			{"id":"meta-llama/llama-4-scout","pricing":{"prompt":"0.00000008","completion":"0.0000003","input_cache_read":"0.00000002"},"architecture":{"output_modalities":["text"]}},
			{"id":"openai/gpt-image-1","pricing":{"prompt":"0.000005","completion":"0.00004"},"architecture":{"output_modalities":["image"]}},
			{"id":"weird/model","pricing":{"prompt":"-1","completion":"x"}}]}`)
	}))
	defer or.Close()
	list, err := llm.New(llm.Config{BaseURL: or.URL}, nil, nil).FetchModels(context.Background())
	if err != nil || len(list) != 3 {
		t.Fatalf("%+v %v", list, err)
	}
	prices := llm.NewPrices(llm.ProviderPrices(list), nil, nil)
	cost, known := prices.Cost("meta-llama/llama-4-scout", llm.Usage{Input: 1_000_000, Cached: 500_000, Output: 1_000_000})
	if !known || fmt.Sprintf("%.4f", cost) != "0.3500" {
		t.Errorf("OpenRouter price: %v %v", cost, known)
	}
	if _, ok := prices.Lookup("weird/model"); ok {
		t.Error("a malformed price was taken")
	}
	for _, m := range list {
		if m.ID == "openai/gpt-image-1" && m.Chat {
			t.Error("an image model counted as a chat model")
		}
	}
}

// TestStream_LocalRefusalIsLearned: go-openai itself refuses
// reasoning_effort "none" for gpt-6-astra before sending; the call goes
// again without it, and nothing is paid for the refused one.
func TestStream_LocalRefusalIsLearned(t *testing.T) {
	fake := openaitest.New(t)
	c := newClient(t, fake, llm.APIChat, openDB(t))
	req := question("gpt-6-astra", "hi")
	req.ReasoningEffort = "none"
	res := c.Stream(context.Background(), req, nil)
	reqs := fake.Requests()
	if res.Err != nil || len(reqs) != 1 {
		t.Fatalf("%+v, %d requests", res, len(reqs))
	}
	if _, ok := fields(t, reqs[0].Raw)["reasoning_effort"]; ok {
		t.Error("reasoning_effort sent after go-openai refused it")
	}
}

func TestNew_PicksTheAPI(t *testing.T) {
	for base, want := range map[string]llm.API{"https://api.openai.com/v1": llm.APIResponses, "http://localhost:11434/v1": llm.APIChat,
		"https://openrouter.ai/api/v1": llm.APIChat} {
		if got := llm.New(llm.Config{BaseURL: base, API: "auto"}, nil, nil).API(); got != want {
			t.Errorf("%s: %s, want %s", base, got, want)
		}
	}
	if got := llm.New(llm.Config{BaseURL: "https://api.openai.com/v1", API: llm.APIChat}, nil, nil).API(); got != llm.APIChat {
		t.Errorf("OPENAI_API=chat not honoured: %s", got)
	}
}

// TestStream_ToolsOnChatWithReasoningModels: OpenAI's reasoning models from
// GPT-5.4 on take function tools on Chat Completions only with
// reasoning_effort "none" (a 400 from OpenAI, or go-openai's own refusal
// for the models it knows). The bot learns that and keeps its tools;
// where "none" is no effort the model takes, it chats without tools. The
// Responses API takes both and is left alone.
func TestStream_ToolsOnChatWithReasoningModels(t *testing.T) {
	tool := llm.Tool{Name: "list_files", Description: "List files.", Parameters: map[string]any{"type": "object", "properties": map[string]any{}}}
	for _, c := range []struct {
		model     string
		api       llm.API
		effort    string // what the last request carried
		withTools bool
	}{
		{"gpt-5.4", llm.APIChat, "none", true},    // refused by OpenAI (the fake)
		{"gpt-6-luna", llm.APIChat, "none", true}, // refused by go-openai before sending
		{"gpt-6-astra", llm.APIChat, "", false},   // takes no "none": tools go
		{"gpt-6-luna", llm.APIResponses, "low", true},
		{"gpt-4.1", llm.APIChat, "", true}, // not a reasoning model: nothing to learn
	} {
		t.Run(string(c.api)+"/"+c.model, func(t *testing.T) {
			fake := openaitest.New(t)
			db := openDB(t)
			cl := newClient(t, fake, c.api, db)
			req := question(c.model, "what files do I have?")
			req.Tools = []llm.Tool{tool}
			for round := 0; round < 2; round++ { // learned once, then right at the first try
				before := len(fake.Requests())
				res := cl.Stream(context.Background(), req, nil)
				if res.Err != nil {
					t.Fatalf("round %d: %v", round, res.Err)
				}
				reqs := fake.Requests()
				last := reqs[len(reqs)-1]
				effort := last.Chat.ReasoningEffort
				if last.Responses != nil && last.Responses.Reasoning != nil {
					effort = last.Responses.Reasoning.Effort
				}
				_, hasTools := fields(t, last.Raw)["tools"]
				if effort != c.effort || hasTools != c.withTools {
					t.Fatalf("round %d: effort %q tools %v, want %q %v", round, effort, hasTools, c.effort, c.withTools)
				}
				if round == 1 && len(reqs)-before != 1 {
					t.Fatalf("second call took %d requests", len(reqs)-before)
				}
			}
		})
	}
}
