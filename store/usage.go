package store

import (
	"encoding/json"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// Exchange is one answered question: the messages to append and what the
// call cost. It is stored in one transaction.
type Exchange struct {
	Messages []Message
	// Usage is added to the user's statistics for Usage.Model; a zero
	// Requests count means no usage is recorded.
	Usage Usage
	// Valid, if set, is called inside the transaction; returning false
	// drops the exchange (for example because the user reset their data
	// while the answer was being generated).
	Valid func() bool
	// Day and Month ("2006-01-02", "2006-01" in the bot's time zone) name
	// the ledger entries the cost is added to; empty skips the ledger.
	Day, Month string
	// Place, when set, is the server whose separate conversation the
	// messages go to (CONVERSATION_SCOPE=place); else the user's own.
	Place string
}

// ErrStale means an exchange was dropped because Valid returned false.
// Its cost still went to the ledger.
var ErrStale = fmt.Errorf("exchange is stale: the user's data was reset meanwhile")

// RecordExchange appends the exchange's messages and adds its usage to the
// user's per-model statistics and its cost to the ledger, in one
// transaction. If Valid returns false, only the ledger takes the cost (a
// reset must not lift a budget) and ErrStale is returned.
func (db *DB) RecordExchange(userID string, ex Exchange) ([]Message, error) {
	var msgs []Message
	stale := false
	err := db.bolt.Batch(func(tx *bolt.Tx) error {
		// A batch may run this again after a rollback: start afresh.
		msgs = append([]Message(nil), ex.Messages...)
		stale = false
		if ex.Valid != nil && !ex.Valid() {
			stale = true
			return charge(tx, userID, ex.Usage, ex.Day, ex.Month, false)
		}
		if ex.Place != "" {
			h, err := placeHistory(tx, userID, ex.Place, true)
			if err != nil {
				return err
			}
			if err := appendTo(h, msgs); err != nil {
				return err
			}
		} else if err := appendMessages(tx, userID, msgs); err != nil {
			return err
		}
		return charge(tx, userID, ex.Usage, ex.Day, ex.Month, true)
	})
	if err != nil {
		return nil, fmt.Errorf("record exchange: %w", err)
	}
	if stale {
		return nil, ErrStale
	}
	return msgs, nil
}

// RecordUsage records a paid call whose answer is not stored (stopped, cut,
// failed, empty): its usage goes to the user's statistics unless Valid
// returns false (the user reset meanwhile), and its cost to the ledger
// always. It reports ErrStale when the statistics were skipped.
func (db *DB) RecordUsage(userID string, u Usage, day, month string, valid func() bool) error {
	stale := false
	err := db.bolt.Batch(func(tx *bolt.Tx) error {
		stale = valid != nil && !valid() // a batch may run this again after a rollback
		return charge(tx, userID, u, day, month, !stale)
	})
	if err != nil {
		return fmt.Errorf("record usage: %w", err)
	}
	if stale {
		return ErrStale
	}
	return nil
}

// charge adds what calls cost: to the ledger always (a reset must not
// lift a budget); to the user's statistics and their own spending per day
// only when kept (not when they reset meanwhile: their bucket must not
// come back).
func charge(tx *bolt.Tx, userID string, u Usage, day, month string, kept bool) error {
	if kept && u.Requests > 0 {
		if err := addUsage(tx, userID, u); err != nil {
			return err
		}
	}
	if err := addDaily(tx, userID, day, u.Model, u.CostUSD, kept); err != nil {
		return err
	}
	return addSpend(tx, userID, day, month, u.CostUSD)
}

func addUsage(tx *bolt.Tx, userID string, u Usage) error {
	ub, err := userBucket(tx, userID, true)
	if err != nil {
		return err
	}
	b := ub.Bucket(bucketStats)
	var cur Usage
	if v := b.Get([]byte(u.Model)); v != nil {
		if err := json.Unmarshal(v, &cur); err != nil {
			return fmt.Errorf("decode usage: %w", err)
		}
	}
	cur.Model = u.Model
	cur.InputTokens += u.InputTokens
	cur.OutputTokens += u.OutputTokens
	cur.Requests += u.Requests
	cur.CostUSD += u.CostUSD
	cur.Estimated = cur.Estimated || u.Estimated
	v, err := json.Marshal(cur)
	if err != nil {
		return err
	}
	return b.Put([]byte(u.Model), v)
}

// UserUsage returns the user's statistics per model, highest cost first.
func (db *DB) UserUsage(userID string) ([]Usage, error) {
	var out []Usage
	err := db.bolt.View(func(tx *bolt.Tx) error {
		ub, err := userBucket(tx, userID, false)
		if err != nil || ub == nil {
			return err
		}
		return ub.Bucket(bucketStats).ForEach(func(_, v []byte) error {
			var u Usage
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			out = append(out, u)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read usage: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].CostUSD != out[j].CostUSD {
			return out[i].CostUSD > out[j].CostUSD
		}
		return out[i].Model < out[j].Model
	})
	return out, nil
}
