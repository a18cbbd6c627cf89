package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/store"
	openai "github.com/sashabaranov/go-openai"
)

// Chat limits.
const (
	// historyLoad is how many stored messages are read before trimming to
	// the token budget.
	historyLoad = 500
	// generationTimeout bounds one answer.
	generationTimeout = 5 * time.Minute
	// maxTokensChat and maxTokensReasoning cap an answer's length.
	maxTokensChat      = 4096
	maxTokensReasoning = 16384
)

// Fixed wording users see.
const (
	rateLimitText  = "⚠️ You're sending requests too quickly. Please wait a moment before trying again."
	queuedText     = "⏳ I'm still answering your previous message; I'll answer this one right after."
	tooManyText    = "⚠️ You already have 3 messages waiting for an answer. Please wait for those first."
	emptyHintText  = "👋 Ask me something after the mention, and I'll answer."
	emptyReplyText = "🤔 The model sent back an empty answer. Please try rephrasing."
	stoppedNote    = "⏹️ *Stopped.*"
	shutdownNote   = "⚠️ *Interrupted: the bot is restarting. Please ask again in a moment.*"
)

// addressed reports whether a message is for the bot: a DM, an explicit
// mention of the bot, or a reply to one of its messages. Bots, webhooks
// and the bot itself are never answered, and @everyone/@here alone is not
// a mention of the bot.
func (b *Bot) addressed(m *discordgo.Message) bool {
	if m.Author == nil || m.Author.Bot || m.WebhookID != "" || m.Author.ID == b.botUserID {
		return false
	}
	if m.GuildID == "" {
		return true
	}
	for _, u := range m.Mentions {
		if u != nil && u.ID == b.botUserID {
			return true
		}
	}
	ref := m.ReferencedMessage
	return ref != nil && ref.Author != nil && ref.Author.ID == b.botUserID
}

// stripMention removes the bot's mention from the text.
func (b *Bot) stripMention(text string) string {
	for _, m := range []string{"<@" + b.botUserID + ">", "<@!" + b.botUserID + ">"} {
		text = strings.ReplaceAll(text, m, "")
	}
	return strings.TrimSpace(text)
}

// onMessage answers a chat message addressed to the bot.
func (b *Bot) onMessage(ctx context.Context, m *discordgo.Message) {
	if !b.addressed(m) || !b.seen.first(m.ID) {
		return
	}
	userID := m.Author.ID
	log := b.log.With("user_id", userID, "guild_id", m.GuildID)
	// Everything this message leads to belongs to the data as it is now: a
	// /reset from here on makes its files and answer stale.
	gen := b.users.gen(userID)
	valid := func() bool { return b.users.current(userID, gen) }
	var roles []string
	if m.Member != nil {
		roles = m.Member.Roles
	}
	if refusal := b.access(userID, m.ChannelID, roles); refusal != "" {
		b.sendNotice(m, refusal)
		return
	}
	if !b.cfg.IsAdmin(userID) && !b.users.allow(userID, b.cfg.now(), b.cfg.RateCount, b.cfg.RateWindow) {
		b.sendNotice(m, rateLimitText)
		return
	}
	text := b.stripMention(m.Content)
	saved, notes := b.saveAttachments(ctx, m, valid)
	if text == "" && len(saved) == 0 {
		if len(notes) == 0 {
			notes = []string{emptyHintText}
		}
		b.sendNotice(m, strings.Join(notes, "\n"))
		return
	}
	if len(notes) > 0 {
		b.sendNotice(m, strings.Join(notes, "\n"))
	}
	t, err := b.users.join(userID)
	if err != nil {
		b.sendNotice(m, tooManyText)
		return
	}
	placeholder := ""
	if t.Queued {
		placeholder = b.sendNotice(m, queuedText)
	}
	gctx, err := t.wait(ctx)
	if err != nil {
		return // shutting down before this message's turn
	}
	defer t.done()
	var fileIDs []string
	for _, f := range saved {
		fileIDs = append(fileIDs, f.ID)
	}
	q := store.Message{Role: store.RoleUser, Content: text, FileIDs: fileIDs, DiscordMessageID: m.ID, ChannelID: m.ChannelID}
	if err := b.answer(gctx, m, q, placeholder, valid, t.streamEnded); err != nil {
		log.Error("answer failed", "err", err)
	}
}

// answer streams the model's answer to question q into Discord and, if it
// completes, stores the exchange with its usage in one transaction (unless
// the user reset their data meanwhile) before showing the final text. streamEnded is called once
// the model has finished, so /stop no longer applies.
func (b *Bot) answer(ctx context.Context, m *discordgo.Message, q store.Message, placeholderID string, valid func() bool, streamEnded func()) error {
	userID := m.Author.ID
	model := b.userModel(userID)
	req, err := b.buildRequest(userID, model, q, b.cfg.now())
	if err != nil {
		b.sendNotice(m, UserMessage(err))
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, generationTimeout)
	defer cancel()
	r := b.newReplier(m.ChannelID, m.Reference(), userID, placeholderID)
	if err := b.checkBudget(userID, b.cfg.now()); err != nil {
		if ferr := r.finish(UserMessage(err), ""); ferr != nil {
			return errors.Join(err, ferr)
		}
		return nil // a used-up budget is not a failure
	}
	typing := b.startTyping(ctx, m.ChannelID)

	st, err := openStream(ctx, b.ai, req, b.cfg.RetryBackoff)
	if err != nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		typing()
		if ferr := r.finish(b.stopMessage(ctx, err), ""); ferr != nil {
			return errors.Join(err, ferr)
		}
		return err
	}
	var showErr error
	res := readStream(st, func(full string) {
		typing()
		if showErr != nil || !r.due() {
			return
		}
		if visible := stripThink(full, false); strings.TrimSpace(visible) != "" {
			showErr = r.show(visible)
		}
	})
	streamEnded()
	typing()
	visible := strings.TrimSpace(stripThink(res.Text, true))
	if res.Err != nil && ctx.Err() != nil {
		res.Err = ctx.Err() // the stream reports a cancelled read in its own words
	}
	if res.Err != nil {
		final := b.stopMessage(ctx, res.Err)
		if visible != "" {
			final = visible + "\n\n" + noteFor(ctx, res.Err)
		}
		if err := r.finish(final, answerFileName(m.ID)); err != nil {
			return errors.Join(res.Err, err)
		}
		return fmt.Errorf("stream: %w", res.Err)
	}
	if visible == "" {
		return r.finish(emptyReplyText, "")
	}
	// Store before the final edit: once the user sees the whole answer, it
	// is in their history (and a Discord hiccup on the edit loses nothing).
	usage, cached := b.usageOf(model, req, res)
	now := b.cfg.now()
	_, err = b.db.RecordExchange(userID, store.Exchange{
		Day: b.ledgerDay(now), Month: b.ledgerMonth(now),
		Messages: []store.Message{q, {Role: store.RoleAssistant, Content: visible, DiscordMessageID: r.firstID(), ChannelID: m.ChannelID, Model: model}},
		Usage:    b.prices.usageCost(usage, cached),
		Valid:    valid,
	})
	if errors.Is(err, store.ErrStale) {
		b.log.Info("answer not stored: the user reset meanwhile", "user_id", userID)
		err = nil
	}
	if ferr := r.finish(visible, answerFileName(m.ID)); ferr != nil {
		return errors.Join(err, ferr)
	}
	return err
}

// stopMessage is what the user sees when an answer failed before any text.
func (b *Bot) stopMessage(ctx context.Context, err error) string {
	if errors.Is(err, context.Canceled) {
		return noteFor(ctx, err)
	}
	return UserMessage(err)
}

// noteFor is the line added under partial text when an answer broke off.
func noteFor(ctx context.Context, err error) string {
	switch {
	case errors.Is(err, context.Canceled) && errors.Is(context.Cause(ctx), errStoppedByUser):
		return stoppedNote
	case errors.Is(err, context.Canceled):
		return shutdownNote
	case errors.Is(err, context.DeadlineExceeded):
		return "⚠️ *The answer took too long and was cut off here.*"
	}
	return "⚠️ *The answer was cut off here because the AI provider's stream broke. It was not saved; please ask again.*"
}

func answerFileName(messageID string) string { return "answer-" + messageID + ".md" }

// sendNotice replies to m with a short message and returns its ID.
func (b *Bot) sendNotice(m *discordgo.Message, text string) string {
	sent, err := b.dg.ChannelMessageSendComplex(m.ChannelID, &discordgo.MessageSend{
		Content: text, Reference: m.Reference(), AllowedMentions: noMentions()})
	if err != nil {
		b.log.Warn("send notice", "user_id", m.Author.ID, "err", err)
		return ""
	}
	return sent.ID
}

// startTyping shows "typing…" in the channel until the returned function
// is called (Discord shows it for 10 seconds per call).
func (b *Bot) startTyping(ctx context.Context, channelID string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if err := b.dg.ChannelTyping(channelID, discordgo.WithContext(ctx)); err != nil && ctx.Err() == nil {
				b.log.Debug("typing", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(8 * time.Second):
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// userModel is the user's chosen model if it is still offered, else the
// default.
func (b *Bot) userModel(userID string) string {
	s, err := b.db.Settings(userID)
	if err == nil && s.Model != "" && contains(b.cfg.Models, s.Model) {
		return s.Model
	}
	return b.cfg.DefaultModel
}

// usageOf is the call's usage as the provider reported it, or estimated
// with the tokenizer (and marked so) when it reported none. It also
// returns the cached input tokens, which are priced lower.
func (b *Bot) usageOf(model string, req openai.ChatCompletionRequest, res streamed) (store.Usage, int64) {
	u := store.Usage{Model: model, Requests: 1}
	if res.Usage != nil {
		u.InputTokens, u.OutputTokens = int64(res.Usage.PromptTokens), int64(res.Usage.CompletionTokens)
		var cached int64
		if d := res.Usage.PromptTokensDetails; d != nil {
			cached = int64(d.CachedTokens)
		}
		return u, cached
	}
	for _, m := range req.Messages {
		u.InputTokens += int64(messageTokens(model, m))
	}
	u.OutputTokens = int64(countTokens(model, res.Text))
	u.Estimated = true
	return u, 0
}
