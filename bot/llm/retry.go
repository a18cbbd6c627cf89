package llm

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
// caller sees the error.
const providerRetries = 3

// maxRetryWait is the longest Retry-After waited out; a longer one is
// returned as a RetryAfterError for the user.
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

// RetryAfterError is a provider error that came with a wait time that was
// not waited out; the user is told how long to wait.
type RetryAfterError struct {
	Wait time.Duration
	Err  error
}

func (e *RetryAfterError) Error() string { return fmt.Sprintf("retry after %v: %v", e.Wait, e.Err) }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// IsQuota reports whether err is the provider saying the account has no
// credit left, which retrying does not fix.
func IsQuota(err error) bool {
	var apiErr *openai.APIError
	return errors.As(err, &apiErr) && (fmt.Sprint(apiErr.Code) == "insufficient_quota" || apiErr.Type == "insufficient_quota")
}

// retryable reports whether a failed call may succeed if repeated: rate
// limits (but not an exhausted quota), 5xx, and network failures.
func retryable(err error) bool {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case IsQuota(err):
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

// withRetries calls open, retrying a 429 or 5xx up to providerRetries times
// with exponential backoff, honouring the provider's Retry-After.
func withRetries[T any](ctx context.Context, base time.Duration, open func(context.Context) (T, error)) (T, error) {
	var zero T
	for attempt := 0; ; attempt++ {
		var wait time.Duration
		v, err := open(context.WithValue(ctx, retryAfterKey{}, &wait))
		if err == nil {
			return v, nil
		}
		if ctx.Err() != nil {
			return zero, ctx.Err()
		}
		if !retryable(err) || attempt == providerRetries {
			if wait > 0 {
				return zero, &RetryAfterError{Wait: wait, Err: err}
			}
			return zero, err
		}
		if wait == 0 {
			wait = base << attempt
			wait += time.Duration(rand.Int64N(int64(wait)/4 + 1))
		}
		if wait > maxRetryWait {
			return zero, &RetryAfterError{Wait: wait, Err: err}
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return zero, ctx.Err()
		}
	}
}

// ErrCutStream means the provider ended the stream without finishing.
var ErrCutStream = errors.New("the answer stream ended before the answer was complete")

// StreamError is an error the provider sent inside a stream that had
// started (an `error` event, or a failed response).
type StreamError struct {
	Code    string
	Message string
}

func (e *StreamError) Error() string { return "provider stream error " + e.Code + ": " + e.Message }
