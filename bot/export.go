package bot

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/store"
)

// exportHeadroom is left free in the zip for its directory and the lists.
const exportHeadroom = 256 << 10

// cmdExport sends the user all the bot keeps about them, as one zip:
// history as JSON and Markdown, statistics as JSON, and their files (those
// that fit Discord's upload limit; the rest are listed by name).
func (b *Bot) cmdExport(_ context.Context, i *discordgo.Interaction) error {
	if err := b.deferEphemeral(i); err != nil {
		return err
	}
	userID := interactionUser(i).ID
	data, left, err := b.exportZip(userID)
	if err != nil {
		return err
	}
	content := "📦 Everything I keep about you."
	if left > 0 {
		content += fmt.Sprintf(" %d file(s) were too large to include; `files-not-included.txt` names them, and `/files` can send each one.", left)
	}
	_, err = b.dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &content, Files: []*discordgo.File{{
		Name: "discordgpt-export-" + userID + ".zip", ContentType: "application/zip", Reader: bytes.NewReader(data)}}})
	return err
}

// exportZip builds the user's export and says how many files it left out.
func (b *Bot) exportZip(userID string) ([]byte, int, error) {
	hist, err := b.db.History(userID, 0)
	if err != nil {
		return nil, 0, err
	}
	usage, err := b.db.UserUsage(userID)
	if err != nil {
		return nil, 0, err
	}
	list, err := b.db.Files(userID)
	if err != nil {
		return nil, 0, err
	}
	settings, err := b.db.Settings(userID)
	if err != nil {
		return nil, 0, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	put := func(name string, data []byte) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: b.cfg.now()})
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	j, _ := json.MarshalIndent(map[string]any{"user_id": userID, "model": settings.Model, "messages": hist}, "", "  ")
	if err := put("history.json", j); err != nil {
		return nil, 0, err
	}
	if err := put("history.md", historyMarkdown(hist, b.cfg.Timezone)); err != nil {
		return nil, 0, err
	}
	j, _ = json.MarshalIndent(map[string]any{"user_id": userID, "per_model": usage}, "", "  ")
	if err := put("stats.json", j); err != nil {
		return nil, 0, err
	}
	j, _ = json.MarshalIndent(list, "", "  ")
	if err := put("files.json", j); err != nil {
		return nil, 0, err
	}
	var skipped []string
	used := map[string]bool{}
	for _, f := range list {
		if err := zw.Flush(); err != nil {
			return nil, 0, err
		}
		if int64(buf.Len())+f.Size > discordUploadLimit-exportHeadroom {
			skipped = append(skipped, f.Name)
			continue
		}
		name := "files/" + f.Name
		if used[name] {
			name = "files/" + f.ID + "-" + f.Name
		}
		used[name] = true
		if err := b.addFileToZip(zw, name, f); err != nil {
			skipped = append(skipped, f.Name)
		}
	}
	if len(skipped) > 0 {
		if err := put("files-not-included.txt", []byte(strings.Join(skipped, "\n")+"\n")); err != nil {
			return nil, 0, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), len(skipped), nil
}

func (b *Bot) addFileToZip(zw *zip.Writer, name string, f store.FileMeta) error {
	r, err := b.files.Open(f.UserID, f.ID, f.Ext)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: f.UploadedAt})
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

// historyMarkdown renders the conversation for people.
func historyMarkdown(hist []store.Message, loc *time.Location) []byte {
	var sb strings.Builder
	sb.WriteString("# Your conversation with discordgpt\n\n")
	for _, m := range hist {
		who := "You"
		if m.Role == store.RoleAssistant {
			who = "discordgpt"
			if m.Model != "" {
				who += " (" + m.Model + ")"
			}
		}
		fmt.Fprintf(&sb, "## %s, %s\n\n%s\n\n", who, m.CreatedAt.In(loc).Format("2006-01-02 15:04"), m.Content)
		if len(m.FileIDs) > 0 {
			fmt.Fprintf(&sb, "_%d attachment(s)_\n\n", len(m.FileIDs))
		}
	}
	return []byte(sb.String())
}
