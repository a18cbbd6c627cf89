package bot

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
)

// errMessageGone means the message to edit no longer exists.
var errMessageGone = errors.New("the message is gone")

// sendRetries bounds the retries of a send or a final edit that Discord
// answered with a 5xx, a network failure or a body that did not parse.
const sendRetries = 5

// defaultDiscordBackoff is the first wait between such retries; it
// doubles (0.5 s to 16 s, about 30 s in all).
const defaultDiscordBackoff = 500 * time.Millisecond

// sendPayload is a message with Discord's nonce fields, which discordgo's
// MessageSend lacks: with enforce_nonce, Discord answers a repeat of the
// same nonce with the message it already made instead of posting twice.
type sendPayload struct {
	*discordgo.MessageSend
	Nonce        string `json:"nonce"`
	EnforceNonce bool   `json:"enforce_nonce"`
}

// newNonce is a random nonce within Discord's 25 characters.
func newNonce() string {
	const digits = "0123456789"
	b := make([]byte, 19)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = digits[int(b[i])%10]
	}
	return string(b)
}

// send posts a message and returns its ID and channel (the rest of the
// returned message is not filled in). A send that failed in a way that
// may have posted it (5xx, network, unreadable answer) is repeated with
// the same nonce, so it is posted once.
func (b *Bot) send(channelID string, ms *discordgo.MessageSend) (*discordgo.Message, error) {
	endpoint := discordgo.EndpointChannelMessages(channelID)
	p := sendPayload{MessageSend: ms, Nonce: newNonce(), EnforceNonce: true}
	var ct string
	var body []byte
	var err error
	if len(ms.Files) > 0 {
		ct, body, err = discordgo.MultipartBodyWithJSON(p, ms.Files)
	} else {
		ct = "application/json"
		body, err = json.Marshal(p)
	}
	if err != nil {
		return nil, fmt.Errorf("encode message: %w", err)
	}
	var m *discordgo.Message
	err = b.retryDiscord(func() error {
		var resp []byte
		err := b.unarchiveAndRetry(channelID, func() error {
			var err error
			resp, err = b.dg.RequestRaw(http.MethodPost, endpoint, ct, body, endpoint, 0)
			return err
		})
		if err != nil {
			return err
		}
		// Only the new message's ID and channel are needed: decoding the
		// whole message Discord sends back costs more than the rest of
		// the send.
		var got struct {
			ID        string `json:"id"`
			ChannelID string `json:"channel_id"`
		}
		if err := json.Unmarshal(resp, &got); err != nil || got.ID == "" {
			return fmt.Errorf("%w: unreadable answer to a send", discordgo.ErrJSONUnmarshal)
		}
		m = &discordgo.Message{ID: got.ID, ChannelID: got.ChannelID}
		return nil
	})
	if err != nil {
		b.explainRefusal(channelID, err)
		return nil, fmt.Errorf("send message: %w", err)
	}
	return m, nil
}

// explainRefusal logs, once per channel, what to do when Discord refuses
// the bot a channel for lack of permission.
func (b *Bot) explainRefusal(channelID string, err error) {
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Message == nil || (re.Message.Code != discordgo.ErrCodeMissingPermissions && re.Message.Code != discordgo.ErrCodeMissingAccess) {
		return
	}
	if _, told := b.permWarned.LoadOrStore(channelID, true); told {
		return
	}
	b.log.Warn("Discord refused the bot in a channel for lack of permission: give its role View Channel, Send Messages, "+
		"Send Messages in Threads, Embed Links, Attach Files and Read Message History there, or invite it again with the invite_url",
		"channel_id", channelID, "code", re.Message.Code, "invite_url", InviteURL(b.appID))
}

// edit changes a message; build makes the edit afresh for each try (its
// files are readers). With final set, an edit that failed in a way a retry
// may fix is retried; errMessageGone says the message was deleted. An edit
// Discord accepted with an unreadable answer counts as done.
func (b *Bot) edit(build func() *discordgo.MessageEdit, final bool) error {
	once := func() error {
		m := build()
		err := b.unarchiveAndRetry(m.Channel, func() error {
			var err error
			if len(m.Files) == 0 && m.Embed == nil && m.Embeds == nil {
				// The edited message Discord sends back is not needed: skip
				// decoding it (a streamed answer is edited many times).
				_, err = b.dg.RequestWithBucketID("PATCH", discordgo.EndpointChannelMessage(m.Channel, m.ID), m,
					discordgo.EndpointChannelMessage(m.Channel, ""))
			} else {
				_, err = b.dg.ChannelMessageEditComplex(m)
			}
			return err
		})
		if errors.Is(err, discordgo.ErrJSONUnmarshal) {
			return nil // accepted: the answer just did not parse
		}
		var re *discordgo.RESTError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusNotFound {
			return errMessageGone
		}
		return err
	}
	if !final {
		return once()
	}
	return b.retryDiscord(once)
}

// retryDiscord runs f until it succeeds, fails for good, or sendRetries
// retries are spent. discordgo itself waits out 429s and retries 502s.
func (b *Bot) retryDiscord(f func() error) error {
	wait := b.cfg.DiscordRetryBackoff
	if wait <= 0 {
		wait = defaultDiscordBackoff
	}
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil || !retryableDiscord(err) || attempt == sendRetries {
			return err
		}
		select {
		case <-time.After(wait):
		case <-b.handlers.ctx.Done():
			return err
		}
		wait *= 2
	}
}

// retryableDiscord reports whether a failed Discord call may succeed if
// repeated.
func retryableDiscord(err error) bool {
	var re *discordgo.RESTError
	var ne net.Error
	switch {
	case errors.Is(err, errMessageGone), errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, discordgo.ErrJSONUnmarshal):
		return true
	case errors.As(err, &re):
		return re.Response != nil && re.Response.StatusCode >= 500
	case errors.As(err, &ne):
		return true
	}
	return false
}
