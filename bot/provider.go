package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// providerRetries is how many times a 429 or 5xx is retried before the
// user sees the error.
const providerRetries = 3

// maxRetryWait is the longest Retry-After the bot waits out; a longer one
// is reported to the user instead.
const maxRetryWait = 30 * time.Second

// retryAfterKey carries a *time.Duration through a request's context, so
// the transport can report the provider's Retry-After header, which
// go-openai's errors do not carry.
type retryAfterKey struct{}

// retryAfterTransport records Retry-After on 429 and 503 answers.
type retryAfterTransport struct{ next http.RoundTripper }

func (t retryAfterTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err == nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After")); ok {
			if p, ok := r.Context().Value(retryAfterKey{}).(*time.Duration); ok {
				*p = d
			}
		}
	}
	return resp, err
}

func parseRetryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t)), true
	}
	return 0, false
}

// RetryAfterError is a provider error that came with a wait time the bot
// did not wait out; the user is told how long to wait.
type RetryAfterError struct {
	Wait time.Duration
	Err  error
}

func (e *RetryAfterError) Error() string { return fmt.Sprintf("retry after %v: %v", e.Wait, e.Err) }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// retryable reports whether a failed call may succeed if repeated: rate
// limits (but not an exhausted quota), 5xx, and network failures.
func retryable(err error) bool {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case isQuota(err):
		return false
	case errors.As(err, &apiErr):
		return apiErr.HTTPStatusCode == http.StatusTooManyRequests || apiErr.HTTPStatusCode >= 500
	case errors.As(err, &reqErr):
		return reqErr.HTTPStatusCode == http.StatusTooManyRequests || reqErr.HTTPStatusCode >= 500
	case errors.As(err, &netErr):
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "connection refused")
}

// openStream starts a streamed completion, retrying a 429 or 5xx up to
// providerRetries times with exponential backoff from base, honouring the
// provider's Retry-After.
func openStream(ctx context.Context, ai *openai.Client, req openai.ChatCompletionRequest, base time.Duration) (*openai.ChatCompletionStream, error) {
	var lastErr error
	for attempt := 0; ; attempt++ {
		var wait time.Duration
		rctx := context.WithValue(ctx, retryAfterKey{}, &wait)
		st, err := ai.CreateChatCompletionStream(rctx, req)
		if err == nil {
			return st, nil
		}
		lastErr = err
		if !retryable(err) || attempt == providerRetries {
			if wait > 0 {
				return nil, &RetryAfterError{Wait: wait, Err: lastErr}
			}
			return nil, lastErr
		}
		if wait == 0 {
			wait = base << attempt
			wait += time.Duration(rand.Int64N(int64(wait)/4 + 1))
		}
		if wait > maxRetryWait {
			return nil, &RetryAfterError{Wait: wait, Err: lastErr}
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// streamed is what a finished or broken stream produced.
type streamed struct {
	Text  string
	Usage *openai.Usage
	// Finished is set when the provider said the answer was complete.
	Finished bool
	Finish   openai.FinishReason
	Err      error
}

// errCutStream means the provider ended the stream without finishing.
var errCutStream = errors.New("the answer stream ended before the answer was complete")

// readStream reads a stream to its end, calling onText with the text so
// far after each chunk that added some.
func readStream(st *openai.ChatCompletionStream, onText func(string)) streamed {
	defer st.Close()
	var sb strings.Builder
	var out streamed
	for {
		resp, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			out.Err = err
			break
		}
		if resp.Usage != nil {
			out.Usage = resp.Usage
		}
		added := false
		for _, c := range resp.Choices {
			if c.Delta.Content != "" {
				sb.WriteString(c.Delta.Content)
				added = true
			}
			if c.FinishReason != "" {
				out.Finished, out.Finish = true, c.FinishReason
			}
		}
		if added {
			onText(sb.String())
		}
	}
	out.Text = sb.String()
	if out.Err == nil && !out.Finished {
		out.Err = errCutStream
	}
	return out
}
