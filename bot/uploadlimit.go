package bot

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// uploadLimits remembers, for a few minutes, the attachment_size_limit of
// each interaction: the largest file the bot may send in reply there
// (more in boosted servers).
type uploadLimits struct {
	mu sync.Mutex
	m  map[string]uploadLimit
}

type uploadLimit struct {
	bytes int64
	at    time.Time
}

// note reads the limit off a raw INTERACTION_CREATE event.
func (u *uploadLimits) note(e *discordgo.Event) {
	if e.Type != "INTERACTION_CREATE" {
		return
	}
	var v struct {
		ID    string `json:"id"`
		Limit int64  `json:"attachment_size_limit"`
	}
	if json.Unmarshal(e.RawData, &v) != nil || v.ID == "" || v.Limit <= 0 {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.m == nil {
		u.m = map[string]uploadLimit{}
	}
	now := time.Now()
	for k, l := range u.m { // interactions answer within 15 minutes
		if now.Sub(l.at) > 15*time.Minute {
			delete(u.m, k)
		}
	}
	u.m[v.ID] = uploadLimit{bytes: v.Limit, at: now}
}

// of is the upload limit of an interaction: what Discord reported, or the
// default for a server without boosts.
func (u *uploadLimits) of(interactionID string) int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	if l, ok := u.m[interactionID]; ok {
		return l.bytes
	}
	return discordUploadLimit
}
