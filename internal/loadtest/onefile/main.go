// Command onefile is a deliberately naive Discord ChatGPT bot in one
// file, written only to calibrate issue 15's whole-process measurement: it
// keeps each user's last 20 messages in bbolt, counts no tokens and
// queues nothing. Like any streaming bot (and discordgpt) it shows typing,
// posts the answer's first text as a reply and edits in the rest at the
// end: the same three Discord calls per answer. It is not a product: no
// limits, no error handling worth the name.
package main

import (
	"context"
	"encoding/json"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/bwmarrin/discordgo"
	openai "github.com/sashabaranov/go-openai"
	bolt "go.etcd.io/bbolt"
)

func main() {
	base := os.Getenv("DISCORD_API_URL")
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	api := base + "api/v" + discordgo.APIVersion + "/"
	discordgo.EndpointDiscord, discordgo.EndpointAPI = base, api
	discordgo.EndpointChannels, discordgo.EndpointUsers = api+"channels/", api+"users/"
	discordgo.EndpointGateway = api + "gateway"
	discordgo.EndpointGatewayBot = discordgo.EndpointGateway + "/bot"
	discordgo.EndpointApplications = api + "applications"

	if err := os.MkdirAll(os.Getenv("DATA_DIR"), 0o700); err != nil {
		log.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(os.Getenv("DATA_DIR"), "onefile.db"), 0o600, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	_ = db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists([]byte("h")); return err })
	cfg := openai.DefaultConfig(os.Getenv("OPENAI_API_KEY"))
	cfg.BaseURL = os.Getenv("OPENAI_BASE_URL")
	ai := openai.NewClientWithConfig(cfg)
	model := os.Getenv("DEFAULT_MODEL")

	dg, err := discordgo.New("Bot " + os.Getenv("DISCORD_TOKEN"))
	if err != nil {
		log.Fatal(err)
	}
	dg.Identify.Intents = discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages | discordgo.IntentMessageContent
	dg.AddHandler(func(s *discordgo.Session, m *discordgo.MessageCreate) {
		if m.Author == nil || m.Author.ID == s.State.User.ID {
			return
		}
		mentioned := false
		for _, u := range m.Mentions {
			mentioned = mentioned || u.ID == s.State.User.ID
		}
		if m.GuildID != "" && !mentioned {
			return
		}
		text := strings.TrimSpace(strings.ReplaceAll(m.Content, "<@"+s.State.User.ID+">", ""))
		var hist []openai.ChatCompletionMessage
		_ = db.View(func(tx *bolt.Tx) error {
			if v := tx.Bucket([]byte("h")).Get([]byte(m.Author.ID)); v != nil {
				return json.Unmarshal(v, &hist)
			}
			return nil
		})
		hist = append(hist, openai.ChatCompletionMessage{Role: "user", Content: text})
		msgs := append([]openai.ChatCompletionMessage{{Role: "system", Content: "You are a helpful assistant."}}, hist...)
		_ = s.ChannelTyping(m.ChannelID)
		stream, err := ai.CreateChatCompletionStream(context.Background(), openai.ChatCompletionRequest{Model: model, Messages: msgs, Stream: true})
		if err != nil {
			log.Print("model: ", err)
			return
		}
		var answer strings.Builder
		var reply *discordgo.Message
		for {
			chunk, err := stream.Recv()
			if err != nil {
				break
			}
			if len(chunk.Choices) > 0 {
				answer.WriteString(chunk.Choices[0].Delta.Content)
			}
			if reply == nil && answer.Len() > 0 {
				if reply, err = s.ChannelMessageSendReply(m.ChannelID, answer.String(), m.Reference()); err != nil {
					log.Print("send: ", err)
					return
				}
			}
		}
		stream.Close()
		if reply == nil {
			return
		}
		if _, err := s.ChannelMessageEdit(m.ChannelID, reply.ID, answer.String()); err != nil {
			log.Print("edit: ", err)
		}
		hist = append(hist, openai.ChatCompletionMessage{Role: "assistant", Content: answer.String()})
		if len(hist) > 20 {
			hist = hist[len(hist)-20:]
		}
		v, _ := json.Marshal(hist)
		_ = db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("h")).Put([]byte(m.Author.ID), v) })
	})
	if err := dg.Open(); err != nil {
		log.Fatal(err)
	}
	log.Print("ready")
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	<-stop
	_ = dg.Close()
}
