package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Thread conversations: a Discord thread the bot started is one
// conversation, which several people may join. Each lives in its own
// bucket under bucketThreads (its meta record and its history); each user
// who owns a thread or spoke in one has it listed in their own bucket, so
// /reset finds them: a reset deletes the threads the user owns and the
// user's messages (and the answers to them) in the others.
var (
	bucketThreads    = []byte("threads")
	bucketUserThread = []byte("threads") // in a user's bucket: thread ID -> ""
	keyThreadMeta    = []byte("meta")
)

// ThreadMeta describes a thread conversation.
type ThreadMeta struct {
	ID       string `json:"id"`
	OwnerID  string `json:"owner_id"`
	GuildID  string `json:"guild_id"`
	ParentID string `json:"parent_id"`
	// Model, when set, is the model the owner chose for the thread.
	Model   string    `json:"model,omitempty"`
	Created time.Time `json:"created"`
}

// ErrThreadGone means a thread conversation no longer exists (its owner
// reset their data).
var ErrThreadGone = errors.New("thread conversation gone")

func threadBucket(tx *bolt.Tx, threadID string, create bool) (*bolt.Bucket, error) {
	key, err := userKey(threadID) // a snowflake, like a user ID
	if err != nil {
		return nil, err
	}
	root := tx.Bucket(bucketThreads)
	if root == nil { // a file from before threads, opened read-only
		return nil, nil
	}
	if b := root.Bucket(key); b != nil || !create {
		return b, nil
	}
	b, err := root.CreateBucket(key)
	if err != nil {
		return nil, err
	}
	if _, err := b.CreateBucket(bucketHistory); err != nil {
		return nil, err
	}
	return b, nil
}

// listThread records in the user's bucket that they own or spoke in a
// thread.
func listThread(tx *bolt.Tx, userID, threadID string) error {
	ub, err := userBucket(tx, userID, true)
	if err != nil {
		return err
	}
	b, err := ub.CreateBucketIfNotExists(bucketUserThread)
	if err != nil {
		return err
	}
	return b.Put([]byte(threadID), nil)
}

// CreateThread starts a thread conversation owned by meta.OwnerID. valid,
// when set, is checked in the transaction (ErrStale when false).
func (db *DB) CreateThread(meta ThreadMeta, valid func() bool) error {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		if valid != nil && !valid() {
			return ErrStale
		}
		b, err := threadBucket(tx, meta.ID, true)
		if err != nil {
			return err
		}
		v, err := json.Marshal(meta)
		if err != nil {
			return err
		}
		if err := b.Put(keyThreadMeta, v); err != nil {
			return err
		}
		return listThread(tx, meta.OwnerID, meta.ID)
	})
	if err != nil {
		return fmt.Errorf("create thread: %w", err)
	}
	return nil
}

// Thread returns a thread conversation's meta, or ErrNotFound.
func (db *DB) Thread(threadID string) (ThreadMeta, error) {
	var meta ThreadMeta
	if _, err := userKey(threadID); err != nil {
		return meta, ErrNotFound
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b, err := threadBucket(tx, threadID, false)
		if err != nil {
			return err
		}
		if b == nil {
			return ErrNotFound
		}
		return json.Unmarshal(b.Get(keyThreadMeta), &meta)
	})
	return meta, err
}

// ThreadHistoryBack is HistoryBack for a thread conversation.
func (db *DB) ThreadHistoryBack(threadID string, fn func(Message) bool) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		b, err := threadBucket(tx, threadID, false)
		if err != nil || b == nil {
			return err
		}
		return walkBack(b.Bucket(bucketHistory), fn)
	})
}

// ThreadHistory returns a thread's messages, oldest first.
func (db *DB) ThreadHistory(threadID string) ([]Message, error) {
	var out []Message
	err := db.ThreadHistoryBack(threadID, func(m Message) bool { out = append(out, m); return true })
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

// RecordThreadExchange stores an answered question of userID in a thread
// conversation: the messages go to the thread, the usage and cost to the
// user, and the thread to the user's list, in one transaction. When Valid
// says the user reset meanwhile, or the thread is gone (its owner reset),
// only the ledger takes the cost and ErrStale is returned.
func (db *DB) RecordThreadExchange(threadID, userID string, ex Exchange) error {
	stale := false
	err := db.bolt.Batch(func(tx *bolt.Tx) error {
		stale = false
		tb, err := threadBucket(tx, threadID, false)
		if err != nil {
			return err
		}
		if tb == nil || ex.Valid != nil && !ex.Valid() {
			stale = true
			return charge(tx, userID, ex.Usage, ex.Day, ex.Month, false)
		}
		if err := appendTo(tb.Bucket(bucketHistory), append([]Message(nil), ex.Messages...)); err != nil {
			return err
		}
		if err := listThread(tx, userID, threadID); err != nil {
			return err
		}
		return charge(tx, userID, ex.Usage, ex.Day, ex.Month, true)
	})
	if err != nil {
		return fmt.Errorf("record thread exchange: %w", err)
	}
	if stale {
		return ErrStale
	}
	return nil
}

// UserThreads returns the thread conversations the user owns or spoke in.
func (db *DB) UserThreads(userID string) ([]ThreadMeta, error) {
	var out []ThreadMeta
	err := db.bolt.View(func(tx *bolt.Tx) error {
		ub, err := userBucket(tx, userID, false)
		if err != nil || ub == nil || ub.Bucket(bucketUserThread) == nil {
			return err
		}
		return ub.Bucket(bucketUserThread).ForEach(func(k, _ []byte) error {
			tb, err := threadBucket(tx, string(k), false)
			if err != nil || tb == nil {
				return err
			}
			var meta ThreadMeta
			if err := json.Unmarshal(tb.Get(keyThreadMeta), &meta); err != nil {
				return err
			}
			out = append(out, meta)
			return nil
		})
	})
	return out, err
}

// forgetThreads runs in a user's reset: the threads they own go whole;
// in the others, their messages and the answers to them go.
func forgetThreads(tx *bolt.Tx, ub *bolt.Bucket, userID string) error {
	list := ub.Bucket(bucketUserThread)
	if list == nil {
		return nil
	}
	var ids []string
	if err := list.ForEach(func(k, _ []byte) error { ids = append(ids, string(k)); return nil }); err != nil {
		return err
	}
	root := tx.Bucket(bucketThreads)
	for _, id := range ids {
		if root == nil {
			break
		}
		tb := root.Bucket([]byte(id))
		if tb == nil {
			continue
		}
		var meta ThreadMeta
		if err := json.Unmarshal(tb.Get(keyThreadMeta), &meta); err != nil {
			return err
		}
		if meta.OwnerID == userID {
			if err := root.DeleteBucket([]byte(id)); err != nil {
				return err
			}
			continue
		}
		h := tb.Bucket(bucketHistory)
		var drop [][]byte
		err := h.ForEach(func(k, v []byte) error {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			if m.AuthorID == userID || m.AskedBy == userID {
				drop = append(drop, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range drop {
			if err := h.Delete(k); err != nil {
				return err
			}
		}
	}
	return nil
}
