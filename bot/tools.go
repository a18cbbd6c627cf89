package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/store"
)

// toolNames are every tool the bot has, in the order they are offered.
var toolNames = []string{"list_files", "read_file", "run_python", "fetch_url", "web_search", "set_reminder", "list_reminders", "cancel_reminder", "generate_image"}

// Tool result limits.
const (
	// maxToolResult caps what one call gives the model.
	maxToolResult = 32 << 10
	// maxToolResultKept caps a result kept in the history for later turns.
	maxToolResultKept = 4 << 10
	// maxToolArgs refuses arguments larger than any tool needs.
	maxToolArgs = 16 << 10
)

// tool is one function the model may call.
type tool struct {
	def llm.Tool
	// status is the short line shown while the call runs.
	status func(tc *toolCall) string
	// run does the call; its error is told to the model in short.
	run func(ctx context.Context, tc *toolCall) (string, error)
}

// toolCall is one call in progress: who asked, where, and its arguments.
type toolCall struct {
	b         *Bot
	userID    string
	channelID string
	guildID   string
	roles     []string
	valid     func() bool
	args      json.RawMessage
	// out collects what the answer carries besides text.
	out *toolOutput
}

// toolOutput is what a run of tools made besides text: files to attach
// to the answer. It is shared by the calls of one answer.
type toolOutput struct {
	mu    sync.Mutex
	files []store.FileMeta
	// suppress is set when the answer cites the web: its links show no
	// previews.
	suppress bool
}

func (o *toolOutput) noEmbeds() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.suppress = true
}

func (o *toolOutput) suppressEmbeds() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.suppress
}

func (o *toolOutput) addFile(f store.FileMeta) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.files = append(o.files, f)
}

func (o *toolOutput) made() []store.FileMeta {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]store.FileMeta(nil), o.files...)
}

// toolError is a failure the model is told about in these words.
type toolError struct{ msg string }

func (e *toolError) Error() string { return e.msg }

func toolErrorf(format string, a ...any) error { return &toolError{fmt.Sprintf(format, a...)} }

// decode reads the call's arguments into v, refusing what is not a JSON
// object of the expected shape.
func (tc *toolCall) decode(v any) error {
	raw := strings.TrimSpace(string(tc.args))
	if raw == "" {
		raw = "{}"
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return toolErrorf("the arguments are not valid: %v", err)
	}
	return nil
}

// tools are the tools offered on this call: those TOOLS allows, that
// are available (images need an image model), with MAX_TOOL_ROUNDS > 0.
func (b *Bot) tools() map[string]*tool {
	if b.cfg.MaxToolRounds == 0 || (b.cfg.Tools != nil && !slices.ContainsFunc(b.cfg.Tools, func(n string) bool { return contains(toolNames, n) })) {
		return nil // TOOLS names no built-in tool (none, or mcp only): no definitions to build
	}
	all := b.allTools()
	out := map[string]*tool{}
	for _, name := range toolNames {
		t, ok := all[name]
		if !ok || (b.cfg.Tools != nil && !contains(b.cfg.Tools, name)) {
			continue
		}
		out[name] = t
	}
	return out
}

// allTools is every tool available with this configuration.
func (b *Bot) allTools() map[string]*tool {
	ts := map[string]*tool{}
	for _, t := range b.fileTools() {
		ts[t.def.Name] = t
	}
	for _, t := range b.reminderTools() {
		ts[t.def.Name] = t
	}
	if b.imagesOn() {
		ts["generate_image"] = b.imageTool()
	}
	if b.sandbox != nil {
		ts["run_python"] = b.codeTool()
	}
	for _, t := range b.webTools() {
		ts[t.def.Name] = t
	}
	return ts
}

// toolsFor are the tools offered to this caller: the built-in ones and
// the MCP servers' tools they may use.
func (b *Bot) toolsFor(tc *toolCall) map[string]*tool {
	ts := b.tools()
	for name, t := range b.mcpTools(tc) {
		if ts == nil {
			ts = map[string]*tool{}
		}
		ts[name] = t
	}
	return ts
}

// toolDefs lists the definitions of ts: the built-in tools in the order
// of toolNames, then the rest (MCP) by name.
func toolDefs(ts map[string]*tool) []llm.Tool {
	var out []llm.Tool
	for _, name := range toolNames {
		if t, ok := ts[name]; ok {
			out = append(out, t.def)
		}
	}
	var more []string
	for name := range ts {
		if !contains(toolNames, name) {
			more = append(more, name)
		}
	}
	sort.Strings(more)
	for _, name := range more {
		out = append(out, ts[name].def)
	}
	return out
}

// runTool runs one call within TOOL_TIMEOUT and turns what happened into
// the text the model reads. Only the caller's context ending (a /stop, a
// shutdown) is returned as an error.
func (b *Bot) runTool(ctx context.Context, ts map[string]*tool, call llm.ToolCall, tc *toolCall) (string, error) {
	t, ok := ts[call.Name]
	if !ok {
		return fmt.Sprintf("Error: there is no tool named %q.", truncateRunes(call.Name, 60)), nil
	}
	if len(call.Arguments) > maxToolArgs {
		return "Error: the arguments are too long.", nil
	}
	tc.args = json.RawMessage(call.Arguments)
	cctx, cancel := context.WithTimeout(ctx, b.cfg.ToolTimeout)
	defer cancel()
	start := time.Now()
	out, err := t.run(cctx, tc)
	b.log.Debug("tool call", "user_id", tc.userID, "tool", call.Name, "duration_ms", time.Since(start).Milliseconds(), "failed", err != nil)
	var te *toolError
	switch {
	case ctx.Err() != nil:
		return "", ctx.Err()
	case err == nil:
		return capResult(out, b.toolResultCap()), nil
	case errors.As(err, &te):
		return "Error: " + te.msg, nil
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("Error: the tool took longer than %s and was stopped.", b.cfg.ToolTimeout), nil
	}
	b.log.Warn("tool failed", "user_id", tc.userID, "tool", call.Name, "err", err)
	return "Error: the tool failed inside the bot; tell the user it did not work and that trying again later may help.", nil
}

// toolResultCap is the most one result gives the model: 32 KB, or half
// of HISTORY_TOKENS (at about 4 bytes a token) when that is smaller, so a
// small local model's context is not flooded; never under 4 KB.
func (b *Bot) toolResultCap() int {
	return min(maxToolResult, max(4<<10, b.cfg.HistoryTokens*2))
}

// capResult cuts s to at most n bytes (on a rune boundary), saying so.
func capResult(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	note := fmt.Sprintf("\n[… cut: the result was %d KB, only the first %d KB are shown]", len(s)>>10, n>>10)
	cut := n - len(note)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + note
}
