package store

import (
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// Places: with CONVERSATION_SCOPE=place, a user's conversation in each
// server is kept apart from their DM conversation (the user's history):
// in a sub-bucket of the user's bucket, one history per server ID. /reset
// deletes them with the rest of the user's bucket.
var bucketPlaces = []byte("places")

// placeHistory returns the history bucket of a user's conversation in a
// server, creating it when create is set.
func placeHistory(tx *bolt.Tx, userID, guildID string, create bool) (*bolt.Bucket, error) {
	gk, err := userKey(guildID) // a snowflake too
	if err != nil {
		return nil, err
	}
	ub, err := userBucket(tx, userID, create)
	if err != nil || ub == nil {
		return nil, err
	}
	places := ub.Bucket(bucketPlaces)
	if places == nil {
		if !create {
			return nil, nil
		}
		if places, err = ub.CreateBucket(bucketPlaces); err != nil {
			return nil, err
		}
	}
	if h := places.Bucket(gk); h != nil || !create {
		return h, nil
	}
	return places.CreateBucket(gk)
}

// PlaceHistoryBack is HistoryBack for the user's conversation in a server.
func (db *DB) PlaceHistoryBack(userID, guildID string, fn func(Message) bool) error {
	err := db.bolt.View(func(tx *bolt.Tx) error {
		h, err := placeHistory(tx, userID, guildID, false)
		if err != nil || h == nil {
			return err
		}
		return walkBack(h, fn)
	})
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	return nil
}

// PlaceConversation is a user's conversation in one server.
type PlaceConversation struct {
	GuildID  string    `json:"guild_id"`
	Messages []Message `json:"messages"`
}

// Places returns the user's conversations per server, oldest message
// first, servers in ID order.
func (db *DB) Places(userID string) ([]PlaceConversation, error) {
	var out []PlaceConversation
	err := db.bolt.View(func(tx *bolt.Tx) error {
		ub, err := userBucket(tx, userID, false)
		if err != nil || ub == nil || ub.Bucket(bucketPlaces) == nil {
			return err
		}
		places := ub.Bucket(bucketPlaces)
		return places.ForEachBucket(func(k []byte) error {
			pc := PlaceConversation{GuildID: string(k), Messages: []Message{}}
			err := walkBack(places.Bucket(k), func(m Message) bool { pc.Messages = append(pc.Messages, m); return true })
			for i, j := 0, len(pc.Messages)-1; i < j; i, j = i+1, j-1 {
				pc.Messages[i], pc.Messages[j] = pc.Messages[j], pc.Messages[i]
			}
			out = append(out, pc)
			return err
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].GuildID < out[j].GuildID })
	return out, err
}
