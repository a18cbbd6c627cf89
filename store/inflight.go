package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketInflight holds the answers being written, by the ID of their first
// Discord message, so a bot that crashed can finish them when it starts.
// Records hold only IDs, never text.
var bucketInflight = []byte("inflight")

// Inflight is an answer being written in Discord.
type Inflight struct {
	// ID is the answer's first message (a queued notice it replaces, or
	// its first part).
	ID        string   `json:"id"`
	UserID    string   `json:"user_id"`
	ChannelID string   `json:"channel_id"`
	Messages  []string `json:"messages"`
	// Started is when the answer began, in UTC.
	Started time.Time `json:"started"`
	// After, on a record made before the answer's first message was
	// posted (ID is then "after/" and the question's ID, and Messages is
	// empty), is the question's message ID: the answer is among the
	// bot's messages after it in the channel.
	After string `json:"after,omitempty"`
}

// SetInflight records (or updates) an answer being written. Like the
// other writes of an answer, it may share its commit (and disk sync) with
// other users' at the same moment (see batchDelay).
func (db *DB) SetInflight(a Inflight) error {
	if a.ID == "" {
		return fmt.Errorf("inflight answer without an ID: %w", ErrNotFound)
	}
	v, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode inflight answer: %w", err)
	}
	err = db.bolt.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bucketInflight).Put([]byte(a.ID), v) })
	if err != nil {
		return fmt.Errorf("record inflight answer: %w", err)
	}
	return nil
}

// DeleteInflight forgets an answer that was finished.
func (db *DB) DeleteInflight(id string) error {
	err := db.bolt.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bucketInflight).Delete([]byte(id)) })
	if err != nil {
		return fmt.Errorf("forget inflight answer: %w", err)
	}
	return nil
}

// InflightAnswers lists the answers recorded as being written.
func (db *DB) InflightAnswers() ([]Inflight, error) {
	var out []Inflight
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketInflight).ForEach(func(_, v []byte) error {
			var a Inflight
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read inflight answers: %w", err)
	}
	return out, nil
}
