package bot

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/store"
)

// interruptedNote ends an answer the bot could not finish because it
// stopped without warning (a crash, a power cut, SIGKILL).
const interruptedNote = "⚠️ *Interrupted: the bot restarted. Please ask again.*"

// recoverInterrupted finishes the answers that were being written when
// the bot last stopped without warning (recs, read before this run began
// answering): an answer already stored gets its whole text, any other its
// cursor removed and a note saying to ask again.
func (b *Bot) recoverInterrupted(ctx context.Context, recs []store.Inflight) {
	if len(recs) > 0 {
		b.log.Info("finishing answers interrupted by the last stop", "count", len(recs))
	}
	for _, rec := range recs {
		if ctx.Err() != nil {
			return
		}
		if err := b.finishInterrupted(rec); err != nil {
			b.log.Warn("finish interrupted answer", "user_id", rec.UserID, "err", err)
			continue // tried again at the next start
		}
		if err := b.db.DeleteInflight(rec.ID); err != nil {
			b.log.Warn("forget interrupted answer", "user_id", rec.UserID, "err", err)
		}
	}
}

// finishInterrupted finishes one interrupted answer.
func (b *Bot) finishInterrupted(rec store.Inflight) error {
	if len(rec.Messages) == 0 {
		if rec.After != "" {
			return b.finishUnposted(rec)
		}
		return nil
	}
	if hist, err := b.db.History(rec.UserID, 20); err == nil {
		for _, h := range hist {
			if h.Role == store.RoleAssistant && h.DiscordMessageID == rec.ID {
				// Stored before the final edit: show the whole of it.
				r := b.newReplier(rec.ChannelID, nil, rec.UserID, "")
				for _, id := range rec.Messages {
					r.sent = append(r.sent, sentPart{id: id})
				}
				return r.finalize(h.Content, "", answerFileName(rec.ID), nil)
			}
		}
	}
	last := len(rec.Messages) - 1
	for i, id := range rec.Messages {
		m, err := b.dg.ChannelMessage(rec.ChannelID, id)
		var re *discordgo.RESTError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == 404 {
			continue // deleted meanwhile: nothing to fix
		}
		if err != nil {
			return err
		}
		content := strings.TrimSuffix(m.Content, cursor)
		if i == last {
			content = withNote(content, interruptedNote)
		}
		if content == m.Content {
			continue
		}
		if err := b.replaceText(rec.ChannelID, id, content); err != nil {
			return err
		}
	}
	return nil
}

// replaceText sets a message's text for good (retried; a message deleted
// meanwhile needs nothing).
func (b *Bot) replaceText(channelID, id, content string) error {
	err := b.edit(func() *discordgo.MessageEdit {
		e := discordgo.NewMessageEdit(channelID, id).SetContent(content)
		e.AllowedMentions = noMentions()
		return e
	}, true)
	if errors.Is(err, errMessageGone) {
		return nil
	}
	return err
}

// finishUnposted finishes an answer recorded before its first message was
// posted: the bot's messages after the question that still show the
// cursor get the interrupted note instead (whichever answer they were).
func (b *Bot) finishUnposted(rec store.Inflight) error {
	msgs, err := b.dg.ChannelMessages(rec.ChannelID, 50, "", rec.After, "")
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil && (re.Response.StatusCode == 404 || re.Response.StatusCode == 403) {
		return nil // the channel is gone or closed to the bot: nothing to fix
	}
	if err != nil {
		return err
	}
	self := b.botUserID()
	for _, m := range msgs {
		if m.Author == nil || m.Author.ID != self || !strings.HasSuffix(m.Content, cursor) {
			continue
		}
		if err := b.replaceText(rec.ChannelID, m.ID, withNote(strings.TrimSuffix(m.Content, cursor), interruptedNote)); err != nil {
			return err
		}
	}
	return nil
}

// withNote ends text with a note, within Discord's length; a queued
// notice that never became an answer is replaced by it.
func withNote(text, note string) string {
	text = strings.TrimSpace(text)
	if text == "" || text == queuedText {
		return note
	}
	room := MessageLimit - utf8.RuneCountInString(note) - 3
	if r := []rune(text); len(r) > room {
		text = string(r[:room]) + "…"
	}
	return text + "\n\n" + note
}
