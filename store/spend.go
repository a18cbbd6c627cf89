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

// bucketDaily is the sub-bucket of a user's bucket with their spending
// per day and model ("<day>/<model>"), for their chart; /reset removes it.
// The ledger keeps only the user's total per day, which budgets need.
var bucketDaily = []byte("daily")

// modelDayKey is the key, in the ledger, of everyone's spending on a model
// on a day: "dm/<day>/<model>", holding no user's ID.
func modelDayKey(day, model string) []byte { return []byte("dm/" + day + "/" + model) }

// addDaily adds cost to the day's spending on model: everyone's in the
// ledger, and the user's own in their bucket unless userToo is false (the
// user reset meanwhile: their bucket must not come back).
func addDaily(tx *bolt.Tx, userID, day, model string, cost float64, userToo bool) error {
	if cost <= 0 || day == "" {
		return nil
	}
	if model == "" {
		model = "unknown"
	}
	if err := addFloat(tx.Bucket(bucketSpend), modelDayKey(day, model), cost); err != nil {
		return fmt.Errorf("add daily spend: %w", err)
	}
	if !userToo {
		return nil
	}
	ub, err := userBucket(tx, userID, true)
	if err != nil {
		return err
	}
	b, err := ub.CreateBucketIfNotExists(bucketDaily)
	if err != nil {
		return err
	}
	if err := addFloat(b, []byte(day+"/"+model), cost); err != nil {
		return fmt.Errorf("add daily spend: %w", err)
	}
	return nil
}

// DaySpend is spending on one day: per model, and the ledger's total
// (which can exceed the models' sum: spending recorded before models were
// kept per day, or by a user who reset since).
type DaySpend struct {
	Day     string             `json:"day"`
	Total   float64            `json:"total_usd"`
	ByModel map[string]float64 `json:"by_model_usd"`
}

// UserDailySpend returns the user's spending per day from fromDay to
// toDay (both "2006-01-02", inclusive), days without spending left out.
func (db *DB) UserDailySpend(userID, fromDay, toDay string) ([]DaySpend, error) {
	if _, err := userKey(userID); err != nil {
		return nil, err
	}
	days := map[string]*DaySpend{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		sp := tx.Bucket(bucketSpend)
		c := sp.Cursor()
		for k, v := c.Seek([]byte("d/" + fromDay)); k != nil && strings.HasPrefix(string(k), "d/"); k, v = c.Next() {
			day, user, ok := strings.Cut(string(k[2:]), "/")
			if !ok || day > toDay {
				break
			}
			if user == userID && len(v) == 8 {
				dayOf(days, day).Total = getFloat(sp, k)
			}
		}
		ub, err := userBucket(tx, userID, false)
		if err != nil || ub == nil || ub.Bucket(bucketDaily) == nil {
			return err
		}
		b := ub.Bucket(bucketDaily)
		dc := b.Cursor()
		for k, _ := dc.Seek([]byte(fromDay)); k != nil; k, _ = dc.Next() {
			day, model, ok := strings.Cut(string(k), "/")
			if !ok || day > toDay {
				break
			}
			dayOf(days, day).ByModel[model] += getFloat(b, k)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read daily spending: %w", err)
	}
	return sortedDays(days), nil
}

// DailySpend returns everyone's spending per day from fromDay to toDay.
func (db *DB) DailySpend(fromDay, toDay string) ([]DaySpend, error) {
	days := map[string]*DaySpend{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		sp := tx.Bucket(bucketSpend)
		c := sp.Cursor()
		for k, _ := c.Seek([]byte("d/" + fromDay)); k != nil && strings.HasPrefix(string(k), "d/"); k, _ = c.Next() {
			day, _, ok := strings.Cut(string(k[2:]), "/")
			if !ok || day > toDay {
				break
			}
			dayOf(days, day).Total += getFloat(sp, k)
		}
		for k, _ := c.Seek([]byte("dm/" + fromDay)); k != nil && strings.HasPrefix(string(k), "dm/"); k, _ = c.Next() {
			day, model, ok := strings.Cut(string(k[3:]), "/")
			if !ok || day > toDay {
				break
			}
			dayOf(days, day).ByModel[model] += getFloat(sp, k)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read daily spending: %w", err)
	}
	return sortedDays(days), nil
}

func dayOf(days map[string]*DaySpend, day string) *DaySpend {
	d := days[day]
	if d == nil {
		d = &DaySpend{Day: day, ByModel: map[string]float64{}}
		days[day] = d
	}
	return d
}

func sortedDays(days map[string]*DaySpend) []DaySpend {
	out := make([]DaySpend, 0, len(days))
	for _, d := range days {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day < out[j].Day })
	return out
}
