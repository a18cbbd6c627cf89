package llm

import (
	"context"
	"encoding/json"
)

// maxLearnRetries bounds how many refused parameters one call may learn.
const maxLearnRetries = 4

// Stream makes one streamed call and returns what it produced, finished
// or not. onText, if set, gets the whole text so far after each delta.
// When the provider refuses a parameter or value the model does not
// support, the call is repeated once without it, and the model is
// remembered to lack it. Result.Reached and Result.Usage are right on every
// path: when the provider reported no usage, it is estimated (prompt
// counted before the call, output from what was streamed).
func (c *Client) Stream(ctx context.Context, req Request, onText func(string)) Result {
	q := c.quirks(req.Model)
	var res Result
	for attempt := 0; ; attempt++ {
		res = Result{}
		var sent []string
		var err error
		if c.api == APIResponses {
			wire, s := responsesRequest(req, q)
			sent = s
			err = c.streamResponses(ctx, wire, &res, onText)
		} else {
			wire, s := chatRequest(req, q)
			sent = s
			err = c.streamChat(ctx, wire, &res, onText)
		}
		if err == nil {
			break
		}
		p := refusedParam(err, sent)
		if p == ParamToolEffort && q[p] {
			p = ParamTools // tools refused even without reasoning: chat without them
		}
		if p != "" && !q[p] && attempt < maxLearnRetries {
			c.learn(req.Model, p, q)
			continue
		}
		res.Err = err
		return res
	}
	if res.Err == nil && res.Finish == "" {
		res.Err = ErrCutStream
	}
	if res.Err != nil && ctx.Err() != nil {
		res.Err = ctx.Err() // a cancelled read reports itself in its own words
	}
	if res.Usage.Estimated {
		res.Usage = Usage{Input: int64(RequestTokens(req)), Output: int64(CountTokens(req.Model, res.Text)), Estimated: true}
		for _, tc := range res.ToolCalls {
			res.Usage.Output += int64(CountTokens(req.Model, marshalForCount(tc)))
		}
	}
	return res
}

// Unsupported reports whether err is the provider refusing a parameter
// (after the retry without it failed too).
func Unsupported(err error) bool {
	return refusedParam(err, []string{ParamMaxTokens, ParamMaxCompletionTokens, ParamMaxOutputTokens, ParamTemperature,
		ParamReasoningEffort, ParamStreamOptions, ParamTools, ParamSystemRole}) != ""
}

// marshalForCount renders tool calls for counting their tokens.
func marshalForCount(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
