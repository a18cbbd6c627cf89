// Package mcphost runs the MCP servers the bot's owner chose and offers
// their tools: each server is started (stdio) or reached (streamable
// HTTP) through the official Go SDK, restarted with backoff when it dies,
// and its tools disappear while it is down. Secrets in a server's env and
// headers never reach a log or a tool result. It knows nothing of Discord
// beyond the IDs a server's access rules name.
package mcphost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// ServerConfig is one server of the MCP_CONFIG file: the fields MCP
// clients share (command, args, env or url, headers) and the bot's own
// (who may use it, how long a call may take).
type ServerConfig struct {
	Command string            `json:"command,omitempty"`
	Args    []string          `json:"args,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	// AllowUsers, AllowRoles and AllowChannels are Discord IDs that may
	// use the server; AllowEveryone opens it to all. With none of them,
	// only the bot's admins may.
	AllowUsers    []string `json:"allowUsers,omitempty"`
	AllowRoles    []string `json:"allowRoles,omitempty"`
	AllowChannels []string `json:"allowChannels,omitempty"`
	AllowEveryone bool     `json:"allowEveryone,omitempty"`
	// Timeout bounds one call ("30s"); default 30 s.
	Timeout string `json:"timeout,omitempty"`

	timeout time.Duration
}

// CallTimeout is how long one call may take.
func (c ServerConfig) CallTimeout() time.Duration { return c.timeout }

// Allows reports whether a user (with roles, in a channel) may use the
// server; admin is whether they are one of the bot's admins.
func (c ServerConfig) Allows(userID string, roles []string, channelID string, admin bool) bool {
	if admin || c.AllowEveryone || contains(c.AllowUsers, userID) || (channelID != "" && contains(c.AllowChannels, channelID)) {
		return true
	}
	for _, r := range roles {
		if contains(c.AllowRoles, r) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Config is the MCP_CONFIG file.
type Config struct {
	Servers map[string]ServerConfig `json:"mcpServers"`
}

var serverName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,23}$`)

// LoadConfig reads and checks an MCP_CONFIG file. Its errors never quote
// env or header values.
func LoadConfig(path string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("cannot read %s: %w", path, err)
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("is not an MCP config ({\"mcpServers\": {...}}): %v", strings.SplitN(err.Error(), ":", 2)[0])
	}
	for name, s := range c.Servers {
		switch {
		case !serverName.MatchString(name):
			return Config{}, fmt.Errorf("server %q: names are 1 to 24 letters, digits or dashes", name)
		case (s.Command == "") == (s.URL == ""):
			return Config{}, fmt.Errorf("server %q: give either command (stdio) or url (streamable HTTP)", name)
		case s.URL != "":
			u, err := url.Parse(s.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return Config{}, fmt.Errorf("server %q: url must be an http(s) URL", name)
			}
		}
		s.timeout = 30 * time.Second
		if s.Timeout != "" {
			d, err := time.ParseDuration(s.Timeout)
			if err != nil || d < time.Second || d > 30*time.Minute {
				return Config{}, fmt.Errorf("server %q: timeout must be a duration from 1s to 30m", name)
			}
			s.timeout = d
		}
		c.Servers[name] = s
	}
	return c, nil
}
