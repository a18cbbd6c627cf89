package bot

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Check tries both services with the configuration and prints one line
// per check to w. It returns an error if any check failed.
func Check(ctx context.Context, cfg Config, w io.Writer) error {
	fmt.Fprintf(w, "config: ok (DATA_DIR=%s, DEFAULT_MODEL=%s, %d models)\n", cfg.DataDir, cfg.DefaultModel, len(cfg.Models))
	failed := 0
	if err := PointDiscordAt(cfg.DiscordAPIURL); err != nil {
		return err
	}
	dg, err := discordgo.New("Bot " + cfg.DiscordToken)
	if err == nil {
		dg.Client.Timeout = 15 * time.Second
		var u *discordgo.User
		if u, err = dg.User("@me", discordgo.WithContext(ctx)); err == nil {
			fmt.Fprintf(w, "discord: ok, logged in as %s (id %s)\n", u.Username, u.ID)
		}
	}
	if err != nil {
		failed++
		fmt.Fprintf(w, "discord: FAILED: %v\n", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	models, err := newOpenAI(cfg).ListModels(ctx)
	switch {
	case err != nil:
		failed++
		fmt.Fprintf(w, "openai: FAILED at %s: %v\n", cfg.OpenAIBaseURL, err)
	default:
		found := false
		for _, m := range models.Models {
			found = found || m.ID == cfg.DefaultModel
		}
		note := ""
		if !found {
			note = fmt.Sprintf("; warning: DEFAULT_MODEL %s is not in the provider's list", cfg.DefaultModel)
		}
		fmt.Fprintf(w, "openai: ok, %d models at %s%s\n", len(models.Models), cfg.OpenAIBaseURL, note)
	}
	if failed > 0 {
		return fmt.Errorf("%d check(s) failed", failed)
	}
	return nil
}
