package llm

import (
	"context"
	"errors"
	"io"
	"sort"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// chatRequest builds the Chat Completions request, leaving out what the
// model's capabilities or the provider's refusals rule out. It returns
// the parameters it sent that a provider may refuse, most likely first.
func chatRequest(req Request, q quirkSet) (openai.ChatCompletionRequest, []string) {
	var sent []string
	out := openai.ChatCompletionRequest{Model: req.Model, Stream: true}
	reasoning := IsReasoning(req.Model)
	if req.MaxOutputTokens > 0 {
		switch {
		case !reasoning && !q[ParamMaxTokens]:
			out.MaxTokens = req.MaxOutputTokens
			sent = append(sent, ParamMaxTokens)
		case !q[ParamMaxCompletionTokens]:
			out.MaxCompletionTokens = req.MaxOutputTokens
			sent = append(sent, ParamMaxCompletionTokens)
		}
	}
	if req.Temperature != nil && !reasoning && !q[ParamTemperature] {
		out.Temperature = *req.Temperature
		sent = append(sent, ParamTemperature)
	}
	if req.ReasoningEffort != "" && reasoning && !q[ParamReasoningEffort] {
		out.ReasoningEffort = req.ReasoningEffort
		sent = append(sent, ParamReasoningEffort)
	}
	if !q[ParamStreamOptions] {
		out.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
		sent = append(sent, ParamStreamOptions)
	}
	if len(req.Tools) > 0 && !q[ParamTools] {
		for _, t := range req.Tools {
			out.Tools = append(out.Tools, openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
				Name: t.Name, Description: t.Description, Parameters: t.Parameters}})
		}
		if reasoning {
			if q[ParamToolEffort] && !q[ParamReasoningEffort] {
				out.ReasoningEffort = "none" // the only effort such models take with tools here
				if !contains(sent, ParamReasoningEffort) {
					sent = append(sent, ParamReasoningEffort)
				}
			}
			sent = append(sent, ParamToolEffort)
		}
		sent = append(sent, ParamTools)
	}
	msgs := make([]openai.ChatCompletionMessage, 0, len(req.Messages)+1)
	if req.System != "" {
		if q[ParamSystemRole] {
			msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser,
				Content: "Instructions for this conversation:\n" + req.System})
		} else {
			msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleSystem, Content: req.System})
			sent = append(sent, ParamSystemRole)
		}
	}
	for _, m := range req.Messages {
		msgs = append(msgs, chatMessage(m))
	}
	out.Messages = msgs
	return out, sent
}

func chatMessage(m Message) openai.ChatCompletionMessage {
	cm := openai.ChatCompletionMessage{Role: m.Role, ToolCallID: m.ToolCallID}
	if len(m.Parts) == 0 {
		cm.Content = m.Content
	}
	for _, p := range m.Parts {
		if p.ImageURL != "" {
			cm.MultiContent = append(cm.MultiContent, openai.ChatMessagePart{Type: openai.ChatMessagePartTypeImageURL,
				ImageURL: &openai.ChatMessageImageURL{URL: p.ImageURL, Detail: openai.ImageURLDetailAuto}})
		} else {
			cm.MultiContent = append(cm.MultiContent, openai.ChatMessagePart{Type: openai.ChatMessagePartTypeText, Text: p.Text})
		}
	}
	for _, tc := range m.ToolCalls {
		cm.ToolCalls = append(cm.ToolCalls, openai.ToolCall{ID: tc.ID, Type: openai.ToolTypeFunction,
			Function: openai.FunctionCall{Name: tc.Name, Arguments: tc.Arguments}})
	}
	return cm
}

// readChat reads a Chat Completions stream to its end into res, calling
// onText with the text so far after each chunk that added some.
func readChat(st *openai.ChatCompletionStream, res *Result, onText func(string)) {
	defer st.Close()
	var sb strings.Builder
	type partial struct {
		id, name string
		args     strings.Builder
	}
	calls := map[int]*partial{}
	var usage *openai.Usage
	for {
		resp, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			res.Err = err
			break
		}
		if resp.Usage != nil {
			usage = resp.Usage
		}
		added := false
		for _, c := range resp.Choices {
			if c.Delta.Content != "" {
				sb.WriteString(c.Delta.Content)
				added = true
			}
			for _, tc := range c.Delta.ToolCalls {
				idx := 0
				if tc.Index != nil {
					idx = *tc.Index
				}
				p := calls[idx]
				if p == nil {
					p = &partial{}
					calls[idx] = p
				}
				if tc.ID != "" {
					p.id = tc.ID
				}
				if tc.Function.Name != "" {
					p.name = tc.Function.Name
				}
				p.args.WriteString(tc.Function.Arguments)
			}
			if c.FinishReason != "" {
				res.Finish = chatFinish(c.FinishReason)
			}
		}
		if added && onText != nil {
			onText(sb.String())
		}
	}
	res.Text = sb.String()
	idxs := make([]int, 0, len(calls))
	for i := range calls {
		idxs = append(idxs, i)
	}
	sort.Ints(idxs)
	for _, i := range idxs {
		p := calls[i]
		res.ToolCalls = append(res.ToolCalls, ToolCall{ID: p.id, Name: p.name, Arguments: p.args.String()})
	}
	if usage != nil {
		res.Usage = Usage{Input: int64(usage.PromptTokens), Output: int64(usage.CompletionTokens)}
		if d := usage.PromptTokensDetails; d != nil {
			res.Usage.Cached = int64(d.CachedTokens)
		}
		if d := usage.CompletionTokensDetails; d != nil {
			res.Usage.Reasoning = int64(d.ReasoningTokens)
		}
	} else {
		res.Usage.Estimated = true
	}
}

func chatFinish(f openai.FinishReason) Finish {
	switch f {
	case openai.FinishReasonLength:
		return FinishLength
	case openai.FinishReasonToolCalls, openai.FinishReasonFunctionCall:
		return FinishToolCalls
	case openai.FinishReasonContentFilter:
		return FinishFilter
	}
	return FinishStop
}

// streamChat opens and reads one Chat Completions stream.
func (c *Client) streamChat(ctx context.Context, req openai.ChatCompletionRequest, res *Result, onText func(string)) error {
	st, err := withRetries(ctx, c.backoff, func(ctx context.Context) (*openai.ChatCompletionStream, error) {
		return c.ai.CreateChatCompletionStream(ctx, req)
	})
	if err != nil {
		return err
	}
	res.Reached = true
	readChat(st, res, onText)
	return nil
}
