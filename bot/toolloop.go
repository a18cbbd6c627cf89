package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/store"
)

// modelRun is what one answer's calls to the model produced.
type modelRun struct {
	// res is the last call's result; its Err also says why tools stopped
	// (a /stop or shutdown inside a tool).
	res llm.Result
	// usage is every call of the answer summed and priced.
	usage store.Usage
	// uses are the tool calls made, with their results cut for keeping.
	uses []store.ToolUse
	// limited is set when the model still wanted tools after
	// MAX_TOOL_ROUNDS rounds.
	limited bool
}

// toolLimitNote ends an answer that hit MAX_TOOL_ROUNDS.
const toolLimitNote = "🔧 *I stopped using tools after %d rounds (this bot's limit), so this answer may be incomplete. Ask me to go on if you need more.*"

// runModel calls the model with the tools ts (already in req), runs the
// tools it asks for and calls it again with their results, for at most
// MAX_TOOL_ROUNDS rounds. While tools run, the answer shows one line per
// call; the model's text replaces them as it streams. onShown is called
// once something of the answer is shown (it ends "typing…").
func (b *Bot) runModel(ctx context.Context, r *replier, req llm.Request, ts map[string]*tool, tc *toolCall, onShown func()) modelRun {
	run := modelRun{usage: store.Usage{Model: req.Model}}
	for round := 0; ; round++ {
		var showErr error
		res := b.llm.Stream(ctx, req, func(full string) {
			// "typing…" goes on until the answer shows: its start may be
			// held back (QuietStart) while the model pauses.
			defer func() {
				if len(r.sent) > 0 {
					onShown()
				}
			}()
			if showErr != nil || !r.due() {
				return
			}
			if visible := llm.StripThink(full, false); strings.TrimSpace(visible) != "" {
				showErr = r.show(visible)
			}
		})
		run.res = res
		run.usage = addCallUsage(run.usage, b.usageOf(req.Model, res))
		if res.Err != nil || len(res.ToolCalls) == 0 {
			return run
		}
		if round >= b.cfg.MaxToolRounds {
			run.limited = true
			return run
		}
		onShown() // the tools' status shows next
		text := strings.TrimSpace(llm.StripThink(res.Text, true))
		lines := make([]string, 0, len(res.ToolCalls))
		for i := range res.ToolCalls {
			if res.ToolCalls[i].ID == "" { // some providers leave it out
				res.ToolCalls[i].ID = fmt.Sprintf("call_%d_%d", round, i)
			}
			lines = append(lines, b.toolStatus(ts, res.ToolCalls[i], tc))
		}
		shown := strings.Join(lines, "\n")
		if text != "" {
			shown = text + "\n\n" + shown
		}
		if err := r.show(shown); err != nil {
			b.log.Debug("show tool status", "user_id", tc.userID, "err", err)
		}
		req.Messages = append(req.Messages, llm.Message{Role: llm.RoleAssistant, Content: text, ToolCalls: res.ToolCalls})
		for _, call := range res.ToolCalls {
			out, err := b.runTool(ctx, ts, call, tc)
			if err != nil { // stopped or shutting down, inside the tool
				run.res.Err = err
				return run
			}
			req.Messages = append(req.Messages, llm.Message{Role: llm.RoleTool, ToolCallID: call.ID, Content: out})
			run.uses = append(run.uses, store.ToolUse{Round: round, ID: call.ID, Name: truncateRunes(call.Name, 64),
				Arguments: capResult(call.Arguments, maxToolArgs), Result: capResult(out, maxToolResultKept)})
		}
		if err := ctx.Err(); err != nil { // stopped between rounds
			run.res.Err = err
			return run
		}
	}
}

// toolStatus is the line shown while a call runs.
func (b *Bot) toolStatus(ts map[string]*tool, call llm.ToolCall, tc *toolCall) string {
	t, ok := ts[call.Name]
	if !ok || t.status == nil {
		return "🔧 Working…"
	}
	tc.args = []byte(call.Arguments)
	return t.status(tc)
}

// addCallUsage adds one call's usage to the answer's sum.
func addCallUsage(sum, u store.Usage) store.Usage {
	sum.Requests += u.Requests
	sum.InputTokens += u.InputTokens
	sum.OutputTokens += u.OutputTokens
	sum.CostUSD += u.CostUSD
	sum.Estimated = sum.Estimated || u.Estimated
	return sum
}
