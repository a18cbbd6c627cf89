package store

import (
	"errors"
	"fmt"
	"strconv"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestStore_AppendAndHistory(t *testing.T) {
	db := openTest(t)
	for i := 0; i < 5; i++ {
		got, err := db.AppendMessages("7", Message{Role: RoleUser, Content: fmt.Sprint("q", i)},
			Message{Role: RoleAssistant, Content: fmt.Sprint("a", i), Model: "m"})
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Seq == 0 || got[1].Seq != got[0].Seq+1 || got[0].CreatedAt.IsZero() {
			t.Fatalf("appended = %+v", got)
		}
	}
	all, err := db.History("7", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 10 || all[0].Content != "q0" || all[9].Content != "a4" {
		t.Fatalf("history = %+v", all)
	}
	last, _ := db.History("7", 3)
	if len(last) != 3 || last[0].Content != "a3" || last[2].Content != "a4" {
		t.Fatalf("last 3 = %+v", last)
	}
	if n, _ := db.HistoryLen("7"); n != 10 {
		t.Fatalf("len = %d", n)
	}
	other, err := db.History("8", 0)
	if err != nil || len(other) != 0 {
		t.Fatalf("other user = %+v, %v", other, err)
	}
}

func TestStore_BadUserID(t *testing.T) {
	db := openTest(t)
	for _, id := range []string{"", "abc", "1/2", "../x", "123456789012345678901"} {
		if _, err := db.AppendMessages(id, Message{Role: RoleUser}); !errors.Is(err, ErrBadUserID) {
			t.Errorf("AppendMessages(%q) err = %v", id, err)
		}
		if _, err := db.History(id, 0); !errors.Is(err, ErrBadUserID) {
			t.Errorf("History(%q) err = %v", id, err)
		}
	}
}

// fillHistory puts n messages into the user's history in one transaction.
func fillHistory(tb testing.TB, db *DB, userID string, n int) {
	tb.Helper()
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		msgs := make([]Message, n)
		for i := range msgs {
			msgs[i] = Message{Role: RoleUser, Content: "message number " + strconv.Itoa(i)}
		}
		return appendMessages(tx, userID, msgs)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkAppendMessage measures one append (its own transaction, with the
// fsync bbolt does on commit) at two history lengths: the cost must not grow
// with the history.
func BenchmarkAppendMessage(b *testing.B) {
	for _, n := range []int{10, 100_000} {
		b.Run(fmt.Sprintf("history=%d", n), func(b *testing.B) {
			db := openTest(b)
			fillHistory(b, db, "1", n)
			msg := Message{Role: RoleUser, Content: "a typical question of some fifty characters or so"}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := db.AppendMessages("1", msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
