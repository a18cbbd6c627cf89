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
	limit := b.uploadLimits.of(i.ID)
	part := max(limit-exportPartHeadroom, 1<<20)
	data, left, err := b.exportZip(userID, part*exportMaxParts)
	if err != nil {
		return err
	}
	name := "discordgpt-export-" + userID + ".zip"
	content := "📦 Everything I keep about you."
	if left > 0 {
		content += fmt.Sprintf(" %d file(s) were too large to include; `files-not-included.txt` names them, and `/files` can send each one.", left)
	}
	if int64(len(data)) <= part {
		_, err = b.dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &content, Files: []*discordgo.File{{
			Name: name, ContentType: "application/zip", Reader: bytes.NewReader(data)}}})
		return err
	}
	// Too big for one upload: numbered parts, one a message, that join
	// back into the zip.
	n := (int64(len(data)) + part - 1) / part
	content += fmt.Sprintf("\nIt is larger than Discord lets me send at once, so it comes in %d parts. Put them together with "+
		"`cat %s.* > %s` (or open the `.001` part with 7-Zip).", n, name, name)
	piece := func(k int64) []*discordgo.File {
		end := min((k+1)*part, int64(len(data)))
		return []*discordgo.File{{Name: fmt.Sprintf("%s.%03d", name, k+1), ContentType: "application/octet-stream",
			Reader: bytes.NewReader(data[k*part : end])}}
	}
	if _, err := b.dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &content, Files: piece(0)}); err != nil {
		return err
	}
	for k := int64(1); k < n; k++ {
		label := fmt.Sprintf("Part %d of %d", k+1, n)
		if _, err := b.dg.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: label, Files: piece(k),
			Flags: discordgo.MessageFlagsEphemeral}); err != nil {
			return fmt.Errorf("export part %d: %w", k+1, err)
		}
	}
	return nil
}

// Export limits.
const (
	// exportPartHeadroom is kept free in each upload for the request's
	// other parts.
	exportPartHeadroom = 64 << 10
	// exportMaxParts bounds an export's size in uploads; files beyond
	// it are listed instead (history always goes in).
	exportMaxParts = 10
)

// exportedThread is a thread conversation in an export: all of a thread
// the user owns (other people's messages there by name only, as Discord
// shows them); in another's, their messages and the answers to them.
type exportedThread struct {
	store.ThreadMeta
	Owned    bool            `json:"owned"`
	Messages []store.Message `json:"messages"`
}

// exportThreads gathers the user's thread conversations.
func (b *Bot) exportThreads(userID string) ([]exportedThread, error) {
	metas, err := b.db.UserThreads(userID)
	if err != nil {
		return nil, err
	}
	out := []exportedThread{}
	for _, meta := range metas {
		hist, err := b.db.ThreadHistory(meta.ID)
		if err != nil {
			return nil, err
		}
		t := exportedThread{ThreadMeta: meta, Owned: meta.OwnerID == userID, Messages: []store.Message{}}
		if !t.Owned {
			t.OwnerID = "" // someone else's ID
		}
		for _, m := range hist {
			mine := m.AuthorID == userID || m.AskedBy == userID
			if !t.Owned && !mine {
				continue
			}
			if !mine { // others' words in their own thread, shown as in Discord: no IDs
				m.AuthorID, m.AskedBy = "", ""
			}
			t.Messages = append(t.Messages, m)
		}
		out = append(out, t)
	}
	return out, nil
}

// exportZip builds the user's export, including files while the zip stays
// under budget bytes, and says how many files it left out.
func (b *Bot) exportZip(userID string, budget int64) ([]byte, int, error) {
	hist, err := b.db.History(userID, 0)
	if err != nil {
		return nil, 0, err
	}
	usage, err := b.db.UserUsage(userID)
	if err != nil {
		return nil, 0, err
	}
	daily, err := b.db.UserDailySpend(userID, "0000-01-01", "9999-12-31")
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
	reminders, err := b.db.Reminders(userID)
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
	j, _ := json.MarshalIndent(map[string]any{"user_id": userID, "model": settings.Model, "timezone": settings.Timezone, "messages": hist}, "", "  ")
	if err := put("history.json", j); err != nil {
		return nil, 0, err
	}
	if err := put("history.md", historyMarkdown(hist, b.cfg.Timezone)); err != nil {
		return nil, 0, err
	}
	j, _ = json.MarshalIndent(map[string]any{"user_id": userID, "per_model": usage, "per_day": daily}, "", "  ")
	if err := put("stats.json", j); err != nil {
		return nil, 0, err
	}
	j, _ = json.MarshalIndent(list, "", "  ")
	if err := put("files.json", j); err != nil {
		return nil, 0, err
	}
	if reminders == nil {
		reminders = []store.Reminder{}
	}
	j, _ = json.MarshalIndent(reminders, "", "  ")
	if err := put("reminders.json", j); err != nil {
		return nil, 0, err
	}
	places, err := b.db.Places(userID)
	if err != nil {
		return nil, 0, err
	}
	if places == nil {
		places = []store.PlaceConversation{}
	}
	j, _ = json.MarshalIndent(places, "", "  ")
	if err := put("servers.json", j); err != nil {
		return nil, 0, err
	}
	threads, err := b.exportThreads(userID)
	if err != nil {
		return nil, 0, err
	}
	j, _ = json.MarshalIndent(threads, "", "  ")
	if err := put("threads.json", j); err != nil {
		return nil, 0, err
	}
	var skipped []string
	used := map[string]bool{}
	for _, f := range list {
		if err := zw.Flush(); err != nil {
			return nil, 0, err
		}
		if int64(buf.Len())+f.Size > budget-exportHeadroom {
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
		if len(m.Tools) > 0 {
			var names []string
			for _, u := range m.Tools {
				names = append(names, u.Name)
			}
			fmt.Fprintf(&sb, "_Tools used: %s_\n\n", strings.Join(names, ", "))
		}
		if len(m.FileIDs) > 0 {
			fmt.Fprintf(&sb, "_%d attachment(s)_\n\n", len(m.FileIDs))
		}
	}
	return []byte(sb.String())
}
