package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// globalKey is the ledger's owner for spending of all users together.
const globalKey = "all"

// Ledger keys: "d/<day>/<user>", "m/<month>/<user>" and "m/<month>/all".
func dayKey(day, user string) []byte     { return []byte("d/" + day + "/" + user) }
func monthKey(month, user string) []byte { return []byte("m/" + month + "/" + user) }

func getFloat(b *bolt.Bucket, k []byte) float64 {
	v := b.Get(k)
	if len(v) != 8 {
		return 0
	}
	return math.Float64frombits(binary.BigEndian.Uint64(v))
}

func addFloat(b *bolt.Bucket, k []byte, x float64) error {
	v := make([]byte, 8)
	binary.BigEndian.PutUint64(v, math.Float64bits(getFloat(b, k)+x))
	return b.Put(k, v)
}

// addSpend adds cost to the user's day and month and to the month of all
// users.
func addSpend(tx *bolt.Tx, userID, day, month string, cost float64) error {
	if cost <= 0 || (day == "" && month == "") {
		return nil
	}
	if _, err := userKey(userID); err != nil {
		return err
	}
	b := tx.Bucket(bucketSpend)
	if day != "" {
		if err := addFloat(b, dayKey(day, userID), cost); err != nil {
			return fmt.Errorf("add spend: %w", err)
		}
	}
	if month != "" {
		if err := addFloat(b, monthKey(month, userID), cost); err != nil {
			return fmt.Errorf("add spend: %w", err)
		}
		if err := addFloat(b, monthKey(month, globalKey), cost); err != nil {
			return fmt.Errorf("add spend: %w", err)
		}
	}
	return nil
}

// Spending is what budgets are checked against.
type Spending struct {
	UserDay, UserMonth, AllMonth float64
}

// Spending returns the user's spending on day and in month, and everyone's
// in month: three reads, however long the bot has run.
func (db *DB) Spending(userID, day, month string) (Spending, error) {
	var s Spending
	if _, err := userKey(userID); err != nil {
		return s, err
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSpend)
		s = Spending{getFloat(b, dayKey(day, userID)), getFloat(b, monthKey(month, userID)), getFloat(b, monthKey(month, globalKey))}
		return nil
	})
	return s, err
}

// UserSpend is one user's spending in a month.
type UserSpend struct {
	UserID string
	USD    float64
}

// MonthSpending lists every user's spending in month, highest first.
func (db *DB) MonthSpending(month string) ([]UserSpend, error) {
	var out []UserSpend
	prefix := []byte("m/" + month + "/")
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketSpend).Cursor()
		for k, _ := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, _ = c.Next() {
			user := string(k[len(prefix):])
			if user == globalKey {
				continue
			}
			out = append(out, UserSpend{UserID: user, USD: getFloat(tx.Bucket(bucketSpend), k)})
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].USD > out[j].USD })
	return out, err
}

// AllUsage calls fn for every user that has statistics, with their
// per-model usage.
func (db *DB) AllUsage(fn func(userID string, usage []Usage)) error {
	var ids []string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUsers).ForEachBucket(func(k []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		u, err := db.UserUsage(id)
		if err != nil {
			return err
		}
		if len(u) > 0 {
			fn(id, u)
		}
	}
	return nil
}
