package llm

import (
	"context"
	"errors"
	"io"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// responsesRequest builds the Responses API request. It always sends
// store: false, so OpenAI keeps no copy a /reset could not reach, and the
// whole conversation from our history, never previous_response_id.
func responsesRequest(req Request, q quirkSet) (openai.CreateResponseRequest, []string) {
	var sent []string
	noStore := false
	out := openai.CreateResponseRequest{Model: req.Model, Stream: true, Store: &noStore, Instructions: req.System}
	reasoning := IsReasoning(req.Model)
	if req.MaxOutputTokens > 0 && !q[ParamMaxOutputTokens] {
		out.MaxOutputTokens = req.MaxOutputTokens
		sent = append(sent, ParamMaxOutputTokens)
	}
	if req.Temperature != nil && !reasoning && !q[ParamTemperature] {
		t := *req.Temperature
		out.Temperature = &t
		sent = append(sent, ParamTemperature)
	}
	if req.ReasoningEffort != "" && reasoning && !q[ParamReasoningEffort] {
		out.Reasoning = &openai.ResponseReasoning{Effort: req.ReasoningEffort}
		sent = append(sent, ParamReasoningEffort)
	}
	if len(req.Tools) > 0 && !q[ParamTools] {
		for _, t := range req.Tools {
			out.Tools = append(out.Tools, openai.NewResponseFunctionTool(openai.FunctionDefinition{
				Name: t.Name, Description: t.Description, Parameters: t.Parameters}))
		}
		sent = append(sent, ParamTools)
	}
	input := make([]any, 0, len(req.Messages))
	for _, m := range req.Messages {
		input = append(input, responsesItems(m)...)
	}
	out.Input = input
	return out, sent
}

// responsesItems turns one message into Responses input items.
func responsesItems(m Message) []any {
	switch {
	case m.Role == RoleTool:
		return []any{openai.ResponseFunctionCallOutput{Type: "function_call_output", CallID: m.ToolCallID, Output: m.Content}}
	case len(m.ToolCalls) > 0:
		var items []any
		if m.Content != "" {
			items = append(items, openai.ResponseInputMessage{Type: "message", Role: m.Role, Content: m.Content})
		}
		for _, tc := range m.ToolCalls {
			items = append(items, map[string]any{"type": "function_call", "call_id": tc.ID, "name": tc.Name, "arguments": tc.Arguments})
		}
		return items
	case len(m.Parts) == 0:
		return []any{openai.ResponseInputMessage{Type: "message", Role: m.Role, Content: m.Content}}
	}
	var parts []any
	for _, p := range m.Parts {
		if p.ImageURL != "" {
			parts = append(parts, openai.ResponseInputImage{Type: "input_image", ImageURL: p.ImageURL, Detail: "auto"})
		} else if m.Role == RoleAssistant {
			parts = append(parts, openai.ResponseOutputContent{Type: "output_text", Text: p.Text})
		} else {
			parts = append(parts, openai.ResponseInputText{Type: "input_text", Text: p.Text})
		}
	}
	return []any{openai.ResponseInputMessage{Type: "message", Role: m.Role, Content: parts}}
}

// readResponses reads a Responses stream to its end into res.
func readResponses(st *openai.ResponseStream, res *Result, onText func(string)) {
	defer st.Close()
	var sb strings.Builder
	var usage *openai.ResponseUsage
	done := false
	for !done {
		ev, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			res.Err = err
			break
		}
		switch ev.Type {
		case openai.ResponseStreamEventOutputTextDelta:
			if ev.Delta != "" {
				sb.WriteString(ev.Delta)
				if onText != nil {
					onText(sb.String())
				}
			}
		case openai.ResponseStreamEventOutputItemDone:
			if ev.Item != nil && ev.Item.Type == "function_call" {
				res.ToolCalls = append(res.ToolCalls, ToolCall{ID: ev.Item.CallID, Name: ev.Item.Name, Arguments: ev.Item.Arguments})
			}
		case openai.ResponseStreamEventCompleted:
			done = true
			res.Finish = FinishStop
			if len(res.ToolCalls) > 0 {
				res.Finish = FinishToolCalls
			}
			if ev.Response != nil {
				usage = ev.Response.Usage
			}
		case openai.ResponseStreamEventIncomplete:
			done = true
			res.Finish = FinishFilter
			if ev.Response != nil {
				usage = ev.Response.Usage
				if d := ev.Response.IncompleteDetails; d != nil && d.Reason == "max_output_tokens" {
					res.Finish = FinishLength
				}
			}
		case openai.ResponseStreamEventFailed:
			done = true
			se := &StreamError{Code: "failed", Message: "the response failed"}
			if ev.Response != nil {
				usage = ev.Response.Usage
				if e := ev.Response.Error; e != nil {
					se = &StreamError{Code: e.Code, Message: e.Message}
				}
			}
			res.Err = se
		case openai.ResponseStreamEventError:
			done = true
			res.Err = &StreamError{Code: ev.Code, Message: ev.Message}
		}
	}
	res.Text = sb.String()
	if usage != nil {
		res.Usage = Usage{Input: int64(usage.InputTokens), Output: int64(usage.OutputTokens)}
		if d := usage.InputTokensDetails; d != nil {
			res.Usage.Cached = int64(d.CachedTokens)
		}
		if d := usage.OutputTokensDetails; d != nil {
			res.Usage.Reasoning = int64(d.ReasoningTokens)
		}
	} else {
		res.Usage.Estimated = true
	}
}

// streamResponses opens and reads one Responses stream.
func (c *Client) streamResponses(ctx context.Context, req openai.CreateResponseRequest, res *Result, onText func(string)) error {
	st, err := withRetries(ctx, c.backoff, func(ctx context.Context) (*openai.ResponseStream, error) {
		return c.ai.CreateResponseStream(ctx, req)
	})
	if err != nil {
		return err
	}
	res.Reached = true
	readResponses(st, res, onText)
	return nil
}
