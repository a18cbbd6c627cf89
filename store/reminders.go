package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketReminders is the sub-bucket of a user's bucket holding their
// reminders, keyed by ID; /reset deletes it with the rest.
var bucketReminders = []byte("reminders")

// Reminder is a message the bot sends a user at a time.
type Reminder struct {
	// ID is the reminder's number, unique per user; set by AddReminder.
	ID        uint64 `json:"id"`
	UserID    string `json:"user_id"`
	ChannelID string `json:"channel_id"`
	GuildID   string `json:"guild_id,omitempty"`
	Text      string `json:"text"`
	// Due is when it is delivered, in UTC.
	Due time.Time `json:"due"`
	// Zone is the time zone the user gave the time in, for showing it.
	Zone    string    `json:"zone"`
	Created time.Time `json:"created"`
	// Attempts counts deliveries that failed.
	Attempts int `json:"attempts,omitempty"`
	// Retry, after a failed delivery, is when to try again.
	Retry time.Time `json:"retry,omitempty"`
}

// dueAt is when the reminder is next to be delivered.
func (r Reminder) dueAt() time.Time {
	if r.Retry.After(r.Due) {
		return r.Retry
	}
	return r.Due
}

// ErrTooMany is a reminder over the user's limit.
var ErrTooMany = errors.New("too many reminders")

func reminderKey(id uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, id)
	return k
}

// AddReminder stores r for its user, if they have fewer than max and
// valid (checked in the transaction) holds. It returns r with its ID.
func (db *DB) AddReminder(r Reminder, max int, valid func() bool) (Reminder, error) {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		if valid != nil && !valid() {
			return ErrStale
		}
		ub, err := userBucket(tx, r.UserID, true)
		if err != nil {
			return err
		}
		b, err := ub.CreateBucketIfNotExists(bucketReminders)
		if err != nil {
			return err
		}
		if r.ID == 0 { // a new one; an ID given is a failed delivery put back
			if countKeys(b) >= max {
				return ErrTooMany
			}
			if r.ID, err = b.NextSequence(); err != nil {
				return err
			}
		}
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put(reminderKey(r.ID), v)
	})
	if err != nil {
		return Reminder{}, fmt.Errorf("add reminder: %w", err)
	}
	return r, nil
}

// Reminders returns the user's reminders, soonest first.
func (db *DB) Reminders(userID string) ([]Reminder, error) {
	var out []Reminder
	err := db.bolt.View(func(tx *bolt.Tx) error {
		ub, err := userBucket(tx, userID, false)
		if err != nil || ub == nil {
			return err
		}
		out, err = remindersIn(ub.Bucket(bucketReminders))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read reminders: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Due.Before(out[j].Due) })
	return out, nil
}

func remindersIn(b *bolt.Bucket) ([]Reminder, error) {
	if b == nil {
		return nil, nil
	}
	var out []Reminder
	err := b.ForEach(func(_, v []byte) error {
		var r Reminder
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("decode reminder: %w", err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// TakeReminder removes the user's reminder id and returns it; ErrNotFound
// if it is not there (cancelled, delivered, or the user reset).
func (db *DB) TakeReminder(userID string, id uint64) (Reminder, error) {
	var r Reminder
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		ub, err := userBucket(tx, userID, false)
		if err != nil {
			return err
		}
		var b *bolt.Bucket
		if ub != nil {
			b = ub.Bucket(bucketReminders)
		}
		var v []byte
		if b != nil {
			v = b.Get(reminderKey(id))
		}
		if v == nil {
			return ErrNotFound
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("decode reminder: %w", err)
		}
		return b.Delete(reminderKey(id))
	})
	if err != nil {
		return Reminder{}, fmt.Errorf("take reminder: %w", err)
	}
	return r, nil
}

// DueReminders returns every user's reminders due at now or before,
// soonest first, and when the next one after now is due (zero if none).
func (db *DB) DueReminders(now time.Time) (due []Reminder, next time.Time, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUsers).ForEachBucket(func(k []byte) error {
			list, err := remindersIn(tx.Bucket(bucketUsers).Bucket(k).Bucket(bucketReminders))
			if err != nil {
				return err
			}
			for _, r := range list {
				switch at := r.dueAt(); {
				case !at.After(now):
					due = append(due, r)
				case next.IsZero() || at.Before(next):
					next = at
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("due reminders: %w", err)
	}
	sort.Slice(due, func(i, j int) bool { return due[i].Due.Before(due[j].Due) })
	return due, next, nil
}

// countKeys counts a bucket's keys (Stats does not see a write
// transaction's own changes).
func countKeys(b *bolt.Bucket) int {
	n := 0
	_ = b.ForEach(func(_, _ []byte) error { n++; return nil })
	return n
}
