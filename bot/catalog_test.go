package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/store"
)

func TestModelState_Offered(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	openai := Config{OpenAIBaseURL: "https://api.openai.com/v1", DefaultModel: llm.DefaultModel}
	list := []store.ProviderModel{
		{ID: "gpt-6-luna", Chat: true}, {ID: "gpt-6.1-sol", Chat: true}, {ID: "gpt-5.6-luna", Chat: true},
		{ID: "gpt-5", Chat: true, ShutdownDate: "2026-12-11"}, {ID: "o4-mini", Chat: true, ShutdownDate: "2026-10-23"},
		{ID: "text-embedding-3-small"}, {ID: "gpt-6-astra", Chat: true},
	}
	cases := []struct {
		name string
		cfg  Config
		list []store.ProviderModel
		want string
	}{
		// OpenAI: the built-in list, less what the provider no longer
		// serves; the dearest (gpt-6-astra) stays opt-in.
		{"openai", openai, list, "gpt-6-luna,gpt-6.1-sol,gpt-5.6-luna"},
		{"openai, list never fetched", openai, nil, strings.Join(llm.DefaultModels, ",")},
		// Any other provider: its own chat models, default first.
		{"ollama", Config{OpenAIBaseURL: "http://localhost:11434/v1", DefaultModel: "gpt-6-luna"}, list,
			"gpt-6-luna,gpt-5,gpt-5.6-luna,gpt-6-astra,gpt-6.1-sol"},
		{"ollama, no list", Config{OpenAIBaseURL: "http://localhost:11434/v1", DefaultModel: "llama3"}, nil, "llama3"},
		{"MODELS set", Config{OpenAIBaseURL: "https://api.openai.com/v1", DefaultModel: "gpt-6-luna", Models: []string{"gpt-6-luna", "gpt-6-astra", "mine"}},
			list, "gpt-6-luna,gpt-6-astra,mine"},
	}
	for _, c := range cases {
		st := newModelState(c.cfg, c.list, now)
		if got := strings.Join(st.offered, ","); got != c.want {
			t.Errorf("%s: offered %s, want %s", c.name, got, c.want)
		}
	}
	cfg := Config{OpenAIBaseURL: "https://api.openai.com/v1", DefaultModel: "gpt-6-luna", Models: []string{"gpt-6-luna", "gpt-5", "mine"}}
	st := newModelState(cfg, list, now)
	w := strings.Join(st.warnings(cfg, now), "\n")
	for _, want := range []string{"model mine is not in the provider's model list", "no known price for mine: counted as free"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q:\n%s", want, w)
		}
	}
	if strings.Contains(w, "gpt-5 shuts down") {
		t.Errorf("15 days ahead is not yet retiring:\n%s", w)
	}
	late := now.Add(5 * 24 * time.Hour)
	if w := strings.Join(st.warnings(cfg, late), "\n"); !strings.Contains(w, "model gpt-5 shuts down on 2026-12-11") {
		t.Errorf("retiring not warned:\n%s", w)
	}
	if alt := st.replacement("gpt-5", late); alt != "gpt-6-luna" {
		t.Errorf("replacement = %q", alt)
	}
	dear := llm.Price{Input: 10, Output: 50}
	cfg.UnknownPrice = &dear
	st = newModelState(cfg, list, now)
	if w := strings.Join(st.warnings(cfg, now), "\n"); !strings.Contains(w, "counted at $10/$50 per million tokens") {
		t.Errorf("unknown price not said:\n%s", w)
	}
}
