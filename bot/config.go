package bot

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones on systems without a zoneinfo database (TIMEZONE, /timezone)

	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/mcphost"
	"github.com/discordgpt/discordgpt/web"
)

// Config is everything the bot reads from its environment, parsed and
// validated once at start.
type Config struct {
	DiscordToken  string
	OpenAIKey     string
	OpenAIBaseURL string
	DiscordAPIURL string
	DataDir       string
	DefaultModel  string
	// Models is MODELS: the models offered to users. Empty means the
	// provider's catalogue decides (see the model catalogue in bot/llm).
	Models []string
	// API is OPENAI_API: auto, chat or responses.
	API llm.API
	// Temperature, if set, is sent to models that take one.
	Temperature *float32
	// ReasoningEffort, if set, is sent to reasoning models.
	ReasoningEffort string
	AdminIDs        []string
	Timezone        *time.Location
	MaxFilesPerUser int
	// FileExpiration is how long files live; zero means never.
	FileExpiration time.Duration
	MaxFileSizeMB  int
	GuildID        string
	LogLevel       slog.Level
	LogFormat      string

	// HistoryTokens is the token budget of what is sent to the model.
	HistoryTokens int
	// SystemPrompt starts every conversation (the date and time are added).
	SystemPrompt string
	// StreamEditInterval is the least time between edits of a streaming answer.
	StreamEditInterval time.Duration
	// QuietStart is how long an answer's start is held back: one complete
	// by then is posted as one message, with no "typing…" and no edits; a
	// slower one shows "typing…" from then, and its text once it comes.
	// Not a setting (300 ms); tests change it.
	QuietStart time.Duration
	// MaxReplyMessages is how many messages an answer may take before it is
	// sent as a file.
	MaxReplyMessages int
	// ImageContext is how long an image stays in what the model sees.
	ImageContext time.Duration
	// HistoryRetention is HISTORY_RETENTION_DAYS: messages older than this
	// are pruned; zero keeps them.
	HistoryRetention time.Duration
	// SweepInterval is how often expired files are removed.
	SweepInterval time.Duration
	// RateCount messages per RateWindow is each user's limit (admins exempt).
	RateCount  int
	RateWindow time.Duration
	// PriceFile holds PRICING_FILE's prices, which add to or override the
	// built-in table and the provider's.
	PriceFile map[string]llm.Price
	// UnknownPrice is what a model of unknown price counts at: the
	// UNKNOWN_MODEL_PRICE, or with a budget set and none given, the dearest
	// built-in model. Nil counts such models as free.
	UnknownPrice *llm.Price
	// PricingFile is PRICING_FILE, if set.
	PricingFile string
	// Budgets in US dollars; zero means no limit.
	UserDailyBudget, UserMonthlyBudget, GlobalMonthlyBudget float64
	// AllowedUsers, AllowedRoles and AllowedChannels, when set, restrict who
	// may use the bot and where.
	AllowedUsers, AllowedRoles, AllowedChannels []string
	// BackupInterval is how often a snapshot is written; zero is off.
	BackupInterval time.Duration
	// BackupKeep is how many automatic snapshots are kept.
	BackupKeep int

	// Tools is TOOLS: the tools the model may call. Nil means all that
	// are available; empty (TOOLS=none) means none.
	Tools []string
	// MaxToolRounds is MAX_TOOL_ROUNDS: how many times one answer may go
	// back to the model with tool results; 0 turns tools off.
	MaxToolRounds int
	// ToolTimeout is TOOL_TIMEOUT: how long one tool call may run.
	ToolTimeout time.Duration
	// ReminderDelivery is REMINDER_DELIVERY: "channel" (where the
	// reminder was set, pinging the user) or "dm".
	ReminderDelivery string
	// MaxRemindersPerUser is MAX_REMINDERS_PER_USER.
	MaxRemindersPerUser int
	// ImageModel is IMAGE_MODEL: the model of the images endpoint; ""
	// means images are off.
	ImageModel string
	// Python is PYTHON: the interpreter run_python runs in the sandbox.
	Python string
	// CodeTimeout is CODE_TIMEOUT: the wall time of one run.
	CodeTimeout time.Duration
	// CodeMemoryMB is CODE_MEMORY_MB: the memory of each process of a run.
	CodeMemoryMB int
	// CodeMaxConcurrent is CODE_MAX_CONCURRENT: runs at once.
	CodeMaxConcurrent int
	// ConversationScope is CONVERSATION_SCOPE: "user" (one conversation
	// per user everywhere) or "place" (a user's DM conversation apart from
	// each server's).
	ConversationScope string
	// AutoThread is AUTO_THREAD: a mention in a channel opens a thread.
	AutoThread bool
	// ThreadIgnorePrefix is THREAD_IGNORE_PREFIX: messages starting with it
	// in the bot's threads are not for the bot.
	ThreadIgnorePrefix string
	// MaxConcurrentAnswers is MAX_CONCURRENT_ANSWERS: answers being
	// built and streamed at once, across all users; the rest wait their
	// turn. Storing and posting a finished answer holds no place.
	MaxConcurrentAnswers int
	// WebAllowHosts is WEB_ALLOW_HOSTS: private hosts (host or host:port)
	// fetch_url may reach.
	WebAllowHosts []string
	// WebMaxBytes and WebTimeout are WEB_MAX_BYTES and WEB_TIMEOUT.
	WebMaxBytes int64
	WebTimeout  time.Duration
	// SearxngURL and BraveAPIKey configure web_search (SearXNG first);
	// BraveURL is BRAVE_API_URL, Brave's endpoint.
	SearxngURL, BraveAPIKey, BraveURL string
	// MCP is MCP_CONFIG's servers; MCPConfig is the file's path.
	MCP       mcphost.Config
	MCPConfig string

	// DownloadIdleTimeout is how long an attachment download may make no
	// progress (0: 20 s). Not read from the environment.
	DownloadIdleTimeout time.Duration
	// DiscordRetryBackoff is the first wait before repeating a Discord
	// call that failed with a 5xx (0: 500 ms). Not read from the
	// environment.
	DiscordRetryBackoff time.Duration
	// DBMaxSize caps the database file's size (0: none). Not read from
	// the environment: tests use it to make the disk "full".
	DBMaxSize int
	// WebLookup resolves names for fetch_url (nil: the system resolver).
	// Not read from the environment: tests use it to make a public name
	// resolve to loopback.
	WebLookup func(ctx context.Context, host string) ([]netip.Addr, error)
	// ReminderTick is the longest the reminder clock sleeps between looks
	// (0: 30 s). Not read from the environment (tests shorten it).
	ReminderTick time.Duration
	// RetryBackoff is the first wait before retrying a provider error; it
	// doubles each time. Not read from the environment (tests shorten it).
	RetryBackoff time.Duration
	// Now is the clock; nil means time.Now. Not read from the environment
	// (tests set it).
	Now func() time.Time
}

// now reads the configured clock.
func (c Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// DefaultSystemPrompt is used when SYSTEM_PROMPT is not set.
const DefaultSystemPrompt = "You are a helpful assistant in a Discord chat. Answer clearly and concisely, " +
	"in the language the user writes in, and use Markdown that Discord renders."

// ConfigError names the environment variable that is wrong. Its message
// never contains a secret's value.
type ConfigError struct {
	Var    string
	Reason string
}

func (e *ConfigError) Error() string { return e.Var + ": " + e.Reason }

// Lookup finds an environment variable, like os.LookupEnv.
type Lookup func(key string) (string, bool)

// LoadConfig reads and validates the configuration through env.
func LoadConfig(env Lookup) (Config, error) {
	r := reader{env: env}
	c := Config{
		DiscordToken:    r.secret("DISCORD_TOKEN"),
		OpenAIKey:       r.secret("OPENAI_API_KEY"),
		OpenAIBaseURL:   r.url("OPENAI_BASE_URL", "https://api.openai.com/v1"),
		DiscordAPIURL:   r.url("DISCORD_API_URL", "https://discord.com/"),
		DataDir:         r.str("DATA_DIR", "./data"),
		DefaultModel:    r.str("DEFAULT_MODEL", llm.DefaultModel),
		Models:          r.list("MODELS", nil),
		API:             llm.API(r.oneOf("OPENAI_API", "auto", "auto", "chat", "responses")),
		Temperature:     r.temperature("TEMPERATURE"),
		ReasoningEffort: r.oneOf("REASONING_EFFORT", "", "", "none", "minimal", "low", "medium", "high", "xhigh", "max"),
		Timezone:        r.timezone("TIMEZONE", "UTC"),
		MaxFilesPerUser: r.intRange("MAX_FILES_PER_USER", 20, 1, 10_000),
		MaxFileSizeMB:   r.intRange("MAX_FILE_SIZE_MB", 25, 1, 1024),
		GuildID:         r.snowflake("GUILD_ID"),
		LogLevel:        r.level("LOG_LEVEL"),
		LogFormat:       r.oneOf("LOG_FORMAT", "text", "text", "json"),

		HistoryTokens:      r.intRange("HISTORY_TOKENS", 8000, 500, 2_000_000),
		SystemPrompt:       r.str("SYSTEM_PROMPT", DefaultSystemPrompt),
		StreamEditInterval: r.duration("STREAM_EDIT_INTERVAL", time.Second, 200*time.Millisecond, time.Minute),
		QuietStart:         300 * time.Millisecond,
		MaxReplyMessages:   r.intRange("MAX_REPLY_MESSAGES", 5, 1, 10),
		ImageContext:       time.Duration(r.intRange("IMAGE_CONTEXT_HOURS", 24, 0, 24*365)) * time.Hour,
		SweepInterval:      r.duration("SWEEP_INTERVAL", 10*time.Minute, time.Second, 24*time.Hour),
		HistoryRetention:   time.Duration(r.intRange("HISTORY_RETENTION_DAYS", 0, 0, 36500)) * 24 * time.Hour,

		PricingFile:          r.str("PRICING_FILE", ""),
		UserDailyBudget:      r.money("USER_DAILY_BUDGET_USD"),
		UserMonthlyBudget:    r.money("USER_MONTHLY_BUDGET_USD"),
		GlobalMonthlyBudget:  r.money("GLOBAL_MONTHLY_BUDGET_USD"),
		AllowedUsers:         r.snowflakes("ALLOWED_USER_IDS"),
		AllowedRoles:         r.snowflakes("ALLOWED_ROLE_IDS"),
		AllowedChannels:      r.snowflakes("ALLOWED_CHANNEL_IDS"),
		BackupInterval:       r.durationOrOff("BACKUP_INTERVAL", 24*time.Hour, time.Minute),
		BackupKeep:           r.intRange("BACKUP_KEEP", 7, 1, 1000),
		Tools:                r.tools("TOOLS"),
		MaxToolRounds:        r.intRange("MAX_TOOL_ROUNDS", 6, 0, 50),
		ToolTimeout:          r.duration("TOOL_TIMEOUT", 2*time.Minute, time.Second, 30*time.Minute),
		ReminderDelivery:     r.oneOf("REMINDER_DELIVERY", "channel", "channel", "dm"),
		MaxRemindersPerUser:  r.intRange("MAX_REMINDERS_PER_USER", 25, 1, 1000),
		Python:               r.str("PYTHON", "/usr/bin/python3"),
		CodeTimeout:          r.duration("CODE_TIMEOUT", 30*time.Second, time.Second, 10*time.Minute),
		CodeMemoryMB:         r.intRange("CODE_MEMORY_MB", 512, 64, 65536),
		CodeMaxConcurrent:    r.intRange("CODE_MAX_CONCURRENT", 2, 1, 64),
		MaxConcurrentAnswers: r.intRange("MAX_CONCURRENT_ANSWERS", 8, 1, 1000),
		AutoThread:           r.oneOf("AUTO_THREAD", "false", "false", "true") == "true",
		ConversationScope:    r.oneOf("CONVERSATION_SCOPE", "user", "user", "place"),
		ThreadIgnorePrefix:   r.str("THREAD_IGNORE_PREFIX", "//"),
		WebAllowHosts:        r.hosts("WEB_ALLOW_HOSTS"),
		WebMaxBytes:          int64(r.intRange("WEB_MAX_BYTES", 2<<20, 1<<10, 100<<20)),
		WebTimeout:           r.duration("WEB_TIMEOUT", 15*time.Second, time.Second, 5*time.Minute),
		SearxngURL:           r.optionalURL("SEARXNG_URL"),
		BraveAPIKey:          r.secret("BRAVE_API_KEY"),
		BraveURL:             r.url("BRAVE_API_URL", web.BraveURL),
		MCPConfig:            r.str("MCP_CONFIG", ""),
		RetryBackoff:         time.Second,
	}
	c.RateCount, c.RateWindow = r.rate("RATE_LIMIT", "3/5s")
	c.AdminIDs = r.snowflakes("ADMIN_IDS")
	if len(c.AdminIDs) == 0 {
		c.AdminIDs = r.snowflakes("ADMIN_ID")
	}
	switch h := r.intRange("FILE_EXPIRATION_HOURS", 48, -1, 24*365*10); {
	case h == 0:
		r.fail("FILE_EXPIRATION_HOURS", "must be a positive number of hours, or -1 for never")
	case h > 0:
		c.FileExpiration = time.Duration(h) * time.Hour
	}
	if r.err == nil && c.PricingFile != "" {
		var err error
		if c.PriceFile, err = llm.LoadPriceFile(c.PricingFile); err != nil {
			r.fail("PRICING_FILE", err.Error())
		}
	}
	if r.err == nil && c.MCPConfig != "" {
		var err error
		if c.MCP, err = mcphost.LoadConfig(c.MCPConfig); err != nil {
			r.fail("MCP_CONFIG", err.Error())
		}
	}
	c.ImageModel = r.str("IMAGE_MODEL", "")
	if _, set := r.get("IMAGE_MODEL"); !set && llm.IsOpenAI(c.OpenAIBaseURL) {
		c.ImageModel = llm.DefaultImageModel
	}
	if strings.EqualFold(c.ImageModel, "off") || strings.EqualFold(c.ImageModel, "none") {
		c.ImageModel = ""
	}
	c.UnknownPrice = r.price("UNKNOWN_MODEL_PRICE")
	if c.UnknownPrice == nil && (c.UserDailyBudget > 0 || c.UserMonthlyBudget > 0 || c.GlobalMonthlyBudget > 0) {
		_, dearest := llm.DearestPrice()
		c.UnknownPrice = &dearest
	}
	if r.err != nil {
		return Config{}, r.report()
	}
	if c.DiscordToken == "" {
		return Config{}, &ConfigError{"DISCORD_TOKEN", "is required (or DISCORD_TOKEN_FILE naming a file that holds it)"}
	}
	c.DiscordToken = strings.TrimPrefix(c.DiscordToken, "Bot ")
	if strings.ContainsAny(c.DiscordToken, " \t\r\n") {
		return Config{}, &ConfigError{"DISCORD_TOKEN", "contains white space"}
	}
	if c.OpenAIKey == "" && llm.IsOpenAI(c.OpenAIBaseURL) {
		return Config{}, &ConfigError{"OPENAI_API_KEY", "is required for api.openai.com (or OPENAI_API_KEY_FILE; a local OPENAI_BASE_URL needs none)"}
	}
	if c.DataDir == "" {
		return Config{}, &ConfigError{"DATA_DIR", "must not be empty"}
	}
	if len(c.Models) > 0 && !contains(c.Models, c.DefaultModel) {
		c.Models = append([]string{c.DefaultModel}, c.Models...)
	}
	if len(c.Models) > 25 {
		return Config{}, &ConfigError{"MODELS", "lists more than 25 models (Discord's select menu limit)"}
	}
	return c, nil
}

// IsAdmin reports whether the user is one of ADMIN_IDS.
func (c Config) IsAdmin(userID string) bool { return contains(c.AdminIDs, userID) }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// reader collects every error while parsing, so LoadConfig reads as a
// list of fields and the owner sees all bad values in one report.
type reader struct {
	env  Lookup
	err  error // the first
	errs []error
}

func (r *reader) fail(key, reason string) {
	ce := &ConfigError{key, reason}
	if r.err == nil {
		r.err = ce
	}
	r.errs = append(r.errs, ce)
}

// ConfigErrors are all the bad values of a configuration, in one line.
type ConfigErrors []error

func (e ConfigErrors) Error() string {
	parts := make([]string, len(e))
	for i, err := range e {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap gives each error, so errors.As finds a *ConfigError.
func (e ConfigErrors) Unwrap() []error { return e }

// report is every error read, as one error.
func (r *reader) report() error {
	if len(r.errs) > 1 {
		return ConfigErrors(r.errs)
	}
	return r.err
}

func (r *reader) get(key string) (string, bool) {
	v, ok := r.env(key)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (r *reader) str(key, def string) string {
	if v, ok := r.get(key); ok {
		return v
	}
	return def
}

// secret reads KEY or the file named by KEY_FILE, never both.
func (r *reader) secret(key string) string {
	v, hasV := r.get(key)
	path, hasF := r.get(key + "_FILE")
	switch {
	case hasV && hasF:
		r.fail(key, "set either "+key+" or "+key+"_FILE, not both")
		return ""
	case hasF:
		b, err := os.ReadFile(path)
		if err != nil {
			r.fail(key+"_FILE", "cannot read "+path+": "+errReason(err))
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	return v
}

func errReason(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

func (r *reader) url(key, def string) string {
	v := r.str(key, def)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(key, fmt.Sprintf("%q is not an http(s) URL", v))
		return ""
	}
	return v
}

// temperature reads a sampling temperature from 0 to 2; unset sends none.
func (r *reader) temperature(key string) *float32 {
	v, ok := r.get(key)
	if !ok {
		return nil
	}
	f, err := strconv.ParseFloat(v, 32)
	if err != nil || f < 0 || f > 2 {
		r.fail(key, fmt.Sprintf("%q must be a number from 0 to 2", v))
		return nil
	}
	t := float32(f)
	return &t
}

// price reads "INPUT/OUTPUT" dollars per million tokens, like 10/50;
// "0" means free.
func (r *reader) price(key string) *llm.Price {
	v, ok := r.get(key)
	if !ok {
		return nil
	}
	if v == "0" {
		return &llm.Price{}
	}
	in, out, found := strings.Cut(v, "/")
	i, err1 := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(in, "$")), 64)
	o, err2 := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(out, "$")), 64)
	if !found || err1 != nil || err2 != nil || i < 0 || o < 0 || math.IsNaN(i+o) || math.IsInf(i+o, 0) {
		r.fail(key, fmt.Sprintf("%q must be input/output dollars per million tokens, like 10/50", v))
		return nil
	}
	return &llm.Price{Input: i, CachedInput: i, Output: o}
}

func (r *reader) list(key string, def []string) []string {
	v, ok := r.get(key)
	if !ok {
		return append([]string(nil), def...)
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" && !contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		r.fail(key, "names no model")
	}
	return out
}

// hosts reads a comma list of host or host:port entries.
func (r *reader) hosts(key string) []string {
	v, ok := r.get(key)
	if !ok {
		return nil
	}
	var out []string
	for _, h := range strings.Split(v, ",") {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if strings.ContainsAny(h, "/ @?#") {
			r.fail(key, fmt.Sprintf("%q is not a host or host:port", h))
			return nil
		}
		out = append(out, h)
	}
	return out
}

// optionalURL reads an http(s) URL that may be unset.
func (r *reader) optionalURL(key string) string {
	if _, ok := r.get(key); !ok {
		return ""
	}
	return r.url(key, "")
}

// tools reads TOOLS: unset is nil (all), "none" is empty, else names from
// toolNames.
func (r *reader) tools(key string) []string {
	v, ok := r.get(key)
	if !ok || strings.TrimSpace(v) == "" || strings.EqualFold(strings.TrimSpace(v), "all") {
		return nil
	}
	if strings.EqualFold(strings.TrimSpace(v), "none") {
		return []string{}
	}
	out := []string{}
	for _, s := range strings.Split(v, ",") {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" || contains(out, s) {
			continue
		}
		if !contains(toolNames, s) && s != "mcp" {
			r.fail(key, fmt.Sprintf("%q is not a tool; the tools are %s, mcp (every MCP server's), or all, or none", s, strings.Join(toolNames, ", ")))
			return nil
		}
		out = append(out, s)
	}
	return out
}

func (r *reader) intRange(key string, def, lo, hi int) int {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(key, fmt.Sprintf("%q is not a whole number", v))
		return def
	}
	if n < lo || n > hi {
		r.fail(key, fmt.Sprintf("%d is out of range %d..%d", n, lo, hi))
		return def
	}
	return n
}

func (r *reader) duration(key string, def, lo, hi time.Duration) time.Duration {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.fail(key, fmt.Sprintf("%q is not a duration (like 1s or 500ms)", v))
		return def
	}
	if d < lo || d > hi {
		r.fail(key, fmt.Sprintf("%v is out of range %v..%v", d, lo, hi))
		return def
	}
	return d
}

// money reads a non-negative dollar amount; unset or 0 means no limit.
func (r *reader) money(key string) float64 {
	v, ok := r.get(key)
	if !ok {
		return 0
	}
	f, err := strconv.ParseFloat(strings.TrimPrefix(v, "$"), 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		r.fail(key, fmt.Sprintf("%q is not an amount of dollars (like 0.50)", v))
		return 0
	}
	return f
}

// durationOrOff reads a duration of at least lo, or 0/off for none.
func (r *reader) durationOrOff(key string, def, lo time.Duration) time.Duration {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	if v == "0" || strings.EqualFold(v, "off") {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo {
		r.fail(key, fmt.Sprintf("%q must be a duration of at least %v (like 24h), or 0 for off", v, lo))
		return def
	}
	return d
}

// rate parses "N/duration", like 3/5s; "0" or "off" turns the limit off.
func (r *reader) rate(key, def string) (int, time.Duration) {
	v := r.str(key, def)
	if v == "0" || strings.EqualFold(v, "off") {
		return 0, 0
	}
	ns, ds, ok := strings.Cut(v, "/")
	n, err1 := strconv.Atoi(strings.TrimSpace(ns))
	d, err2 := time.ParseDuration(strings.TrimSpace(ds))
	if !ok || err1 != nil || err2 != nil || n < 1 || d <= 0 {
		r.fail(key, fmt.Sprintf("%q must look like 3/5s (messages per time), or off", v))
		return 0, 0
	}
	return n, d
}

func (r *reader) timezone(key, def string) *time.Location {
	name := r.str(key, def)
	loc, err := time.LoadLocation(name)
	if err != nil {
		r.fail(key, fmt.Sprintf("%q is not a known time zone (try Europe/Berlin or UTC)", name))
		return time.UTC
	}
	return loc
}

func (r *reader) level(key string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(r.str(key, "info"))); err != nil {
		r.fail(key, "must be debug, info, warn or error")
	}
	return l
}

func (r *reader) oneOf(key, def string, allowed ...string) string {
	v := strings.ToLower(r.str(key, def))
	if !contains(allowed, v) {
		r.fail(key, fmt.Sprintf("%q must be one of %s", v, strings.Join(allowed, ", ")))
	}
	return v
}

func (r *reader) snowflake(key string) string {
	v, ok := r.get(key)
	if ok && !isSnowflake(v) {
		r.fail(key, fmt.Sprintf("%q is not a Discord ID (digits only)", v))
	}
	return v
}

func (r *reader) snowflakes(key string) []string {
	v, ok := r.get(key)
	if !ok {
		return nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !isSnowflake(s) {
			r.fail(key, fmt.Sprintf("%q is not a Discord ID (digits only)", s))
			return nil
		}
		out = append(out, s)
	}
	return out
}

// isSnowflake reports whether s looks like a Discord ID.
func isSnowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ConfigVars are the names of every variable the configuration reads.
func ConfigVars() []string {
	var read []string
	_, _ = LoadConfig(func(k string) (string, bool) { read = append(read, k); return "", false })
	// Read by the Go runtime (main sets a default when it is unset).
	read = append(read, "GOMEMLIMIT")
	seen := map[string]bool{}
	var out []string
	for _, k := range read {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// SuggestVars names, for each set variable that the bot does not read but
// that looks like one it does (a typo), the one it probably meant.
func SuggestVars(set []string) []string {
	known := ConfigVars()
	var out []string
	for _, k := range set {
		if contains(known, k) || strings.HasSuffix(k, "_FILE") && contains(known, strings.TrimSuffix(k, "_FILE")) {
			continue
		}
		best, bestD := "", 3
		for _, kn := range known {
			if d := editDistance(strings.ToUpper(k), kn); d < bestD {
				best, bestD = kn, d
			}
		}
		if best != "" {
			out = append(out, fmt.Sprintf("%s is not a variable discordgpt reads; did you mean %s?", k, best))
		}
	}
	return out
}
