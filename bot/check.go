package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/mcphost"

	"github.com/bwmarrin/discordgo"
)

// Check tries both services with the configuration and prints one line
// per check to w. It returns an error if any check failed.
func Check(ctx context.Context, cfg Config, w io.Writer) error {
	fmt.Fprintf(w, "config: ok (DATA_DIR=%s, DEFAULT_MODEL=%s)\n", cfg.DataDir, cfg.DefaultModel)
	failed := 0
	if err := PointDiscordAt(cfg.DiscordAPIURL); err != nil {
		return err
	}
	dg, err := discordgo.New("Bot " + cfg.DiscordToken)
	if err == nil {
		dg.Client.Timeout = 15 * time.Second
		var u *discordgo.User
		if u, err = dg.User("@me", discordgo.WithContext(ctx)); err == nil {
			fmt.Fprintf(w, "discord: ok, logged in as %s (id %s)\n", u.Username, u.ID)
		}
	}
	if err != nil {
		failed++
		fmt.Fprintf(w, "discord: FAILED: %v\n", explainConnect(err))
	} else if gerr := checkGateway(cfg); gerr != nil {
		failed++
		fmt.Fprintf(w, "discord gateway: FAILED: %v\n", gerr)
	} else {
		fmt.Fprintln(w, "discord gateway: ok (the Message Content intent is allowed)")
	}
	if derr := checkDataDir(cfg.DataDir); derr != nil {
		failed++
		fmt.Fprintf(w, "data dir: FAILED: %v\n", derr)
	} else {
		fmt.Fprintf(w, "data dir: ok (%s is writable)\n", cfg.DataDir)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	client := newLLM(cfg, nil, nil)
	list, err := client.FetchModels(ctx)
	now := cfg.now()
	if err != nil {
		failed++
		fmt.Fprintf(w, "openai: FAILED at %s: %v\n", cfg.OpenAIBaseURL, err)
		list = nil
	} else {
		chat := 0
		for _, m := range list {
			if m.Chat {
				chat++
			}
		}
		fmt.Fprintf(w, "openai: ok, %d models (%d for chat) at %s, %s API\n", len(list), chat, cfg.OpenAIBaseURL, client.API())
	}
	st := newModelState(cfg, list, now)
	fmt.Fprintf(w, "models offered: %s\n", strings.Join(st.offered, ", "))
	var retiring []string
	for _, m := range list {
		if d, ok := llm.Shutdown(m); ok && now.Before(d) && contains(st.offered, m.ID) {
			retiring = append(retiring, fmt.Sprintf("%s (%s)", m.ID, d.Format(time.DateOnly)))
		}
	}
	if len(retiring) > 0 {
		fmt.Fprintf(w, "models retiring: %s\n", strings.Join(retiring, ", "))
	}
	if un := st.unpriced(); len(un) > 0 {
		fmt.Fprintf(w, "models without a price: %s\n", strings.Join(un, ", "))
	}
	if err := newSandbox(cfg).Probe(ctx); err != nil {
		fmt.Fprintf(w, "code interpreter: off (the rest works): %v\n", err)
	} else {
		fmt.Fprintf(w, "code interpreter: ok (%s with numpy, pandas and matplotlib, in bubblewrap)\n", cfg.Python)
	}
	if len(cfg.MCP.Servers) > 0 {
		checkMCP(ctx, cfg, w)
	}
	for _, warn := range st.warnings(cfg, now) {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	if failed > 0 {
		return fmt.Errorf("%d check(s) failed", failed)
	}
	return nil
}

// checkMCP starts each MCP server, waits until each is up (or 20 s), and
// prints its state and tools.
func checkMCP(ctx context.Context, cfg Config, w io.Writer) {
	ctx, cancel := context.WithCancel(ctx)
	m := mcphost.New(cfg.MCP, Version, slog.New(slog.DiscardHandler))
	m.Start(ctx)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		all := true
		for _, st := range m.Status() {
			all = all && st.Up
		}
		if all {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, st := range m.Status() {
		if st.Up {
			fmt.Fprintf(w, "mcp %s: ok (%s), %d tools: %s\n", st.Name, st.Transport, len(st.Tools), strings.Join(st.Tools, ", "))
		} else {
			fmt.Fprintf(w, "mcp %s: not running (%s): %s\n", st.Name, st.Transport, st.Err)
		}
	}
	cancel()
	m.Wait()
}

// checkGateway opens a real gateway session with the bot's intents, which
// is where Discord refuses a privileged intent switched off (4014).
func checkGateway(cfg Config) error {
	dg, err := discordgo.New("Bot " + cfg.DiscordToken)
	if err != nil {
		return err
	}
	dg.Identify.Intents = botIntents
	dg.StateEnabled = false
	dg.LogLevel = -1
	if err := dg.Open(); err != nil {
		_ = dg.Close()
		return explainConnect(err)
	}
	return dg.Close()
}

// checkDataDir makes sure DATA_DIR exists and takes a file.
func checkDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".check-*")
	if err != nil {
		return fmt.Errorf("cannot write there: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}
