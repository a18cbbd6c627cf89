package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bwmarrin/discordgo"
)

// The answers of /reset, worded as the bot we replace worded them.
const (
	resetDone     = "✅ Your conversation history and token usage statistics have been cleared and reset!"
	resetNoFiles  = "📁 No files to delete."
	resetDeleted  = "🗑️ Deleted %d file(s)."
	resetWarning  = "⚠️ Warning: Could not delete some files. %s"
	resetLeftover = "%d of %d could not be removed from disk (%v); they will be cleaned up when the bot restarts."
	// resetReminders is our own line, for the reminders the upstream bot
	// kept apart.
	resetReminders = "⏰ Cancelled %d reminder(s)."
)

// resetResult is what one reset did.
type resetResult struct {
	Files     int           // files the user had
	Reminders int           // reminders cancelled
	Failed    int           // files left on disk
	Detail    error         // the first unlink error
	Tx        time.Duration // the transaction
	Total     time.Duration // transaction and unlinks
}

// resetUser wipes the user's history, statistics and file metadata in one
// transaction (marking answers still being written as stale inside it),
// then unlinks the files best-effort and removes the emptied folder. Their
// model choice and the owner's records (blacklist, budget spending) stay.
func (b *Bot) resetUser(userID string) (resetResult, error) {
	start := time.Now()
	gone, reminders, err := b.db.ResetUserCounted(userID, func() { b.users.bumpReset(userID) })
	if err != nil {
		return resetResult{}, err
	}
	res := resetResult{Files: len(gone), Reminders: reminders, Tx: time.Since(start)}
	b.vision.forgetUser(userID) // scaled copies of their images, in memory only
	for _, m := range gone {
		if err := b.files.Remove(m.UserID, m.ID, m.Ext); err != nil {
			res.Failed++
			if res.Detail == nil {
				res.Detail = errors.Unwrap(err)
			}
		}
	}
	// Anything else in the folder is the user's too (a leftover of a crash).
	if _, err := b.files.RemoveAllOf(userID); err != nil && res.Detail == nil {
		res.Detail = err
	}
	res.Total = time.Since(start)
	b.log.Info("reset", "user_id", userID, "files_deleted", res.Files-res.Failed, "files_failed", res.Failed,
		"tx_ms", res.Tx.Milliseconds(), "duration_ms", res.Total.Milliseconds())
	return res, nil
}

// resetAnswer is what the user reads after a reset: the seed's lines,
// and one more when reminders were cancelled.
func resetAnswer(r resetResult) string {
	out := resetFilesAnswer(r)
	if r.Reminders > 0 {
		out += "\n" + fmt.Sprintf(resetReminders, r.Reminders)
	}
	return out
}

func resetFilesAnswer(r resetResult) string {
	switch {
	case r.Failed > 0:
		return resetDone + "\n" + fmt.Sprintf(resetWarning, fmt.Sprintf(resetLeftover, r.Failed, r.Files, shortErr(r.Detail)))
	case r.Files == 0:
		return resetDone + "\n" + resetNoFiles
	}
	return resetDone + "\n" + fmt.Sprintf(resetDeleted, r.Files)
}

// shortErr is an error's last part, without paths (which name files).
func shortErr(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// cmdReset defers the answer (a reset of thousands of files must not miss
// Discord's 3-second deadline), resets, and tells the user what happened.
func (b *Bot) cmdReset(ctx context.Context, i *discordgo.Interaction) error {
	if err := b.deferEphemeral(i); err != nil {
		return err
	}
	res, err := b.resetUser(interactionUser(i).ID)
	if err != nil {
		return err
	}
	err = b.editOriginal(i, resetAnswer(res))
	b.scrub(ctx) // after the answer: the raw bytes, then the backups
	return err
}
