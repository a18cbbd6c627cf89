package openaitest

import "strings"

// ModelFacts is what OpenAI documents about one model, as the fake needs
// it. The table below is written from OpenAI's model and deprecation pages
// (read 2026-11-26), not from the bot's code, so a bot rule that gets a
// model wrong fails against it.
type ModelFacts struct {
	// Reasoning models refuse max_tokens (they take
	// max_completion_tokens) and any temperature or top_p but 1; on the
	// Responses API they refuse temperature and top_p altogether.
	Reasoning bool
	// ChatToolsNeedNoEffort: from the GPT-5.4 family on, Chat Completions
	// refuses function tools unless reasoning_effort is "none".
	ChatToolsNeedNoEffort bool
	// Shutdown is the announced shutdown date, YYYY-MM-DD, or "".
	Shutdown string
}

// Documented are OpenAI's chat models as their pages describe them.
var Documented = map[string]ModelFacts{
	"gpt-4o":                  {Shutdown: ""},
	"gpt-4o-mini":             {Shutdown: ""},
	"gpt-4.1":                 {Shutdown: ""},
	"gpt-4.1-mini":            {Shutdown: ""},
	"gpt-4o-mini-2024-07-18":  {Shutdown: "2027-01-14"},
	"gpt-4o-2024-08-06":       {Shutdown: "2027-01-14"},
	"gpt-4.1-2025-04-14":      {Shutdown: "2027-01-14"},
	"gpt-4.1-mini-2025-04-14": {Shutdown: "2027-01-14"},
	"o3":                      {Reasoning: true, Shutdown: "2026-12-11"},
	"o3-pro":                  {Reasoning: true, Shutdown: "2026-12-11"},
	"o3-2025-04-16":           {Reasoning: true, Shutdown: "2026-12-11"},
	"gpt-5":                   {Reasoning: true, Shutdown: "2026-12-11"},
	"gpt-5-mini":              {Reasoning: true, Shutdown: "2026-12-11"},
	"gpt-5-nano":              {Reasoning: true, Shutdown: "2026-12-11"},
	"gpt-5-2025-08-07":        {Reasoning: true, Shutdown: "2026-12-11"},
	"gpt-5-chat-latest":       {Reasoning: true},
	"gpt-5.1":                 {Reasoning: true, Shutdown: "2027-04-01"},
	"gpt-5.1-chat-latest":     {Reasoning: true},
	"gpt-5.2":                 {Reasoning: true},
	"gpt-5.4":                 {Reasoning: true, ChatToolsNeedNoEffort: true},
	"gpt-5.4-mini":            {Reasoning: true, ChatToolsNeedNoEffort: true},
	"gpt-5.4-nano":            {Reasoning: true, ChatToolsNeedNoEffort: true, Shutdown: "2027-04-01"},
	"gpt-5.5":                 {Reasoning: true, ChatToolsNeedNoEffort: true},
	"gpt-5.6-sol":             {Reasoning: true, ChatToolsNeedNoEffort: true},
	"gpt-5.6-terra":           {Reasoning: true, ChatToolsNeedNoEffort: true},
	"gpt-5.6-luna":            {Reasoning: true, ChatToolsNeedNoEffort: true},
	"gpt-6-astra":             {Reasoning: true, ChatToolsNeedNoEffort: true},
	"gpt-6-sol":               {Reasoning: true, ChatToolsNeedNoEffort: true},
	"gpt-6-luna":              {Reasoning: true, ChatToolsNeedNoEffort: true},
	"gpt-6.1-sol":             {Reasoning: true, ChatToolsNeedNoEffort: true},
	"o1":                      {Reasoning: true, Shutdown: "2026-10-23"},
	"o1-mini":                 {Reasoning: true, Shutdown: "2025-10-27"},
	"o3-mini":                 {Reasoning: true, Shutdown: "2026-10-23"},
	"o4-mini":                 {Reasoning: true, Shutdown: "2026-10-23"},
	"gpt-4.1-nano":            {Shutdown: "2026-10-23"},
}

// facts returns what is documented about model; ok is false for a model
// OpenAI does not document (a local or third-party model).
func facts(model string) (ModelFacts, bool) {
	f, ok := Documented[strings.ToLower(model)]
	return f, ok
}

// noSystemRole: o1-mini and o1-preview refused the system role.
func noSystemRole(model string) bool {
	return strings.HasPrefix(model, "o1-mini") || strings.HasPrefix(model, "o1-preview")
}
