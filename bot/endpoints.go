package bot

import (
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/bwmarrin/discordgo"
)

var (
	endpointsMu   sync.Mutex
	endpointsBase = "https://discord.com/"
)

// PointDiscordAt re-points discordgo's package-level endpoint variables at
// base (for example a Discord-compatible server or the test fake). They are
// process-wide and read without a lock by every discordgo call, so they are
// written only when base differs from what they hold; running several bots
// in one process works only when they share a base URL.
func PointDiscordAt(base string) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("discord api url %q: not an http(s) URL", base)
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	// The endpoint functions (EndpointChannelMessages and the like) read
	// these variables when called, so the strings are all there is to set.
	endpointsMu.Lock()
	defer endpointsMu.Unlock()
	if base == endpointsBase {
		return nil
	}
	endpointsBase = base
	discordgo.EndpointDiscord = base
	api := base + "api/v" + discordgo.APIVersion + "/"
	discordgo.EndpointAPI = api
	discordgo.EndpointGuilds = api + "guilds/"
	discordgo.EndpointChannels = api + "channels/"
	discordgo.EndpointUsers = api + "users/"
	discordgo.EndpointGateway = api + "gateway"
	discordgo.EndpointGatewayBot = discordgo.EndpointGateway + "/bot"
	discordgo.EndpointWebhooks = api + "webhooks/"
	discordgo.EndpointStickers = api + "stickers/"
	discordgo.EndpointStageInstances = api + "stage-instances"
	discordgo.EndpointSKUs = api + "skus"
	discordgo.EndpointVoice = api + "/voice/"
	discordgo.EndpointVoiceRegions = discordgo.EndpointVoice + "regions"
	discordgo.EndpointNitroStickersPacks = api + "/sticker-packs"
	discordgo.EndpointGuildCreate = api + "guilds"
	discordgo.EndpointApplications = api + "applications"
	discordgo.EndpointOAuth2 = api + "oauth2/"
	discordgo.EndpointOAuth2Applications = discordgo.EndpointOAuth2 + "applications"
	discordgo.EndpointOauth2 = discordgo.EndpointOAuth2
	discordgo.EndpointOauth2Applications = discordgo.EndpointOAuth2Applications
	return nil
}
