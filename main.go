// Command discordgpt is a self-hosted ChatGPT bot for Discord that keeps all
// its data in one bbolt file. main only wires: configuration, logging,
// signals and subcommands; the work is in bot/, store/ and files/.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
)

// version, commit and date are set at build time by scripts/release.sh
// (-ldflags "-X main.version=v1.2.3 -X main.commit=... -X main.date=...").
var version, commit, date = "", "", ""

const usage = `discordgpt: a self-hosted ChatGPT bot for Discord.

Usage:
  discordgpt [serve]       run the bot (the default)
  discordgpt check         validate the configuration and try Discord and the AI provider
  discordgpt backup PATH   write a consistent copy of the database to PATH (a file or a folder)
  discordgpt import DUMP_DIR [FILES_DIR]
                           bring in the old Python bot's data from a mongodump (and its files);
                           stop the bot first; running it again adds nothing
  discordgpt compact       rewrite the database with only its live data (the bot must be stopped)
  discordgpt version       print the version
  discordgpt -h            print this help

Configuration comes from the environment and from a .env file in the
working directory (real environment variables win). See README.md for
every variable; DISCORD_TOKEN is required.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main with its exit status returned: 0 ok, 1 failure, 2 bad usage
// or configuration.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "version", "--version":
		line := "discordgpt " + buildVersion()
		if commit != "" {
			line += " (commit " + commit + ", built " + date + ")"
		}
		fmt.Fprintln(stdout, line)
		return 0
	case "serve", "check", "backup", "compact", "import":
	default:
		fmt.Fprintf(stderr, "discordgpt: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	dotenv, err := bot.ReadDotEnv(".env")
	if err != nil {
		fmt.Fprintln(stderr, "discordgpt:", err)
		return 2
	}
	env := bot.EnvWithDotEnv(dotenv)
	if cmd == "backup" {
		return backup(args[1:], env, stdout, stderr)
	}
	if cmd == "compact" {
		return compact(env, stdout, stderr)
	}
	if cmd == "import" {
		return importOld(args[1:], env, stdout, stderr)
	}
	if len(args) > 1 {
		fmt.Fprintf(stderr, "discordgpt: %s takes no arguments\n", cmd)
		return 2
	}
	warnings := bot.DotEnvWarnings(".env", dotenv)
	cfg, err := bot.LoadConfig(env)
	if err != nil {
		fmt.Fprintln(stderr, "discordgpt: config:", err)
		for _, w := range warnings {
			fmt.Fprintln(stderr, "discordgpt: warning:", w)
		}
		return 2
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if cmd == "check" {
		for _, w := range warnings {
			fmt.Fprintln(stdout, "warning:", w)
		}
		if err := bot.Check(ctx, cfg, stdout); err != nil {
			fmt.Fprintln(stderr, "discordgpt: check:", err)
			return 1
		}
		return 0
	}
	for _, w := range warnings {
		log.Warn(w)
	}
	bot.Version = buildVersion()
	setMemoryLimit()
	log.Info("starting discordgpt", "version", buildVersion(), "data_dir", cfg.DataDir)
	if err := bot.Run(ctx, cfg, log); err != nil {
		fmt.Fprintln(stderr, "discordgpt:", err)
		var se *bot.SetupError
		if errors.As(err, &se) {
			return 2 // the owner must fix it: restarting will not help
		}
		return 1
	}
	log.Info("stopped")
	return 0
}

// defaultMemoryLimit is the Go runtime's soft memory limit when GOMEMLIMIT
// is not set: the bot lives in a few tens of megabytes, and a burst (many
// photos at once) makes the garbage collector work harder near the limit
// instead of letting the heap double, which a Pi with 512 MB notices.
const defaultMemoryLimit = 64 << 20

// setMemoryLimit applies defaultMemoryLimit unless GOMEMLIMIT says
// otherwise. It is soft: live data above it is never refused.
func setMemoryLimit() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}

// backup copies the database without the rest of the configuration, so it
// works with only DATA_DIR set.
func backup(args []string, env bot.Lookup, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "" {
		fmt.Fprintln(stderr, "discordgpt: usage: discordgpt backup PATH")
		return 2
	}
	dataDir := "./data"
	if v, ok := env("DATA_DIR"); ok && v != "" {
		dataDir = v
	}
	db, err := bot.OpenStore(dataDir, true)
	if err != nil {
		fmt.Fprintln(stderr, "discordgpt: backup:", err)
		return 1
	}
	defer db.Close()
	dest := args[0]
	if strings.HasSuffix(dest, "/") { // a folder: made if missing
		if err := os.MkdirAll(dest, 0o700); err != nil {
			fmt.Fprintln(stderr, "discordgpt: backup:", err)
			return 1
		}
	}
	if st, err := os.Stat(dest); err == nil && st.IsDir() {
		dest = filepath.Join(dest, "discordgpt-"+time.Now().UTC().Format("20060102-150405")+".db")
	}
	n, err := db.Backup(dest)
	if err != nil {
		fmt.Fprintln(stderr, "discordgpt: backup:", err)
		return 1
	}
	fmt.Fprintf(stdout, "backup: wrote %d bytes to %s\n", n, dest)
	return 0
}

// importOld brings in the old bot's mongodump; it needs only DATA_DIR
// (and reads TIMEZONE, MAX_FILES_PER_USER, MAX_FILE_SIZE_MB).
func importOld(args []string, env bot.Lookup, stdout, stderr io.Writer) int {
	if len(args) < 1 || len(args) > 2 || args[0] == "" {
		fmt.Fprintln(stderr, "discordgpt: usage: discordgpt import DUMP_DIR [FILES_DIR]")
		return 2
	}
	filesDir := ""
	if len(args) == 2 {
		filesDir = args[1]
	}
	rep, err := bot.Import(env, args[0], filesDir)
	if err != nil {
		fmt.Fprintln(stderr, "discordgpt: import:", err)
		var ce *bot.ConfigError
		if errors.As(err, &ce) {
			return 2
		}
		return 1
	}
	bot.WriteImportSummary(stdout, rep)
	return 0
}

// compact rewrites the stopped bot's database with only its live data,
// with only DATA_DIR set.
func compact(env bot.Lookup, stdout, stderr io.Writer) int {
	dataDir := "./data"
	if v, ok := env("DATA_DIR"); ok && v != "" {
		dataDir = v
	}
	before, after, err := bot.CompactStore(dataDir)
	if err != nil {
		fmt.Fprintln(stderr, "discordgpt: compact:", err)
		return 1
	}
	fmt.Fprintf(stdout, "compact: %d bytes before, %d after\n", before, after)
	return 0
}

// newLogger sets up slog once, and routes discordgo's own log lines to it.
func newLogger(cfg bot.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	log := slog.New(h)
	slog.SetDefault(log)
	dlog := log.With("component", "discordgo")
	discordgo.Logger = func(level, _ int, format string, a ...any) {
		l := slog.LevelDebug
		switch level {
		case discordgo.LogError:
			l = slog.LevelError
		case discordgo.LogWarning:
			l = slog.LevelWarn
		}
		dlog.Log(context.Background(), l, fmt.Sprintf(format, a...))
	}
	return log
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
