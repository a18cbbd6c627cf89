package bot_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/oldbot"
	"github.com/discordgpt/discordgpt/oldbot/oldbottest"
	"github.com/discordgpt/discordgpt/store"
)

const (
	oldAlice = "712345678901234567"
	oldBob   = "812345678901234567"
)

// oldDump writes a mongodump of the old bot in the shapes its source
// stored (see package oldbot), with the old bot's file folder beside it.
// It returns the dump folder and the file folder.
func oldDump(t *testing.T) (dumpDir, filesDir string) {
	root := t.TempDir()
	dumpDir = filepath.Join(root, "dump")
	filesDir = filepath.Join(root, "user_files")
	dir := filepath.Join(dumpDir, oldbot.DBName)
	w := func(name string, docs ...any) { oldbottest.WriteCollection(t, dir, name, docs...) }
	alice := int64(712345678901234567)
	w("user_histories.bson", bson.D{{Key: "user_id", Value: alice}, {Key: "history", Value: bson.A{
		bson.D{{Key: "role", Value: "system"}, {Key: "content", Value: "old system prompt"}},
		bson.D{{Key: "role", Value: "user"}, {Key: "content", Value: "my cat is called Miso"}},
		bson.D{{Key: "role", Value: "assistant"}, {Key: "content", Value: "Miso is a lovely name"}},
	}}})
	w("user_models.bson", bson.D{{Key: "user_id", Value: alice}, {Key: "model", Value: "openai/gpt-4o"}})
	w("blacklist.bson", bson.D{{Key: "user_id", Value: oldBob}})
	w("whitelist.bson", bson.D{{Key: "user_id", Value: alice}}, bson.D{{Key: "user_id", Value: oldBob}})
	w("user_token_stats.bson", bson.D{{Key: "user_id", Value: alice}, {Key: "models", Value: bson.D{
		{Key: "openai_SLASH_gpt-4o", Value: bson.D{{Key: "input_tokens", Value: 900}, {Key: "output_tokens", Value: 100}, {Key: "cost", Value: 0.75}, {Key: "requests", Value: 3}}}}}})
	w("token_usage.bson",
		bson.D{{Key: "user_id", Value: alice}, {Key: "model", Value: "openai/gpt-4o"}, {Key: "cost", Value: 0.5}, {Key: "timestamp", Value: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)}},
		bson.D{{Key: "user_id", Value: alice}, {Key: "model", Value: "openai/gpt-4o"}, {Key: "cost", Value: 0.25}, {Key: "timestamp", Value: time.Date(2026, 11, 2, 11, 0, 0, 0, time.UTC)}})
	fileDoc := func(id, name, ext string, expires any) bson.D {
		return bson.D{{Key: "file_id", Value: id}, {Key: "user_id", Value: alice}, {Key: "filename", Value: name},
			{Key: "file_path", Value: "/tmp/bot_code_interpreter/user_files/" + oldAlice + "/" + id + ext},
			{Key: "file_size", Value: 10}, {Key: "uploaded_at", Value: "2026-11-20T08:00:00.123456"}, {Key: "expires_at", Value: expires}}
	}
	w("user_files.bson",
		fileDoc(oldAlice+"_1_aaaa", "sales.csv", ".csv", nil),
		fileDoc(oldAlice+"_2_bbbb", "old.txt", ".txt", "2020-01-01T00:00:00"),
		fileDoc(oldAlice+"_3_cccc", "link.txt", ".txt", nil),
		fileDoc(oldAlice+"_4_dddd", "gone.txt", ".txt", nil),
		// A forged path: only its last element is looked up, in FILES_DIR.
		bson.D{{Key: "file_id", Value: "x"}, {Key: "user_id", Value: alice}, {Key: "filename", Value: "passwd"}, {Key: "file_path", Value: "/../../etc/passwd"}})
	w("reminders.bson",
		bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "user_id", Value: alice}, {Key: "content", Value: "feed Miso"},
			{Key: "remind_at", Value: time.Now().Add(48 * time.Hour)}, {Key: "created_at", Value: time.Now()}, {Key: "sent", Value: false}},
		bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "user_id", Value: alice}, {Key: "content", Value: "long ago"},
			{Key: "remind_at", Value: time.Now().Add(-48 * time.Hour)}, {Key: "sent", Value: false}})

	ud := filepath.Join(filesDir, oldAlice)
	if err := os.MkdirAll(ud, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(ud, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(oldAlice+"_1_aaaa.csv", "day,total\n1,10\n")
	write(oldAlice+"_2_bbbb.txt", "expired")
	// A symlink planted in the old folder is never followed.
	if err := os.Symlink("/etc/passwd", filepath.Join(ud, oldAlice+"_3_cccc.txt")); err != nil {
		t.Fatal(err)
	}
	return dumpDir, filesDir
}

func TestImport_CommandTwiceAddsNothingNew(t *testing.T) {
	dumpDir, filesDir := oldDump(t)
	dataDir := t.TempDir()
	e := map[string]string{"DATA_DIR": dataDir, "TIMEZONE": "Europe/Berlin"}

	p := start(t, e, "import", dumpDir, filesDir)
	if code := p.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("import exit %d:\n%s", code, p.out.String())
	}
	out := p.out.String()
	for _, want := range []string{
		"import: 2 user(s): 2 message(s), 1 model statistic(s), 1 day(s) of spending, 1 file(s) (15 bytes), 1 reminder(s), 1 model choice(s), 1 ban(s)",
		"ALLOWED_USER_IDS=" + oldAlice + "," + oldBob,
		"file " + oldAlice + "_2_bbbb had expired",
		"is not a regular file",
		oldAlice + "_4_dddd.txt is not in",
		"passwd is not in",
		"a reminder due",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"Miso", "feed", "day,total"} {
		if strings.Contains(out, secret) {
			t.Errorf("the summary quotes a user's words (%q)", secret)
		}
	}

	p2 := start(t, e, "import", dumpDir, filesDir)
	if code := p2.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("second import exit %d:\n%s", code, p2.out.String())
	}
	if !strings.Contains(p2.out.String(), "import: nothing new") {
		t.Errorf("second run:\n%s", p2.out.String())
	}

	db, err := bot.OpenStore(dataDir, true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hist, _ := db.History(oldAlice, 0)
	if len(hist) != 2 || hist[0].Role != store.RoleUser || hist[0].Content != "my cat is called Miso" || hist[1].Content != "Miso is a lovely name" {
		t.Errorf("history after two imports = %+v", hist)
	}
	usage, _ := db.UserUsage(oldAlice)
	if len(usage) != 1 || usage[0].Model != "openai/gpt-4o" || usage[0].Requests != 3 || usage[0].CostUSD != 0.75 || usage[0].InputTokens != 900 {
		t.Errorf("usage after two imports = %+v", usage)
	}
	sp, _ := db.Spending(oldAlice, "2026-11-02", "2026-11")
	if sp.UserDay != 0.75 || sp.UserMonth != 0.75 || sp.AllMonth != 0.75 {
		t.Errorf("ledger after two imports = %+v", sp)
	}
	fs, _ := db.Files(oldAlice)
	if len(fs) != 1 || fs[0].Name != "sales.csv" || fs[0].Ext != ".csv" || fs[0].Size != 15 || !fs[0].ExpiresAt.IsZero() ||
		!fs[0].UploadedAt.Equal(time.Date(2026, 11, 20, 7, 0, 0, 123456000, time.UTC)) {
		t.Errorf("files after two imports = %+v", fs)
	}
	if on := filesOnDisk(t, filepath.Join(dataDir, "files", oldAlice)); len(on) != 1 || on[0] != fs[0].ID+".csv" {
		t.Errorf("on disk: %v", on)
	} else if b, _ := os.ReadFile(filepath.Join(dataDir, "files", oldAlice, on[0])); string(b) != "day,total\n1,10\n" {
		t.Errorf("copied bytes = %q", b)
	}
	rems, _ := db.Reminders(oldAlice)
	if len(rems) != 1 || rems[0].Text != "feed Miso" || rems[0].GuildID != "" {
		t.Errorf("reminders after two imports = %+v", rems)
	}
	if s, _ := db.Settings(oldAlice); s.Model != "gpt-4o" {
		t.Errorf("model = %q; OpenAI's own prefix should go", s.Model)
	}
	if ok, _ := db.Blacklisted(oldBob); !ok {
		t.Error("bob's ban was not imported")
	}
}

func TestImport_RefusesWhileTheBotRuns(t *testing.T) {
	dumpDir, _ := oldDump(t)
	dataDir := t.TempDir()
	db, err := bot.OpenStore(dataDir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	env := func(k string) (string, bool) {
		if k == "DATA_DIR" {
			return dataDir, true
		}
		return "", false
	}
	_, err = bot.Import(env, dumpDir, "")
	if err == nil || !strings.Contains(err.Error(), "stop the bot before importing") {
		t.Errorf("err = %v", err)
	}
	if _, err := bot.Import(env, t.TempDir(), ""); err == nil || !strings.Contains(err.Error(), "mongodump") {
		t.Errorf("an empty folder: err = %v", err)
	}
	if _, err := bot.Import(env, dumpDir, filepath.Join(dataDir, "nope")); err == nil || !strings.Contains(err.Error(), "FILES_DIR") {
		t.Errorf("a missing file folder: err = %v", err)
	}
}

// The imported user chats on with their old conversation, and /reset
// removes everything the import brought in but the documented survivors.
func TestImport_ThenChatAndReset(t *testing.T) {
	dumpDir, filesDir := oldDump(t)
	h := startBot(t, func(c *bot.Config) {
		c.RateCount = 0
		env := func(k string) (string, bool) {
			if k == "DATA_DIR" {
				return c.DataDir, true
			}
			return "", false
		}
		if _, err := bot.Import(env, dumpDir, filesDir); err != nil {
			t.Fatal(err)
		}
	})
	q := h.dm(oldAlice, "what is my cat called?")
	waitReply(t, h.fake, q, "echo: what is my cat called?")
	reqs := h.ai.Requests()
	var texts []string
	for _, m := range reqs[len(reqs)-1].Chat.Messages {
		texts = append(texts, m.Role+":"+m.Content)
	}
	if joined := strings.Join(texts, "|"); !strings.Contains(joined, "user:my cat is called Miso|assistant:Miso is a lovely name|user:what is my cat called?") {
		t.Errorf("the model did not see the imported conversation: %s", joined)
	}
	if got := h.reset(t, oldAlice).Content; !strings.HasPrefix(got, resetDone+"\n🗑️ Deleted 1 file(s).") || !strings.Contains(got, "Cancelled 1 reminder") {
		t.Errorf("reset answer = %q", got)
	}
	if _, err := os.Stat(h.userDir(oldAlice)); !os.IsNotExist(err) {
		t.Errorf("alice's folder survived the reset: %v", err)
	}
	db := h.openStoreAfterStop(t)
	for _, where := range holders(t, db, oldAlice) {
		if !strings.HasPrefix(where, "settings/") && !strings.HasPrefix(where, "blacklist/") && !strings.HasPrefix(where, "spend/") {
			t.Errorf("after reset, the imported user's ID is held by %s", where)
		}
	}
}
