package bot

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/extract"
	"github.com/discordgpt/discordgpt/files"
	"github.com/discordgpt/discordgpt/store"
)

// Limits on what of a file goes to the model.
const (
	// maxInlineText is how much of a text file is put into the prompt.
	maxInlineText = 32 << 10
	// maxVisionBytes is the largest image sent as vision input.
	maxVisionBytes = 20 << 20
)

// saveAttachments downloads each attachment of m once into the user's
// files and records it. It returns the stored files and notes to tell the
// user (refused files, files removed to stay under the limit). A file whose
// user reset meanwhile (valid false) is not kept.
func (b *Bot) saveAttachments(ctx context.Context, m *discordgo.Message, valid func() bool) ([]store.FileMeta, []string) {
	var saved []store.FileMeta
	var notes []string
	limit := int64(b.cfg.MaxFileSizeMB) << 20
	atts := m.Attachments
	if len(atts) > maxAttachments {
		notes = append(notes, fmt.Sprintf("⚠️ A message carries at most %d files; I took the first %d.", maxAttachments, maxAttachments))
		atts = atts[:maxAttachments]
	}
	ctx, cancel := context.WithTimeout(ctx, downloadsTimeout)
	defer cancel()
	for _, a := range atts {
		if a == nil {
			continue
		}
		name := files.SanitizeName(a.Filename)
		if !b.discordCDN(a.URL) {
			b.log.Warn("attachment outside Discord's CDN refused", "user_id", m.Author.ID)
			notes = append(notes, fmt.Sprintf("⚠️ `%s` does not come from Discord, so I left it out.", name))
			continue
		}
		if int64(a.Size) > limit {
			notes = append(notes, fmt.Sprintf("⚠️ `%s` is %s; the limit is %d MB, so I left it out.", name, humanSize(int64(a.Size)), b.cfg.MaxFileSizeMB))
			continue
		}
		meta, evicted, err := b.saveAttachment(ctx, m.Author.ID, a, name, limit, valid)
		switch {
		case errors.Is(err, store.ErrStale):
			continue
		case errors.Is(err, files.ErrTooLarge):
			notes = append(notes, fmt.Sprintf("⚠️ `%s` is over the %d MB limit, so I left it out.", name, b.cfg.MaxFileSizeMB))
			continue
		case err != nil:
			b.log.Warn("save attachment", "user_id", m.Author.ID, "err", err)
			notes = append(notes, fmt.Sprintf("⚠️ I couldn't download `%s`, so I left it out. Please try sending it again.", name))
			if ctx.Err() != nil {
				return saved, append(notes, "⚠️ Downloading your files took too long, so I left out the rest.")
			}
			continue
		}
		saved = append(saved, meta)
		if len(evicted) > 0 {
			var names []string
			for _, e := range evicted {
				names = append(names, "`"+e.Name+"`")
			}
			notes = append(notes, fmt.Sprintf("🗑️ You can keep %d files, so I removed your oldest: %s.", b.cfg.MaxFilesPerUser, strings.Join(names, ", ")))
		}
	}
	return saved, notes
}

// saveAttachment streams one attachment to disk, then records it; the
// oldest files over the limit are unlinked after the commit.
func (b *Bot) saveAttachment(ctx context.Context, userID string, a *discordgo.MessageAttachment, name string, limit int64, valid func() bool) (store.FileMeta, []store.FileMeta, error) {
	// A download that makes no progress for the idle time is given up.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idle := b.cfg.DownloadIdleTimeout
	if idle <= 0 {
		idle = defaultDownloadIdle
	}
	watchdog := time.AfterFunc(idle, cancel)
	defer watchdog.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL, nil)
	if err != nil {
		return store.FileMeta{}, nil, fmt.Errorf("attachment url: %w", err)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return store.FileMeta{}, nil, fmt.Errorf("download attachment: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return store.FileMeta{}, nil, fmt.Errorf("download attachment: status %d", resp.StatusCode)
	}
	id, ext := files.NewID(), files.Ext(name)
	// The size is enforced while reading, whatever the message claimed.
	w, err := b.files.Write(userID, id, ext, &progressReader{r: resp.Body, watchdog: watchdog, idle: idle}, limit)
	if err != nil {
		return store.FileMeta{}, nil, err
	}
	return b.recordFile(userID, id, name, ext, w, valid)
}

// recordFile records a file just written to disk as one of the user's
// files, with FILE_EXPIRATION_HOURS; the oldest over MAX_FILES_PER_USER
// are unlinked after the commit. A file not recorded (the user reset
// meanwhile: ErrStale) is unlinked, and so is the folder it leaves empty.
func (b *Bot) recordFile(userID, id, name, ext string, w files.Written, valid func() bool) (store.FileMeta, []store.FileMeta, error) {
	now := b.cfg.now().UTC()
	meta := store.FileMeta{ID: id, UserID: userID, Name: name, Ext: ext, Size: w.Size,
		ContentType: files.DetectType(w.Head, name), SHA256: w.SHA256, UploadedAt: now}
	if b.cfg.FileExpiration > 0 {
		meta.ExpiresAt = now.Add(b.cfg.FileExpiration)
	}
	evicted, err := b.db.AddFile(meta, b.cfg.MaxFilesPerUser, valid)
	if err != nil {
		_ = b.files.Remove(userID, id, ext) // not recorded: leave no orphan
		if errors.Is(err, store.ErrStale) {
			_ = b.files.RemoveUserDirIfEmpty(userID)
		}
		return store.FileMeta{}, nil, err
	}
	for _, e := range evicted {
		if err := b.files.Remove(e.UserID, e.ID, e.Ext); err != nil {
			b.log.Warn("remove evicted file", "user_id", userID, "err", err)
		}
	}
	return meta, evicted, nil
}

// Download limits.
const (
	// maxAttachments is what Discord allows on one message.
	maxAttachments = 10
	// downloadsTimeout bounds all downloads of one message.
	downloadsTimeout = 3 * time.Minute
	// defaultDownloadIdle is how long a download may make no progress.
	defaultDownloadIdle = 20 * time.Second
)

// progressReader pushes a watchdog back each time bytes arrive.
type progressReader struct {
	r        io.Reader
	watchdog *time.Timer
	idle     time.Duration
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.watchdog.Reset(p.idle)
	}
	return n, err
}

// discordCDN reports whether an attachment URL is Discord's own: its CDN
// hosts over https, or the host of DISCORD_API_URL (a Discord-compatible
// server, or the test fake).
func (b *Bot) discordCDN(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if u.Scheme == "https" && (host == "cdn.discordapp.com" || host == "media.discordapp.net") {
		return true
	}
	api, err := url.Parse(b.cfg.DiscordAPIURL)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && strings.EqualFold(u.Host, api.Host)
}

// fileParts turns a message's files into what the model sees: images from
// our own copy as data URLs (while younger than IMAGE_CONTEXT_HOURS), text
// files inline, and a line naming anything else. A file that is gone is
// replaced by a short placeholder.
func (b *Bot) fileParts(userID string, fileIDs []string, now time.Time, current bool) []llm.Part {
	var parts []llm.Part
	text := func(s string) {
		parts = append(parts, llm.Part{Text: s})
	}
	for _, id := range fileIDs {
		meta, err := b.db.File(userID, id)
		if err != nil {
			text("[an attachment that has since been deleted]")
			continue
		}
		switch {
		case files.IsImage(meta.ContentType):
			if b.cfg.ImageContext <= 0 || now.Sub(meta.UploadedAt) > b.cfg.ImageContext || meta.Size > maxVisionBytes {
				text(fmt.Sprintf("[image %s (file_id %s), sent earlier, no longer shown]", meta.Name, meta.ID))
				continue
			}
			// Only a reference for now: the bytes are read once the budget
			// has decided which messages go (loadImages). The ID lets tools
			// work on it (an edit).
			text(fmt.Sprintf("[image %s, file_id %s:]", meta.Name, meta.ID))
			parts = append(parts, llm.Part{ImageURL: pendingImage + meta.UserID + "/" + meta.ID})
		case files.IsText(meta.ContentType):
			data, err := b.readFile(meta, maxInlineText)
			if err != nil {
				text(fmt.Sprintf("[file %s could not be read]", meta.Name))
				continue
			}
			body := strings.ToValidUTF8(string(data), "\uFFFD")
			if int64(len(data)) < meta.Size {
				body += "\n[… file truncated]"
			}
			text(fmt.Sprintf("File %s (file_id %s, %s):\n```\n%s\n```", meta.Name, meta.ID, meta.ContentType, body))
		default:
			if current {
				if doc, ok := b.inlineDocument(meta); ok {
					text(doc)
					continue
				}
			}
			how := "its contents are not shown to you"
			if extract.KindOf(meta.Ext, meta.ContentType) != extract.None {
				how = "read_file shows what is in it"
			}
			text(fmt.Sprintf("[attached file %s (file_id %s): %s, %s; %s]", meta.Name, meta.ID, meta.ContentType, humanSize(meta.Size), how))
		}
	}
	return parts
}

// pendingImage marks an image part whose bytes are not read yet; its
// owner and file ID follow (in a thread, images of several people).
const pendingImage = "pending-image:"

// loadImages replaces the image references in msgs with data URLs read
// from our copies; an image that cannot be read becomes a short note.
func (b *Bot) loadImages(userID string, msgs []llm.Message) {
	for i := range msgs {
		for j, p := range msgs[i].Parts {
			if !strings.HasPrefix(p.ImageURL, pendingImage) {
				continue
			}
			owner, fileID, _ := strings.Cut(strings.TrimPrefix(p.ImageURL, pendingImage), "/")
			meta, err := b.db.File(owner, fileID)
			var data []byte
			ctype := meta.ContentType
			if err == nil {
				ctype, data, err = b.visionBytes(meta)
			}
			if errors.Is(err, errTooManyPixels) {
				msgs[i].Parts[j] = llm.Part{Text: fmt.Sprintf("[image %s is too large to show: %v]", meta.Name, err)}
				continue
			}
			if err != nil {
				b.log.Info("image not shown to the model", "user_id", userID, "err", err)
				msgs[i].Parts[j] = llm.Part{Text: "[an image that could not be read]"}
				continue
			}
			msgs[i].Parts[j].ImageURL = "data:" + ctype + ";base64," + base64.StdEncoding.EncodeToString(data)
		}
	}
}

// readFile reads at most limit bytes of a stored file.
func (b *Bot) readFile(meta store.FileMeta, limit int64) ([]byte, error) {
	f, err := b.files.Open(meta.UserID, meta.ID, meta.Ext)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return data, nil
}

// humanSize prints a byte count for people.
func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
