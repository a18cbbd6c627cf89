package bot

import (
	"context"
	"errors"
	"sync"
	"time"
)

// maxWaiting is how many of a user's messages may wait behind the one
// being answered.
const maxWaiting = 3

// errStoppedByUser is the cancel cause of a generation ended with /stop.
var errStoppedByUser = errors.New("stopped by the user")

// errTooManyWaiting refuses a message when maxWaiting are already queued.
var errTooManyWaiting = errors.New("too many messages waiting")

// userStates holds what the running process knows about each user between
// events: whose answer is running, who waits, recent message times for the
// rate limit, and a reset generation. None of it is the user's data, and
// none of it needs to survive a restart.
type userStates struct {
	mu sync.Mutex
	m  map[string]*userState
}

type userState struct {
	slot chan struct{} // holds a token while an answer runs
	// ended is set once the running answer's model output is complete:
	// what is left (storing it, the final edit, attachments) takes moments,
	// so a message arriving then waits without being told to.
	ended   bool
	waiting int
	cancel  context.CancelCauseFunc
	// asker is whose answer runs (in a thread, several people take turns).
	asker    string
	resetGen uint64
	recent   []time.Time
	// noticed is when the user was last told of a refusal, by kind.
	noticed map[string]time.Time
}

func (u *userStates) get(userID string) *userState {
	if u.m == nil {
		u.m = map[string]*userState{}
	}
	s, ok := u.m[userID]
	if !ok {
		s = &userState{slot: make(chan struct{}, 1)}
		u.m[userID] = s
	}
	return s
}

// allow records a message and reports whether it is within count per
// window.
func (u *userStates) allow(userID string, now time.Time, count int, window time.Duration) bool {
	if count <= 0 {
		return true
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	s := u.get(userID)
	s.recent = within(s.recent, now, window)
	if len(s.recent) >= count {
		return false
	}
	s.recent = append(s.recent, now)
	return true
}

// noticeEvery is how often a refused user is told why: more messages in
// between are ignored silently, so a spammer cannot make the bot flood a
// channel (or Discord's global limit) with refusals.
const noticeEvery = 10 * time.Minute

// noticeDue reports whether the user may be told of a refusal of this kind
// now, and if so remembers that they were.
func (u *userStates) noticeDue(userID, kind string, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := u.get(userID)
	if last, ok := s.noticed[kind]; ok && now.Sub(last) < noticeEvery {
		return false
	}
	if s.noticed == nil {
		s.noticed = map[string]time.Time{}
	}
	s.noticed[kind] = now
	return true
}

// within keeps the times less than window before now (in place).
func within(times []time.Time, now time.Time, window time.Duration) []time.Time {
	keep := times[:0]
	for _, t := range times {
		if now.Sub(t) < window {
			keep = append(keep, t)
		}
	}
	return keep
}

// turn is one message's place in its user's queue.
type turn struct {
	u      *userStates
	userID string
	s      *userState
	cancel context.CancelCauseFunc
	// Queued is set when another answer was running when the turn was taken.
	Queued bool
}

// join takes a place in the user's queue, or refuses with
// errTooManyWaiting.
func (u *userStates) join(userID string) (*turn, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := u.get(userID)
	busy := len(s.slot) > 0 || s.waiting > 0
	if busy && s.waiting >= maxWaiting {
		return nil, errTooManyWaiting
	}
	// Queued (and told so) only behind an answer still being written.
	busy = len(s.slot) > 0 && !s.ended || s.waiting > 0
	s.waiting++
	return &turn{u: u, userID: userID, s: s, Queued: busy}, nil
}

// wait blocks until it is this turn's go, and returns the context the
// answer runs in (cancelled by /stop).
func (t *turn) wait(ctx context.Context) (context.Context, error) {
	select {
	case t.s.slot <- struct{}{}:
	case <-ctx.Done():
		t.u.mu.Lock()
		t.s.waiting--
		t.u.mu.Unlock()
		return nil, ctx.Err()
	}
	gctx, cancel := context.WithCancelCause(ctx)
	t.u.mu.Lock()
	defer t.u.mu.Unlock()
	t.s.waiting--
	t.s.ended = false
	t.s.cancel = cancel
	t.cancel = cancel
	return gctx, nil
}

// streamEnded makes the turn no longer stoppable: its answer is complete
// and only being shown and stored.
func (t *turn) streamEnded() {
	t.u.mu.Lock()
	defer t.u.mu.Unlock()
	t.s.cancel = nil
	t.s.ended = true
}

// done ends the turn and lets the next one go.
func (t *turn) done() {
	t.streamEnded()
	if t.cancel != nil {
		t.cancel(nil)
	}
	<-t.s.slot
}

// setAsker records whose answer the turn is.
func (t *turn) setAsker(userID string) {
	t.u.mu.Lock()
	defer t.u.mu.Unlock()
	t.s.asker = userID
}

// stopAsked cancels the answer running under key (a thread's queue) if
// it answers userID, or if may is set (the thread's owner).
func (u *userStates) stopAsked(key, userID string, may bool) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := u.get(key)
	if s.cancel == nil || (s.asker != userID && !may) {
		return false
	}
	s.cancel(errStoppedByUser)
	s.cancel = nil
	return true
}

// stop cancels the user's running answer and reports whether there was one.
func (u *userStates) stop(userID string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := u.get(userID)
	if s.cancel == nil {
		return false
	}
	s.cancel(errStoppedByUser)
	s.cancel = nil
	return true
}

// bumpReset starts a new reset generation for the user: answers begun
// before it are not stored. Call it inside the reset's transaction.
func (u *userStates) bumpReset(userID string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.get(userID).resetGen++
}

// gen is the user's reset generation now; what arrives now belongs to it.
func (u *userStates) gen(userID string) uint64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.get(userID).resetGen
}

// current reports whether gen is still the user's reset generation.
func (u *userStates) current(userID string, gen uint64) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.get(userID).resetGen == gen
}

// seenIDs remembers recent message IDs so a duplicated gateway event (after
// a resume, say) is answered once.
type seenIDs struct {
	mu    sync.Mutex
	set   map[string]struct{}
	order []string
}

const seenCapacity = 10_000

// first reports whether id is new, remembering it.
func (s *seenIDs) first(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set == nil {
		s.set = map[string]struct{}{}
	}
	if _, ok := s.set[id]; ok {
		return false
	}
	s.set[id] = struct{}{}
	s.order = append(s.order, id)
	if len(s.order) > seenCapacity {
		delete(s.set, s.order[0])
		s.order = s.order[1:]
	}
	return true
}
