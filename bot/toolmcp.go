package bot

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"strings"

	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/mcphost"
)

// mcpTools are the MCP servers' tools this caller may use.
func (b *Bot) mcpTools(tc *toolCall) map[string]*tool {
	if b.mcp == nil || b.cfg.MaxToolRounds == 0 || (b.cfg.Tools != nil && !contains(b.cfg.Tools, "mcp")) {
		return nil
	}
	admin := b.cfg.IsAdmin(tc.userID)
	out := map[string]*tool{}
	for _, t := range b.mcp.Tools(func(c mcphost.ServerConfig) bool { return c.Allows(tc.userID, tc.roles, tc.channelID, admin) }) {
		t := t
		schema := t.Schema
		if schema == nil {
			schema = map[string]any{"type": "object", "properties": map[string]any{}}
		}
		out[t.Name] = &tool{
			def: llm.Tool{Name: t.Name, Description: truncateRunes(fmt.Sprintf("[%s] %s", t.Server, t.Description), 1000), Parameters: schema},
			status: func(*toolCall) string {
				return "🧩 Using " + codeSpan(t.Server) + ": " + codeSpan(truncateRunes(t.Tool, 40)) + "…"
			},
			run: func(ctx context.Context, tc *toolCall) (string, error) { return b.runMCPTool(ctx, tc, t) },
		}
	}
	return out
}

func (b *Bot) runMCPTool(ctx context.Context, tc *toolCall, t mcphost.Tool) (string, error) {
	// The rules are checked again at the call: a model naming a tool it
	// was not offered gets nothing.
	if !t.Config.Allows(tc.userID, tc.roles, tc.channelID, b.cfg.IsAdmin(tc.userID)) {
		return "", toolErrorf("this user may not use the %s tools", t.Server)
	}
	res, err := b.mcp.Call(ctx, t.Server, t.Tool, tc.args)
	switch {
	case errors.Is(err, mcphost.ErrDown):
		return "", toolErrorf("the %s server is not running right now (it is restarted on its own); try again later", t.Server)
	case err != nil && ctx.Err() != nil:
		return "", ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		return "", toolErrorf("the %s server took longer than %s", t.Server, t.Config.CallTimeout())
	case err != nil:
		return "", toolErrorf("the %s server failed: %s", t.Server, truncateRunes(err.Error(), 300))
	}
	var kept []string
	for k, img := range res.Images {
		ext := ".png"
		if exts, _ := mime.ExtensionsByType(img.MIMEType); len(exts) > 0 {
			ext = exts[0]
		}
		meta, err := b.saveMade(tc.userID, fmt.Sprintf("%s-%s-%d%s", t.Server, t.Tool, k+1, ext), img.Data, tc.valid)
		if err != nil {
			continue
		}
		tc.out.addFile(meta)
		kept = append(kept, meta.Name)
	}
	text := strings.TrimSpace(res.Text)
	if res.IsError {
		text = "The tool reported an error: " + text
	}
	if len(kept) > 0 {
		text += "\nImages saved to the user's files and attached to your answer: " + strings.Join(kept, ", ") + "."
	}
	return text, nil
}
