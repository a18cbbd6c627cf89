package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/extract"
	"github.com/discordgpt/discordgpt/files"
	"github.com/discordgpt/discordgpt/store"
)

// fileTools are list_files and read_file: the model's view of the asking
// user's own files, and nobody else's.
func (b *Bot) fileTools() []*tool {
	return []*tool{{
		def: llm.Tool{Name: "list_files", Description: "List the files the user has sent (and images made for them), newest first, " +
			"with each file's file_id, name, type, size and date. Use it to find the file_id for read_file.",
			Parameters: map[string]any{"type": "object", "properties": map[string]any{}, "additionalProperties": false}},
		status: func(*toolCall) string { return "📁 Looking at your files…" },
		run:    b.listFilesTool,
	}, {
		def: llm.Tool{Name: "read_file", Description: "Read one of the user's files by its file_id: text files by line, " +
			"CSV/TSV with their shape, header and rows, PDF text by page, Word documents by paragraph, Excel sheets as CSV. " +
			"Long files come in windows: pass start (the first line, row, page or paragraph, from 1) and count to read further.",
			Parameters: map[string]any{"type": "object", "properties": map[string]any{
				"file_id": map[string]any{"type": "string", "description": "The file's file_id from list_files or the conversation."},
				"start":   map[string]any{"type": "integer", "description": "First line, row, page or paragraph to read, from 1."},
				"count":   map[string]any{"type": "integer", "description": "How many to read; leave out for as many as fit."},
				"sheet":   map[string]any{"type": "string", "description": "Excel only: the sheet to read (default: the first)."},
			}, "required": []string{"file_id"}, "additionalProperties": false}},
		status: func(tc *toolCall) string {
			var a readFileArgs
			if tc.decode(&a) == nil {
				if meta, err := tc.b.db.File(tc.userID, strings.TrimSpace(a.FileID)); err == nil {
					return "🔧 Reading " + codeSpan(truncateRunes(meta.Name, 60)) + "…"
				}
			}
			return "🔧 Reading a file…"
		},
		run: b.readFileTool,
	}}
}

func (b *Bot) listFilesTool(_ context.Context, tc *toolCall) (string, error) {
	if err := tc.decode(&struct{}{}); err != nil {
		return "", err
	}
	list, err := b.db.Files(tc.userID)
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "The user has no files. They can attach files to a message to send them.", nil
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d file(s), newest first:\n", len(list))
	for i := len(list) - 1; i >= 0; i-- {
		f := list[i]
		fmt.Fprintf(&sb, "- file_id %s: %s (%s, %s, sent %s)\n", f.ID, f.Name, f.ContentType, humanSize(f.Size),
			f.UploadedAt.In(b.cfg.Timezone).Format("2006-01-02 15:04"))
	}
	return sb.String(), nil
}

type readFileArgs struct {
	FileID string `json:"file_id"`
	Start  int    `json:"start"`
	Count  int    `json:"count"`
	Sheet  string `json:"sheet"`
}

func (b *Bot) readFileTool(_ context.Context, tc *toolCall) (string, error) {
	var a readFileArgs
	if err := tc.decode(&a); err != nil {
		return "", err
	}
	a.FileID = strings.TrimSpace(a.FileID)
	// Only the asking user's own files: an ID of someone else's, a forged
	// one or a path are all "not found" (and never touch the disk).
	if !files.ValidID(a.FileID) {
		return "", toolErrorf("no file with file_id %q; call list_files to see the user's files", truncateRunes(a.FileID, 40))
	}
	meta, err := b.db.File(tc.userID, a.FileID)
	if errors.Is(err, store.ErrNotFound) {
		return "", toolErrorf("no file with file_id %q; call list_files to see the user's files", a.FileID)
	}
	if err != nil {
		return "", err
	}
	if a.Start < 0 || a.Count < 0 {
		return "", toolErrorf("start and count must be positive")
	}
	kind := extract.KindOf(meta.Ext, meta.ContentType)
	if kind == extract.None {
		if files.IsImage(meta.ContentType) {
			return "", toolErrorf("%s is an image (%s); it cannot be read as text", meta.Name, meta.ContentType)
		}
		return "", toolErrorf("%s is a %s file, which this bot cannot read", meta.Name, meta.ContentType)
	}
	path, err := b.files.Path(meta.UserID, meta.ID, meta.Ext)
	if err != nil {
		return "", err
	}
	doc, err := extract.Read(path, kind, extract.Window{Start: a.Start, Count: a.Count, Sheet: a.Sheet, MaxBytes: b.toolResultCap() - 1024})
	switch {
	case errors.Is(err, extract.ErrMalformed):
		return "", toolErrorf("%s could not be read: it is damaged or not really a %s file", meta.Name, strings.ToUpper(string(kind)))
	case errors.Is(err, extract.ErrNoSheet):
		return "", toolErrorf("%v", err)
	case err != nil:
		return "", err
	}
	return fmt.Sprintf("File %s (file_id %s). %s", meta.Name, meta.ID, doc.Text), nil
}

// inlineDocument is the text of a PDF, DOCX or XLSX put into the prompt
// on the turn it arrives, up to the cap of text files.
func (b *Bot) inlineDocument(meta store.FileMeta) (string, bool) {
	kind := extract.KindOf(meta.Ext, meta.ContentType)
	if kind != extract.PDF && kind != extract.DOCX && kind != extract.XLSX {
		return "", false
	}
	path, err := b.files.Path(meta.UserID, meta.ID, meta.Ext)
	if err != nil {
		return "", false
	}
	doc, err := extract.Read(path, kind, extract.Window{MaxBytes: maxInlineText})
	if err != nil {
		return fmt.Sprintf("[file %s (file_id %s) could not be read: it is damaged or not what its name says]", meta.Name, meta.ID), true
	}
	more := ""
	if doc.More || doc.Cut {
		more = "\n[… the file goes on: read_file with this file_id reads the rest]"
	}
	return fmt.Sprintf("File %s (file_id %s):\n```\n%s\n```%s", meta.Name, meta.ID, doc.Text, more), true
}

// attachMade posts the files the tools made (images) as a reply to m, at
// most 10 per message and within Discord's upload limit; a file too big
// to send is named instead (it is in /files). Files of a user who reset
// meanwhile are gone and not sent.
func (b *Bot) attachMade(m *discordgo.Message, made []store.FileMeta, valid func() bool) error {
	if len(made) == 0 || !valid() {
		return nil
	}
	var batch []*discordgo.File
	var size int64
	var notes []string
	var errs []error
	flush := func() {
		if len(batch) == 0 {
			return
		}
		content := ""
		if len(notes) > 0 {
			content = strings.Join(notes, "\n")
			notes = nil
		}
		if _, err := b.send(m.ChannelID, &discordgo.MessageSend{Content: content, Files: batch, Reference: replyRef(m), AllowedMentions: noMentions()}); err != nil {
			errs = append(errs, err)
		}
		batch, size = nil, 0
	}
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			_ = c.Close()
		}
	}()
	for _, f := range made {
		if f.Size > discordUploadLimit-exportPartHeadroom {
			notes = append(notes, fmt.Sprintf("📎 %s is too big to post here; it is in `/files`.", codeSpan(f.Name)))
			continue
		}
		r, err := b.files.Open(f.UserID, f.ID, f.Ext)
		if err != nil {
			continue // deleted meanwhile
		}
		closers = append(closers, r)
		if len(batch) == maxAttachments || size+f.Size > discordUploadLimit-exportPartHeadroom {
			flush()
		}
		batch = append(batch, &discordgo.File{Name: f.Name, ContentType: f.ContentType, Reader: r})
		size += f.Size
	}
	flush()
	if len(notes) > 0 {
		b.sendNotice(m, strings.Join(notes, "\n"))
	}
	return errors.Join(errs...)
}
