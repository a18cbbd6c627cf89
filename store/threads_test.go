package store

import (
	"strings"
	"testing"
	"time"
)

// A reset deletes the threads the user owns, and their messages and the
// answers to them in other people's threads; nothing else holds their ID.
func TestThreads_ResetRemovesOwnedAndOwnMessages(t *testing.T) {
	db := openTest(t)
	const ann, ben = "111111111111111111", "222222222222222222"
	const annThread, benThread = "333333333333333333", "444444444444444444"
	now := time.Now()
	for _, m := range []ThreadMeta{{ID: annThread, OwnerID: ann, GuildID: "9", ParentID: "8", Created: now},
		{ID: benThread, OwnerID: ben, GuildID: "9", ParentID: "8", Created: now}} {
		if err := db.CreateThread(m, nil); err != nil {
			t.Fatal(err)
		}
	}
	say := func(thread, who, name, text string) {
		ex := Exchange{Messages: []Message{{Role: RoleUser, Content: text, AuthorID: who, AuthorName: name},
			{Role: RoleAssistant, Content: "re: " + text, AskedBy: who}},
			Usage: Usage{Model: "m", Requests: 1, CostUSD: 0.01}, Day: "2026-11-26", Month: "2026-11"}
		if err := db.RecordThreadExchange(thread, who, ex); err != nil {
			t.Fatal(err)
		}
	}
	say(annThread, ann, "Ann", "ann in her own thread")
	say(annThread, ben, "Ben", "ben in ann's thread")
	say(benThread, ben, "Ben", "ben in his own thread")
	say(benThread, ann, "Ann", "ann in ben's thread")
	if ts, _ := db.UserThreads(ann); len(ts) != 2 {
		t.Fatalf("ann's threads = %+v", ts)
	}
	if _, err := db.ResetUser(ann, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Thread(annThread); err != ErrNotFound {
		t.Errorf("ann's own thread survived: %v", err)
	}
	hist, _ := db.ThreadHistory(benThread)
	if len(hist) != 2 || hist[0].Content != "ben in his own thread" {
		t.Errorf("ben's thread after ann's reset = %+v", hist)
	}
	var holders []string
	_ = db.Scan(func(path [][]byte, k, v []byte) {
		if strings.Contains(string(k), ann) || strings.Contains(string(v), ann) || strings.Contains(string(v), "Ann") {
			holders = append(holders, string(path[0])+"/"+string(k))
		}
	})
	for _, h := range holders {
		if !strings.HasPrefix(h, "spend/") && !strings.HasPrefix(h, "meta/") {
			t.Errorf("after reset, ann is held by %s", h)
		}
	}
	// Ben's reset then takes his thread; the ledger keeps the cost.
	if _, err := db.ResetUser(ben, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Thread(benThread); err != ErrNotFound {
		t.Error("ben's thread survived his reset")
	}
	if err := db.RecordThreadExchange(benThread, ben, Exchange{Messages: []Message{{Role: RoleUser, Content: "late"}},
		Usage: Usage{Model: "m", Requests: 1, CostUSD: 0.5}, Day: "2026-11-26", Month: "2026-11"}); err != ErrStale {
		t.Errorf("an answer in a deleted thread: %v", err)
	}
	if sp, _ := db.Spending(ben, "2026-11-26", "2026-11"); sp.UserDay < 0.5 {
		t.Errorf("the late answer's cost left the ledger: %+v", sp)
	}
}
