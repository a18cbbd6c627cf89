package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStore_Settings(t *testing.T) {
	db := openTest(t)
	if s, err := db.Settings("5"); err != nil || s.Model != "" {
		t.Fatalf("fresh = %+v, %v", s, err)
	}
	if err := db.SetModel("5", "gpt-4o"); err != nil {
		t.Fatal(err)
	}
	if s, _ := db.Settings("5"); s.Model != "gpt-4o" {
		t.Fatalf("model = %q", s.Model)
	}
	if err := db.SetModel("x", "m"); !errors.Is(err, ErrBadUserID) {
		t.Fatalf("bad id: %v", err)
	}
}

func TestStore_RecordExchangeAndUsage(t *testing.T) {
	db := openTest(t)
	ex := Exchange{
		Messages: []Message{{Role: RoleUser, Content: "q"}, {Role: RoleAssistant, Content: "a"}},
		Usage:    Usage{Model: "gpt-4o", InputTokens: 10, OutputTokens: 5, Requests: 1, CostUSD: 0.5},
	}
	for i := 0; i < 2; i++ {
		if _, err := db.RecordExchange("9", ex); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.RecordUsage("9", Usage{Model: "o4-mini", InputTokens: 1, Requests: 1, CostUSD: 2, Estimated: true}, "", "", nil); err != nil {
		t.Fatal(err)
	}
	u, err := db.UserUsage("9")
	if err != nil || len(u) != 2 {
		t.Fatalf("usage = %+v, %v", u, err)
	}
	if u[0].Model != "o4-mini" || !u[0].Estimated || u[1].InputTokens != 20 || u[1].OutputTokens != 10 || u[1].Requests != 2 || u[1].CostUSD != 1.0 {
		t.Fatalf("usage = %+v", u)
	}
	ex.Valid = func() bool { return false }
	if _, err := db.RecordExchange("9", ex); !errors.Is(err, ErrStale) {
		t.Fatalf("stale exchange: %v", err)
	}
	if n, _ := db.HistoryLen("9"); n != 4 {
		t.Fatalf("stale exchange was written: %d messages", n)
	}
}

func TestStore_FilesEvictAndExpire(t *testing.T) {
	db := openTest(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		m := FileMeta{ID: fmt.Sprintf("f%d", i), UserID: "3", Name: "n", UploadedAt: t0.Add(time.Duration(i) * time.Minute),
			ExpiresAt: t0.Add(time.Duration(i) * time.Hour)}
		ev, err := db.AddFile(m, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := max(0, i-2); i >= 3 && (len(ev) != 1 || ev[0].ID != fmt.Sprintf("f%d", want-1)) {
			t.Fatalf("add f%d evicted %+v", i, ev)
		}
	}
	fs, _ := db.Files("3")
	if len(fs) != 3 || fs[0].ID != "f4" || fs[2].ID != "f2" {
		t.Fatalf("files = %+v", fs)
	}
	if _, err := db.File("3", "f0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("evicted file still there: %v", err)
	}
	if _, err := db.File("4", "f4"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another user's file visible: %v", err)
	}
	gone, err := db.DeleteExpiredFiles(t0.Add(3 * time.Hour))
	if err != nil || len(gone) != 2 {
		t.Fatalf("expired = %+v, %v", gone, err)
	}
	if m, err := db.DeleteFile("3", "f4"); err != nil || m.ID != "f4" {
		t.Fatalf("delete = %+v, %v", m, err)
	}
	if _, err := db.DeleteFile("3", "f4"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	n := 0
	if err := db.AllFiles(func(FileMeta) { n++ }); err != nil || n != 0 {
		t.Fatalf("left: %d, %v", n, err)
	}
}

func TestStore_ResetUser(t *testing.T) {
	db := openTest(t)
	for _, u := range []string{"1", "2"} {
		if _, err := db.RecordExchange(u, Exchange{Messages: []Message{{Role: RoleUser, Content: "hi " + u}},
			Usage: Usage{Model: "m", Requests: 1, InputTokens: 3}}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if _, err := db.AddFile(FileMeta{ID: fmt.Sprintf("%s-%d", u, i), UserID: u}, 10, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SetModel(u, "gpt-4o"); err != nil {
			t.Fatal(err)
		}
	}
	called := false
	gone, err := db.ResetUser("1", func() { called = true })
	if err != nil || len(gone) != 3 || !called {
		t.Fatalf("reset: %d files, called %v, %v", len(gone), called, err)
	}
	if h, _ := db.History("1", 0); len(h) != 0 {
		t.Error("history survived")
	}
	if u, _ := db.UserUsage("1"); len(u) != 0 {
		t.Error("usage survived")
	}
	if f, _ := db.Files("1"); len(f) != 0 {
		t.Error("files survived")
	}
	if s, _ := db.Settings("1"); s.Model != "gpt-4o" {
		t.Error("model choice did not survive")
	}
	if h, _ := db.History("2", 0); len(h) != 1 {
		t.Error("other user's history touched")
	}
	if f, _ := db.Files("2"); len(f) != 3 {
		t.Error("other user's files touched")
	}
	// A second reset of an empty user is fine.
	if gone, err := db.ResetUser("1", nil); err != nil || len(gone) != 0 {
		t.Fatalf("second reset: %v %v", gone, err)
	}
	// Stale uploads are refused.
	if _, err := db.AddFile(FileMeta{ID: "late", UserID: "1"}, 10, func() bool { return false }); !errors.Is(err, ErrStale) {
		t.Fatalf("stale add: %v", err)
	}
	n := 0
	if err := db.Scan(func(_ [][]byte, k, v []byte) { n++ }); err != nil || n == 0 {
		t.Fatalf("scan: %d %v", n, err)
	}
}

func TestStore_SpendingLedgerAndBlacklist(t *testing.T) {
	db := openTest(t)
	ex := Exchange{Messages: []Message{{Role: RoleUser, Content: "q"}}, Usage: Usage{Model: "m", Requests: 1, CostUSD: 0.25},
		Day: "2026-03-01", Month: "2026-03"}
	for i := 0; i < 2; i++ {
		if _, err := db.RecordExchange("11", ex); err != nil {
			t.Fatal(err)
		}
	}
	ex.Day = "2026-03-02"
	if _, err := db.RecordExchange("12", ex); err != nil {
		t.Fatal(err)
	}
	s, _ := db.Spending("11", "2026-03-01", "2026-03")
	if s.UserDay != 0.5 || s.UserMonth != 0.5 || s.AllMonth != 0.75 {
		t.Fatalf("spending = %+v", s)
	}
	if s, _ := db.Spending("11", "2026-03-02", "2026-04"); s.UserDay != 0 || s.UserMonth != 0 || s.AllMonth != 0 {
		t.Fatalf("other day/month = %+v", s)
	}
	// A reset clears statistics, not the ledger.
	if _, err := db.ResetUser("11", nil); err != nil {
		t.Fatal(err)
	}
	if s, _ := db.Spending("11", "2026-03-01", "2026-03"); s.UserDay != 0.5 {
		t.Fatalf("reset lifted the ledger: %+v", s)
	}
	ms, _ := db.MonthSpending("2026-03")
	if len(ms) != 2 || ms[0].UserID != "11" || ms[0].USD != 0.5 {
		t.Fatalf("month = %+v", ms)
	}
	if err := db.Blacklist("13", "1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if ok, _ := db.Blacklisted("13"); !ok {
		t.Fatal("not blacklisted")
	}
	if was, _ := db.Unblacklist("13"); !was {
		t.Fatal("unblacklist said no entry")
	}
	if ok, _ := db.Blacklisted("13"); ok {
		t.Fatal("still blacklisted")
	}
}

func TestStore_StaleUsageGoesToTheLedgerOnly(t *testing.T) {
	db := openTest(t)
	stale := func() bool { return false }
	u := Usage{Model: "gpt-6-luna", InputTokens: 100, OutputTokens: 50, Requests: 1, CostUSD: 0.25}
	if err := db.RecordUsage("7", u, "2026-11-26", "2026-11", stale); !errors.Is(err, ErrStale) {
		t.Fatalf("stale usage: %v", err)
	}
	ex := Exchange{Messages: []Message{{Role: RoleUser, Content: "q"}, {Role: RoleAssistant, Content: "a"}}, Usage: u,
		Day: "2026-11-26", Month: "2026-11", Valid: stale}
	if _, err := db.RecordExchange("7", ex); !errors.Is(err, ErrStale) {
		t.Fatalf("stale exchange: %v", err)
	}
	if h, _ := db.History("7", 0); len(h) != 0 {
		t.Errorf("stale exchange stored %d messages", len(h))
	}
	if st, _ := db.UserUsage("7"); len(st) != 0 {
		t.Errorf("stale usage reached the statistics: %+v", st)
	}
	s, err := db.Spending("7", "2026-11-26", "2026-11")
	if err != nil || s.UserDay != 0.5 || s.UserMonth != 0.5 || s.AllMonth != 0.5 {
		t.Fatalf("ledger = %+v, %v; both stale calls must be in it", s, err)
	}
}

func TestStore_ModelCatalogAndQuirks(t *testing.T) {
	db := openTest(t)
	if _, ok, err := db.Catalog(); ok || err != nil {
		t.Fatalf("empty catalog: %v %v", ok, err)
	}
	c := Catalog{Models: []ProviderModel{{ID: "gpt-5", ShutdownDate: "2026-12-11", Chat: true}}, FetchedAt: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)}
	if err := db.SetCatalog(c); err != nil {
		t.Fatal(err)
	}
	got, ok, err := db.Catalog()
	if !ok || err != nil || len(got.Models) != 1 || got.Models[0].ShutdownDate != "2026-12-11" || !got.FetchedAt.Equal(c.FetchedAt) {
		t.Fatalf("catalog = %+v %v %v", got, ok, err)
	}
	if err := db.AddQuirk("llama3", "temperature", c.FetchedAt); err != nil {
		t.Fatal(err)
	}
	if err := db.AddQuirk("llama3", "stream_options", c.FetchedAt); err != nil {
		t.Fatal(err)
	}
	q, err := db.Quirks("llama3")
	if err != nil || len(q.Unsupported) != 2 {
		t.Fatalf("quirks = %+v %v", q, err)
	}
	if q, _ := db.Quirks("other"); len(q.Unsupported) != 0 {
		t.Fatalf("other model has quirks %+v", q)
	}
	if err := db.AddQuirk("", "temperature", c.FetchedAt); err == nil {
		t.Error("empty model name accepted")
	}
}

func TestStore_WipeCompactAndPrune(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for u := 1; u <= 3; u++ {
		msgs := make([]Message, 3000)
		for i := range msgs {
			msgs[i] = Message{Role: RoleUser, Content: fmt.Sprintf("user %d marker-%d-%d %s", u, u, i, strings.Repeat("x", 300)), CreatedAt: old.Add(time.Duration(i) * time.Hour)}
		}
		if _, err := db.AppendMessages(fmt.Sprint(u), msgs...); err != nil {
			t.Fatal(err)
		}
	}
	// Prune: everything before the 1000th hour goes.
	n, err := db.PruneHistory(old.Add(1000 * time.Hour))
	if err != nil || n != 3000 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if h, _ := db.History("1", 0); len(h) != 2000 || !strings.Contains(h[0].Content, "marker-1-1000 ") {
		t.Fatalf("history after pruning: %d, first %q", len(h), h[0].Content[:20])
	}
	// Reset two users, wipe: their text is gone from the file's bytes.
	for _, u := range []string{"1", "2"} {
		if _, err := db.ResetUser(u, nil); err != nil {
			t.Fatal(err)
		}
	}
	if p, _ := db.ScrubPending(); len(p) != 2 {
		t.Fatalf("pending = %v", p)
	}
	if _, err := db.WipeFree(); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte("marker-1-")) || bytes.Contains(raw, []byte("marker-2-")) || bytes.Contains(raw, []byte("marker-3-5 ")) {
		t.Fatal("reset or pruned text left in the file")
	}
	if !bytes.Contains(raw, []byte("marker-3-2999 ")) {
		t.Fatal("a live message was wiped")
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Over half the file is free now: compaction shrinks it.
	before, after, err := CompactFile(path, 1, false)
	if err != nil || after >= before {
		t.Fatalf("compact: %d -> %d, %v", before, after, err)
	}
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := db.History("3", 0); len(h) != 2000 {
		t.Errorf("user 3 has %d messages after compaction", len(h))
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Nothing much free: nothing done.
	if b2, a2, err := CompactFile(path, 1, false); err != nil || a2 != b2 {
		t.Errorf("compacted a file with little free: %d -> %d, %v", b2, a2, err)
	}
}
