package mcphost

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadConfig(t *testing.T) {
	write := func(body string) string {
		p := filepath.Join(t.TempDir(), "mcp.json")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c, err := LoadConfig(write(`{"mcpServers": {"a": {"command": "node", "args": ["x"], "env": {"K": "topsecret"}},
		"b-2": {"url": "https://mcp.example/mcp", "headers": {"Authorization": "Bearer abcdef"}, "allowEveryone": true, "timeout": "5s"}}}`))
	if err != nil || len(c.Servers) != 2 || c.Servers["a"].CallTimeout().Seconds() != 30 || c.Servers["b-2"].CallTimeout().Seconds() != 5 {
		t.Fatalf("%+v %v", c, err)
	}
	if !c.Servers["b-2"].Allows("1", nil, "", false) || c.Servers["a"].Allows("1", nil, "", false) || !c.Servers["a"].Allows("1", nil, "", true) {
		t.Error("access rules")
	}
	for body, want := range map[string]string{
		`{"mcpServers": {"a_b": {"command": "x"}}}`:                                    "names are",
		`{"mcpServers": {"a": {"command": "x", "url": "https://x"}}}`:                  "either command",
		`{"mcpServers": {"a": {}}}`:                                                    "either command",
		`{"mcpServers": {"a": {"url": "file:///etc/passwd"}}}`:                         "http(s) URL",
		`{"mcpServers": {"a": {"command": "x", "timeout": "forever"}}}`:                "timeout",
		`{"mcpServers": {"a": {"command": "x", "env": {"K": "topsecret"}, "bad": 1}}}`: "is not an MCP config",
		`not json topsecret`: "is not an MCP config",
	} {
		_, err := LoadConfig(write(body))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "topsecret") {
			t.Errorf("%s: %v, want %q (and no secret)", body, err, want)
		}
	}
}

func TestExposedName(t *testing.T) {
	if got := exposedName("fs", "read file!"); got != "mcp_fs__read_file" {
		t.Errorf("got %q", got)
	}
	long := exposedName("server", strings.Repeat("x", 100))
	if len(long) > 64 || !strings.HasPrefix(long, "mcp_server__x") {
		t.Errorf("long: %q", long)
	}
	if exposedName("a", "b_c") == exposedName("a-b", "c") {
		t.Error("collision")
	}
}
