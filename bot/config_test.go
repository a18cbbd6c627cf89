package bot

import (
	"errors"
	"reflect"

	"github.com/discordgpt/discordgpt/bot/llm"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadConfig_Defaults(t *testing.T) {
	c, err := LoadConfig(envOf(map[string]string{"DISCORD_TOKEN": "tok", "OPENAI_API_KEY": "sk"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.OpenAIBaseURL != "https://api.openai.com/v1" || c.DiscordAPIURL != "https://discord.com/" ||
		c.DataDir != "./data" || c.DefaultModel != "gpt-6-luna" || c.Timezone.String() != "UTC" ||
		c.MaxFilesPerUser != 20 || c.FileExpiration != 48*time.Hour || c.MaxFileSizeMB != 25 ||
		c.LogFormat != "text" || c.LogLevel.String() != "INFO" || len(c.Models) != 0 || c.API != "auto" || c.Temperature != nil || c.UnknownPrice != nil {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestLoadConfig_Values(t *testing.T) {
	c, err := LoadConfig(envOf(map[string]string{
		"DISCORD_TOKEN": "Bot tok", "OPENAI_BASE_URL": "http://localhost:11434/v1",
		"MODELS": "llama3, qwen2 ,llama3", "DEFAULT_MODEL": "mistral", "ADMIN_ID": "123",
		"TIMEZONE": "Europe/Berlin", "FILE_EXPIRATION_HOURS": "-1", "GUILD_ID": "99",
		"LOG_LEVEL": "debug", "LOG_FORMAT": "JSON",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DiscordToken != "tok" || c.OpenAIKey != "" || strings.Join(c.Models, ",") != "mistral,llama3,qwen2" ||
		!c.IsAdmin("123") || c.IsAdmin("124") || c.Timezone.String() != "Europe/Berlin" || c.FileExpiration != 0 ||
		c.GuildID != "99" || c.LogFormat != "json" {
		t.Fatalf("config = %+v", c)
	}
}

func TestLoadConfig_ModelSide(t *testing.T) {
	c, err := LoadConfig(envOf(map[string]string{"DISCORD_TOKEN": "tok", "OPENAI_API_KEY": "sk", "OPENAI_API": "Chat",
		"TEMPERATURE": "0.7", "REASONING_EFFORT": "low", "UNKNOWN_MODEL_PRICE": "$3/$12"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.API != "chat" || c.Temperature == nil || *c.Temperature != 0.7 || c.ReasoningEffort != "low" ||
		c.UnknownPrice == nil || c.UnknownPrice.Input != 3 || c.UnknownPrice.Output != 12 {
		t.Fatalf("config = %+v", c)
	}
	// A budget without UNKNOWN_MODEL_PRICE: unknown models count at the
	// dearest built-in price, never free.
	c, err = LoadConfig(envOf(map[string]string{"DISCORD_TOKEN": "tok", "OPENAI_API_KEY": "sk", "USER_DAILY_BUDGET_USD": "1"}))
	if err != nil || c.UnknownPrice == nil || c.UnknownPrice.Output != 50 {
		t.Fatalf("budget default: %+v %v", c.UnknownPrice, err)
	}
	// UNKNOWN_MODEL_PRICE=0 is the owner's explicit choice of free.
	c, err = LoadConfig(envOf(map[string]string{"DISCORD_TOKEN": "tok", "OPENAI_API_KEY": "sk", "USER_DAILY_BUDGET_USD": "1", "UNKNOWN_MODEL_PRICE": "0"}))
	if err != nil || c.UnknownPrice == nil || !reflect.DeepEqual(*c.UnknownPrice, llm.Price{}) {
		t.Fatalf("explicit zero: %+v %v", c.UnknownPrice, err)
	}
}

func TestLoadConfig_Errors(t *testing.T) {
	base := map[string]string{"DISCORD_TOKEN": "tok", "OPENAI_API_KEY": "sk"}
	cases := []struct {
		set     map[string]string
		wantVar string
	}{
		{map[string]string{"DISCORD_TOKEN": ""}, "DISCORD_TOKEN"},
		{map[string]string{"DISCORD_TOKEN": "a b"}, "DISCORD_TOKEN"},
		{map[string]string{"OPENAI_API_KEY": ""}, "OPENAI_API_KEY"},
		{map[string]string{"OPENAI_BASE_URL": "localhost:1234"}, "OPENAI_BASE_URL"},
		{map[string]string{"DISCORD_API_URL": "ftp://x"}, "DISCORD_API_URL"},
		{map[string]string{"MAX_FILES_PER_USER": "abc"}, "MAX_FILES_PER_USER"},
		{map[string]string{"MAX_FILES_PER_USER": "0"}, "MAX_FILES_PER_USER"},
		{map[string]string{"MAX_FILE_SIZE_MB": "-5"}, "MAX_FILE_SIZE_MB"},
		{map[string]string{"FILE_EXPIRATION_HOURS": "0"}, "FILE_EXPIRATION_HOURS"},
		{map[string]string{"FILE_EXPIRATION_HOURS": "-2"}, "FILE_EXPIRATION_HOURS"},
		{map[string]string{"TIMEZONE": "Mars/Olympus"}, "TIMEZONE"},
		{map[string]string{"ADMIN_IDS": "12,abc"}, "ADMIN_IDS"},
		{map[string]string{"GUILD_ID": "guild"}, "GUILD_ID"},
		{map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{map[string]string{"LOG_FORMAT": "xml"}, "LOG_FORMAT"},
		{map[string]string{"MODELS": " , "}, "MODELS"},
		{map[string]string{"DISCORD_TOKEN_FILE": "/nonexistent/token"}, "DISCORD_TOKEN"},
		{map[string]string{"OPENAI_API": "completions"}, "OPENAI_API"},
		{map[string]string{"TEMPERATURE": "3"}, "TEMPERATURE"},
		{map[string]string{"TEMPERATURE": "warm"}, "TEMPERATURE"},
		{map[string]string{"REASONING_EFFORT": "extreme"}, "REASONING_EFFORT"},
		{map[string]string{"UNKNOWN_MODEL_PRICE": "10"}, "UNKNOWN_MODEL_PRICE"},
		{map[string]string{"UNKNOWN_MODEL_PRICE": "-1/5"}, "UNKNOWN_MODEL_PRICE"},
		{map[string]string{"PRICING_FILE": "/nonexistent/prices.json"}, "PRICING_FILE"},
	}
	for _, c := range cases {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range c.set {
			env[k] = v
		}
		_, err := LoadConfig(envOf(env))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Var != c.wantVar {
			t.Errorf("%v: err = %v, want one naming %s", c.set, err, c.wantVar)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error is not one line: %q", c.set, err)
		}
	}
}

func TestLoadConfig_SecretFilesNeverEcho(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte("s3cr3t-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(envOf(map[string]string{"DISCORD_TOKEN_FILE": tok, "OPENAI_API_KEY": "sk"}))
	if err != nil || c.DiscordToken != "s3cr3t-token" {
		t.Fatalf("token from file = %q, %v", c.DiscordToken, err)
	}
	_, err = LoadConfig(envOf(map[string]string{"DISCORD_TOKEN_FILE": tok, "DISCORD_TOKEN": "s3cr3t-token", "OPENAI_API_KEY": "sk"}))
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("both set: err = %v", err)
	}
	_, err = LoadConfig(envOf(map[string]string{"DISCORD_TOKEN": "s3cr3t token"}))
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("bad token: err = %v", err)
	}
}

func TestReadDotEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	content := "# comment\n\nexport DISCORD_TOKEN=abc\nSYSTEM_PROMPT=\"line one\\nline two\"\nQUOTED='a # b'\nPLAIN=value # trailing comment\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := ReadDotEnv(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"DISCORD_TOKEN": "abc", "SYSTEM_PROMPT": "line one\nline two", "QUOTED": "a # b", "PLAIN": "value"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	if m, err := ReadDotEnv(filepath.Join(t.TempDir(), "missing")); err != nil || len(m) != 0 {
		t.Errorf("missing file: %v %v", m, err)
	}
	if err := os.WriteFile(path, []byte("NOEQUALS\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadDotEnv(path); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("malformed line: err = %v", err)
	}
}

func TestEnvWithDotEnv_RealEnvWins(t *testing.T) {
	t.Setenv("DGPT_TEST_VAR", "real")
	look := EnvWithDotEnv(map[string]string{"DGPT_TEST_VAR": "file", "DGPT_ONLY_FILE": "file"})
	if v, _ := look("DGPT_TEST_VAR"); v != "real" {
		t.Errorf("real env lost: %q", v)
	}
	if v, _ := look("DGPT_ONLY_FILE"); v != "file" {
		t.Errorf(".env value lost: %q", v)
	}
}

// TestLoadConfig_AllErrorsAndSuggestions: every bad value is reported at
// once, in one line; a misspelt variable is named with the one meant.
func TestLoadConfig_AllErrorsAndSuggestions(t *testing.T) {
	_, err := LoadConfig(envOf(map[string]string{"DISCORD_TOKEN": "t", "OPENAI_API_KEY": "k",
		"MAX_FILES_PER_USER": "lots", "RATE_LIMIT": "fast", "HISTORY_TOKENS": "1"}))
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Var != "MAX_FILES_PER_USER" {
		t.Fatalf("first: %v", err)
	}
	for _, v := range []string{"MAX_FILES_PER_USER", "RATE_LIMIT", "HISTORY_TOKENS"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("%s missing from %q", v, err)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("not one line: %q", err)
	}
	got := SuggestVars([]string{"DISCORD_TOKN", "OPENAI_APIKEY", "DISCORD_TOKEN", "DISCORD_TOKEN_FILE", "UNRELATED_THING"})
	if len(got) != 2 || !strings.Contains(got[0], "DISCORD_TOKN is not a variable discordgpt reads; did you mean DISCORD_TOKEN?") ||
		!strings.Contains(got[1], "OPENAI_API_KEY") {
		t.Errorf("suggestions: %q", got)
	}
}

func TestDotEnvWarnings_ReadableByOthers(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(p, []byte("DISCORD_TOKEN=x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if w := DotEnvWarnings(p, map[string]string{"DISCORD_TOKEN": "x"}); len(w) != 1 || !strings.Contains(w[0], "chmod 600") {
		t.Errorf("warnings: %q", w)
	}
	_ = os.Chmod(p, 0o600)
	if w := DotEnvWarnings(p, map[string]string{"DISCORD_TOKEN": "x", "MODLES": "a"}); len(w) != 1 || !strings.Contains(w[0], "did you mean MODELS?") {
		t.Errorf("warnings: %q", w)
	}
}

// TestEnvExample_ListsEveryVariable: .env.example names every variable the
// bot reads, and none it does not.
func TestEnvExample_ListsEveryVariable(t *testing.T) {
	raw, err := os.ReadFile("../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#"))
		if k, _, ok := strings.Cut(line, "="); ok && k == strings.ToUpper(k) && !strings.Contains(k, " ") {
			listed[k] = true
		}
	}
	for _, v := range ConfigVars() {
		if strings.HasSuffix(v, "_FILE") && v != "PRICING_FILE" || v == "ADMIN_ID" {
			continue // KEY_FILE variants and the old ADMIN_ID are named in comments
		}
		if !listed[v] {
			t.Errorf(".env.example lacks %s", v)
		}
		delete(listed, v)
	}
	for k := range listed {
		if !strings.HasSuffix(k, "_FILE") {
			t.Errorf(".env.example lists %s, which the bot does not read", k)
		}
	}
}
