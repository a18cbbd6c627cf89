package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketPersonas holds the personas of servers ("guild/<id>") and
// channels ("channel/<id>"). A persona holds no user's ID: not who set
// it, so no reset has to find it.
var bucketPersonas = []byte("personas")

// Persona is a system prompt and a default model for a channel or server.
type Persona struct {
	Prompt string `json:"prompt,omitempty"`
	Model  string `json:"model,omitempty"`
	// LockModel makes Model win over a user's own choice.
	LockModel bool      `json:"lock_model,omitempty"`
	Updated   time.Time `json:"updated"`
}

// Persona scopes.
const (
	PersonaServer  = "guild"
	PersonaChannel = "channel"
)

func personaKey(scope, id string) ([]byte, error) {
	if scope != PersonaServer && scope != PersonaChannel {
		return nil, fmt.Errorf("persona scope %q: %w", scope, ErrNotFound)
	}
	if _, err := userKey(id); err != nil {
		return nil, err
	}
	return []byte(scope + "/" + id), nil
}

// SetPersona stores (replaces) the persona of a server or channel.
func (db *DB) SetPersona(scope, id string, p Persona) error {
	key, err := personaKey(scope, id)
	if err != nil {
		return err
	}
	v, err := json.Marshal(p)
	if err != nil {
		return err
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketPersonas)
		if err != nil {
			return err
		}
		return b.Put(key, v)
	})
	if err != nil {
		return fmt.Errorf("set persona: %w", err)
	}
	return nil
}

// GetPersona returns a server's or channel's persona; ok is false when
// there is none.
func (db *DB) GetPersona(scope, id string) (p Persona, ok bool, err error) {
	key, err := personaKey(scope, id)
	if err != nil {
		return p, false, err
	}
	err = db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPersonas)
		if b == nil {
			return nil
		}
		v := b.Get(key)
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &p)
	})
	if err != nil {
		return Persona{}, false, fmt.Errorf("read persona: %w", err)
	}
	return p, ok, nil
}

// HasChannelPersonas reports whether any channel has a persona (one seek).
func (db *DB) HasChannelPersonas() bool {
	found := false
	_ = db.bolt.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketPersonas); b != nil {
			k, _ := b.Cursor().Seek([]byte(PersonaChannel + "/"))
			found = k != nil && strings.HasPrefix(string(k), PersonaChannel+"/")
		}
		return nil
	})
	return found
}

// ClearPersona removes a persona and reports whether there was one.
func (db *DB) ClearPersona(scope, id string) (bool, error) {
	key, err := personaKey(scope, id)
	if err != nil {
		return false, err
	}
	had := false
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPersonas)
		if b == nil || b.Get(key) == nil {
			return nil
		}
		had = true
		return b.Delete(key)
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return false, fmt.Errorf("clear persona: %w", err)
	}
	return had, err
}
