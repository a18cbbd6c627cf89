package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/discordgpt/discordgpt/store"
)

// Threads: /chat (and a mention with AUTO_THREAD) opens a public thread
// that is one conversation, kept in the database like a user's. In it the
// bot answers every message but those starting with THREAD_IGNORE_PREFIX;
// several people may talk there, and the model sees who said what.

// threadNameMax is Discord's limit on a thread's name.
const threadNameMax = 100

// threadArchiveMinutes is how long a quiet thread stays open (Discord
// offers 60, 1440, 4320 and 10080).
const threadArchiveMinutes = 1440

// errThreadArchived is Discord's code for a post in an archived thread.
const errThreadArchived = 50083

// threadOf returns the bot's thread conversation the message is in, or nil.
func (b *Bot) threadOf(m *discordgo.Message) *store.ThreadMeta {
	if m.GuildID == "" {
		return nil
	}
	th, err := b.db.Thread(m.ChannelID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			b.log.Warn("read thread", "channel_id", m.ChannelID, "err", err)
		}
		return nil
	}
	return &th
}

// fromPerson reports whether a message comes from a person (not a bot, a
// webhook or the bot itself).
func (b *Bot) fromPerson(m *discordgo.Message) bool {
	self := b.botUserID()
	return self != "" && m.Author != nil && !m.Author.Bot && m.WebhookID == "" && m.Author.ID != self
}

// accessChannel is the channel ALLOWED_CHANNEL_IDS is checked against: a
// thread counts as its parent channel.
func (b *Bot) accessChannel(channelID string, th *store.ThreadMeta) string {
	if len(b.cfg.AllowedChannels) == 0 || contains(b.cfg.AllowedChannels, channelID) {
		return channelID
	}
	if th != nil {
		return th.ParentID
	}
	if parent := b.parentOf(channelID); parent != "" {
		return parent
	}
	return channelID
}

// parents caches which channels are threads of which parent (not user
// data: Discord's channel tree).
var parents sync.Map

// parentOf returns the parent of a thread channel, or "" for a channel
// that is not a thread (or cannot be read).
func (b *Bot) parentOf(channelID string) string {
	if v, ok := parents.Load(channelID); ok {
		return v.(string)
	}
	ch, err := b.dg.Channel(channelID)
	if err != nil {
		b.log.Warn("read channel", "channel_id", channelID, "err", err)
		return ""
	}
	parent := ""
	if ch.IsThread() {
		parent = ch.ParentID
	}
	parents.Store(channelID, parent)
	return parent
}

// turnKey is whose queue a message waits in: the thread's, so one answer
// is written there at a time, or the user's.
func turnKey(userID string, th *store.ThreadMeta) string {
	if th != nil {
		return "thread:" + th.ID
	}
	return userID
}

// replyPlace is where the answer to m goes: a reply to m, or the start of
// the thread made for it (m is then in the parent channel).
func replyPlace(m *discordgo.Message, th *store.ThreadMeta) (string, *discordgo.MessageReference) {
	if th != nil && th.ID != m.ChannelID {
		return th.ID, nil
	}
	return m.ChannelID, replyRef(m)
}

// whereAsked is the conversation a message belongs to, with the personas
// that apply there (read once per question).
func (b *Bot) whereAsked(m *discordgo.Message, th *store.ThreadMeta) convo {
	c := convo{public: m.GuildID != ""}
	channel := ""
	switch {
	case th != nil:
		c.thread, channel = th.ID, th.ParentID
	case m.GuildID != "":
		channel = m.ChannelID
		// A thread the bot did not start takes its channel's persona; its
		// parent is looked up only when some channel has a persona.
		if b.db.HasChannelPersonas() {
			if parent := b.parentOf(m.ChannelID); parent != "" {
				channel = parent
			}
		}
	}
	c.serverPersona, c.channelPersona = b.personas(m.GuildID, channel)
	if th == nil && b.cfg.ConversationScope == "place" && m.GuildID != "" {
		c.place = m.GuildID
	}
	return c
}

// displayName is how a member is called in a thread conversation.
func displayName(m *discordgo.Message) string {
	if m.Member != nil && m.Member.Nick != "" {
		return m.Member.Nick
	}
	if m.Author.GlobalName != "" {
		return m.Author.GlobalName
	}
	return m.Author.Username
}

// threadName names a thread after its first question.
func threadName(text, fallback string) string {
	name := strings.Join(strings.Fields(text), " ")
	if name == "" {
		name = fallback
	}
	if utf8.RuneCountInString(name) > threadNameMax {
		name = truncateRunes(name, threadNameMax-1) + "…"
	}
	return name
}

// autoThread opens a thread from a mention (AUTO_THREAD) and returns its
// conversation, or nil to answer in the channel (a thread cannot be made
// there: a thread already, or Discord refused).
func (b *Bot) autoThread(m *discordgo.Message, text string, valid func() bool) *store.ThreadMeta {
	if b.parentOf(m.ChannelID) != "" {
		return nil // a thread inside a thread is not possible
	}
	ch, err := b.dg.MessageThreadStartComplex(m.ChannelID, m.ID, &discordgo.ThreadStart{
		Name: threadName(text, "Chat with "+displayName(m)), AutoArchiveDuration: threadArchiveMinutes})
	if err != nil {
		b.explainRefusal(m.ChannelID, err)
		b.log.Warn("open thread", "user_id", m.Author.ID, "channel_id", m.ChannelID, "err", err)
		return nil
	}
	th := store.ThreadMeta{ID: ch.ID, OwnerID: m.Author.ID, GuildID: m.GuildID, ParentID: m.ChannelID, Created: b.cfg.now().UTC()}
	if err := b.db.CreateThread(th, valid); err != nil {
		b.log.Warn("record thread", "user_id", m.Author.ID, "err", err)
		return nil
	}
	return &th
}

// chatCommand is /chat: open a thread and talk there.
func chatCommand() *discordgo.ApplicationCommand {
	return &discordgo.ApplicationCommand{Name: "chat", Description: "Open a thread to talk with me: no need to mention me there",
		Contexts: &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild},
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "message", Description: "Your first message", MaxLength: 2000},
			{Type: discordgo.ApplicationCommandOptionString, Name: "model", Description: "The model for this thread", Autocomplete: true, MaxLength: 100},
		}}
}

// cmdChat opens a thread owned by the user, posts their first message
// there (when given) and answers it.
func (b *Bot) cmdChat(ctx context.Context, i *discordgo.Interaction) error {
	user := interactionUser(i)
	if i.GuildID == "" {
		return b.respondEphemeral(i, "🧵 `/chat` opens a thread in a server channel; here, just write to me.")
	}
	if th := b.threadOf(&discordgo.Message{GuildID: i.GuildID, ChannelID: i.ChannelID}); th != nil || b.parentOf(i.ChannelID) != "" {
		return b.respondEphemeral(i, "🧵 This is a thread already: write here (no need to mention me), or use `/chat` in a channel.")
	}
	var text, model string
	for _, o := range i.ApplicationCommandData().Options {
		switch o.Name {
		case "message":
			text = strings.TrimSpace(o.StringValue())
		case "model":
			model = strings.TrimSpace(o.StringValue())
		}
	}
	if model != "" {
		found, ok := b.offeredModel(model)
		if !ok {
			return b.respondEphemeral(i, fmt.Sprintf("❌ `%s` is not one of the models offered here; see `/choose_model`.", truncateRunes(model, 80)))
		}
		model = found
	}
	var roles []string
	if i.Member != nil {
		roles = i.Member.Roles
	}
	if refusal := b.access(user.ID, b.accessChannel(i.ChannelID, nil), roles); refusal != "" {
		return b.respondEphemeral(i, refusal)
	}
	if err := b.deferEphemeral(i); err != nil {
		return err
	}
	gen := b.users.gen(user.ID)
	valid := func() bool { return b.users.current(user.ID, gen) }
	m := &discordgo.Message{GuildID: i.GuildID, ChannelID: i.ChannelID, Author: user, Member: i.Member}
	ch, err := b.dg.ThreadStartComplex(i.ChannelID, &discordgo.ThreadStart{Name: threadName(text, "Chat with "+displayName(m)),
		Type: discordgo.ChannelTypeGuildPublicThread, AutoArchiveDuration: threadArchiveMinutes})
	if err != nil {
		b.explainRefusal(i.ChannelID, err)
		return b.editDeferred(i, "⚠️ I could not open a thread here: I need the Create Public Threads and Send Messages in Threads permissions.")
	}
	th := store.ThreadMeta{ID: ch.ID, OwnerID: user.ID, GuildID: i.GuildID, ParentID: i.ChannelID, Model: model, Created: b.cfg.now().UTC()}
	if err := b.db.CreateThread(th, valid); err != nil {
		return err
	}
	if err := b.editDeferred(i, fmt.Sprintf("🧵 Started <#%s>: talk to me there, no need to mention me (start a message with `%s` to talk among yourselves).",
		ch.ID, b.cfg.ThreadIgnorePrefix)); err != nil {
		b.log.Warn("answer /chat", "user_id", user.ID, "err", err)
	}
	if text == "" {
		_, err := b.send(ch.ID, &discordgo.MessageSend{Content: fmt.Sprintf("👋 %s opened this thread. Ask away.", displayName(m)), AllowedMentions: noMentions()})
		return err
	}
	// The first message is posted in the thread, in their name, and answered.
	first, err := b.send(ch.ID, &discordgo.MessageSend{Content: fmt.Sprintf("**%s:** %s", displayName(m), text), AllowedMentions: noMentions()})
	if err != nil {
		return err
	}
	q := store.Message{Role: store.RoleUser, Content: text, DiscordMessageID: first.ID, ChannelID: ch.ID}
	asked := &discordgo.Message{ID: first.ID, GuildID: i.GuildID, ChannelID: ch.ID, Author: user, Member: i.Member}
	b.converse(ctx, asked, q, valid, target{thread: &th})
	return nil
}

// editDeferred replaces a deferred answer's "thinking" with text.
func (b *Bot) editDeferred(i *discordgo.Interaction, text string) error {
	_, err := b.dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &text, AllowedMentions: noMentions()})
	return err
}

// unarchiveAndRetry runs post; if Discord refuses because the thread is
// archived (a moderator, or its quiet timer), it reopens the thread once
// and posts again. A locked thread stays refused.
func (b *Bot) unarchiveAndRetry(channelID string, post func() error) error {
	err := post()
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Message == nil || re.Message.Code != errThreadArchived {
		return err
	}
	open := false
	if _, uerr := b.dg.ChannelEditComplex(channelID, &discordgo.ChannelEdit{Archived: &open}); uerr != nil {
		return errors.Join(err, fmt.Errorf("reopen thread: %w", uerr))
	}
	return post()
}

// maxQuote bounds the quoted text of a message replied to.
const maxQuote = 4000

// quoted returns, for a message that replies to someone else's message
// (not the bot's: that one is in the conversation already), the quoted
// text and a message carrying its images as the asker's, to be saved.
func (b *Bot) quoted(m *discordgo.Message) (string, *discordgo.Message) {
	ref := m.ReferencedMessage
	if ref == nil || ref.Author == nil || ref.Author.ID == b.botUserID() {
		return "", nil
	}
	name := ref.Author.GlobalName
	if name == "" {
		name = ref.Author.Username
	}
	var quote string
	if body := strings.TrimSpace(ref.Content); body != "" {
		if utf8.RuneCountInString(body) > maxQuote {
			body = truncateRunes(body, maxQuote) + " […]"
		}
		quote = fmt.Sprintf("[Replying to %s, who wrote:]\n> %s", name, strings.ReplaceAll(body, "\n", "\n> "))
	}
	var images []*discordgo.MessageAttachment
	for _, a := range ref.Attachments {
		if a != nil && strings.HasPrefix(a.ContentType, "image/") {
			images = append(images, a)
		}
	}
	if len(images) == 0 {
		return quote, nil
	}
	if quote == "" {
		quote = fmt.Sprintf("[Replying to %s, who sent the image(s) below:]", name)
	}
	qm := *m
	qm.Attachments = images
	return quote, &qm
}
