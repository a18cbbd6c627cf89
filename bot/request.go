package bot

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/store"
)

// systemPrompt is SYSTEM_PROMPT with the current date and time in TIMEZONE.
func (b *Bot) systemPrompt(now time.Time) string {
	return b.cfg.SystemPrompt + "\nCurrent date and time: " + now.In(b.cfg.Timezone).Format("Monday, 2 January 2006 15:04 MST") + "."
}

// toMessages turns a stored message into what the model sees: one
// message, or for an answer that used tools, its calls and their results
// first. current marks the question being answered now (documents are
// inlined on that turn only; later turns read them with read_file).
func (b *Bot) toMessages(userID string, m store.Message, now time.Time, current bool) []llm.Message {
	if m.Role == store.RoleAssistant {
		return append(toolMessages(m.Tools), llm.Message{Role: m.Role, Content: m.Content})
	}
	content := m.Content
	if m.AuthorName != "" { // a thread: who said it
		content = m.AuthorName + ": " + content
	}
	if m.AuthorID != "" {
		userID = m.AuthorID // their files
	}
	if len(m.FileIDs) == 0 {
		return []llm.Message{{Role: m.Role, Content: content}}
	}
	var parts []llm.Part
	if content != "" {
		parts = append(parts, llm.Part{Text: content})
	}
	parts = append(parts, b.fileParts(userID, m.FileIDs, now, current)...)
	return []llm.Message{{Role: m.Role, Parts: parts}}
}

// toolMessages replays the tool calls of a stored answer: per round, the
// assistant's calls, then each result.
func toolMessages(uses []store.ToolUse) []llm.Message {
	var out []llm.Message
	for i := 0; i < len(uses); {
		j := i
		call := llm.Message{Role: llm.RoleAssistant}
		for ; j < len(uses) && uses[j].Round == uses[i].Round; j++ {
			call.ToolCalls = append(call.ToolCalls, llm.ToolCall{ID: uses[j].ID, Name: uses[j].Name, Arguments: uses[j].Arguments})
		}
		out = append(out, call)
		for k := i; k < j; k++ {
			out = append(out, llm.Message{Role: llm.RoleTool, ToolCallID: uses[k].ID, Content: uses[k].Result})
		}
		i = j
	}
	return out
}

// turnTokens is what a stored message will weigh in later requests (its
// form on later turns: documents not inlined), counted once as it is
// stored.
func (b *Bot) turnTokens(userID, model string, m store.Message, now time.Time) int {
	return llm.Turn{Messages: b.toMessages(userID, m, now, false)}.Size(model)
}

// buildRequest assembles the call for question q: the system prompt, as
// much recent history as fits HISTORY_TOKENS, q, and the tools ts offered.
func (b *Bot) buildRequest(userID, model string, q store.Message, ts map[string]*tool, now time.Time) (llm.Request, error) {
	return b.buildRequestIn(convo{}, userID, model, q, ts, now)
}

// convo is where a question is asked, and so which conversation answers it.
type convo struct {
	// thread is the bot's thread the conversation lives in, if any.
	thread string
	// place is the server whose separate conversation it is
	// (CONVERSATION_SCOPE=place); "" for the user's own.
	place string
	// public is set in a server channel or thread, where others read along.
	public bool
	// serverPersona and channelPersona apply where it was asked (a
	// thread takes its parent channel's).
	serverPersona, channelPersona *store.Persona
}

// buildRequestIn is buildRequest in a conversation: the thread's, the
// user's in a server (place scope), or the user's own.
func (b *Bot) buildRequestIn(where convo, userID, model string, q store.Message, ts map[string]*tool, now time.Time) (llm.Request, error) {
	threadID := where.thread
	budget := b.cfg.HistoryTokens
	// Read back from the newest only as far as the budget can reach: a
	// stored count where there is one, else the text's tokens (a message's
	// files are not counted here, so this never stops too early; the fit
	// below counts exactly). Nothing else is read inside the transaction.
	var hist []store.Message
	used := 0
	back := func(fn func(store.Message) bool) error { return b.db.HistoryBack(userID, fn) }
	switch {
	case threadID != "":
		back = func(fn func(store.Message) bool) error { return b.db.ThreadHistoryBack(threadID, fn) }
	case where.place != "":
		back = func(fn func(store.Message) bool) error { return b.db.PlaceHistoryBack(userID, where.place, fn) }
	}
	err := back(func(m store.Message) bool {
		hist = append(hist, m)
		if m.Tokens > 0 {
			used += m.Tokens
		} else {
			used += llm.PerMessageTokens + llm.CountTokens(model, m.Content)
		}
		return used <= budget && len(hist) < historyLoad
	})
	if err != nil {
		return llm.Request{}, err
	}
	slices.Reverse(hist)
	turns := make([]llm.Turn, 0, len(hist))
	for _, h := range hist {
		turns = append(turns, llm.Turn{Messages: b.toMessages(userID, h, now, false), Tokens: h.Tokens})
	}
	system := b.systemPrompt(now) + personaPrompt(where)
	switch {
	case threadID != "":
		system += "\nYou are in a public Discord thread where several people may talk; each of their messages starts with the name of who wrote it."
	case where.public:
		system += "\nYou are in a public channel of a Discord server: others can read your answers."
	default:
		system += "\nYou are in a private direct message with the user."
	}
	if ts["run_python"] != nil {
		system += b.codeFilesNote(userID)
	}
	if ts["set_reminder"] != nil {
		loc := b.userZone(userID)
		system += "\nThe user's time zone, for reminders: " + loc.String() + " (it is " + now.In(loc).Format("Monday, 2 January 2006 15:04") + " there)."
	}
	// The tool definitions go with every call: their tokens come off the
	// budget first.
	defs := toolDefs(ts)
	if len(defs) > 0 {
		raw, _ := json.Marshal(defs)
		budget = max(budget/2, budget-llm.CountTokens(model, string(raw)))
	}
	all, _ := llm.FitTurns(model, budget, system, turns, b.toMessages(userID, q, now, true)[0])
	// A tool result whose call was trimmed away would be refused.
	for len(all) > 1 && all[0].Role == llm.RoleTool {
		all = all[1:]
	}
	b.loadImages(userID, all) // only for the messages that made the cut
	maxOut := maxTokensChat
	if llm.IsReasoning(model) {
		maxOut = maxTokensReasoning
	}
	return llm.Request{Model: model, System: system, Messages: all, MaxOutputTokens: maxOut,
		Temperature: b.cfg.Temperature, ReasoningEffort: b.cfg.ReasoningEffort, Tools: defs}, nil
}
