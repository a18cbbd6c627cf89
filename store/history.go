package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// AppendMessages appends msgs to the user's history in one transaction and
// returns them with Seq and CreatedAt set. Each message is its own record
// under the next sequence key, so appending costs the same however long the
// history is.
func (db *DB) AppendMessages(userID string, msgs ...Message) ([]Message, error) {
	out := make([]Message, len(msgs))
	copy(out, msgs)
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		return appendMessages(tx, userID, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func appendMessages(tx *bolt.Tx, userID string, msgs []Message) error {
	ub, err := userBucket(tx, userID, true)
	if err != nil {
		return err
	}
	return appendTo(ub.Bucket(bucketHistory), msgs)
}

// appendTo appends msgs to a history bucket under the next sequence keys,
// setting their Seq (and CreatedAt when unset).
func appendTo(h *bolt.Bucket, msgs []Message) error {
	now := time.Now().UTC()
	for i := range msgs {
		seq, err := h.NextSequence()
		if err != nil {
			return fmt.Errorf("next history sequence: %w", err)
		}
		msgs[i].Seq = seq
		if msgs[i].CreatedAt.IsZero() {
			msgs[i].CreatedAt = now
		}
		v, err := json.Marshal(&msgs[i])
		if err != nil {
			return fmt.Errorf("encode message: %w", err)
		}
		if err := h.Put(seqKey(seq), v); err != nil {
			return fmt.Errorf("put message: %w", err)
		}
	}
	return nil
}

// History returns the user's newest messages, at most limit of them (all
// when limit <= 0), oldest first. A user with no history gets an empty slice.
func (db *DB) History(userID string, limit int) ([]Message, error) {
	var out []Message
	err := db.bolt.View(func(tx *bolt.Tx) error {
		ub, err := userBucket(tx, userID, false)
		if err != nil || ub == nil {
			return err
		}
		c := ub.Bucket(bucketHistory).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if limit > 0 && len(out) == limit {
				break
			}
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("decode message %x: %w", k, err)
			}
			m.Seq = binary.BigEndian.Uint64(k)
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// HistoryBack calls fn with the user's messages from the newest back,
// until fn returns false or the history ends, in one read transaction.
// Only the messages fn sees are decoded, so the cost follows what the
// caller takes, not the history's length.
func (db *DB) HistoryBack(userID string, fn func(Message) bool) error {
	err := db.bolt.View(func(tx *bolt.Tx) error {
		ub, err := userBucket(tx, userID, false)
		if err != nil || ub == nil {
			return err
		}
		return walkBack(ub.Bucket(bucketHistory), fn)
	})
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	return nil
}

// walkBack calls fn with a history bucket's messages from the newest back
// until fn returns false.
func walkBack(h *bolt.Bucket, fn func(Message) bool) error {
	c := h.Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		var m Message
		if err := json.Unmarshal(v, &m); err != nil {
			return fmt.Errorf("decode message %x: %w", k, err)
		}
		m.Seq = binary.BigEndian.Uint64(k)
		if !fn(m) {
			return nil
		}
	}
	return nil
}

// HistoryLen counts the user's stored messages.
func (db *DB) HistoryLen(userID string) (int, error) {
	n := 0
	err := db.bolt.View(func(tx *bolt.Tx) error {
		ub, err := userBucket(tx, userID, false)
		if err != nil || ub == nil {
			return err
		}
		n = ub.Bucket(bucketHistory).Stats().KeyN
		return nil
	})
	return n, err
}

// seqKey encodes a sequence number big-endian so keys sort in order.
func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}
