package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/discordgpt/discordgpt/bot/llm"
	openai "github.com/sashabaranov/go-openai"
)

// Errors with a fixed user-facing meaning.
var (
	errUnknownCommand = errors.New("unknown command")
)

// UserMessage turns an error into the words a Discord user sees; the full
// error goes to the log, never to the user.
func UserMessage(err error) string {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	var netErr net.Error
	var waitErr *llm.RetryAfterError
	var streamErr *llm.StreamError
	var budgetErr *BudgetError
	switch {
	case errors.As(err, &budgetErr):
		return budgetErr.Text
	case errors.As(err, &waitErr) && !llm.IsQuota(err):
		return fmt.Sprintf("🐢 The AI provider is rate-limiting me. Please try again in %d seconds.", int(waitErr.Wait.Round(time.Second).Seconds()+0.5))
	case errors.Is(err, errUnknownCommand):
		return "❓ I don't know that command. It may have been removed; try `/help`."
	case errors.Is(err, context.DeadlineExceeded):
		return "⏱️ The AI provider took too long to answer. Please try again in a moment."
	case errors.Is(err, context.Canceled):
		return "⏹️ Stopped."
	case errors.As(err, &streamErr), errors.Is(err, llm.ErrCutStream):
		return "🔌 The AI provider's answer broke off before it began. Please try again."
	case llm.Unsupported(err):
		return "🚫 The AI provider doesn't accept a setting this model needs. Pick another model, or tell the bot's owner."
	case errors.As(err, &apiErr):
		return providerMessage(apiErr.HTTPStatusCode, fmt.Sprint(apiErr.Code), apiErr.Type)
	case errors.As(err, &reqErr):
		return providerMessage(reqErr.HTTPStatusCode, "", "")
	case errors.As(err, &netErr):
		return "🔌 I can't reach the AI provider right now. Please try again in a few minutes."
	}
	return "⚠️ Something went wrong on my side. Please try again; if it keeps happening, tell the bot's owner."
}

func providerMessage(status int, code, typ string) string {
	switch {
	case code == "insufficient_quota" || typ == "insufficient_quota":
		return "💳 The bot's AI account is out of credit. Please tell the bot's owner; retrying won't help."
	case code == "context_length_exceeded":
		return "📚 Our conversation is too long for this model. Use `/reset` to start fresh."
	case code == "model_not_found" || status == http.StatusNotFound:
		return "🤷 The model I'm set to use isn't available from the provider. Pick another model, or tell the bot's owner."
	case status == http.StatusTooManyRequests:
		return "🐢 The AI provider is rate-limiting me. Please wait a minute and try again."
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "🔑 The bot's AI key was refused. Please tell the bot's owner."
	case status >= 500:
		return "🔌 The AI provider is having trouble right now. Please try again in a few minutes."
	case status == http.StatusBadRequest:
		return "🚫 The AI provider refused this request. Try rephrasing, or use `/reset` to start fresh."
	}
	return "⚠️ The AI provider returned an error. Please try again later."
}

// errorKind names an answer's failure for the log line, without text.
func errorKind(err error) string {
	var apiErr *openai.APIError
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "shutdown"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &apiErr):
		return fmt.Sprintf("provider_%d", apiErr.HTTPStatusCode)
	case errors.As(err, &netErr):
		return "network"
	case errors.Is(err, llm.ErrCutStream):
		return "stream_cut"
	}
	return "error"
}
