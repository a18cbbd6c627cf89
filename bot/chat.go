package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/store"
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
	rateLimitText = "⚠️ You're sending requests too quickly. Please wait a moment before trying again."
	queuedText    = "⏳ I'm still answering your previous message; I'll answer this one right after."
	// busyText is the notice of a message waiting for MAX_CONCURRENT_ANSWERS.
	busyText       = "⏳ Lots of questions at once: yours is next in line and will be answered in a moment."
	tooManyText    = "⚠️ You already have 3 messages waiting for an answer. Please wait for those first."
	emptyHintText  = "👋 Ask me something after the mention, and I'll answer."
	emptyReplyText = "🤔 The model sent back an empty answer. Please try rephrasing."
	stoppedNote    = "⏹️ *Stopped.*"
	shutdownNote   = "⚠️ *Interrupted: the bot is restarting. Please ask again in a moment.*"
	truncatedNote  = "✂️ *The answer reached its length limit and stops here. Press **Continue** for the rest.*"
	notSavedNote   = "⚠️ *This exchange could not be saved (the bot's storage failed), so I won't remember it. Please tell the bot's owner.*"
)

// addressed reports whether a message is for the bot: a DM, an explicit
// mention of the bot, or a reply to one of its messages. Bots, webhooks
// and the bot itself are never answered, and @everyone/@here alone is not
// a mention of the bot.
func (b *Bot) addressed(m *discordgo.Message) bool {
	self := b.botUserID()
	if self == "" || m.Author == nil || m.Author.Bot || m.WebhookID != "" || m.Author.ID == self {
		return false
	}
	if m.GuildID == "" {
		return true
	}
	for _, u := range m.Mentions {
		if u != nil && u.ID == self {
			return true
		}
	}
	ref := m.ReferencedMessage
	return ref != nil && ref.Author != nil && ref.Author.ID == self
}

// stripMention removes the bot's mention from the text.
func (b *Bot) stripMention(text string) string {
	self := b.botUserID()
	for _, m := range []string{"<@" + self + ">", "<@!" + self + ">"} {
		text = strings.ReplaceAll(text, m, "")
	}
	return strings.TrimSpace(text)
}

// onMessage answers a chat message addressed to the bot.
func (b *Bot) onMessage(ctx context.Context, m *discordgo.Message) {
	th := b.threadOf(m)
	if th != nil {
		// In a thread the bot started every message is for it, but for one
		// starting with the ignore prefix (people talking among themselves).
		if !b.fromPerson(m) || b.cfg.ThreadIgnorePrefix != "" && strings.HasPrefix(strings.TrimSpace(m.Content), b.cfg.ThreadIgnorePrefix) {
			return
		}
	} else if !b.addressed(m) {
		return
	}
	if !b.seen.first(m.ID) {
		return
	}
	userID := m.Author.ID
	// Everything this message leads to belongs to the data as it is now: a
	// /reset from here on makes its files and answer stale.
	gen := b.users.gen(userID)
	valid := func() bool { return b.users.current(userID, gen) }
	var roles []string
	if m.Member != nil {
		roles = m.Member.Roles
	}
	now := b.cfg.now()
	if refusal := b.access(userID, b.accessChannel(m.ChannelID, th), roles); refusal != "" {
		b.logMessage(m, "refused", "access", store.Usage{}, 0, time.Time{})
		if !b.users.noticeDue(userID, "access", now) {
			return
		}
		if refusal == blacklistText && m.GuildID != "" {
			b.dmNotice(userID, refusal) // a ban is never announced in public
			return
		}
		b.sendNotice(m, refusal)
		return
	}
	if !b.cfg.IsAdmin(userID) && !b.users.allow(userID, now, b.cfg.RateCount, b.cfg.RateWindow) {
		b.logMessage(m, "refused", "rate_limit", store.Usage{}, 0, time.Time{})
		if b.users.noticeDue(userID, "rate", now) {
			b.sendNotice(m, rateLimitText)
		}
		return
	}
	if err := b.checkBudget(userID, now); err != nil {
		b.logMessage(m, "refused", "budget", store.Usage{}, 0, time.Time{})
		if b.users.noticeDue(userID, "budget", now) {
			b.sendNotice(m, UserMessage(err))
		}
		return
	}
	text := b.stripMention(m.Content)
	saved, notes := b.saveAttachments(ctx, m, valid)
	if quote, qm := b.quoted(m); quote != "" || qm != nil {
		// A reply to someone else's message brings it in: its text quoted,
		// its images among the asker's files.
		text = strings.TrimSpace(quote + "\n" + text)
		if qm != nil {
			qs, qnotes := b.saveAttachments(ctx, qm, valid)
			saved, notes = append(qs, saved...), append(notes, qnotes...)
		}
	}
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
	q := store.Message{Role: store.RoleUser, Content: text, DiscordMessageID: m.ID, ChannelID: m.ChannelID}
	for _, f := range saved {
		q.FileIDs = append(q.FileIDs, f.ID)
	}
	if th == nil && b.cfg.AutoThread && m.GuildID != "" {
		th = b.autoThread(m, text, valid) // nil: answered where it was asked
	}
	b.converse(ctx, m, q, valid, target{thread: th})
}

// target is where an answer goes and which conversation it belongs to.
type target struct {
	// thread is the bot's thread conversation, if any.
	thread *store.ThreadMeta
	// inter, when set, takes the answer in its deferred response (ephemeral
	// when that was), for /ask and the message commands.
	inter     *discordgo.Interaction
	ephemeral bool
	// storeAs, when set, is what the question is stored as (a summary's
	// transcript is sent, not kept).
	storeAs string
	// fallback, when set, takes the answer privately if the channel
	// refuses the bot's post.
	fallback *discordgo.Interaction
	// where is the conversation and personas; converse fills it in.
	where convo
}

// converse queues question q behind the user's running answer, then
// answers it. m is the message the answer replies to.
func (b *Bot) converse(ctx context.Context, m *discordgo.Message, q store.Message, valid func() bool, at target) {
	userID := m.Author.ID
	th := at.thread
	if th != nil {
		q.AuthorID, q.AuthorName = userID, displayName(m)
	}
	ch, ref := replyPlace(m, th)
	// notice tells the asker something while the answer waits; it returns
	// the message to write the answer into, if one was posted.
	notice := func(text string) string { return b.postNotice(ch, ref, userID, text) }
	if at.inter != nil {
		notice = func(text string) string { b.interNotice(at.inter, text); return "" }
	}
	t, err := b.users.join(turnKey(userID, th))
	if err != nil {
		b.logMessage(m, "refused", "queue_full", store.Usage{}, 0, time.Time{})
		notice(tooManyText)
		return
	}
	placeholder := ""
	if t.Queued {
		placeholder = notice(queuedText)
		if placeholder != "" { // finished with a note if the bot dies first
			if err := b.db.SetInflight(store.Inflight{ID: placeholder, UserID: userID, ChannelID: ch,
				Messages: []string{placeholder}, Started: b.cfg.now().UTC()}); err != nil {
				b.log.Warn("record queued notice", "user_id", userID, "err", err)
			}
		}
	}
	gctx, err := t.wait(ctx)
	if err != nil {
		return // shutting down before this message's turn
	}
	defer t.done()
	t.setAsker(userID)
	release, ok := b.answerSlot(gctx, m, ch, notice, &placeholder)
	if !ok {
		// Stopped while waiting: the notice says so. (At shutdown it is
		// left for the next start to finish, as any answer in flight.)
		if errors.Is(context.Cause(gctx), errStoppedByUser) {
			if at.inter != nil {
				b.interNotice(at.inter, noteFor(gctx, context.Canceled))
			} else if placeholder != "" {
				r := b.newReplier(ch, ref, userID, placeholder)
				if err := r.finish(noteFor(gctx, context.Canceled), ""); err != nil {
					b.log.Warn("finish a stopped notice", "user_id", userID, "err", err)
				}
			}
		}
		return
	}
	// The slot covers building and streaming the answer (its memory);
	// storing and showing the final text go on without it.
	release = sync.OnceFunc(release)
	defer release()
	model, retire := b.userModel(userID)
	if retire != "" {
		if at.inter != nil {
			b.interFollowup(at.inter, retire)
		} else {
			b.postNotice(ch, ref, userID, retire)
		}
	}
	at.where = b.whereAsked(m, th)
	model = b.personaModel(at.where, userID, model)
	if th != nil && th.Model != "" && b.models().offers(th.Model) {
		model = th.Model // the thread's owner chose it
	}
	ended := func() { t.streamEnded(); release() }
	if err := b.answer(gctx, m, q, model, placeholder, valid, ended, at); err != nil {
		b.log.Error("answer failed", "user_id", userID, "guild_id", m.GuildID, "err", err)
	}
}

// busyGrace is how long a message waits for an answer slot before its
// asker is told it is in line.
const busyGrace = 750 * time.Millisecond

// answerSlot waits for one of MAX_CONCURRENT_ANSWERS. A message that has
// to wait longer than busyGrace is told so, and the notice (or the one
// already posted) becomes its answer.
func (b *Bot) answerSlot(ctx context.Context, m *discordgo.Message, ch string, notice func(string) string, placeholder *string) (release func(), ok bool) {
	release = func() { <-b.answerSlots }
	// A wait of a moment goes untold; a longer one is announced.
	grace := time.NewTimer(busyGrace)
	defer grace.Stop()
	select {
	case b.answerSlots <- struct{}{}:
		return release, true
	case <-ctx.Done():
		return nil, false
	case <-grace.C:
	}
	if *placeholder == "" {
		*placeholder = notice(busyText)
		if *placeholder != "" {
			if err := b.db.SetInflight(store.Inflight{ID: *placeholder, UserID: m.Author.ID, ChannelID: ch,
				Messages: []string{*placeholder}, Started: b.cfg.now().UTC()}); err != nil {
				b.log.Warn("record queued notice", "user_id", m.Author.ID, "err", err)
			}
		}
	}
	select {
	case b.answerSlots <- struct{}{}:
		return release, true
	case <-ctx.Done():
		return nil, false
	}
}

// answer streams the model's answer to question q into Discord. Once the
// provider accepted the call, its cost is recorded whatever happens next:
// with the exchange when there is an answer to keep (unless the user reset
// their data meanwhile: then only the ledger takes it), else on its own.
// The exchange is stored before the final edit. streamEnded is called once
// the model has finished, so /stop no longer applies.
func (b *Bot) answer(ctx context.Context, m *discordgo.Message, q store.Message, model, placeholderID string, valid func() bool, streamEnded func(), at target) error {
	userID := m.Author.ID
	start := time.Now()
	th := at.thread
	ch, ref := replyPlace(m, th)
	r := b.newReplier(ch, ref, userID, placeholderID)
	if at.inter != nil {
		r = b.newInteractionReplier(at.inter, userID, at.ephemeral)
	}
	r.fallback = at.fallback
	tc := &toolCall{b: b, userID: userID, channelID: m.ChannelID, guildID: m.GuildID, valid: valid, out: &toolOutput{}}
	if m.Member != nil {
		tc.roles = m.Member.Roles
	}
	ts := b.toolsFor(tc)
	where := at.where
	req, err := b.buildRequestIn(where, userID, model, q, ts, b.cfg.now())
	if err != nil {
		return errors.Join(err, r.finish(UserMessage(err), ""))
	}
	ctx, cancel := context.WithTimeout(ctx, generationTimeout)
	defer cancel()
	if err := b.checkBudget(userID, b.cfg.now()); err != nil {
		if ferr := r.finish(UserMessage(err), ""); ferr != nil {
			return errors.Join(err, ferr)
		}
		return nil // a used-up budget is not a failure
	}
	typing := b.startTyping(ctx, m.ChannelID)
	run := b.runModel(ctx, r, req, ts, tc, typing)
	streamEnded()
	typing()
	res := run.res
	visible := strings.TrimSpace(llm.StripThink(res.Text, true))
	usage := run.usage
	made := tc.out.made()
	defer func() {
		outcome, reason := "answered", ""
		switch {
		case res.Err != nil && errors.Is(context.Cause(ctx), errStoppedByUser):
			outcome = "stopped"
		case res.Err != nil:
			outcome, reason = "failed", errorKind(res.Err)
		case visible == "" && len(made) == 0:
			outcome = "empty"
		}
		b.logMessage(m, outcome, reason, usage, len(run.uses), start)
	}()
	if tc.out.suppressEmbeds() {
		r.flags = discordgo.MessageFlagsSuppressEmbeds
	}
	now := b.cfg.now()
	day, month := b.ledgerDay(now), b.ledgerMonth(now)
	if res.Err != nil || (visible == "" && len(made) == 0) {
		// Nothing to keep, but calls the provider accepted are paid for.
		var recErr error
		if usage.Requests > 0 {
			if recErr = b.db.RecordUsage(userID, usage, day, month, valid); errors.Is(recErr, store.ErrStale) {
				recErr = nil
			}
		}
		final, tail := emptyReplyText, ""
		switch {
		case res.Err != nil && visible != "":
			final, tail = visible, noteFor(ctx, res.Err)
		case res.Err != nil:
			final = b.stopMessage(ctx, res.Err)
		case run.limited:
			final = fmt.Sprintf(toolLimitNote, b.cfg.MaxToolRounds)
		case res.Finish == llm.FinishLength:
			final = "✂️ The model used up its answer length thinking before it wrote anything. Please ask again, maybe more simply."
		}
		if err := r.finishWith(final, tail, answerFileName(m.ID), nil); err != nil {
			return errors.Join(res.Err, recErr, err)
		}
		if err := b.attachMade(m, made, valid); err != nil {
			b.log.Warn("attach files the tools made", "user_id", userID, "err", err)
		}
		if res.Err != nil {
			return errors.Join(fmt.Errorf("stream: %w", res.Err), recErr)
		}
		return recErr
	}
	if visible == "" {
		visible = "🖼️" // only images: they are the answer
	}
	answerMsg := store.Message{Role: store.RoleAssistant, Content: visible, DiscordMessageID: r.firstID(), ChannelID: m.ChannelID,
		Model: model, Tools: run.uses}
	for _, f := range made {
		answerMsg.FileIDs = append(answerMsg.FileIDs, f.ID)
	}
	// Counted once here, so later requests need not count them again.
	q.Tokens = b.turnTokens(userID, model, q, now)
	answerMsg.Tokens = b.turnTokens(userID, model, answerMsg, now)
	// Store before the final edit: once the user sees the whole answer, it
	// is in their history (and a Discord hiccup on the edit loses nothing).
	if at.storeAs != "" {
		q.Content = at.storeAs
		q.Tokens = b.turnTokens(userID, model, q, now)
	}
	ex := store.Exchange{
		Day: day, Month: month,
		Messages: []store.Message{q, answerMsg},
		Usage:    usage,
		Valid:    valid,
	}
	ex.Place = where.place
	if th != nil {
		ex.Messages[1].AskedBy = userID
		err = b.db.RecordThreadExchange(th.ID, userID, ex)
	} else {
		_, err = b.db.RecordExchange(userID, ex)
	}
	var notes []string
	switch {
	case errors.Is(err, store.ErrStale):
		b.log.Info("answer not stored: the user reset meanwhile", "user_id", userID)
		err = nil
	case err != nil:
		b.log.Error("store exchange", "user_id", userID, "err", err)
		// The answer stays visible; its cost must not be lost with it.
		if uerr := b.db.RecordUsage(userID, usage, day, month, valid); uerr != nil && !errors.Is(uerr, store.ErrStale) {
			b.log.Error("record usage of an unsaved exchange", "user_id", userID, "err", uerr)
		}
		notes = append(notes, notSavedNote)
	}
	if run.limited {
		notes = append(notes, fmt.Sprintf(toolLimitNote, b.cfg.MaxToolRounds))
	}
	var buttons []discordgo.MessageComponent
	if res.Finish == llm.FinishLength {
		notes = append(notes, truncatedNote)
		buttons = continueButton(userID)
	}
	if ferr := r.finishWith(visible, strings.Join(notes, "\n"), answerFileName(m.ID), buttons); ferr != nil {
		return errors.Join(err, ferr)
	}
	if aerr := b.attachMade(m, made, valid); aerr != nil {
		b.log.Warn("attach files the tools made", "user_id", userID, "err", aerr)
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
	return b.postNotice(m.ChannelID, replyRef(m), m.Author.ID, text)
}

// postNotice posts a notice in channelID (as a reply to ref, if set) and
// returns its ID, or "" when it could not be posted.
func (b *Bot) postNotice(channelID string, ref *discordgo.MessageReference, userID, text string) string {
	sent, err := b.send(channelID, &discordgo.MessageSend{Content: text, Reference: ref, AllowedMentions: noMentions()})
	if err != nil {
		b.log.Warn("send notice", "user_id", userID, "err", err)
		return ""
	}
	return sent.ID
}

// dmNotice tells a user something privately, in a DM.
func (b *Bot) dmNotice(userID, text string) {
	ch, err := b.dg.UserChannelCreate(userID)
	if err == nil {
		_, err = b.send(ch.ID, &discordgo.MessageSend{Content: text, AllowedMentions: noMentions()})
	}
	if err != nil {
		b.log.Warn("send private notice", "user_id", userID, "err", err)
	}
}

// startTyping shows "typing…" in the channel, from QuietStart on (a quick
// answer needs no indicator), until the returned function is called
// (Discord shows it for 10 seconds per call).
func (b *Bot) startTyping(ctx context.Context, channelID string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		wait := time.NewTimer(b.cfg.QuietStart)
		defer wait.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-wait.C:
			}
			if err := b.dg.ChannelTyping(channelID, discordgo.WithContext(ctx)); err != nil && ctx.Err() == nil {
				b.log.Debug("typing", "err", err)
			}
			wait.Reset(8 * time.Second)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// usageOf is the call's usage, priced, for the statistics and the ledger:
// as the provider reported it, or estimated (and marked so). A call that
// never reached the provider costs nothing.
func (b *Bot) usageOf(model string, res llm.Result) store.Usage {
	if !res.Reached {
		return store.Usage{Model: model}
	}
	cost, _ := b.models().prices.Cost(model, res.Usage)
	return store.Usage{Model: model, Requests: 1, InputTokens: res.Usage.Input, OutputTokens: res.Usage.Output,
		CostUSD: cost, Estimated: res.Usage.Estimated}
}

// replyRef is a reply to m that does not fail if m was deleted meanwhile:
// the answer is then posted on its own.
func replyRef(m *discordgo.Message) *discordgo.MessageReference {
	ref := m.Reference()
	no := false
	ref.FailIfNotExists = &no
	return ref
}
