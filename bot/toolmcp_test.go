package bot_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/mcphost"
)

// everythingServer is the MCP reference server from npm (installed by
// .ci/run: npm ci --prefix testdata/mcp).
func everythingServer(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../testdata/mcp/node_modules/@modelcontextprotocol/server-everything/dist/index.js")
	if err != nil {
		t.Fatal(err)
	}
	_, statErr := os.Stat(p)
	_, nodeErr := exec.LookPath("node")
	if statErr == nil && nodeErr == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("the MCP reference server must run in CI (npm ci --prefix testdata/mcp): %v %v", statErr, nodeErr)
	}
	t.Skip("MCP reference server not installed: run npm ci --prefix testdata/mcp")
	return ""
}

// serverPIDs finds the running reference servers.
func serverPIDs() []int {
	var out []int
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, []byte("server-everything/dist/index.js")) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			out = append(out, pid)
		}
	}
	return out
}

// TestMCP_EverythingServer: the reference MCP server, started over stdio
// from MCP_CONFIG. Its tools are listed (/admin mcp), one is called
// through a model-issued tool call, a user the config does not name is
// refused, its env secret and the bot's own secrets never reach the
// model, and when it is killed mid-call the bot still answers, the
// server comes back and works again.
func TestMCP_EverythingServer(t *testing.T) {
	index := everythingServer(t)
	const allowed, forbidden = "7601", "7602"
	cfgPath := filepath.Join(t.TempDir(), "mcp.json")
	if err := os.WriteFile(cfgPath, []byte(`{"mcpServers": {"everything": {"command": "node", "args": [`+strconv.Quote(index)+`, "stdio"],
		"env": {"EVERYTHING_TOKEN": "s3cr3t-value-42"}, "allowUsers": ["`+allowed+`"], "timeout": "20s"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	mcfg, err := mcphost.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	h := startBot(t, func(c *bot.Config) {
		c.RateCount = 0
		c.MCP, c.MCPConfig = mcfg, cfgPath
		c.AdminIDs = []string{adminID}
	})
	tm := newToolModel()
	h.ai.SetResponder(tm.respond)
	waitUp := func() string {
		var report string
		if !h.fake.WaitFor(30*time.Second, func() bool {
			report = h.answerOf(t, h.admin(adminID, "mcp", "")).Content
			return strings.Contains(report, "🟢 `everything` (stdio)")
		}) {
			t.Fatalf("the server did not come up: %q", report)
		}
		return report
	}
	if r := waitUp(); !strings.Contains(r, "echo") || !strings.Contains(r, "trigger-long-running-operation") {
		t.Fatalf("/admin mcp = %q", r)
	}
	// A model-issued call by an allowed user.
	tm.set("echo please", "mcp_everything__echo", map[string]string{"message": "hello from discord"})
	waitReplyPrefix(t, h, h.dm(allowed, "echo please"), "tool: ")
	if res := lastToolResult(t, h); !strings.Contains(res, "hello from discord") {
		t.Fatalf("echo: %q", res)
	}
	reqs := h.ai.Requests()
	if names := offered(t, reqs[len(reqs)-2]); !slicesContain(names, "mcp_everything__echo") {
		t.Fatalf("not offered to an allowed user: %v", names)
	}
	// A user the config does not name: not offered, and refused if called.
	waitReplyPrefix(t, h, h.dm(forbidden, "echo please"), "tool: Error: there is no tool named \"mcp_everything__echo\"")
	reqs = h.ai.Requests()
	for _, n := range offered(t, reqs[len(reqs)-2]) {
		if strings.HasPrefix(n, "mcp_") {
			t.Fatalf("offered to a forbidden user: %s", n)
		}
	}
	// Secrets: the server's env is redacted, and it never got the bot's.
	tm.set("show env", "mcp_everything__get-env", map[string]string{})
	waitReplyPrefix(t, h, h.dm(allowed, "show env"), "tool: ")
	res := lastToolResult(t, h)
	if !strings.Contains(res, "EVERYTHING_TOKEN") || strings.Contains(res, "s3cr3t-value-42") || !strings.Contains(res, "[redacted]") ||
		strings.Contains(res, h.cfg.DiscordToken) || strings.Contains(res, h.cfg.OpenAIKey) || strings.Contains(res, "DATA_DIR") {
		t.Errorf("env: %q", truncate(res, 800))
	}
	// Killed mid-call: the bot answers at once, the server comes back.
	tm.set("long job", "mcp_everything__trigger-long-running-operation", map[string]int{"duration": 15, "steps": 5})
	q := mention(h.fake, allowed, "mcp-chan", "long job") // a fresh channel: room for the status edit
	if !h.fake.WaitFor(10*time.Second, func() bool { return sawEdit(h, q, "🧩 Using `everything`: `trigger-long-running-operation`…") }) {
		t.Fatal("no status line for the MCP call")
	}
	time.Sleep(300 * time.Millisecond)
	pids := serverPIDs()
	if len(pids) == 0 {
		t.Fatal("no server process to kill")
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	// The operation would take 15 s; the answer comes within the wait
	// below only because the call failed with the server.
	waitReplyPrefix(t, h, q, "tool: Error: the everything server")
	waitUp()
	waitReplyPrefix(t, h, h.dm(allowed, "echo please"), "tool: ")
	if res := lastToolResult(t, h); !strings.Contains(res, "hello from discord") {
		t.Fatalf("after the restart: %q", res)
	}
}
