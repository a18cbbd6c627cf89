package discordtest

import (
	"net/http"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Threads, as Discord's channel documentation describes them: a thread is
// a channel of type 11 (public) or 12 (private) under a text channel
// (parent_id), named with 1 to 100 characters. One started from a message
// has that message's ID. A message cannot be posted in an archived thread
// (400, code 50083) until it is unarchived; a user's message unarchives an
// unlocked one; only a member with Manage Threads may unarchive a locked
// one (the bot here has no such permission: 403, code 50013).

// threadPayload is the body of the thread-start endpoints.
type threadPayload struct {
	Name                string `json:"name"`
	Type                int    `json:"type"`
	AutoArchiveDuration int    `json:"auto_archive_duration"`
}

// channelPatch is the part of a channel edit the fake understands.
type channelPatch struct {
	Archived *bool `json:"archived"`
	Locked   *bool `json:"locked"`
}

// startThread creates a thread under parent (from message msgID when set).
func (s *Server) startThread(w http.ResponseWriter, parent, msgID string, req Request) {
	var tp threadPayload
	if err := req.JSON(&tp); err != nil {
		writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: %v", err)
		return
	}
	if n := utf8.RuneCountInString(tp.Name); n < 1 || n > 100 {
		writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: name: Must be between 1 and 100 in length.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.threads == nil {
		s.threads = map[string]*discordgo.Channel{}
	}
	if _, isThread := s.threads[parent]; isThread {
		writeError(w, http.StatusBadRequest, 50024, "Cannot execute action on this channel type")
		return
	}
	id := s.newID()
	typ := discordgo.ChannelTypeGuildPublicThread
	if msgID != "" {
		m, ok := s.messages[msgID]
		if !ok || m.ChannelID != parent {
			writeError(w, http.StatusNotFound, 10008, "Unknown Message")
			return
		}
		if _, exists := s.threads[msgID]; exists {
			writeError(w, http.StatusBadRequest, 160004, "A thread has already been created for this message")
			return
		}
		id = msgID
	} else if tp.Type == int(discordgo.ChannelTypeGuildPrivateThread) {
		typ = discordgo.ChannelTypeGuildPrivateThread
	}
	ch := &discordgo.Channel{ID: id, Type: typ, GuildID: DefaultGuildID, ParentID: parent, Name: tp.Name,
		OwnerID: s.BotUser.ID, ThreadMetadata: &discordgo.ThreadMetadata{AutoArchiveDuration: tp.AutoArchiveDuration}}
	s.threads[id] = ch
	s.notify()
	writeJSON(w, http.StatusCreated, ch)
}

// channelRoute answers GET and PATCH /channels/{id}.
func (s *Server) channelRoute(w http.ResponseWriter, method, id string, req Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	th, isThread := s.threads[id]
	switch {
	case method == http.MethodGet && isThread:
		writeJSON(w, http.StatusOK, th)
	case method == http.MethodGet:
		typ := discordgo.ChannelTypeGuildText
		guild := DefaultGuildID
		for _, dm := range s.dmByUser {
			if dm == id {
				typ, guild = discordgo.ChannelTypeDM, ""
			}
		}
		writeJSON(w, http.StatusOK, &discordgo.Channel{ID: id, Type: typ, GuildID: guild})
	case method == http.MethodPatch && isThread:
		var p channelPatch
		if err := req.JSON(&p); err != nil {
			writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: %v", err)
			return
		}
		if th.ThreadMetadata.Locked && p.Archived != nil && !*p.Archived {
			writeError(w, http.StatusForbidden, 50013, "Missing Permissions")
			return
		}
		if p.Archived != nil {
			th.ThreadMetadata.Archived = *p.Archived
		}
		if p.Locked != nil {
			th.ThreadMetadata.Locked = *p.Locked
		}
		s.notify()
		writeJSON(w, http.StatusOK, th)
	default:
		writeError(w, http.StatusMethodNotAllowed, 0, "405: Method Not Allowed")
	}
}

// archivedThread reports whether channelID is an archived thread; call
// with s.mu held.
func (s *Server) archivedThread(channelID string) bool {
	th, ok := s.threads[channelID]
	return ok && th.ThreadMetadata.Archived
}

// Thread returns a thread the bot started, as Discord holds it.
func (s *Server) Thread(id string) (discordgo.Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	th, ok := s.threads[id]
	if !ok {
		return discordgo.Channel{}, false
	}
	c := *th
	md := *th.ThreadMetadata
	c.ThreadMetadata = &md
	return c, true
}

// Threads lists the threads started so far.
func (s *Server) Threads() []discordgo.Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []discordgo.Channel
	for _, th := range s.threads {
		c := *th
		out = append(out, c)
	}
	return out
}

// AddThread makes a thread under parentID as a member would (the bot did
// not start it) and returns its ID.
func (s *Server) AddThread(parentID, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.threads == nil {
		s.threads = map[string]*discordgo.Channel{}
	}
	id := s.newID()
	s.threads[id] = &discordgo.Channel{ID: id, Type: discordgo.ChannelTypeGuildPublicThread, GuildID: DefaultGuildID,
		ParentID: parentID, Name: name, OwnerID: "1", ThreadMetadata: &discordgo.ThreadMetadata{}}
	return id
}

// ArchiveThread archives a thread (and locks it when locked is set), as a
// moderator or Discord's inactivity timer does.
func (s *Server) ArchiveThread(id string, locked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if th, ok := s.threads[id]; ok {
		th.ThreadMetadata.Archived, th.ThreadMetadata.Locked = true, locked
	}
}
