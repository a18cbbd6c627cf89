package bot

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/files"
	"github.com/discordgpt/discordgpt/store"
)

// storeBot is a Bot with only its store and files, in a new DATA_DIR,
// for tests of what it does with them.
func storeBot(tb testing.TB, cfg Config) *Bot {
	tb.Helper()
	cfg.DataDir = tb.TempDir()
	db, err := OpenStore(cfg.DataDir, false)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	fdir, err := files.Open(filepath.Join(cfg.DataDir, "files"))
	if err != nil {
		tb.Fatal(err)
	}
	return &Bot{db: db, files: fdir, log: slog.New(slog.NewTextHandler(io.Discard, nil)), cfg: cfg}
}

// Reading the history back only as far as the budget reaches, with the
// counts kept at storing, sends exactly what counting the whole history
// afresh would: tool turns whole, text files included, old messages stored
// without a count too.
func TestBuildRequest_SameAsCountingEverything(t *testing.T) {
	b := storeBot(t, Config{HistoryTokens: 3000, SystemPrompt: DefaultSystemPrompt, Timezone: time.UTC, ImageContext: time.Hour})
	db, fdir := b.db, b.files
	const user, model = "424243", "gpt-4o-mini"
	now := time.Now()
	id := files.NewID()
	w, err := fdir.Write(user, id, ".txt", strings.NewReader(strings.Repeat("notes about the garden ", 40)), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddFile(store.FileMeta{ID: id, UserID: user, Name: "notes.txt", Ext: ".txt", Size: w.Size, ContentType: "text/plain", UploadedAt: now}, 100, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 120; i++ {
		m := store.Message{Role: store.RoleUser, Content: fmt.Sprintf("question %d: %s", i, strings.Repeat("word ", i%17))}
		a := store.Message{Role: store.RoleAssistant, Content: fmt.Sprintf("answer %d", i)}
		if i%9 == 0 {
			m.FileIDs = []string{id}
		}
		if i%7 == 0 {
			a.Tools = []store.ToolUse{{Round: 0, ID: fmt.Sprint("c", i), Name: "list_files", Arguments: "{}", Result: "notes.txt"}}
		}
		if i >= 40 { // the older ones were stored before counts were kept
			m.Tokens = b.turnTokens(user, model, m, now)
			a.Tokens = b.turnTokens(user, model, a, now)
		}
		if _, err := db.AppendMessages(user, m, a); err != nil {
			t.Fatal(err)
		}
	}
	q := store.Message{Role: store.RoleUser, Content: "and now?"}
	for _, budget := range []int{600, 3000, 20000} {
		b.cfg.HistoryTokens = budget
		got, err := b.buildRequest(user, model, q, nil, now)
		if err != nil {
			t.Fatal(err)
		}
		all, _ := db.History(user, 0)
		var turns []llm.Turn
		for _, h := range all {
			turns = append(turns, llm.Turn{Messages: b.toMessages(user, h, now, false)})
		}
		want, _ := llm.FitTurns(model, budget, got.System, turns, b.toMessages(user, q, now, true)[0])
		if !reflect.DeepEqual(got.Messages, want) {
			t.Errorf("budget %d: %d messages sent, counting everything gives %d", budget, len(got.Messages), len(want))
		}
		if budget == 20000 && len(got.Messages) < 100 {
			t.Errorf("budget %d: only %d messages", budget, len(got.Messages))
		}
	}
}
