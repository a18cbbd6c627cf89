package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketModels holds what the bot learned about the provider's models: the
// provider's model list (so a restart without the provider still knows it)
// and, per model, the request parameters the provider refused.
var bucketModels = []byte("models")

var keyCatalog = []byte("catalog")

// ProviderModel is one model the provider listed.
type ProviderModel struct {
	// ID is the model's name as the provider spells it.
	ID string `json:"id"`
	// OwnedBy is the provider's owner field.
	OwnedBy string `json:"owned_by,omitempty"`
	// ShutdownDate is when the provider stops serving the model
	// ("2006-01-02"), or "".
	ShutdownDate string `json:"shutdown_date,omitempty"`
	// Chat is false for models that cannot chat (embeddings, audio, images,
	// moderation).
	Chat bool `json:"chat"`
	// InputPerM, CachedPerM and OutputPerM are the provider's own prices in
	// dollars per million tokens, when it publishes them (OpenRouter);
	// HasPrice says whether it did.
	InputPerM  float64 `json:"input_per_m,omitempty"`
	CachedPerM float64 `json:"cached_per_m,omitempty"`
	OutputPerM float64 `json:"output_per_m,omitempty"`
	HasPrice   bool    `json:"has_price,omitempty"`
}

// Catalog is the provider's model list as last fetched.
type Catalog struct {
	Models    []ProviderModel `json:"models"`
	FetchedAt time.Time       `json:"fetched_at"`
}

// ModelQuirks are what a provider refused for one model; the bot leaves
// these out of later requests.
type ModelQuirks struct {
	// Unsupported names the refused parameters ("temperature",
	// "max_tokens", "system_role", ...), with when each was learned.
	Unsupported map[string]time.Time `json:"unsupported,omitempty"`
}

// Catalog returns the stored model list; ok is false if none was stored.
func (db *DB) Catalog() (c Catalog, ok bool, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketModels).Get(keyCatalog)
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &c)
	})
	if err != nil {
		return Catalog{}, false, fmt.Errorf("read model catalog: %w", err)
	}
	return c, ok, nil
}

// SetCatalog replaces the stored model list.
func (db *DB) SetCatalog(c Catalog) error {
	v, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode model catalog: %w", err)
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketModels).Put(keyCatalog, v) })
	if err != nil {
		return fmt.Errorf("write model catalog: %w", err)
	}
	return nil
}

func quirksKey(model string) []byte { return []byte("quirks/" + model) }

// Quirks returns what the provider refused for model (empty if nothing).
func (db *DB) Quirks(model string) (ModelQuirks, error) {
	var q ModelQuirks
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketModels).Get(quirksKey(model)); v != nil {
			return json.Unmarshal(v, &q)
		}
		return nil
	})
	if err != nil {
		return ModelQuirks{}, fmt.Errorf("read model quirks: %w", err)
	}
	return q, nil
}

// AddQuirk records that the provider refused param for model.
func (db *DB) AddQuirk(model, param string, at time.Time) error {
	if model == "" || len(model) > 512 {
		return fmt.Errorf("model name of %d bytes: %w", len(model), ErrNotFound)
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketModels)
		var q ModelQuirks
		if v := b.Get(quirksKey(model)); v != nil {
			if err := json.Unmarshal(v, &q); err != nil {
				return err
			}
		}
		if q.Unsupported == nil {
			q.Unsupported = map[string]time.Time{}
		}
		q.Unsupported[param] = at.UTC()
		v, err := json.Marshal(q)
		if err != nil {
			return err
		}
		return b.Put(quirksKey(model), v)
	})
	if err != nil {
		return fmt.Errorf("write model quirks: %w", err)
	}
	return nil
}
