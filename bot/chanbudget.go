package bot

import (
	"sync"
	"time"
)

// Discord limits message writes per channel (about 5 per 5 seconds). When
// several answers stream in one channel, their intermediate edits would
// use that up while finished answers wait behind them. So intermediate
// edits share a smaller part of the channel's budget, and none are sent
// while a final text waits: finals go first.
const (
	// channelWindow is the window Discord's per-channel limit counts in.
	channelWindow = 5 * time.Second
	// intermediateWrites is how many writes a channel may have had in the
	// last window for a streaming write (a first message or an edit) to
	// go; the rest of Discord's budget is kept for final texts. Until then
	// the typing indicator shows the bot at work.
	intermediateWrites = 3
)

// channelBudget tracks message writes per channel.
type channelBudget struct {
	mu sync.Mutex
	m  map[string]*channelWrites
}

type channelWrites struct {
	recent []time.Time // writes in the last window, finals included
	finals int         // final texts being written now
}

// allowIntermediate reports whether a streaming edit may go now, and if so
// counts it.
func (c *channelBudget) allowIntermediate(channelID string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.get(channelID)
	w.recent = within(w.recent, now, channelWindow)
	if w.finals > 0 || len(w.recent) >= intermediateWrites {
		return false
	}
	w.recent = append(w.recent, now)
	return true
}

// beginFinal marks a final text being written in the channel until the
// returned function is called; it goes whatever the budget.
func (c *channelBudget) beginFinal(channelID string) (done func()) {
	c.mu.Lock()
	w := c.get(channelID)
	w.finals++
	w.recent = append(w.recent, time.Now())
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		w := c.get(channelID)
		w.finals--
		if w.finals == 0 && (len(w.recent) == 0 || time.Since(w.recent[len(w.recent)-1]) >= channelWindow) {
			delete(c.m, channelID) // keep the map to active channels
		}
	}
}

// get returns the channel's state; call with c.mu held.
func (c *channelBudget) get(channelID string) *channelWrites {
	if c.m == nil {
		c.m = map[string]*channelWrites{}
	}
	w, ok := c.m[channelID]
	if !ok {
		w = &channelWrites{}
		c.m[channelID] = w
	}
	return w
}
