package bot

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/store"
)

// maxEditInterval caps how far Discord rate limits slow the edits down.
const maxEditInterval = 8 * time.Second

// cursor ends the last message while the answer is still being written,
// so nobody mistakes a pause for the end; the final edit removes it.
const cursor = " ▌"

// fileNote ends the inline part of an answer sent as a file.
const fileNote = "\n\n📎 *The answer is long, so the whole of it is in the attached file.*"

// replier shows one answer in Discord while it streams: the first message
// replies to the user's message, and long answers continue in further
// messages, each edited at most once per interval.
type replier struct {
	b         *Bot
	channelID string
	ref       *discordgo.MessageReference
	userID    string
	interval  time.Duration
	maxMsgs   int

	sent      []sentPart // messages shown so far, in order
	begun     time.Time  // when the answer was started
	tracked   string     // key of the answer's in-flight record, if any
	lastFlush time.Time
	limited   time.Time // last Discord rate limit seen when the interval was adjusted
	// flags go on the final messages (no link previews for web answers).
	flags discordgo.MessageFlags
	// inter, when set, is the interaction the answer is written into
	// (its deferred response, then follow-ups), where the bot may not be
	// able to post in the channel: /ask and the message commands.
	inter     *discordgo.Interaction
	ephemeral bool
	origID    string // the interaction's response message, once written
	// fallback, when set, takes the answer privately if the channel refuses
	// the bot (no permission to post there).
	fallback *discordgo.Interaction
}

// newInteractionReplier writes an answer into a deferred interaction
// response (ephemeral when the response was).
func (b *Bot) newInteractionReplier(i *discordgo.Interaction, userID string, ephemeral bool) *replier {
	return &replier{b: b, channelID: i.ChannelID, userID: userID, inter: i, ephemeral: ephemeral,
		interval: b.cfg.StreamEditInterval, maxMsgs: b.cfg.MaxReplyMessages, begun: time.Now()}
}

// post posts a new part of the answer: in the channel, or as the
// interaction's response (the first) and its follow-ups.
func (r *replier) post(ms *discordgo.MessageSend) (*discordgo.Message, error) {
	if r.inter == nil {
		m, err := r.b.send(r.channelID, ms)
		var re *discordgo.RESTError
		if err == nil || r.fallback == nil || len(r.sent) > 0 || !errors.As(err, &re) || re.Response == nil || re.Response.StatusCode != http.StatusForbidden {
			return m, err
		}
		r.b.log.Info("channel refused the answer; answering privately", "user_id", r.userID)
		r.inter, r.ephemeral, r.ref = r.fallback, true, nil
	}
	var m *discordgo.Message
	err := r.b.retryDiscord(func() error {
		var err error
		if r.origID == "" {
			edit := &discordgo.WebhookEdit{Content: &ms.Content, Files: ms.Files, AllowedMentions: ms.AllowedMentions}
			if len(ms.Components) > 0 {
				edit.Components = &ms.Components
			}
			if m, err = r.b.dg.InteractionResponseEdit(r.inter, edit); err == nil {
				r.origID = m.ID
			}
			return err
		}
		flags := ms.Flags
		if r.ephemeral {
			flags |= discordgo.MessageFlagsEphemeral
		}
		m, err = r.b.dg.FollowupMessageCreate(r.inter, true, &discordgo.WebhookParams{Content: ms.Content, Files: ms.Files,
			Components: ms.Components, AllowedMentions: ms.AllowedMentions, Flags: flags})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("send answer: %w", err)
	}
	return m, nil
}

// editPart edits a part of the answer where it was posted.
func (r *replier) editPart(build func() *discordgo.MessageEdit, final bool) error {
	if r.inter == nil {
		return r.b.edit(build, final)
	}
	once := func() error {
		e := build()
		we := &discordgo.WebhookEdit{Content: e.Content, Components: e.Components, Files: e.Files, AllowedMentions: e.AllowedMentions}
		var err error
		if e.ID == r.origID {
			_, err = r.b.dg.InteractionResponseEdit(r.inter, we)
		} else {
			_, err = r.b.dg.FollowupMessageEdit(r.inter, e.ID, we)
		}
		return err
	}
	if !final {
		return once()
	}
	return r.b.retryDiscord(once)
}

// remove deletes a part of the answer.
func (r *replier) remove(id string) error {
	switch {
	case r.inter == nil:
		return r.b.dg.ChannelMessageDelete(r.channelID, id)
	case id == r.origID:
		return r.b.dg.InteractionResponseDelete(r.inter)
	}
	return r.b.dg.FollowupMessageDelete(r.inter, id)
}

type sentPart struct {
	id      string
	content string
}

// newReplier prepares an answer to the message ref in channelID. If
// placeholderID names a message the bot already posted (a queued notice),
// the answer is written into it.
func (b *Bot) newReplier(channelID string, ref *discordgo.MessageReference, userID, placeholderID string) *replier {
	r := &replier{b: b, channelID: channelID, ref: ref, userID: userID,
		interval: b.cfg.StreamEditInterval, maxMsgs: b.cfg.MaxReplyMessages, begun: time.Now()}
	if placeholderID != "" {
		r.sent = []sentPart{{id: placeholderID}}
		r.tracked = placeholderID // recorded when the notice was posted
	}
	return r
}

// track records the answer's messages as in flight, so a bot that dies
// before the final text can finish them when it starts again.
func (r *replier) track() {
	if len(r.sent) == 0 || r.inter != nil { // an interaction's token dies with the process
		return
	}
	ids := make([]string, len(r.sent))
	for i, p := range r.sent {
		ids[i] = p.id
	}
	err := r.b.db.SetInflight(store.Inflight{ID: ids[0], UserID: r.userID, ChannelID: r.channelID, Messages: ids, Started: time.Now().UTC()})
	if err != nil {
		r.b.log.Warn("record answer in flight", "user_id", r.userID, "err", err)
		return
	}
	if r.tracked != "" && r.tracked != ids[0] {
		r.untrack()
	}
	r.tracked = ids[0]
}

// trackAhead records the answer before its first message is posted
// (then track replaces the record), so a stop between the post and its
// record still leaves a record: the next start finds the message after
// the question.
func (r *replier) trackAhead() {
	if r.tracked != "" || r.inter != nil || r.ref == nil || r.ref.MessageID == "" {
		return
	}
	id := "after/" + r.ref.MessageID
	err := r.b.db.SetInflight(store.Inflight{ID: id, UserID: r.userID, ChannelID: r.channelID, After: r.ref.MessageID, Started: time.Now().UTC()})
	if err != nil {
		r.b.log.Warn("record answer in flight", "user_id", r.userID, "err", err)
		return
	}
	r.tracked = id
}

// untrack forgets the in-flight record once the final text landed.
func (r *replier) untrack() {
	if r.tracked == "" {
		return
	}
	if err := r.b.db.DeleteInflight(r.tracked); err != nil {
		r.b.log.Warn("forget answer in flight", "user_id", r.userID, "err", err)
	}
	r.tracked = ""
}

// due reports whether enough time has passed for another streaming edit
// (or, before anything is shown, for the first message).
func (r *replier) due() bool {
	if len(r.sent) == 0 {
		// QuietStart: an answer complete by then goes out as one message
		// (fewer Discord calls and rate limits); a longer one starts
		// showing then, a moment after its first words.
		return time.Since(r.begun) >= r.b.cfg.QuietStart
	}
	if last := r.b.rateLimits.last(r.channelID); last.After(r.limited) {
		r.limited = last
		r.interval = min(r.interval*2, maxEditInterval)
	}
	return time.Since(r.lastFlush) >= r.interval
}

// show brings the messages in line with text while it streams. While
// streaming, at most maxMsgs messages are shown.
func (r *replier) show(text string) error {
	// Streaming writes only within the channel's share for them.
	if !r.b.channels.allowIntermediate(r.channelID, time.Now()) {
		return nil
	}
	parts := splitMessage(text, MessageLimit)
	if len(parts) > r.maxMsgs {
		parts = parts[:r.maxMsgs]
	}
	if last := len(parts) - 1; utf8.RuneCountInString(parts[last])+utf8.RuneCountInString(cursor) <= MessageLimit {
		parts[last] += cursor
	}
	r.lastFlush = time.Now()
	return r.apply(parts, nil, false)
}

// finish shows the final text. An answer that needs more than maxMsgs
// messages becomes one attached .md file with its start inline, and the
// other streamed messages are removed.
func (r *replier) finish(text, fileName string) error {
	return r.finishWith(text, "", fileName, nil)
}

// finishWith shows the final answer followed by tail (notes on how it
// ended), with comps (buttons) under the last message. When the answer
// becomes a file, tail stays inline under its start, out of the file.
func (r *replier) finishWith(answer, tail, fileName string, comps []discordgo.MessageComponent) error {
	done := r.b.channels.beginFinal(r.channelID)
	err := r.finalize(answer, tail, fileName, comps)
	done()
	if err == nil {
		r.untrack()
	}
	return err
}

func (r *replier) finalize(answer, tail, fileName string, comps []discordgo.MessageComponent) error {
	text := answer
	if tail != "" {
		text += "\n\n" + tail
	}
	parts := splitMessage(text, MessageLimit)
	if len(parts) <= r.maxMsgs {
		return r.apply(parts, comps, true)
	}
	note := fileNote
	if tail != "" {
		note += "\n" + tail
	}
	head := splitMessage(answer, max(MessageLimit-len([]rune(note)), 200))[0] + note
	file := func() []*discordgo.File {
		return []*discordgo.File{{Name: fileName, ContentType: "text/markdown", Reader: strings.NewReader(answer)}}
	}
	post := func() error {
		m, err := r.post(&discordgo.MessageSend{
			Content: head, Reference: r.ref, Files: file(), AllowedMentions: noMentions(), Components: comps, Flags: r.flags})
		if err != nil {
			return fmt.Errorf("send answer file: %w", err)
		}
		if len(r.sent) > 0 { // the streamed start, replaced by this one
			_ = r.remove(r.sent[0].id)
		}
		r.sent = append([]sentPart{{id: m.ID, content: head}}, r.sent[min(1, len(r.sent)):]...)
		return nil
	}
	if len(r.sent) == 0 {
		return post()
	}
	first := r.sent[0].id
	if err := r.editPart(func() *discordgo.MessageEdit {
		edit := discordgo.NewMessageEdit(r.channelID, first).SetContent(head)
		edit.Files = file()
		edit.Flags = r.flags
		edit.AllowedMentions = noMentions()
		if comps != nil {
			edit.Components = &comps
		}
		return edit
	}, true); err != nil {
		r.b.log.Warn("final edit did not land; posting the answer anew", "user_id", r.userID, "err", err)
		if perr := post(); perr != nil {
			return errors.Join(fmt.Errorf("attach answer file: %w", err), perr)
		}
	} else {
		r.sent[0].content = head
	}
	for _, p := range r.sent[1:] {
		if err := r.remove(p.id); err != nil {
			r.b.log.Warn("delete streamed part", "user_id", r.userID, "err", err)
		}
	}
	r.sent = r.sent[:1]
	return nil
}

// apply edits changed messages and posts new ones; comps, if set, go
// under the last one. The final text must land: a final edit is retried,
// and if the message is gone or will not take it, the part is posted anew.
func (r *replier) apply(parts []string, comps []discordgo.MessageComponent, final bool) error {
	for i, p := range parts {
		last := i == len(parts)-1 && comps != nil
		if i < len(r.sent) {
			if r.sent[i].content == p && !last && !(final && r.flags != 0) {
				continue
			}
			id := r.sent[i].id
			err := r.editPart(func() *discordgo.MessageEdit {
				edit := discordgo.NewMessageEdit(r.channelID, id).SetContent(p)
				edit.AllowedMentions = noMentions()
				if final {
					edit.Flags = r.flags
				}
				if last {
					edit.Components = &comps
				}
				return edit
			}, final)
			if err == nil {
				r.sent[i].content = p
				continue
			}
			if !final {
				return fmt.Errorf("edit answer: %w", err)
			}
			r.b.log.Warn("final edit did not land; posting the part anew", "user_id", r.userID, "err", err)
			m, serr := r.post(r.part(i, p, last, comps))
			if serr != nil {
				return errors.Join(fmt.Errorf("edit answer: %w", err), serr)
			}
			if !errors.Is(err, errMessageGone) { // the stale copy, if it can go
				_ = r.remove(r.sent[i].id)
			}
			r.sent[i] = sentPart{id: m.ID, content: p}
			r.track()
			continue
		}
		if !final && i == 0 {
			r.trackAhead()
		}
		m, err := r.post(r.part(i, p, last, comps))
		if err != nil {
			return fmt.Errorf("send answer: %w", err)
		}
		r.sent = append(r.sent, sentPart{id: m.ID, content: p})
		if !final {
			r.track() // a final text lands whole: nothing to finish later
		}
	}
	return nil
}

// part is the message that posts part i of an answer.
func (r *replier) part(i int, content string, last bool, comps []discordgo.MessageComponent) *discordgo.MessageSend {
	send := &discordgo.MessageSend{Content: content, AllowedMentions: noMentions(), Flags: r.flags}
	if last {
		send.Components = comps
	}
	if i == 0 {
		send.Reference = r.ref
	}
	return send
}

// firstID is the ID of the answer's first message, or "".
func (r *replier) firstID() string {
	if len(r.sent) == 0 {
		return ""
	}
	return r.sent[0].id
}

// noMentions stops an answer from pinging anyone, whatever the model wrote.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// rateLimitLog remembers when Discord last rate-limited a channel's
// requests, so streaming edits there can slow down.
type rateLimitLog struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (l *rateLimitLog) note(url string) {
	const marker = "/channels/"
	i := strings.Index(url, marker)
	if i < 0 {
		return
	}
	id, _, _ := strings.Cut(url[i+len(marker):], "/")
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]time.Time{}
	}
	now := time.Now()
	for k, t := range l.m { // keep the map small
		if now.Sub(t) > time.Minute {
			delete(l.m, k)
		}
	}
	l.m[id] = now
}

func (l *rateLimitLog) last(channelID string) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m[channelID]
}
