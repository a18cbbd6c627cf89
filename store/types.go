package store

import "time"

// Roles of a history message, as the chat completions API names them.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Message is one turn of a user's conversation, stored one record per
// message under a sequence key.
type Message struct {
	// Seq is the message's sequence number in the user's history; set by
	// the store when the message is appended.
	Seq uint64 `json:"-"`
	// Role is RoleUser or RoleAssistant.
	Role string `json:"role"`
	// Content is the text of the message.
	Content string `json:"content"`
	// FileIDs names the user's files attached to this message.
	FileIDs []string `json:"file_ids,omitempty"`
	// DiscordMessageID is the Discord message this turn came from or went to.
	DiscordMessageID string `json:"discord_message_id,omitempty"`
	// ChannelID is the Discord channel of the message.
	ChannelID string `json:"channel_id,omitempty"`
	// Model is the model that wrote an assistant message.
	Model string `json:"model,omitempty"`
	// AuthorID and AuthorName name who wrote a user message in a thread
	// conversation, where several people talk; AskedBy names whose
	// question an answer there answers.
	AuthorID   string `json:"author_id,omitempty"`
	AuthorName string `json:"author_name,omitempty"`
	AskedBy    string `json:"asked_by,omitempty"`
	// Tools are the tool calls an assistant message made before its
	// answer, with their results (cut short), in order.
	Tools []ToolUse `json:"tools,omitempty"`
	// Tokens is the message's size as the model sees it, counted when it
	// was stored (zero: not counted), so building a request need not
	// count the whole history again.
	Tokens int `json:"tokens,omitempty"`
	// CreatedAt is when the message was stored, in UTC.
	CreatedAt time.Time `json:"created_at"`
}

// ToolUse is one tool call the model made while answering, kept so the
// next turns know what it did and found.
type ToolUse struct {
	// Round counts the model's calls within the answer, from 0.
	Round int `json:"round"`
	// ID is the provider's call ID.
	ID   string `json:"id"`
	Name string `json:"name"`
	// Arguments is the JSON the model sent.
	Arguments string `json:"arguments"`
	// Result is what the tool returned (cut short for the history).
	Result string `json:"result"`
}

// FileMeta describes one file a user sent; the bytes live on disk under the
// files package, named by ID, never by the user's file name.
type FileMeta struct {
	// ID is the unguessable file ID, safe in a path and a custom_id.
	ID string `json:"id"`
	// UserID owns the file.
	UserID string `json:"user_id"`
	// Name is the sanitised original name, for display only.
	Name string `json:"name"`
	// Ext is the extension the file is stored under, with its dot.
	Ext string `json:"ext"`
	// Size is the length in bytes.
	Size int64 `json:"size"`
	// ContentType is the detected MIME type.
	ContentType string `json:"content_type"`
	// SHA256 is the hex digest of the bytes.
	SHA256 string `json:"sha256"`
	// UploadedAt is when the file was stored, in UTC.
	UploadedAt time.Time `json:"uploaded_at"`
	// ExpiresAt is when the file is swept; zero means never.
	ExpiresAt time.Time `json:"expires_at,omitempty"`
}

// Usage is what one user spent on one model, summed over calls.
type Usage struct {
	// Model the usage belongs to.
	Model string `json:"model"`
	// InputTokens are prompt tokens.
	InputTokens int64 `json:"input_tokens"`
	// OutputTokens are completion tokens.
	OutputTokens int64 `json:"output_tokens"`
	// Requests counts calls.
	Requests int64 `json:"requests"`
	// CostUSD is the summed cost in US dollars.
	CostUSD float64 `json:"cost_usd"`
	// Estimated is set when any call's tokens were counted by us because
	// the provider reported none.
	Estimated bool `json:"estimated,omitempty"`
}

// Settings are a user's preferences; they survive /reset.
type Settings struct {
	// Model is the user's chosen model; empty means the default.
	Model string `json:"model,omitempty"`
	// RetireNotice names the model whose coming shutdown the user was
	// told about, so they are told once.
	RetireNotice string `json:"retire_notice,omitempty"`
	// Timezone is the user's own IANA time zone for reminders; empty
	// means the bot's TIMEZONE.
	Timezone string `json:"timezone,omitempty"`
}
