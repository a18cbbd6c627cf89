package bot

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/files"
	"github.com/discordgpt/discordgpt/oldbot"
	"github.com/discordgpt/discordgpt/store"
)

// importConfig is the part of the configuration an import needs; it
// works without the Discord token and API key.
type importConfig struct {
	DataDir         string
	Timezone        *time.Location
	MaxFilesPerUser int
	MaxFileSizeMB   int
	OpenAI          bool
	Now             func() time.Time
}

func loadImportConfig(env Lookup) (importConfig, error) {
	r := reader{env: env}
	c := importConfig{
		DataDir:         r.str("DATA_DIR", "./data"),
		Timezone:        r.timezone("TIMEZONE", "UTC"),
		MaxFilesPerUser: r.intRange("MAX_FILES_PER_USER", 20, 1, 10_000),
		MaxFileSizeMB:   r.intRange("MAX_FILE_SIZE_MB", 25, 1, 1024),
		OpenAI:          llm.IsOpenAI(r.url("OPENAI_BASE_URL", "https://api.openai.com/v1")),
		Now:             time.Now,
	}
	return c, r.report()
}

// ImportReport is what an import did, for its summary.
type ImportReport struct {
	Users, Messages, Stats, SpendDays, Files, Reminders, Models, Bans int
	Bytes                                                             int64
	// Problems are what could not be read or mapped, one line each.
	Problems []string
	// Whitelist is the old bot's whitelist, for ALLOWED_USER_IDS.
	Whitelist []string
}

// Import brings a mongodump of the old Python bot (in dumpDir) into the
// database in DATA_DIR, copying the users' files from filesDir (the old
// bot's user_files folder; empty skips files). The bot must be stopped.
// Running it again adds nothing.
func Import(env Lookup, dumpDir, filesDir string) (ImportReport, error) {
	cfg, err := loadImportConfig(env)
	if err != nil {
		return ImportReport{}, fmt.Errorf("config: %w", err)
	}
	return runImport(cfg, dumpDir, filesDir)
}

func runImport(cfg importConfig, dumpDir, filesDir string) (ImportReport, error) {
	var rep ImportReport
	if filesDir != "" {
		if st, err := os.Stat(filesDir); err != nil || !st.IsDir() {
			return rep, fmt.Errorf("FILES_DIR %s is not a folder (it is the old bot's user_files folder, by default /tmp/bot_code_interpreter/user_files)", filesDir)
		}
	}
	dump, err := oldbot.Read(dumpDir, cfg.Timezone)
	if err != nil {
		return rep, err
	}
	db, err := openStore(cfg.DataDir, store.Options{})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return rep, fmt.Errorf("%w (stop the bot before importing)", err)
		}
		return rep, err
	}
	defer db.Close()
	fdir, err := files.Open(filepath.Join(cfg.DataDir, "files"))
	if err != nil {
		return rep, err
	}
	rep.Problems = append(rep.Problems, dump.Problems...)
	rep.Whitelist = dump.Whitelist
	now := cfg.Now().UTC()
	users := make([]string, 0, len(dump.Users))
	for id := range dump.Users {
		users = append(users, id)
	}
	sort.Strings(users)
	im := importer{cfg: cfg, db: db, fdir: fdir, filesDir: filesDir, now: now, rep: &rep}
	for _, id := range users {
		im.user(dump.Users[id])
	}
	return rep, nil
}

type importer struct {
	cfg      importConfig
	db       *store.DB
	fdir     *files.Dir
	filesDir string
	now      time.Time
	rep      *ImportReport
}

func (im *importer) problem(format string, args ...any) {
	im.rep.Problems = append(im.rep.Problems, fmt.Sprintf(format, args...))
}

// user imports one old user in one transaction; the files are copied
// first and removed again if the transaction does not keep them.
func (im *importer) user(u *oldbot.User) {
	in := store.UserImport{UserID: u.ID, MaxFiles: im.cfg.MaxFilesPerUser, Blacklisted: u.Blacklisted, At: im.now}
	for _, m := range u.History {
		in.History = append(in.History, store.Message{Role: m.Role, Content: m.Text, CreatedAt: im.now})
	}
	if u.HistoryImages > 0 {
		im.problem("user %s: %d image(s) in the old history were Discord links that have expired; each is noted as \"[an image, not kept]\"", u.ID, u.HistoryImages)
	}
	for _, s := range u.Stats {
		in.Stats = append(in.Stats, store.Usage{Model: s.Model, InputTokens: s.InputTokens, OutputTokens: s.OutputTokens,
			Requests: s.Requests, CostUSD: s.CostUSD})
	}
	in.Spend = spendPerDay(u.Calls, im.cfg.Timezone)
	in.Model = u.Model
	if im.cfg.OpenAI {
		in.Model = strings.TrimPrefix(in.Model, "openai/")
	}
	for _, r := range u.Reminders {
		if !r.Due.After(im.now) {
			im.problem("user %s: a reminder due %s had passed; not imported", u.ID, r.Due.Format(time.RFC3339))
			continue
		}
		created := r.Created
		if created.IsZero() {
			created = im.now
		}
		// No channel: the old bot delivered reminders by DM, and so will this one.
		in.Reminders = append(in.Reminders, store.Reminder{UserID: u.ID, Text: r.Text, Due: r.Due,
			Zone: im.cfg.Timezone.String(), Created: created})
		in.RemOldIDs = append(in.RemOldIDs, r.OldID)
	}
	copied := im.copyFiles(u, &in)
	res, err := im.db.ImportUser(in)
	if err != nil {
		for _, f := range copied {
			_ = im.fdir.Remove(f.UserID, f.ID, f.Ext)
		}
		_ = im.fdir.RemoveUserDirIfEmpty(u.ID)
		im.problem("user %s: not imported: %v", u.ID, err)
		return
	}
	for _, i := range res.Unstored {
		f := in.Files[i]
		_ = im.fdir.Remove(f.UserID, f.ID, f.Ext)
		im.rep.Bytes -= f.Size
	}
	_ = im.fdir.RemoveUserDirIfEmpty(u.ID)
	if res.HistoryKept {
		im.problem("user %s: already has a conversation in discordgpt; the old one (%d messages) was not added", u.ID, len(in.History))
	}
	if res.FilesOverLimit > 0 {
		im.problem("user %s: %d older file(s) left out: MAX_FILES_PER_USER is %d", u.ID, res.FilesOverLimit, im.cfg.MaxFilesPerUser)
	}
	if len(u.Preferences) > 0 {
		im.problem("user %s: preference(s) %s have no counterpart in discordgpt", u.ID, strings.Join(u.Preferences, ", "))
	}
	if res.Messages+res.Stats+res.Spend+res.Files+res.Reminders > 0 || res.Model || res.Banned {
		im.rep.Users++
	}
	im.rep.Messages += res.Messages
	im.rep.Stats += res.Stats
	im.rep.SpendDays += res.Spend
	im.rep.Files += res.Files
	im.rep.Reminders += res.Reminders
	if res.Model {
		im.rep.Models++
	}
	if res.Banned {
		im.rep.Bans++
	}
}

// copyFiles copies the user's old files that an earlier run did not bring
// in, and lists them in in.Files.
func (im *importer) copyFiles(u *oldbot.User, in *store.UserImport) []store.FileMeta {
	if len(u.Files) == 0 {
		return nil
	}
	if im.filesDir == "" {
		im.problem("user %s: %d file(s) not copied: give the old bot's file folder as FILES_DIR", u.ID, len(u.Files))
		return nil
	}
	done, err := im.db.ImportedFiles(u.ID)
	if err != nil {
		im.problem("user %s: files not copied: %v", u.ID, err)
		return nil
	}
	var copied []store.FileMeta
	for _, f := range u.Files {
		if done[f.OldID] {
			continue
		}
		if !f.Expires.IsZero() && !f.Expires.After(im.now) {
			im.problem("user %s: file %s had expired; not imported", u.ID, f.OldID)
			continue
		}
		meta, err := im.copyFile(u.ID, f)
		if err != nil {
			im.problem("user %s: file %s not imported: %v", u.ID, f.OldID, err)
			continue
		}
		copied = append(copied, meta)
		in.Files = append(in.Files, meta)
		in.OldIDs = append(in.OldIDs, f.OldID)
		im.rep.Bytes += meta.Size
	}
	return copied
}

// copyFile copies one old file into the user's folder. It reads only a
// regular file named by the recorded name, in FILES_DIR/<user> or
// FILES_DIR itself: never a symlink, never a path from the dump.
func (im *importer) copyFile(userID string, f oldbot.File) (store.FileMeta, error) {
	var src *os.File
	for _, p := range []string{filepath.Join(im.filesDir, userID, f.Base), filepath.Join(im.filesDir, f.Base)} {
		st, err := os.Lstat(p)
		if err != nil {
			continue
		}
		if !st.Mode().IsRegular() {
			return store.FileMeta{}, fmt.Errorf("%s is not a regular file", filepath.Base(p))
		}
		if src, err = os.Open(p); err != nil {
			return store.FileMeta{}, err
		}
		break
	}
	if src == nil {
		return store.FileMeta{}, fmt.Errorf("%s is not in %s", f.Base, im.filesDir)
	}
	defer src.Close()
	name := files.SanitizeName(f.Name)
	ext := files.Ext(name)
	id := files.NewID()
	w, err := im.fdir.Write(userID, id, ext, src, int64(im.cfg.MaxFileSizeMB)<<20)
	if errors.Is(err, files.ErrTooLarge) {
		return store.FileMeta{}, fmt.Errorf("larger than MAX_FILE_SIZE_MB=%d", im.cfg.MaxFileSizeMB)
	}
	if err != nil {
		return store.FileMeta{}, err
	}
	meta := store.FileMeta{ID: id, UserID: userID, Name: name, Ext: ext, Size: w.Size,
		ContentType: files.DetectType(w.Head, name), SHA256: w.SHA256, UploadedAt: f.Uploaded, ExpiresAt: f.Expires}
	if meta.UploadedAt.IsZero() || meta.UploadedAt.After(im.now) {
		meta.UploadedAt = im.now
	}
	return meta, nil
}

// spendPerDay sums old calls per day of the bot's time zone and model,
// for the ledger that budgets and charts read.
func spendPerDay(calls []oldbot.Call, loc *time.Location) []store.ImportedSpend {
	type key struct{ day, model string }
	sum := map[key]float64{}
	for _, c := range calls {
		if c.CostUSD > 0 {
			sum[key{c.At.In(loc).Format(time.DateOnly), c.Model}] += c.CostUSD
		}
	}
	out := make([]store.ImportedSpend, 0, len(sum))
	for k, v := range sum {
		out = append(out, store.ImportedSpend{Day: k.day, Month: k.day[:7], Model: k.model, CostUSD: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Day != out[j].Day {
			return out[i].Day < out[j].Day
		}
		return out[i].Model < out[j].Model
	})
	return out
}

// WriteImportSummary prints what an import did and what it left out.
func WriteImportSummary(w io.Writer, rep ImportReport) {
	if rep.Users == 0 {
		fmt.Fprintln(w, "import: nothing new (everything in this dump was imported before, or it holds no users)")
	} else {
		fmt.Fprintf(w, "import: %d user(s): %d message(s), %d model statistic(s), %d day(s) of spending, %d file(s) (%d bytes), %d reminder(s), %d model choice(s), %d ban(s)\n",
			rep.Users, rep.Messages, rep.Stats, rep.SpendDays, rep.Files, rep.Bytes, rep.Reminders, rep.Models, rep.Bans)
	}
	if len(rep.Whitelist) > 0 {
		fmt.Fprintf(w, "import: the old bot had a whitelist; discordgpt keeps it in the configuration. To allow only them, set ALLOWED_USER_IDS=%s\n",
			strings.Join(rep.Whitelist, ","))
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(w, "import:", p)
	}
}
