// Package bot connects Discord and the model: it runs the gateway session,
// registers slash commands, answers chat messages and interactions, and
// keeps each user's data in the store.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/files"
	"github.com/discordgpt/discordgpt/mcphost"
	"github.com/discordgpt/discordgpt/sandbox"
	"github.com/discordgpt/discordgpt/store"
	"github.com/discordgpt/discordgpt/web"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Version is the bot's version, told to MCP servers; main sets it.
var Version = "dev"

// ShutdownGrace is how long running handlers may finish after a stop signal.
const ShutdownGrace = 10 * time.Second

// Bot is one running discordgpt.
type Bot struct {
	cfg Config
	db  *store.DB
	dg  *discordgo.Session
	llm *llm.Client
	log *slog.Logger

	files      *files.Dir
	http       *http.Client
	modelState atomic.Pointer[modelState]

	handlers   handlerGroup
	appID      string
	rateLimits rateLimitLog
	// backupMu keeps backups, their pruning and their rewriting after a
	// reset one at a time.
	backupMu sync.Mutex
	channels channelBudget
	// uploadLimits holds the upload limit Discord reported with each
	// recent interaction (discordgo does not decode it).
	uploadLimits uploadLimits
	users        userStates
	seen         seenIDs
	// reminderWake tells the reminder clock a reminder was set.
	reminderWake chan struct{}
	// sandbox runs run_python; nil when it cannot run here.
	sandbox *sandbox.Sandbox
	// codeSlots holds one token per running code run.
	codeSlots chan struct{}
	// fetcher reads pages for fetch_url through the address guard.
	fetcher *web.Fetcher
	// mcp runs the owner's MCP servers; nil without MCP_CONFIG.
	mcp *mcphost.Manager
	// readyOnce logs the first READY.
	readyOnce sync.Once
	// permWarned are channels whose missing permission was logged.
	permWarned sync.Map
	// vision scales images down for the model.
	vision visionState
	// answerSlots holds one token per answer being written
	// (MAX_CONCURRENT_ANSWERS).
	answerSlots chan struct{}
}

// Run connects to Discord and serves until ctx is cancelled, then stops
// taking events, lets running handlers finish for up to ShutdownGrace,
// closes the Discord session and closes the database last.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	if err := PointDiscordAt(cfg.DiscordAPIURL); err != nil {
		return err
	}
	// More than half of the file free (after big resets or pruning): copy
	// the live data to a fresh file before opening it.
	dbPath := filepath.Join(cfg.DataDir, store.FileName)
	if before, after, err := store.CompactFile(dbPath, compactMinBytes, false); err != nil && !errors.Is(err, os.ErrNotExist) {
		log.Warn("compact database", "err", err)
	} else if after < before {
		log.Info("compacted database", "bytes_before", before, "bytes_after", after)
	}
	if n := store.RemoveStaleTemps(filepath.Join(cfg.DataDir, "backups")); n > 0 {
		log.Info("removed unfinished backup copies", "count", n)
	}
	db, err := openStore(cfg.DataDir, store.Options{MaxSize: cfg.DBMaxSize})
	if err != nil {
		return err
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Error("close database", "err", err)
		}
	}()
	fdir, err := files.Open(filepath.Join(cfg.DataDir, "files"))
	if err != nil {
		return err
	}
	b := &Bot{cfg: cfg, db: db, log: log, llm: newLLM(cfg, db, log), files: fdir,
		http: &http.Client{Timeout: 5 * time.Minute}, reminderWake: make(chan struct{}, 1), fetcher: newFetcher(cfg),
		answerSlots: make(chan struct{}, max(cfg.MaxConcurrentAnswers, 1))}
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "tmp"), 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	b.handlers.init()
	b.loadStoredModels()
	b.startSandbox(ctx)
	if err := b.sweepOrphans(); err != nil {
		log.Warn("orphan sweep incomplete", "err", err)
	}
	// Background jobs stop before the database closes (defers run last first).
	jobsCtx, stopJobs := context.WithCancel(context.Background())
	var jobs sync.WaitGroup
	// The provider's model list decides what is offered: fetch it before
	// users can ask (bounded; the stored list stands in if it fails).
	b.refreshModels(ctx)
	if len(cfg.MCP.Servers) > 0 {
		b.mcp = mcphost.New(cfg.MCP, Version, log)
		b.mcp.Start(jobsCtx)
		defer b.mcp.Wait()
	}
	jobs.Add(4)
	go func() { defer jobs.Done(); b.scrub(jobsCtx) }() // erasures a stop interrupted
	go func() { defer jobs.Done(); b.runSweeper(jobsCtx) }()
	go func() { defer jobs.Done(); b.runModelRefresh(jobsCtx) }()
	go func() { defer jobs.Done(); b.runBackups(jobsCtx) }()
	defer func() { stopJobs(); jobs.Wait() }()
	// What the last run left unfinished, read before this one answers.
	interrupted, err := db.InflightAnswers()
	if err != nil {
		log.Error("read interrupted answers", "err", err)
	}
	if err := b.connectWithRetry(ctx); err != nil {
		return err
	}
	if ctx.Err() != nil { // stopped while connecting
		if b.dg != nil {
			_ = b.dg.Close()
		}
		return nil
	}
	log.Info("connected to discord", "user_id", b.botUserID(), "app_id", b.appID)
	// Chat works while the slash commands are (re)registered; a failure is
	// retried, never fatal.
	regCtx, stopReg := context.WithCancel(ctx)
	regDone := make(chan struct{}, 3)
	go func() { defer func() { regDone <- struct{}{} }(); b.registerWithRetry(regCtx) }()
	go func() { defer func() { regDone <- struct{}{} }(); b.recoverInterrupted(regCtx, interrupted) }()
	go func() { defer func() { regDone <- struct{}{} }(); b.runReminders(regCtx) }()
	<-ctx.Done()
	log.Info("shutting down")
	stopReg()
	for range 3 {
		<-regDone
	}
	b.shutdown()
	return nil
}

// CompactStore rewrites DATA_DIR's database with only its live data; the
// bot must be stopped (a running one holds the lock).
func CompactStore(dataDir string) (before, after int64, err error) {
	before, after, err = store.CompactFile(filepath.Join(dataDir, store.FileName), 0, true)
	if errors.Is(err, bolterrors.ErrTimeout) {
		return before, after, fmt.Errorf("another discordgpt is using DATA_DIR=%s: %w", dataDir, store.ErrLocked)
	}
	return before, after, err
}

// compactMinBytes is the least file size worth compacting at start.
const compactMinBytes = 1 << 20

// OpenStore opens DATA_DIR's database, turning a held lock into the
// message a user running two copies needs.
func OpenStore(dataDir string, readOnly bool) (*store.DB, error) {
	return openStore(dataDir, store.Options{ReadOnly: readOnly})
}

func openStore(dataDir string, opts store.Options) (*store.DB, error) {
	path := filepath.Join(dataDir, store.FileName)
	opts.LockTimeout = 3 * time.Second
	db, err := store.Open(path, opts)
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("another discordgpt is using DATA_DIR=%s: %w", dataDir, err)
	}
	return db, err
}

// newLLM makes the model-side client; db may be nil (for check).
func newLLM(cfg Config, db *store.DB, log *slog.Logger) *llm.Client {
	return llm.New(llm.Config{BaseURL: cfg.OpenAIBaseURL, APIKey: cfg.OpenAIKey, API: cfg.API,
		RetryBackoff: cfg.RetryBackoff, Now: cfg.Now}, db, log)
}

// botIntents are the gateway intents the bot needs; Message Content is
// privileged (switched on in the Developer Portal).
const botIntents = discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages | discordgo.IntentMessageContent

// maxConnectWait caps the wait between tries to reach Discord at start.
const maxConnectWait = 2 * time.Minute

// connectWithRetry connects, retrying with growing waits while Discord
// cannot be reached (a network down at boot is no reason to crash-loop).
// A setup problem (a token, an intent) is returned at once.
func (b *Bot) connectWithRetry(ctx context.Context) error {
	wait := b.cfg.RetryBackoff
	for {
		err := b.connect()
		var se *SetupError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &se):
			return err
		}
		b.log.Error("cannot reach Discord; retrying", "err", err, "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(max(wait*2, time.Second), maxConnectWait)
	}
}

// connect opens the gateway session with our handlers attached.
func (b *Bot) connect() error {
	dg, err := discordgo.New("Bot " + b.cfg.DiscordToken)
	if err != nil {
		return fmt.Errorf("discord session: %w", err)
	}
	dg.Identify.Intents = botIntents
	// Answers stream in parallel: keep enough idle connections to Discord
	// for them (the default 2 opened a new TLS connection for most edits).
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	dg.Client = &http.Client{Timeout: 60 * time.Second, Transport: tr}
	dg.LogLevel = discordgo.LogWarning
	if b.cfg.LogLevel <= slog.LevelDebug {
		dg.LogLevel = discordgo.LogInformational
	}
	dg.StateEnabled = false
	dg.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) {
		b.handlers.run("message", b.log, func(ctx context.Context) { b.onMessage(ctx, m.Message) })
	})
	dg.AddHandler(func(_ *discordgo.Session, rl *discordgo.RateLimit) { b.rateLimits.note(rl.URL) })
	dg.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) { b.readyOnce.Do(func() { b.logReady(r) }) })
	dg.AddHandler(func(_ *discordgo.Session, e *discordgo.Event) { b.uploadLimits.note(e) })
	dg.AddHandler(func(_ *discordgo.Session, i *discordgo.InteractionCreate) {
		b.handlers.run("interaction", b.log, func(ctx context.Context) { b.onInteraction(ctx, i.Interaction) })
	})
	// Set before Open: handlers start running inside it.
	b.dg = dg
	if err := dg.Open(); err != nil {
		_ = dg.Close()
		return explainConnect(fmt.Errorf("connect to discord: %w", err))
	}
	dg.State.RLock()
	if dg.State.Application != nil {
		b.appID = dg.State.Application.ID
	}
	dg.State.RUnlock()
	if b.botUserID() == "" || b.appID == "" {
		_ = dg.Close()
		return errors.New("connect to discord: READY carried no user or application")
	}
	return nil
}

// botUserID is the bot's own user ID, from the session's READY (read
// under the state's lock: events are handled while the session connects).
func (b *Bot) botUserID() string {
	b.dg.State.RLock()
	defer b.dg.State.RUnlock()
	if b.dg.State.User == nil {
		return ""
	}
	return b.dg.State.User.ID
}

// shutdown stops new events, waits for running handlers, then closes the
// gateway session.
func (b *Bot) shutdown() {
	if !b.handlers.stop(ShutdownGrace) {
		b.log.Warn("handlers still running after grace period; cancelled them", "grace", ShutdownGrace)
	}
	if err := b.dg.Close(); err != nil {
		b.log.Warn("close discord session", "err", err)
	}
}

// handlerGroup tracks running event handlers so shutdown can wait for them.
type handlerGroup struct {
	mu      sync.Mutex
	stopped bool
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
}

func (g *handlerGroup) init() {
	g.ctx, g.cancel = context.WithCancel(context.Background())
}

// run calls f in the current goroutine unless the group is stopping. A
// panic in f is logged, never fatal: nothing a user sends may crash the bot.
func (g *handlerGroup) run(kind string, log *slog.Logger, f func(ctx context.Context)) {
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		return
	}
	g.wg.Add(1)
	g.mu.Unlock()
	defer g.wg.Done()
	defer func() {
		if r := recover(); r != nil {
			log.Error("handler panic", "handler", kind, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	f(g.ctx)
}

// stop refuses new handlers and waits up to grace for running ones; then
// it cancels their context and waits for them to return. It reports
// whether they finished within grace.
func (g *handlerGroup) stop(grace time.Duration) bool {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
		g.cancel()
		return true
	case <-time.After(grace):
		g.cancel()
		<-done
		return false
	}
}
