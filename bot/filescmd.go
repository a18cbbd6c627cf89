package bot

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/files"
	"github.com/discordgpt/discordgpt/store"
)

// filesPerPage is Discord's limit of options in one select menu.
const filesPerPage = 25

// discordUploadLimit is the largest file a bot may upload to a server
// without boosts.
const discordUploadLimit = 10 << 20

// Custom IDs of the /files components are "f:<action>:<owner>:<arg>": the
// owner is checked against whoever clicks, and the file ID is looked up
// only among the clicker's own files.
const (
	fPage   = "page"   // arg: page number
	fPick   = "pick"   // arg: page number; the value is the file ID
	fDL     = "dl"     // arg: file ID
	fDel    = "del"    // arg: file ID; asks "Confirm Deletion"
	fYes    = "yes"    // arg: file ID; asks "Final Confirmation"
	fFinal  = "final"  // arg: file ID; deletes
	fCancel = "cancel" // arg: file ID
)

func fileCustomID(action, owner, arg string) string { return "f:" + action + ":" + owner + ":" + arg }

func parseFileCustomID(id string) (action, owner, arg string, ok bool) {
	parts := strings.Split(id, ":")
	if len(parts) != 4 || parts[0] != "f" || !isSnowflake(parts[2]) {
		return "", "", "", false
	}
	return parts[1], parts[2], parts[3], true
}

// Fixed wording of /files.
const (
	notYourFile   = "❌ This isn't your file!"
	staleFile     = "⚠️ This file no longer exists: it was deleted, it expired, or your data was reset."
	noFilesText   = "📁 You have no files. Send me an attachment and it will be kept here."
	filesTooLarge = "📦 `%s` is %s, more than Discord lets me upload (10 MB), so I can't send it back."
)

// cmdFiles lists the user's files, newest first.
func (b *Bot) cmdFiles(_ context.Context, i *discordgo.Interaction) error {
	data, err := b.filesPage(interactionUser(i).ID, 0)
	if err != nil {
		return err
	}
	data.Flags = discordgo.MessageFlagsEphemeral
	return b.dg.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: data})
}

// filesPage renders one page of the list: an embed and a select menu, with
// Previous/Next buttons when there is more than one page.
func (b *Bot) filesPage(userID string, page int) (*discordgo.InteractionResponseData, error) {
	list, err := b.db.Files(userID)
	if err != nil {
		return nil, err
	}
	empty := []discordgo.MessageComponent{}
	if len(list) == 0 {
		return &discordgo.InteractionResponseData{Content: noFilesText, Embeds: []*discordgo.MessageEmbed{}, Components: empty}, nil
	}
	pages := (len(list) + filesPerPage - 1) / filesPerPage
	page = min(max(page, 0), pages-1)
	onPage := list[page*filesPerPage : min(len(list), (page+1)*filesPerPage)]
	now := b.cfg.now()
	var sb strings.Builder
	menu := discordgo.SelectMenu{CustomID: fileCustomID(fPick, userID, strconv.Itoa(page)), Placeholder: "Pick a file to download or delete"}
	for n, f := range onPage {
		fmt.Fprintf(&sb, "**%d.** %s · %s · %s · <t:%d:R> · %s\n", page*filesPerPage+n+1, codeSpan(truncateRunes(f.Name, 40)),
			f.ContentType, humanSize(f.Size), f.UploadedAt.Unix(), timeLeft(f, now))
		menu.Options = append(menu.Options, discordgo.SelectMenuOption{
			Label: truncateRunes(f.Name, 90), Value: f.ID,
			Description: truncateRunes(f.ContentType+" · "+humanSize(f.Size)+" · "+timeLeft(f, now), 95)})
	}
	embed := &discordgo.MessageEmbed{Title: fmt.Sprintf("📁 Your files (%d)", len(list)), Description: sb.String()}
	rows := []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{menu}}}
	if pages > 1 {
		embed.Footer = &discordgo.MessageEmbedFooter{Text: fmt.Sprintf("page %d of %d", page+1, pages)}
		rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "◀ Previous", Style: discordgo.SecondaryButton, CustomID: fileCustomID(fPage, userID, strconv.Itoa(page-1)), Disabled: page == 0},
			discordgo.Button{Label: "Next ▶", Style: discordgo.SecondaryButton, CustomID: fileCustomID(fPage, userID, strconv.Itoa(page+1)), Disabled: page == pages-1},
		}})
	}
	return &discordgo.InteractionResponseData{Content: "", Embeds: []*discordgo.MessageEmbed{embed}, Components: rows}, nil
}

// timeLeft says how long a file has, as the bot we replace said it.
func timeLeft(f store.FileMeta, now time.Time) string {
	if f.ExpiresAt.IsZero() {
		return "♾️ Never"
	}
	d := f.ExpiresAt.Sub(now)
	switch {
	case d <= 0:
		return "⚠️ Expired"
	case d >= time.Hour:
		return fmt.Sprintf("⏰ %dh left", int(d.Hours()))
	}
	return fmt.Sprintf("⏰ %dm left", int(math.Ceil(d.Minutes())))
}

// codeSpan shows user text verbatim without letting it break the markup.
func codeSpan(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" }

// onFilesComponent handles every /files button and menu. Whoever clicks
// must be the owner named in the custom ID, and the file is looked up only
// among the clicker's files, so a copied or forged custom ID touches
// nothing.
func (b *Bot) onFilesComponent(ctx context.Context, i *discordgo.Interaction) error {
	data := i.MessageComponentData()
	action, owner, arg, ok := parseFileCustomID(data.CustomID)
	if !ok {
		return b.respondEphemeral(i, staleComponent)
	}
	if owner != interactionUser(i).ID {
		return b.respondEphemeral(i, notYourFile)
	}
	switch action {
	case fPage:
		page, _ := strconv.Atoi(arg)
		return b.showFilesPage(i, owner, page)
	case fPick:
		if len(data.Values) != 1 {
			return b.showFilesPage(i, owner, 0)
		}
		return b.showFile(i, owner, data.Values[0])
	case fDL:
		return b.downloadFile(ctx, i, owner, arg)
	case fDel, fYes, fCancel:
		return b.confirmStep(i, action, owner, arg)
	case fFinal:
		return b.deleteFile(i, owner, arg)
	}
	return b.respondEphemeral(i, staleComponent)
}

func (b *Bot) showFilesPage(i *discordgo.Interaction, owner string, page int) error {
	data, err := b.filesPage(owner, page)
	if err != nil {
		return err
	}
	return b.update(i, data)
}

// lookupFile finds one of the owner's files; a malformed or unknown ID is
// store.ErrNotFound.
func (b *Bot) lookupFile(owner, fileID string) (store.FileMeta, error) {
	if !files.ValidID(fileID) {
		return store.FileMeta{}, store.ErrNotFound
	}
	return b.db.File(owner, fileID)
}

// backToFiles is a row with one button that shows the first page again.
func backToFiles(owner string) []discordgo.MessageComponent {
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: "Back to your files", Style: discordgo.SecondaryButton, CustomID: fileCustomID(fPage, owner, "0")}}}}
}

// staleFileView answers a click on a file that is gone.
func (b *Bot) staleFileView(i *discordgo.Interaction, owner string) error {
	return b.update(i, &discordgo.InteractionResponseData{Content: staleFile, Embeds: []*discordgo.MessageEmbed{},
		Components: backToFiles(owner)})
}

// showFile shows one file with Download and Delete buttons.
func (b *Bot) showFile(i *discordgo.Interaction, owner, fileID string) error {
	f, err := b.lookupFile(owner, fileID)
	if errors.Is(err, store.ErrNotFound) {
		return b.staleFileView(i, owner)
	}
	if err != nil {
		return err
	}
	embed := &discordgo.MessageEmbed{Title: "📄 " + truncateRunes(f.Name, 200), Fields: []*discordgo.MessageEmbedField{
		{Name: "Type", Value: f.ContentType, Inline: true},
		{Name: "Size", Value: humanSize(f.Size), Inline: true},
		{Name: "Uploaded", Value: fmt.Sprintf("<t:%d:f>", f.UploadedAt.Unix()), Inline: true},
		{Name: "Expires", Value: timeLeft(f, b.cfg.now()), Inline: true},
	}}
	return b.update(i, &discordgo.InteractionResponseData{Content: "", Embeds: []*discordgo.MessageEmbed{embed},
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Download", Emoji: &discordgo.ComponentEmoji{Name: "⬇️"}, Style: discordgo.PrimaryButton, CustomID: fileCustomID(fDL, owner, f.ID)},
			discordgo.Button{Label: "Delete", Emoji: &discordgo.ComponentEmoji{Name: "🗑️"}, Style: discordgo.DangerButton, CustomID: fileCustomID(fDel, owner, f.ID)},
			discordgo.Button{Label: "Back", Style: discordgo.SecondaryButton, CustomID: fileCustomID(fPage, owner, "0")},
		}}}})
}

// confirmStep walks the two-step delete: Delete asks "Confirm Deletion",
// Yes asks "Final Confirmation", Cancel keeps the file.
func (b *Bot) confirmStep(i *discordgo.Interaction, action, owner, fileID string) error {
	f, err := b.lookupFile(owner, fileID)
	if errors.Is(err, store.ErrNotFound) {
		return b.staleFileView(i, owner)
	}
	if err != nil {
		return err
	}
	cancel := discordgo.Button{Label: "Cancel", Style: discordgo.SecondaryButton, CustomID: fileCustomID(fCancel, owner, f.ID)}
	var title, desc string
	var next discordgo.Button
	switch action {
	case fDel:
		title, desc = "Confirm Deletion", fmt.Sprintf("Delete %s? This cannot be undone.", codeSpan(truncateRunes(f.Name, 100)))
		next = discordgo.Button{Label: "Yes, Delete", Style: discordgo.DangerButton, CustomID: fileCustomID(fYes, owner, f.ID)}
	case fYes:
		title, desc = "Final Confirmation", fmt.Sprintf("Really delete %s? Click again to confirm.", codeSpan(truncateRunes(f.Name, 100)))
		next = discordgo.Button{Label: "Click Again to Confirm", Style: discordgo.DangerButton, CustomID: fileCustomID(fFinal, owner, f.ID)}
	default: // fCancel
		return b.update(i, &discordgo.InteractionResponseData{Content: "",
			Embeds:     []*discordgo.MessageEmbed{{Title: "✅ Cancelled", Description: fmt.Sprintf("%s was not deleted.", codeSpan(truncateRunes(f.Name, 100)))}},
			Components: backToFiles(owner)})
	}
	return b.update(i, &discordgo.InteractionResponseData{Content: "", Embeds: []*discordgo.MessageEmbed{{Title: title, Description: desc}},
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{next, cancel}}}})
}

// deleteFile removes the file's metadata, then the file.
func (b *Bot) deleteFile(i *discordgo.Interaction, owner, fileID string) error {
	if !files.ValidID(fileID) {
		return b.staleFileView(i, owner)
	}
	f, err := b.db.DeleteFile(owner, fileID)
	if errors.Is(err, store.ErrNotFound) {
		return b.staleFileView(i, owner)
	}
	if err != nil {
		return err
	}
	if err := b.files.Remove(owner, f.ID, f.Ext); err != nil {
		b.log.Warn("remove deleted file; the next start's sweep will", "user_id", owner, "err", err)
	}
	if err := b.files.RemoveUserDirIfEmpty(owner); err != nil {
		b.log.Warn("remove empty user dir", "user_id", owner, "err", err)
	}
	return b.update(i, &discordgo.InteractionResponseData{Content: "",
		Embeds:     []*discordgo.MessageEmbed{{Title: "✅ File Deleted", Description: fmt.Sprintf("%s was deleted.", codeSpan(truncateRunes(f.Name, 100)))}},
		Components: backToFiles(owner)})
}

// downloadFile sends the file back privately, or says why it can't.
func (b *Bot) downloadFile(_ context.Context, i *discordgo.Interaction, owner, fileID string) error {
	if err := b.deferEphemeral(i); err != nil {
		return err
	}
	f, err := b.lookupFile(owner, fileID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return b.editOriginal(i, staleFile)
	case err != nil:
		return err
	case f.Size > discordUploadLimit:
		return b.editOriginal(i, fmt.Sprintf(filesTooLarge, f.Name, humanSize(f.Size)))
	}
	r, err := b.files.Open(owner, f.ID, f.Ext)
	if err != nil {
		return b.editOriginal(i, staleFile)
	}
	defer r.Close()
	content := "⬇️ " + codeSpan(truncateRunes(f.Name, 100))
	_, err = b.dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &content,
		Files: []*discordgo.File{{Name: f.Name, ContentType: f.ContentType, Reader: r}}})
	return err
}
