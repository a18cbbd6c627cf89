package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/discordtest"
	"github.com/discordgpt/discordgpt/bot/openaitest"
)

// runDirect runs the bot against fake with cfg adjusted, logging to the
// returned log; stop ends it and returns Run's error.
func runDirect(t *testing.T, fake *discordtest.Server, adjust func(*bot.Config)) (*syncBuffer, func() error, chan error) {
	t.Helper()
	ai := openaitest.New(t)
	cfg, err := bot.LoadConfig(func(k string) (string, bool) { v, ok := env(fake, ai, t.TempDir())[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	cfg.RetryBackoff = 10 * time.Millisecond
	if adjust != nil {
		adjust(&cfg)
	}
	lg := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bot.Run(ctx, cfg, slog.New(slog.NewTextHandler(lg, nil))) }()
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			t.Fatal("Run did not return")
			return nil
		}
	}
	t.Cleanup(func() { cancel() })
	return lg, stop, done
}

// TestFirstRun_SetupMistakesSayWhatToDo: the Message Content intent off
// in the Developer Portal (gateway close 4014) and a wrong token each end
// the run at once with one line saying what to do, as a SetupError (exit
// status 2, which the service unit does not restart).
func TestFirstRun_SetupMistakesSayWhatToDo(t *testing.T) {
	fake := discordtest.New(t)
	fake.SetDisallowedIntents(discordgo.IntentMessageContent)
	_, _, done := runDirect(t, fake, nil)
	var err error
	select {
	case err = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("the bot kept going with the intent refused")
	}
	var se *bot.SetupError
	if !errors.As(err, &se) || !strings.Contains(se.What, "MESSAGE CONTENT INTENT") || !strings.Contains(se.What, "Privileged Gateway Intents") {
		t.Fatalf("4014: %v", err)
	}
	fake2 := discordtest.New(t)
	_, _, done = runDirect(t, fake2, func(c *bot.Config) { c.DiscordToken = "not-the-token" })
	select {
	case err = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("the bot kept going with a wrong token")
	}
	if !errors.As(err, &se) || !strings.Contains(se.What, "Reset Token") {
		t.Fatalf("wrong token: %v", err)
	}
}

// TestFirstRun_DiscordDownAtStartIsRetried: Discord failing at start is
// retried with backoff and logged, not a crash; the bot then connects.
func TestFirstRun_DiscordDownAtStartIsRetried(t *testing.T) {
	fake := discordtest.New(t)
	fake.Fail("GET", "/gateway", 12, 502) // more than discordgo's own retries
	lg, stop, _ := runDirect(t, fake, nil)
	if !fake.WaitFor(20*time.Second, func() bool { return fake.Gateway().Connected && len(fake.Commands("global")) > 0 }) {
		t.Fatalf("never connected: %s", lg.String())
	}
	if n := strings.Count(lg.String(), "cannot reach Discord; retrying"); n < 1 {
		t.Errorf("retries not logged: %s", lg.String())
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !fake.WaitFor(5*time.Second, func() bool { return !fake.Gateway().Connected }) {
		t.Errorf("a gateway session outlived the run: %+v\n%s", fake.Gateway(), lg.String())
	}
}

// TestFirstRun_ReadyLogAndScopeCleanup: the start log names the bot and
// its servers (warning at none, with the invite link); moving from global
// registration to GUILD_ID and back removes the other scope's commands.
func TestFirstRun_ReadyLogAndScopeCleanup(t *testing.T) {
	fake := discordtest.New(t)
	ai := openaitest.New(t)
	dir := t.TempDir()
	cfg, err := bot.LoadConfig(func(k string) (string, bool) { v, ok := env(fake, ai, dir)[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	run := func(guild string, wantScope string) string {
		t.Helper()
		c := cfg
		c.GuildID = guild
		lg := &syncBuffer{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- bot.Run(ctx, c, slog.New(slog.NewTextHandler(lg, nil))) }()
		if !fake.WaitFor(20*time.Second, func() bool { return len(fake.Commands(wantScope)) > 0 && strings.Contains(lg.String(), " servers=") }) {
			t.Fatalf("not registered in %s: %s", wantScope, lg.String())
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		return lg.String()
	}
	out := run("", "global")
	if !strings.Contains(out, "in no server yet") || !strings.Contains(out, "client_id="+fake.AppID+"&permissions=309237763072&scope=bot+applications.commands") ||
		!strings.Contains(out, "bot=discordgpt") || !strings.Contains(out, "registered globally") {
		t.Errorf("start log: %s", out)
	}
	fake.SetGuilds("111111111111111111", "222222222222222222")
	const guild = "333333333333333333"
	out = run(guild, guild)
	if len(fake.Commands("global")) != 0 {
		t.Errorf("global commands left after moving to GUILD_ID: %d", len(fake.Commands("global")))
	}
	if !strings.Contains(out, "msg=ready") || !strings.Contains(out, "servers=2") || strings.Contains(out, "in no server yet") || strings.Contains(out, "registered globally") {
		t.Errorf("start log with servers: %s", out)
	}
	run("", "global")
	if len(fake.Commands(guild)) != 0 {
		t.Errorf("guild commands left after moving back to global: %d", len(fake.Commands(guild)))
	}
}

// TestFirstRun_OneLogLinePerMessage: each handled message gets one info
// line with who, where, the outcome, tokens and time, never the text.
func TestFirstRun_OneLogLinePerMessage(t *testing.T) {
	fake := discordtest.New(t)
	lg, stop, _ := runDirect(t, fake, func(c *bot.Config) { c.RateCount, c.RateWindow = 1, time.Hour })
	if !fake.WaitFor(20*time.Second, func() bool { return fake.Gateway().Connected && len(fake.Commands("global")) > 0 }) {
		t.Fatal("not connected")
	}
	q := fake.SendMessage(&discordgo.Message{ChannelID: "dm8001", Author: &discordgo.User{ID: "8001"}, Content: "secret words"})
	waitReply(t, fake, q, "echo: secret words")
	fake.SendMessage(&discordgo.Message{ChannelID: "dm8001", Author: &discordgo.User{ID: "8001"}, Content: "too fast"})
	if !fake.WaitFor(10*time.Second, func() bool { return strings.Contains(lg.String(), "reason=rate_limit") }) {
		t.Fatalf("no refusal line: %s", lg.String())
	}
	_ = stop()
	out := lg.String()
	if !strings.Contains(out, "msg=message user_id=8001 guild_id=\"\" channel_id=dm8001 outcome=answered model=gpt-4o-mini calls=1") ||
		!strings.Contains(out, "input_tokens=") || !strings.Contains(out, "duration_ms=") {
		t.Errorf("answer line: %s", out)
	}
	if strings.Contains(out, "secret words") || strings.Contains(out, "too fast") {
		t.Error("message text in the log")
	}
}

// TestFirstRun_MissingPermissionSaysWhatToDo: a channel where the bot may
// not post gets one warning naming the permissions to give, once.
func TestFirstRun_MissingPermissionSaysWhatToDo(t *testing.T) {
	fake := discordtest.New(t)
	lg, stop, _ := runDirect(t, fake, func(c *bot.Config) { c.RateCount = 0 })
	if !fake.WaitFor(20*time.Second, func() bool { return fake.Gateway().Connected && len(fake.Commands("global")) > 0 }) {
		t.Fatal("not connected")
	}
	fake.Refuse("POST", "/channels/locked/messages", 10, 403, 50013)
	for i := 0; i < 2; i++ {
		mention(fake, "8101", "locked", "hello")
	}
	if !fake.WaitFor(10*time.Second, func() bool { return strings.Contains(lg.String(), "lack of permission") }) {
		t.Fatalf("no permission warning: %s", lg.String())
	}
	time.Sleep(300 * time.Millisecond)
	_ = stop()
	out := lg.String()
	if n := strings.Count(out, "lack of permission"); n != 1 || !strings.Contains(out, "Send Messages") || !strings.Contains(out, "channel_id=locked") {
		t.Errorf("%d warnings: %s", n, out)
	}
}
