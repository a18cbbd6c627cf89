package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/files"
	"github.com/discordgpt/discordgpt/store"
)

// Image limits.
const (
	// maxImagePrompt is the longest prompt sent (OpenAI takes 32,000
	// characters for gpt-image models; a chat prompt needs far less).
	maxImagePrompt = 4000
	// maxEditSource is the largest image sent to be edited.
	maxEditSource = 20 << 20
	// maxImagesPerAnswer bounds what one chat message can spend on images.
	maxImagesPerAnswer = 4
)

// imagesOn reports whether images can be made: IMAGE_MODEL is set and the
// provider, when its model list is known, serves it.
func (b *Bot) imagesOn() bool {
	if b.cfg.ImageModel == "" {
		return false
	}
	st := b.models()
	return st.provider == nil || st.serves(b.cfg.ImageModel, b.cfg.now())
}

// imageJob is one image to make for a user.
type imageJob struct {
	userID  string
	prompt  string
	size    string
	quality string
	// source is the user's image to edit, if any.
	source *store.FileMeta
	valid  func() bool
}

// imageErr is a refusal the user (or the model) reads as it is.
type imageErr struct{ msg string }

func (e *imageErr) Error() string { return e.msg }

// makeImage makes one image: it checks the budget against the image's
// price first, records the call's cost once the provider took it, and
// saves the image as one of the user's files (not kept if they reset
// meanwhile). It fills in the job's default size and quality.
func (b *Bot) makeImage(ctx context.Context, job *imageJob) (store.FileMeta, float64, error) {
	job.prompt = strings.TrimSpace(job.prompt)
	switch {
	case job.prompt == "":
		return store.FileMeta{}, 0, &imageErr{"the image needs a prompt"}
	case len([]rune(job.prompt)) > maxImagePrompt:
		return store.FileMeta{}, 0, &imageErr{fmt.Sprintf("the prompt is too long (at most %d characters)", maxImagePrompt)}
	}
	if job.size == "" {
		job.size = llm.ImageSizes[0]
	}
	if job.quality == "" {
		job.quality = "medium"
	}
	if !contains(llm.ImageSizes, job.size) {
		return store.FileMeta{}, 0, &imageErr{"the size must be one of " + strings.Join(llm.ImageSizes, ", ")}
	}
	if !contains(llm.ImageQualities, job.quality) {
		return store.FileMeta{}, 0, &imageErr{"the quality must be one of " + strings.Join(llm.ImageQualities, ", ")}
	}
	model := b.cfg.ImageModel
	req := llm.ImageRequest{Model: model, Prompt: job.prompt, Size: job.size, Quality: job.quality}
	if job.source != nil {
		if !llm.IsGPTImage(model) {
			return store.FileMeta{}, 0, &imageErr{fmt.Sprintf("the image model here (%s) cannot edit images, only make new ones", model)}
		}
		if job.source.Size > maxEditSource || !editableImage(job.source.ContentType) {
			return store.FileMeta{}, 0, &imageErr{"only PNG, JPEG or WebP images under 20 MB can be edited"}
		}
		data, err := b.readFile(*job.source, maxEditSource)
		if err != nil {
			return store.FileMeta{}, 0, fmt.Errorf("read image to edit: %w", err)
		}
		req.Source, req.SourceName = data, "image"+job.source.Ext
	}
	now := b.cfg.now()
	cost, _ := b.models().prices.ImageCost(model, job.quality, job.size)
	if err := b.checkBudgetFor(job.userID, now, cost); err != nil {
		return store.FileMeta{}, 0, err
	}
	res, err := b.llm.Image(ctx, req)
	if res.Reached {
		now := b.cfg.now()
		u := store.Usage{Model: model, Requests: 1, CostUSD: cost}
		if rerr := b.db.RecordUsage(job.userID, u, b.ledgerDay(now), b.ledgerMonth(now), job.valid); rerr != nil && !errors.Is(rerr, store.ErrStale) {
			b.log.Error("record image usage", "user_id", job.userID, "err", rerr)
		}
	}
	if err != nil {
		return store.FileMeta{}, 0, err
	}
	meta, err := b.saveMade(job.userID, "image-"+now.In(b.cfg.Timezone).Format("20060102-150405")+res.Ext, res.Data, job.valid)
	return meta, cost, err
}

func editableImage(ct string) bool {
	return ct == "image/png" || ct == "image/jpeg" || ct == "image/webp"
}

// saveMade stores bytes a tool made as one of the user's files, under the
// same limits and expiry as what they send. The oldest files over the
// limit go; nothing is kept for a user who reset meanwhile.
func (b *Bot) saveMade(userID, name string, data []byte, valid func() bool) (store.FileMeta, error) {
	name = files.SanitizeName(name)
	id, ext := files.NewID(), files.Ext(name)
	w, err := b.files.Write(userID, id, ext, bytes.NewReader(data), int64(b.cfg.MaxFileSizeMB)<<20)
	if err != nil {
		return store.FileMeta{}, fmt.Errorf("save made file: %w", err)
	}
	meta, _, err := b.recordFile(userID, id, name, ext, w, valid)
	return meta, err
}

type imageArgs struct {
	Prompt     string `json:"prompt"`
	Size       string `json:"size"`
	Quality    string `json:"quality"`
	EditFileID string `json:"edit_file_id"`
}

// imageTool is generate_image.
func (b *Bot) imageTool() *tool {
	return &tool{
		def: llm.Tool{Name: "generate_image", Description: "Make an image from a prompt, or edit one of the user's images " +
			"(edit_file_id: an image they sent). The image is saved to the user's files and attached to your answer; " +
			"each image costs money, so make one unless asked for more.",
			Parameters: map[string]any{"type": "object", "properties": map[string]any{
				"prompt":       map[string]any{"type": "string", "description": "What to draw, or how to change the image."},
				"size":         map[string]any{"type": "string", "enum": llm.ImageSizes, "description": "Square, landscape or portrait; default square."},
				"quality":      map[string]any{"type": "string", "enum": llm.ImageQualities, "description": "Default medium; high costs several times more."},
				"edit_file_id": map[string]any{"type": "string", "description": "The file_id of the user's image to edit, if editing."},
			}, "required": []string{"prompt"}, "additionalProperties": false}},
		status: func(tc *toolCall) string {
			var a imageArgs
			if tc.decode(&a) == nil && a.EditFileID != "" {
				return "🖼️ Editing your image…"
			}
			return "🖼️ Drawing…"
		},
		run: b.generateImageTool,
	}
}

func (b *Bot) generateImageTool(ctx context.Context, tc *toolCall) (string, error) {
	var a imageArgs
	if err := tc.decode(&a); err != nil {
		return "", err
	}
	if len(tc.out.made()) >= maxImagesPerAnswer {
		return "", toolErrorf("at most %d images per answer; tell the user to ask again for more", maxImagesPerAnswer)
	}
	job := imageJob{userID: tc.userID, prompt: a.Prompt, size: a.Size, quality: a.Quality, valid: tc.valid}
	if id := strings.TrimSpace(a.EditFileID); id != "" {
		meta, err := b.db.File(tc.userID, id)
		if !files.ValidID(id) || errors.Is(err, store.ErrNotFound) {
			return "", toolErrorf("no image with file_id %q among the user's files", truncateRunes(id, 40))
		} else if err != nil {
			return "", err
		}
		if !files.IsImage(meta.ContentType) {
			return "", toolErrorf("%s is not an image", meta.Name)
		}
		job.source = &meta
	}
	meta, cost, err := b.makeImage(ctx, &job)
	var ie *imageErr
	var be *BudgetError
	switch {
	case errors.As(err, &ie):
		return "", toolErrorf("%s", ie.msg)
	case errors.As(err, &be):
		return "", toolErrorf("not made: %s", strings.TrimPrefix(be.Text, "💸 "))
	case errors.Is(err, store.ErrStale):
		return "", toolErrorf("the user erased their data meanwhile; the image was not kept")
	case err != nil && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded):
		return "", toolErrorf("the image service refused or failed: %s", UserMessage(err))
	case err != nil:
		return "", err
	}
	tc.out.addFile(meta)
	return fmt.Sprintf("Image made (file_id %s, %s, %s quality, about %s) and attached to your answer; do not describe a link to it.",
		meta.ID, job.size, job.quality, llm.FormatCost(cost)), nil
}

// imagineCommand is /imagine's definition.
func imagineCommand() *discordgo.ApplicationCommand {
	var sizes, qualities []*discordgo.ApplicationCommandOptionChoice
	for _, s := range llm.ImageSizes {
		sizes = append(sizes, &discordgo.ApplicationCommandOptionChoice{Name: s, Value: s})
	}
	for _, q := range llm.ImageQualities {
		qualities = append(qualities, &discordgo.ApplicationCommandOptionChoice{Name: q, Value: q})
	}
	return &discordgo.ApplicationCommand{Name: "imagine", Description: "Make an image from a prompt",
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "prompt", Description: "What to draw", Required: true, MaxLength: maxImagePrompt},
			{Type: discordgo.ApplicationCommandOptionString, Name: "size", Description: "Square (default), landscape or portrait", Choices: sizes},
			{Type: discordgo.ApplicationCommandOptionString, Name: "quality", Description: "medium by default; high costs more", Choices: qualities},
		}}
}

// cmdImagine makes an image without chat, through the same path as the
// tool: budget, price, the user's files.
func (b *Bot) cmdImagine(ctx context.Context, i *discordgo.Interaction) error {
	user := interactionUser(i).ID
	if !b.imagesOn() {
		return b.respondEphemeral(i, "🖼️ Images are off on this bot: its AI provider has no image model (the owner sets `IMAGE_MODEL`).")
	}
	now := b.cfg.now()
	if !b.cfg.IsAdmin(user) && !b.users.allow(user, now, b.cfg.RateCount, b.cfg.RateWindow) {
		return b.respondEphemeral(i, rateLimitText)
	}
	job := imageJob{userID: user}
	for _, o := range i.ApplicationCommandData().Options {
		if o.Type != discordgo.ApplicationCommandOptionString {
			continue
		}
		switch o.Name {
		case "prompt":
			job.prompt = o.StringValue()
		case "size":
			job.size = o.StringValue()
		case "quality":
			job.quality = o.StringValue()
		}
	}
	gen := b.users.gen(user)
	job.valid = func() bool { return b.users.current(user, gen) }
	if err := b.checkBudget(user, now); err != nil {
		return b.respondEphemeral(i, UserMessage(err))
	}
	if err := b.dg.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.ToolTimeout)
	defer cancel()
	meta, cost, err := b.makeImage(ctx, &job)
	var ie *imageErr
	switch {
	case errors.As(err, &ie):
		return b.editOriginal(i, "❌ "+strings.ToUpper(ie.msg[:1])+ie.msg[1:]+".")
	case errors.Is(err, store.ErrStale):
		return b.editOriginal(i, "🗑️ You erased your data while the image was being made, so it was not kept.")
	case errors.Is(err, context.DeadlineExceeded):
		return b.editOriginal(i, fmt.Sprintf("⚠️ The image took longer than %s and was given up. Please try again.", roundDuration(b.cfg.ToolTimeout)))
	case err != nil:
		return b.editOriginal(i, UserMessage(err))
	}
	f, err := b.files.Open(meta.UserID, meta.ID, meta.Ext)
	if err != nil {
		return fmt.Errorf("open made image: %w", err)
	}
	defer f.Close()
	content := fmt.Sprintf("🖼️ %s\n-# %s, %s quality, about %s · kept in your `/files`", truncateRunes(job.prompt, 300),
		job.size, job.quality, llm.FormatCost(cost))
	_, err = b.dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &content, AllowedMentions: noMentions(),
		Files: []*discordgo.File{{Name: meta.Name, ContentType: meta.ContentType, Reader: f}}})
	return err
}
