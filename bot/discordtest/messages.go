package discordtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// SendMessage injects a user's message: it fills ID, timestamp and author
// defaults, stores it (so replies can reference it) and dispatches
// MESSAGE_CREATE. Without the MESSAGE_CONTENT intent, a guild message that
// does not mention the bot arrives with its content, attachments and embeds
// blanked, as Discord does.
func (s *Server) SendMessage(m *discordgo.Message) *discordgo.Message {
	s.mu.Lock()
	if m.ID == "" {
		m.ID = s.newID()
	}
	if m.Timestamp.IsZero() {
		m.Timestamp = time.Now()
	}
	if m.Author == nil {
		m.Author = &discordgo.User{ID: s.newID(), Username: "someone"}
	}
	if m.ChannelID == "" {
		m.ChannelID = s.newID()
	}
	if th, ok := s.threads[m.ChannelID]; ok && th.ThreadMetadata.Archived && !th.ThreadMetadata.Locked {
		th.ThreadMetadata.Archived = false // a member's message unarchives it
	}
	stored := *m
	s.messages[m.ID] = &stored
	s.order = append(s.order, m.ID)
	sent := *m
	if sent.GuildID != "" && s.gw.intents&discordgo.IntentMessageContent == 0 && !mentions(m, s.BotUser.ID) {
		sent.Content, sent.Attachments, sent.Embeds = "", nil, nil
	}
	s.notify()
	s.mu.Unlock()
	s.Dispatch("MESSAGE_CREATE", &sent)
	return m
}

func mentions(m *discordgo.Message, id string) bool {
	for _, u := range m.Mentions {
		if u != nil && u.ID == id {
			return true
		}
	}
	return false
}

// interactionState tracks one dispatched interaction's responses.
type interactionState struct {
	i          discordgo.Interaction
	created    time.Time
	responded  bool
	respType   discordgo.InteractionResponseType
	originalID string
	messageIDs []string // original and followups
}

// SendInteraction injects an interaction: it fills ID, token, application
// ID and version, and dispatches INTERACTION_CREATE. Its first response is
// accepted within InteractionDeadline, webhook calls for 15 minutes.
func (s *Server) SendInteraction(i *discordgo.Interaction) *discordgo.Interaction {
	s.mu.Lock()
	if i.ID == "" {
		i.ID = s.newID()
	}
	if i.Token == "" {
		i.Token = "itoken-" + i.ID
	}
	if i.AppID == "" {
		i.AppID = s.AppID
	}
	if i.ChannelID == "" {
		i.ChannelID = s.newID()
	}
	i.Version = 1
	st := &interactionState{i: *i, created: time.Now()}
	s.inter[i.ID] = st
	s.mu.Unlock()
	register(shared.inter, i.Token, s)
	// Discord adds the upload limit that applies where the interaction
	// happened; discordgo does not decode it.
	raw, _ := json.Marshal(i)
	var payload map[string]any
	_ = json.Unmarshal(raw, &payload)
	payload["attachment_size_limit"] = MaxFileBytes
	s.Dispatch("INTERACTION_CREATE", payload)
	return i
}

// InteractionMessages returns the messages an interaction's responses made
// or edited (the original response first, then followups), as they stand.
func (s *Server) InteractionMessages(interactionID string) []discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.inter[interactionID]
	if !ok {
		return nil
	}
	var out []discordgo.Message
	for _, id := range st.messageIDs {
		if m, ok := s.messages[id]; ok {
			out = append(out, *m)
		}
	}
	return out
}

// InteractionResponse returns the type of the interaction's first response
// and whether there was one.
func (s *Server) InteractionResponse(interactionID string) (discordgo.InteractionResponseType, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.inter[interactionID]
	if !ok || !st.responded {
		return 0, false
	}
	return st.respType, true
}

func (s *Server) interactionCallback(w http.ResponseWriter, id, token string, req Request) {
	var body struct {
		Type discordgo.InteractionResponseType `json:"type"`
		Data json.RawMessage                   `json:"data"`
	}
	if err := req.JSON(&body); err != nil {
		writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: %v", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.inter[id]
	if !ok || st.i.Token != token || time.Since(st.created) > s.InteractionDeadline {
		writeError(w, http.StatusNotFound, 10062, "Unknown interaction")
		return
	}
	if st.responded {
		writeError(w, http.StatusBadRequest, 40060, "Interaction has already been acknowledged.")
		return
	}
	it := st.i.Type
	isComponent := it == discordgo.InteractionMessageComponent
	switch body.Type {
	case discordgo.InteractionResponseChannelMessageWithSource, discordgo.InteractionResponseDeferredChannelMessageWithSource:
		if it == discordgo.InteractionApplicationCommandAutocomplete {
			writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: autocomplete needs type 8")
			return
		}
		var p messagePayload
		if len(body.Data) > 0 {
			if err := json.Unmarshal(body.Data, &p); err != nil {
				writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: %v", err)
				return
			}
		}
		if body.Type == discordgo.InteractionResponseDeferredChannelMessageWithSource {
			p.Flags |= discordgo.MessageFlagsLoading
			empty := ""
			p.Content, p.Embeds, p.Components = &empty, nil, nil
		}
		m, err := s.createMessage(st.i.ChannelID, p, req.Files, true, body.Type == discordgo.InteractionResponseDeferredChannelMessageWithSource)
		if err != nil {
			writeFormError(w, err)
			return
		}
		st.originalID = m.ID
		st.messageIDs = append(st.messageIDs, m.ID)
	case discordgo.InteractionResponseDeferredMessageUpdate, discordgo.InteractionResponseUpdateMessage:
		if !isComponent || st.i.Message == nil {
			writeError(w, http.StatusBadRequest, 40043, "Interaction type 6 and 7 are only for component interactions")
			return
		}
		st.originalID = st.i.Message.ID
		st.messageIDs = append(st.messageIDs, st.originalID)
		if body.Type == discordgo.InteractionResponseUpdateMessage {
			var p messagePayload
			if err := json.Unmarshal(body.Data, &p); err != nil {
				writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: %v", err)
				return
			}
			if _, err := s.editMessage(st.originalID, p, req.Files); err != nil {
				writeFormError(w, err)
				return
			}
		}
	case discordgo.InteractionApplicationCommandAutocompleteResult:
		if it != discordgo.InteractionApplicationCommandAutocomplete {
			writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: type 8 is only for autocomplete")
			return
		}
		var d struct {
			Choices []struct {
				Name  string `json:"name"`
				Value any    `json:"value"`
			} `json:"choices"`
		}
		if err := json.Unmarshal(body.Data, &d); err != nil || len(d.Choices) > MaxChoices {
			writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: choices must be 0-%d", MaxChoices)
			return
		}
		for _, c := range d.Choices {
			if n := runes(c.Name); n < 1 || n > MaxOptionText {
				writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: choice name must be 1-%d", MaxOptionText)
				return
			}
		}
	case discordgo.InteractionResponseModal:
		if it == discordgo.InteractionModalSubmit || it == discordgo.InteractionApplicationCommandAutocomplete {
			writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: no modal here")
			return
		}
	default:
		writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: response type %d", body.Type)
		return
	}
	st.responded = true
	st.respType = body.Type
	w.WriteHeader(http.StatusNoContent)
}

// writeFormError turns a validation error into Discord's answer.
func writeFormError(w http.ResponseWriter, err error) {
	var nf notFound
	switch {
	case errors.Is(err, errEmpty):
		writeError(w, http.StatusBadRequest, 50006, "Cannot send an empty message")
	case errors.As(err, &nf):
		writeError(w, http.StatusNotFound, 10008, "Unknown Message")
	default:
		writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: %v", err)
	}
}

type notFound struct{ id string }

func (e notFound) Error() string { return "unknown message " + e.id }

// createMessage validates and stores a bot message; call with s.mu held.
// nonceEntry is a message made by a send with enforce_nonce.
type nonceEntry struct {
	id   string
	when time.Time
}

// nonceWindow is how long Discord remembers an enforced nonce ("the past
// few minutes").
const nonceWindow = 5 * time.Minute

func (s *Server) createMessage(channelID string, p messagePayload, files []File, webhook, deferred bool) (*discordgo.Message, error) {
	if p.Nonce != "" && p.EnforceNonce {
		if len(p.Nonce) > 25 {
			return nil, errors.New("nonce: Must be 25 or fewer in length")
		}
		key := channelID + "/" + p.Nonce
		if e, ok := s.nonces[key]; ok && time.Since(e.when) < nonceWindow {
			if m, ok := s.messages[e.id]; ok {
				return m, nil
			}
		}
		m, err := s.createMessage(channelID, messagePayload{Content: p.Content, Embeds: p.Embeds, Components: p.Components,
			Flags: p.Flags, MessageReference: p.MessageReference, Attachments: p.Attachments}, files, webhook, deferred)
		if err == nil {
			s.nonces[key] = nonceEntry{id: m.ID, when: time.Now()}
		}
		return m, err
	}
	content := ""
	if p.Content != nil {
		content = *p.Content
	}
	var embeds []*discordgo.MessageEmbed
	if p.Embeds != nil {
		embeds = *p.Embeds
	}
	var comps []component
	if p.Components != nil {
		comps = *p.Components
	}
	if !deferred {
		if err := validateMessage(content, embeds, comps, len(files)); err != nil {
			return nil, err
		}
	}
	if ref := p.MessageReference; ref != nil && ref.MessageID != "" {
		if _, ok := s.messages[ref.MessageID]; !ok {
			// Discord's fail_if_not_exists defaults to true; false sends
			// the message as a plain one.
			if ref.FailIfNotExists == nil || *ref.FailIfNotExists {
				return nil, errors.New("message_reference: Unknown message")
			}
			p.MessageReference = nil
		}
	}
	m := &discordgo.Message{
		ID: s.newID(), ChannelID: channelID, Content: content, Embeds: embeds,
		Author: &s.BotUser, Flags: p.Flags, MessageReference: p.MessageReference, Timestamp: time.Now(),
	}
	if webhook {
		m.WebhookID = s.AppID
	}
	if err := setComponents(m, comps); err != nil {
		return nil, err
	}
	m.Attachments = s.storeFiles(files)
	s.messages[m.ID] = m
	s.order = append(s.order, m.ID)
	s.notify()
	return m, nil
}

// editMessage applies an edit to a bot message; call with s.mu held.
func (s *Server) editMessage(id string, p messagePayload, files []File) (*discordgo.Message, error) {
	old, ok := s.messages[id]
	if !ok {
		return nil, notFound{id}
	}
	m := *old
	if p.Content != nil {
		m.Content = *p.Content
	}
	if p.Embeds != nil {
		m.Embeds = *p.Embeds
	}
	comps, err := componentsOf(old)
	if err != nil {
		return nil, err
	}
	if p.Components != nil {
		comps = *p.Components
	}
	if p.Attachments != nil {
		var kept []*discordgo.MessageAttachment
		for _, a := range *p.Attachments {
			for _, oa := range old.Attachments {
				if oa.ID == a.ID {
					kept = append(kept, oa)
				}
			}
		}
		m.Attachments = kept
	}
	m.Attachments = append(m.Attachments, s.storeFiles(files)...)
	if err := validateMessage(m.Content, m.Embeds, comps, len(m.Attachments)); err != nil {
		return nil, err
	}
	if err := setComponents(&m, comps); err != nil {
		return nil, err
	}
	m.Flags &^= discordgo.MessageFlagsLoading
	if p.flagsSet {
		m.Flags = m.Flags&^editableFlags | p.Flags&editableFlags
	}
	now := time.Now()
	m.EditedTimestamp = &now
	s.messages[id] = &m
	s.notify()
	return &m, nil
}

// setComponents stores validated wire components as discordgo's types.
func setComponents(m *discordgo.Message, comps []component) error {
	m.Components = nil
	if len(comps) == 0 {
		return nil
	}
	raw, err := json.Marshal(map[string]any{"components": comps})
	if err != nil {
		return err
	}
	var tmp discordgo.Message
	if err := json.Unmarshal(raw, &tmp); err != nil {
		return err
	}
	m.Components = tmp.Components
	return nil
}

// componentsOf turns a stored message's components back into wire form.
func componentsOf(m *discordgo.Message) ([]component, error) {
	if len(m.Components) == 0 {
		return nil, nil
	}
	raw, err := json.Marshal(m.Components)
	if err != nil {
		return nil, err
	}
	var out []component
	return out, json.Unmarshal(raw, &out)
}

// storeFiles makes uploaded files downloadable; call with s.mu held.
func (s *Server) storeFiles(files []File) []*discordgo.MessageAttachment {
	var out []*discordgo.MessageAttachment
	for _, f := range files {
		id := s.newID()
		path := "/attachments/" + id + "/" + f.Name
		s.files[path] = f
		register(shared.files, path, s)
		out = append(out, &discordgo.MessageAttachment{ID: id, Filename: f.Name, ContentType: f.ContentType,
			Size: len(f.Data), URL: s.URL + path[1:], ProxyURL: s.URL + path[1:]})
	}
	return out
}

// FileData returns the bytes behind an attachment the bot uploaded.
func (s *Server) FileData(a *discordgo.MessageAttachment) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files["/attachments/"+a.ID+"/"+a.Filename]
	return f.Data, ok
}

func (s *Server) channelMessagesRoute(w http.ResponseWriter, method string, p []string, req Request) {
	channelID := p[1]
	s.mu.Lock()
	defer s.mu.Unlock()
	if (method == http.MethodPost || method == http.MethodPatch) && s.archivedThread(channelID) {
		writeError(w, http.StatusBadRequest, 50083, "Thread is archived")
		return
	}
	if len(p) == 3 && method == http.MethodPost {
		var mp messagePayload
		if err := req.JSON(&mp); err != nil && len(req.Body) > 0 {
			writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: %v", err)
			return
		}
		m, err := s.createMessage(channelID, mp, req.Files, false, false)
		if err != nil {
			writeFormError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, m)
		return
	}
	if len(p) == 3 && method == http.MethodGet {
		s.listMessages(w, channelID, req.Query)
		return
	}
	if len(p) != 4 {
		writeError(w, http.StatusNotFound, 0, "404: Not Found")
		return
	}
	m, ok := s.messages[p[3]]
	if !ok || m.ChannelID != channelID {
		writeError(w, http.StatusNotFound, 10008, "Unknown Message")
		return
	}
	switch method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, m)
	case http.MethodPatch:
		if m.Author == nil || m.Author.ID != s.BotUser.ID {
			writeError(w, http.StatusForbidden, 50005, "Cannot edit a message authored by another user")
			return
		}
		var mp messagePayload
		if err := req.JSON(&mp); err != nil {
			writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: %v", err)
			return
		}
		em, err := s.editMessage(m.ID, mp, req.Files)
		if err != nil {
			writeFormError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, em)
	case http.MethodDelete:
		delete(s.messages, m.ID)
		s.notify()
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusMethodNotAllowed, 0, "405: Method Not Allowed")
	}
}

func (s *Server) webhookRoute(w http.ResponseWriter, method string, p []string, req Request) {
	appID, token := p[1], p[2]
	s.mu.Lock()
	defer s.mu.Unlock()
	var st *interactionState
	for _, x := range s.inter {
		if x.i.Token == token {
			st = x
		}
	}
	if st == nil || appID != s.AppID || !st.responded || time.Since(st.created) > 15*time.Minute {
		writeError(w, http.StatusNotFound, 10015, "Unknown Webhook")
		return
	}
	if len(p) == 3 && method == http.MethodPost {
		var mp messagePayload
		if err := req.JSON(&mp); err != nil {
			writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: %v", err)
			return
		}
		m, err := s.createMessage(st.i.ChannelID, mp, req.Files, true, false)
		if err != nil {
			writeFormError(w, err)
			return
		}
		st.messageIDs = append(st.messageIDs, m.ID)
		writeJSON(w, http.StatusOK, m)
		return
	}
	if len(p) != 5 || p[3] != "messages" {
		writeError(w, http.StatusNotFound, 0, "404: Not Found")
		return
	}
	id := p[4]
	if id == "@original" {
		id = st.originalID
	}
	known := false
	for _, mid := range st.messageIDs {
		known = known || mid == id
	}
	if _, ok := s.messages[id]; !ok || !known {
		writeError(w, http.StatusNotFound, 10008, "Unknown Message")
		return
	}
	switch method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, s.messages[id])
	case http.MethodPatch:
		var mp messagePayload
		if err := req.JSON(&mp); err != nil {
			writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: %v", err)
			return
		}
		m, err := s.editMessage(id, mp, req.Files)
		if err != nil {
			writeFormError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, m)
	case http.MethodDelete:
		delete(s.messages, id)
		s.notify()
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusMethodNotAllowed, 0, "405: Method Not Allowed")
	}
}

// listMessages answers GET /channels/{id}/messages as Discord documents
// it: limit 1-100 (default 50); with after, the messages after that ID,
// else the newest (before that ID, when given); newest first. Call with
// s.mu held.
func (s *Server) listMessages(w http.ResponseWriter, channelID, rawQuery string) {
	q, _ := url.ParseQuery(rawQuery)
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body: limit: int value should be less than or equal to 100.")
			return
		}
		limit = n
	}
	less := func(a, b string) bool {
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return a < b
	}
	var in []*discordgo.Message
	for _, id := range s.order {
		m, ok := s.messages[id]
		if !ok || m.ChannelID != channelID || m.Flags&discordgo.MessageFlagsEphemeral != 0 { // only its recipient sees an ephemeral one
			continue
		}
		if a := q.Get("after"); a != "" && !less(a, m.ID) {
			continue
		}
		if b := q.Get("before"); b != "" && !less(m.ID, b) {
			continue
		}
		in = append(in, m)
	}
	sort.Slice(in, func(i, j int) bool { return less(in[i].ID, in[j].ID) })
	if q.Get("after") != "" {
		if len(in) > limit {
			in = in[:limit] // the ones right after
		}
	} else if len(in) > limit {
		in = in[len(in)-limit:] // the newest
	}
	out := make([]*discordgo.Message, 0, len(in))
	for k := len(in) - 1; k >= 0; k-- {
		out = append(out, in[k])
	}
	writeJSON(w, http.StatusOK, out)
}
