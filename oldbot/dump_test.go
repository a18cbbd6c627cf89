package oldbot_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/discordgpt/discordgpt/oldbot"
	"github.com/discordgpt/discordgpt/oldbot/oldbottest"
)

const alice, bob = int64(712345678901234567), "812345678901234567"

func TestRead_OldShapes(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, oldbot.DBName) // mongodump --out root
	w := func(name string, docs ...any) { oldbottest.WriteCollection(t, dir, name, docs...) }
	w("user_histories.bson",
		bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "user_id", Value: alice}, {Key: "history", Value: bson.A{
			bson.D{{Key: "role", Value: "system"}, {Key: "content", Value: "You are a bot"}},
			bson.D{{Key: "role", Value: "user"}, {Key: "content", Value: "hi"}},
			bson.D{{Key: "role", Value: "assistant"}, {Key: "content", Value: "hello"}},
			bson.D{{Key: "role", Value: "user"}, {Key: "content", Value: bson.A{
				bson.D{{Key: "type", Value: "text"}, {Key: "text", Value: "what is this?"}},
				bson.D{{Key: "type", Value: "image_url"}, {Key: "image_url", Value: bson.D{{Key: "url", Value: "https://cdn.discordapp.com/x.png"}}}, {Key: "timestamp", Value: "2025-10-01T10:00:00.123456"}},
			}}},
			bson.D{{Key: "role", Value: "assistant"}, {Key: "content", Value: nil}, {Key: "tool_calls", Value: bson.A{}}},
			bson.D{{Key: "role", Value: "tool"}, {Key: "content", Value: "result"}},
			bson.D{{Key: "role", Value: "assistant"}, {Key: "content", Value: "a cat"}},
		}}},
		bson.D{{Key: "user_id", Value: "not-a-user"}, {Key: "history", Value: bson.A{}}},
	)
	w("user_models.bson", bson.D{{Key: "user_id", Value: alice}, {Key: "model", Value: "openai/gpt-4.1"}})
	w("user_preferences.bson", bson.D{{Key: "user_id", Value: alice}, {Key: "show_tool_execution", Value: true}})
	w("blacklist.bson", bson.D{{Key: "user_id", Value: bob}})
	w("whitelist.bson", bson.D{{Key: "user_id", Value: alice}})
	w("user_token_stats.bson", bson.D{{Key: "user_id", Value: alice}, {Key: "total_cost", Value: 0.5},
		{Key: "models", Value: bson.D{{Key: "openai_SLASH_gpt-4_DOT_1", Value: bson.D{
			{Key: "input_tokens", Value: int32(1000)}, {Key: "output_tokens", Value: int64(200)}, {Key: "cost", Value: 0.5}, {Key: "requests", Value: int32(3)}}}}}})
	w("token_usage.bson.gz",
		bson.D{{Key: "user_id", Value: alice}, {Key: "model", Value: "openai/gpt-4.1"}, {Key: "input_tokens", Value: 10}, {Key: "output_tokens", Value: 5}, {Key: "cost", Value: 0.25},
			{Key: "timestamp", Value: time.Date(2026, 11, 1, 23, 30, 0, 0, time.UTC)}},
		bson.D{{Key: "user_id", Value: alice}, {Key: "cost", Value: 0.25}})
	w("user_files.bson",
		bson.D{{Key: "file_id", Value: "712345678901234567_1759418785_112e8587"}, {Key: "user_id", Value: alice}, {Key: "filename", Value: "sales.csv"},
			{Key: "file_path", Value: "/tmp/bot_code_interpreter/user_files/712345678901234567/712345678901234567_1759418785_112e8587.csv"},
			{Key: "file_size", Value: 12}, {Key: "file_type", Value: "csv"}, {Key: "uploaded_at", Value: "2026-11-20T08:00:00.5"}, {Key: "expires_at", Value: nil}},
		bson.D{{Key: "file_id", Value: "forged"}, {Key: "user_id", Value: alice}, {Key: "filename", Value: "x"}, {Key: "file_path", Value: "../../../etc/passwd"}})
	path := oldbottest.WriteCollection(t, dir, "reminders.bson",
		bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "user_id", Value: alice}, {Key: "content", Value: "water the plants"},
			{Key: "remind_at", Value: time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC)}, {Key: "created_at", Value: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}, {Key: "sent", Value: false}},
		bson.D{{Key: "user_id", Value: alice}, {Key: "content", Value: "already sent"}, {Key: "remind_at", Value: time.Now()}, {Key: "sent", Value: true}},
		bson.D{{Key: "user_id", Value: alice}, {Key: "content", Value: "lost to the damage"}})
	// Cut the last document in half, as a dump interrupted by a full disk.
	raw, _ := os.ReadFile(path)
	if err := os.WriteFile(path, raw[:len(raw)-20], 0o644); err != nil {
		t.Fatal(err)
	}

	berlin, _ := time.LoadLocation("Europe/Berlin")
	d, err := oldbot.Read(root, berlin)
	if err != nil {
		t.Fatal(err)
	}
	a := d.Users["712345678901234567"]
	if a == nil {
		t.Fatalf("alice missing; users %v", d.Users)
	}
	var hist []string
	for _, m := range a.History {
		hist = append(hist, m.Role+":"+m.Text)
	}
	if got := strings.Join(hist, "|"); got != "user:hi|assistant:hello|user:what is this?\n[an image, not kept]|assistant:a cat" {
		t.Errorf("history = %q", got)
	}
	if a.HistoryImages != 1 || a.HistoryDropped != 3 {
		t.Errorf("images %d, dropped %d", a.HistoryImages, a.HistoryDropped)
	}
	if a.Model != "openai/gpt-4.1" || len(a.Preferences) != 1 || a.Preferences[0] != "show_tool_execution" {
		t.Errorf("model %q prefs %v", a.Model, a.Preferences)
	}
	if len(a.Stats) != 1 || a.Stats[0] != (oldbot.Stat{Model: "openai/gpt-4.1", InputTokens: 1000, OutputTokens: 200, Requests: 3, CostUSD: 0.5}) {
		t.Errorf("stats = %+v", a.Stats)
	}
	if len(a.Calls) != 1 || a.Calls[0].CostUSD != 0.25 || !a.Calls[0].At.Equal(time.Date(2026, 11, 1, 23, 30, 0, 0, time.UTC)) {
		t.Errorf("calls = %+v", a.Calls)
	}
	if len(a.Files) != 2 {
		t.Fatalf("files = %+v", a.Files)
	}
	f := a.Files[0]
	// A naive ISO time is the old server's local time.
	if f.Base != "712345678901234567_1759418785_112e8587.csv" || f.Name != "sales.csv" || !f.Expires.IsZero() ||
		!f.Uploaded.Equal(time.Date(2026, 11, 20, 7, 0, 0, 500e6, time.UTC)) {
		t.Errorf("file = %+v", f)
	}
	if a.Files[1].Base != "passwd" {
		t.Errorf("a forged path kept more than its last element: %q", a.Files[1].Base)
	}
	if len(a.Reminders) != 1 || a.Reminders[0].Text != "water the plants" {
		t.Errorf("reminders = %+v", a.Reminders)
	}
	if b := d.Users[bob]; b == nil || !b.Blacklisted {
		t.Errorf("bob (a string user_id) not blacklisted: %+v", b)
	}
	if len(d.Whitelist) != 1 || d.Whitelist[0] != "712345678901234567" {
		t.Errorf("whitelist = %v", d.Whitelist)
	}
	problems := strings.Join(d.Problems, "\n")
	for _, want := range []string{"user_histories document 2: user_id is not a Discord user ID", "token_usage document 2: no model or timestamp",
		"reminders.bson: damaged after 2 documents"} {
		if !strings.Contains(problems, want) {
			t.Errorf("problems lack %q:\n%s", want, problems)
		}
	}
	if strings.Contains(problems, "water") || strings.Contains(problems, "hello") {
		t.Error("a problem line quotes a user's text")
	}
}

func TestRead_NotADump(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := oldbot.Read(dir, time.UTC); !errors.Is(err, oldbot.ErrNoDump) || !strings.Contains(err.Error(), "mongodump --db chatgpt_discord_bot") {
		t.Errorf("err = %v", err)
	}
	if _, err := oldbot.Read(filepath.Join(dir, "missing"), time.UTC); err == nil {
		t.Error("a missing folder read without error")
	}
}

func TestRead_HostileDocuments(t *testing.T) {
	dir := t.TempDir()
	// A length prefix claiming 2 GB, then garbage: refused, never allocated.
	if err := os.WriteFile(filepath.Join(dir, "user_models.bson"), []byte{0xff, 0xff, 0xff, 0x7f, 1, 2, 3}, 0o600); err != nil {
		t.Fatal(err)
	}
	// A document whose length is right but whose body is not BSON.
	bad := []byte{12, 0, 0, 0, 0x02, 'u', 0, 0xff, 0xff, 0xff, 0x7f, 0}
	if err := os.WriteFile(filepath.Join(dir, "blacklist.bson"), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	// Not gzip behind a .gz name.
	if err := os.WriteFile(filepath.Join(dir, "token_usage.bson.gz"), []byte("plain"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := oldbot.Read(dir, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Users) != 0 || len(d.Problems) != 3 {
		t.Errorf("users %v, problems %q", d.Users, d.Problems)
	}
}
