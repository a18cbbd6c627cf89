package bot_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/discordtest"
	"github.com/discordgpt/discordgpt/bot/openaitest"
)

// raceEnabled is set when the tests run under -race, so the binary the
// end-to-end tests start is built with the race detector too.
var raceEnabled bool

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the discordgpt program once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "discordgpt-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "discordgpt")
		args := []string{"build", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "..")...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build: %v", buildErr)
	}
	return binPath
}

// syncBuffer collects a process's output safely.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a running discordgpt.
type proc struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
}

// start runs the binary with env (plus PATH) in an empty working folder.
func start(t *testing.T, env map[string]string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &proc{cmd: cmd, out: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("output of %v:\n%s", args, p.out.String())
		}
	})
	return p
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("wait: %v", err)
		}
		return 0
	case <-time.After(timeout):
		t.Fatalf("process still running after %v", timeout)
		return -1
	}
}

// env is a working configuration pointed at the fakes.
func env(fake *discordtest.Server, ai *openaitest.Server, dataDir string) map[string]string {
	return map[string]string{
		"DISCORD_TOKEN":   fake.Token,
		"DISCORD_API_URL": fake.URL,
		"OPENAI_API_KEY":  openaitest.DefaultKey,
		"OPENAI_BASE_URL": ai.URL,
		"DATA_DIR":        dataDir,
		"LOG_LEVEL":       "info",
		// The fake serves gpt-4o-mini unless told otherwise.
		"DEFAULT_MODEL": "gpt-4o-mini",
	}
}

// mention injects a guild message from userID that @mentions the bot.
func mention(fake *discordtest.Server, userID, channelID, text string) *discordgo.Message {
	return fake.SendMessage(&discordgo.Message{
		GuildID: discordtest.DefaultGuildID, ChannelID: channelID,
		Author:   &discordgo.User{ID: userID, Username: "user" + userID},
		Content:  "<@" + fake.BotUser.ID + "> " + text,
		Mentions: []*discordgo.User{&fake.BotUser},
	})
}

// replyTo returns the bot's current reply to a message, if any.
func replyTo(fake *discordtest.Server, m *discordgo.Message) (discordgo.Message, bool) {
	for _, c := range fake.ChannelMessages(m.ChannelID) {
		if c.Author != nil && c.Author.ID == fake.BotUser.ID && c.MessageReference != nil && c.MessageReference.MessageID == m.ID {
			return c, true
		}
	}
	return discordgo.Message{}, false
}

// waitReply waits until the bot's reply to m reads want (answers stream
// in, so earlier versions are partial) and returns it.
func waitReply(t *testing.T, fake *discordtest.Server, m *discordgo.Message, want string) discordgo.Message {
	t.Helper()
	var got discordgo.Message
	ok := fake.WaitFor(20*time.Second, func() bool {
		var found bool
		got, found = replyTo(fake, m)
		return found && got.Content == want
	})
	if !ok {
		t.Fatalf("reply to %q = %q, want %q", m.Content, got.Content, want)
	}
	return got
}

func TestE2E_ServeAnswerRestartKeepsHistory(t *testing.T) {
	fake := discordtest.New(t)
	ai := openaitest.New(t)
	dataDir := t.TempDir()
	e := env(fake, ai, dataDir)

	p := start(t, e)
	if !fake.WaitConnected(30 * time.Second) {
		t.Fatal("bot never connected")
	}
	if !fake.WaitFor(10*time.Second, func() bool { return len(fake.Commands("global")) > 0 }) {
		t.Fatal("commands never registered")
	}
	if gw := fake.Gateway(); gw.Intents&discordgo.IntentMessageContent == 0 || gw.Intents&discordgo.IntentsDirectMessages == 0 {
		t.Errorf("intents = %b", gw.Intents)
	}
	q := mention(fake, "4242", "777", "hello bot")
	waitReply(t, fake, q, "echo: hello bot")

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d", code)
	}

	p2 := start(t, e)
	if !fake.WaitFor(30*time.Second, func() bool { return fake.Gateway().Identifies == 2 && fake.Gateway().Connected }) {
		t.Fatal("restarted bot never connected")
	}
	q2 := mention(fake, "4242", "777", "and again")
	waitReply(t, fake, q2, "echo: and again")
	reqs := ai.Requests()
	last := reqs[len(reqs)-1].Chat.Messages
	var texts []string
	for _, m := range last {
		texts = append(texts, m.Role+":"+m.Content)
	}
	joined := strings.Join(texts, "|")
	if !strings.Contains(joined, "user:hello bot|assistant:echo: hello bot|user:and again") {
		t.Errorf("second request after restart lacks the first exchange: %s", joined)
	}
	if n := len(fake.RequestsTo("PUT", "/commands")); n != 1 {
		t.Errorf("commands registered %d times; unchanged commands must not be re-registered", n)
	}
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p2.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("exit code after second SIGTERM = %d", code)
	}

	db, err := bot.OpenStore(dataDir, true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	hist, err := db.History("4242", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 4 || hist[0].Content != "hello bot" || hist[1].Content != "echo: hello bot" || hist[3].Content != "echo: and again" {
		t.Fatalf("stored history = %+v", hist)
	}
}

func TestE2E_SecondInstanceFailsFast(t *testing.T) {
	fake := discordtest.New(t)
	ai := openaitest.New(t)
	e := env(fake, ai, t.TempDir())
	first := start(t, e)
	if !fake.WaitConnected(30 * time.Second) {
		t.Fatal("first instance never connected")
	}
	began := time.Now()
	second := start(t, e)
	code := second.wait(t, 10*time.Second)
	if code == 0 {
		t.Fatal("second instance exited 0")
	}
	if d := time.Since(began); d > 5*time.Second+2*time.Second {
		t.Errorf("second instance took %v to give up", d)
	}
	want := "another discordgpt is using DATA_DIR=" + e["DATA_DIR"]
	if !strings.Contains(second.out.String(), want) {
		t.Errorf("second instance said %q, want it to contain %q", second.out.String(), want)
	}
	_ = first.cmd.Process.Signal(syscall.SIGTERM)
	if code := first.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("first instance exit code = %d", code)
	}
}

func TestE2E_MissingTokenExits2(t *testing.T) {
	p := start(t, map[string]string{"OPENAI_API_KEY": "x"})
	if code := p.wait(t, 10*time.Second); code != 2 {
		t.Fatalf("exit code = %d", code)
	}
	out := strings.TrimSpace(p.out.String())
	if strings.Count(out, "\n") != 0 || !strings.Contains(out, "DISCORD_TOKEN") {
		t.Fatalf("output = %q, want one line naming DISCORD_TOKEN", out)
	}
}

func TestE2E_CheckAndBackup(t *testing.T) {
	fake := discordtest.New(t)
	ai := openaitest.New(t)
	ai.SetModels("gpt-4o-mini", "gpt-5", "my-local", "text-embedding-3-small")
	ai.SetShutdowns(map[string]string{"gpt-5": "2099-01-01"})
	e := env(fake, ai, t.TempDir())
	e["MODELS"] = "gpt-4o-mini,gpt-5,my-local,ghost-model"
	p := start(t, e, "check")
	if code := p.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("check exit = %d", code)
	}
	out := p.out.String()
	for _, want := range []string{"config: ok", "discord: ok, logged in as discordgpt", "openai: ok, 4 models (3 for chat)",
		"models offered: gpt-4o-mini, gpt-5, my-local, ghost-model", "models retiring: gpt-5 (2099-01-01)",
		"models without a price: my-local, ghost-model", "warning: model ghost-model is not in the provider's model list",
		"discord gateway: ok (the Message Content intent is allowed)", "data dir: ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, fake.Token) || strings.Contains(out, openaitest.DefaultKey) {
		t.Error("check printed a secret")
	}

	bad := map[string]string{}
	for k, v := range e {
		bad[k] = v
	}
	bad["DISCORD_TOKEN"] = "wrong"
	p = start(t, bad, "check")
	if code := p.wait(t, 20*time.Second); code != 1 || !strings.Contains(p.out.String(), "discord: FAILED") {
		t.Fatalf("check with a wrong token: exit %d\n%s", code, p.out.String())
	}

	// The Message Content intent off: check says so, and serve exits with
	// status 2 (not restarted by the service unit) and one line saying
	// what to do.
	fake.SetDisallowedIntents(discordgo.IntentMessageContent)
	p = start(t, e, "check")
	if code := p.wait(t, 20*time.Second); code != 1 || !strings.Contains(p.out.String(), "discord gateway: FAILED: Discord refused the Message Content intent") {
		t.Fatalf("check with the intent off: exit %d\n%s", code, p.out.String())
	}
	served := map[string]string{}
	for k, v := range e {
		served[k] = v
	}
	served["DATA_DIR"] = t.TempDir()
	p = start(t, served, "serve")
	if code := p.wait(t, 20*time.Second); code != 2 || !strings.Contains(p.out.String(), "Turn on MESSAGE CONTENT INTENT") {
		t.Fatalf("serve with the intent off: exit %d\n%s", code, p.out.String())
	}
	fake.SetDisallowedIntents(0)

	// backup of a database that does not exist yet fails clearly.
	dest := filepath.Join(t.TempDir(), "copy.db")
	p = start(t, map[string]string{"DATA_DIR": e["DATA_DIR"]}, "backup", dest)
	if code := p.wait(t, 10*time.Second); code != 1 {
		t.Fatalf("backup of nothing: exit %d", code)
	}
	// A stopped bot's database copies, with only DATA_DIR set.
	db, err := bot.OpenStore(e["DATA_DIR"], false)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	p = start(t, map[string]string{"DATA_DIR": e["DATA_DIR"]}, "backup", dest)
	if code := p.wait(t, 10*time.Second); code != 0 || !strings.Contains(p.out.String(), dest) {
		t.Fatalf("backup: exit %d\n%s", code, p.out.String())
	}
	if _, err := os.Stat(dest); err != nil {
		t.Fatal(err)
	}
	// The README's `backup backups/`: a folder made if missing.
	folder := filepath.Join(t.TempDir(), "backups") + "/"
	p = start(t, map[string]string{"DATA_DIR": e["DATA_DIR"]}, "backup", folder)
	if code := p.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("backup into a new folder: exit %d\n%s", code, p.out.String())
	}
	if got, _ := filepath.Glob(folder + "discordgpt-*.db"); len(got) != 1 {
		t.Fatalf("backup folder holds %v", got)
	}
	// compact, with the bot stopped and only DATA_DIR set.
	p = start(t, map[string]string{"DATA_DIR": e["DATA_DIR"]}, "compact")
	if code := p.wait(t, 10*time.Second); code != 0 || !strings.Contains(p.out.String(), "compact: ") {
		t.Fatalf("compact: exit %d\n%s", code, p.out.String())
	}
}
