package oldbot

import (
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"
	"time"
)

// Dump is what a mongodump of the old bot holds, per user.
type Dump struct {
	// Users by Discord user ID.
	Users map[string]*User
	// Whitelist are the user IDs on the old bot's whitelist; discordgpt
	// keeps its allow-list in ALLOWED_USER_IDS, not in the database.
	Whitelist []string
	// Read counts documents per collection.
	Read map[string]int
	// Problems are what could not be read or mapped, one line each,
	// never containing a message's text.
	Problems []string
}

// User is one old user's data.
type User struct {
	ID string
	// History is the conversation, oldest first, text only.
	History []Message
	// HistoryImages counts images in the history, which are not carried
	// over (they were Discord links that expired within a day).
	HistoryImages int
	// HistoryDropped counts system and tool messages left out.
	HistoryDropped int
	Model          string
	Blacklisted    bool
	// Stats are the per-model totals of user_token_stats.
	Stats []Stat
	// Calls are the single calls of token_usage, for spending per day.
	Calls     []Call
	Files     []File
	Reminders []Reminder
	// Preferences lists preference names that have no counterpart.
	Preferences []string
}

// Message is one turn of an old conversation.
type Message struct {
	Role string // "user" or "assistant"
	Text string
}

// Stat is what a user spent on one model.
type Stat struct {
	Model                     string
	InputTokens, OutputTokens int64
	Requests                  int64
	CostUSD                   float64
}

// Call is one paid call.
type Call struct {
	Model                     string
	InputTokens, OutputTokens int64
	CostUSD                   float64
	At                        time.Time
}

// File is an old user file; its bytes are in the old bot's file folder.
type File struct {
	// OldID is the old bot's file_id ("<user>_<unix>_<hex>").
	OldID string
	// Name is the name the user gave it.
	Name string
	// Base is the file's name on disk (the last element of file_path),
	// never a path.
	Base     string
	Size     int64
	Uploaded time.Time
	// Expires is zero for a file that never expires.
	Expires time.Time
}

// Reminder is an old reminder not yet sent.
type Reminder struct {
	OldID   string
	Text    string
	Due     time.Time
	Created time.Time
}

// Read reads every known collection of the dump in dir (the mongodump
// output folder or its chatgpt_discord_bot subfolder). Naive times
// (Python's datetime.now().isoformat()) are read in loc. A collection
// that is missing is skipped; a damaged one is read up to the damage and
// named in Problems.
func Read(dir string, loc *time.Location) (*Dump, error) {
	dbDir, err := findDBDir(dir)
	if err != nil {
		return nil, err
	}
	d := &Dump{Users: map[string]*User{}, Read: map[string]int{}}
	for _, c := range Collections {
		p, err := collectionFile(dbDir, c)
		if err != nil {
			continue
		}
		seen := 0
		n, err := readDocs(p, func(doc []byte) error {
			seen++
			raw := bsonDoc(doc)
			if err := raw.validate(); err != nil {
				return fmt.Errorf("not valid BSON: %w", err)
			}
			d.decode(c, seen, raw, loc)
			return nil
		})
		d.Read[c] = n
		if err != nil {
			d.Problems = append(d.Problems, err.Error())
		}
	}
	return d, nil
}

// user returns the record for the document's user_id, or nil (with a
// problem noted) when it is not a Discord ID.
func (d *Dump) user(coll string, n int, raw bsonDoc) *User {
	id, ok := snowflake(raw.lookup("user_id"))
	if !ok {
		d.Problems = append(d.Problems, fmt.Sprintf("%s document %d: user_id is not a Discord user ID; skipped", coll, n))
		return nil
	}
	u := d.Users[id]
	if u == nil {
		u = &User{ID: id}
		d.Users[id] = u
	}
	return u
}

func (d *Dump) decode(coll string, n int, raw bsonDoc, loc *time.Location) {
	if coll == "whitelist" {
		if id, ok := snowflake(raw.lookup("user_id")); ok {
			d.Whitelist = append(d.Whitelist, id)
		}
		return
	}
	u := d.user(coll, n, raw)
	if u == nil {
		return
	}
	switch coll {
	case "user_histories":
		d.history(u, n, raw)
	case "user_models":
		if m, ok := raw.lookup("model").str(); ok {
			u.Model = strings.TrimSpace(m)
		}
	case "user_preferences":
		els := raw.elements()
		for _, e := range els {
			if k := e.Key; k != "_id" && k != "user_id" {
				u.Preferences = append(u.Preferences, k)
			}
		}
	case "blacklist":
		u.Blacklisted = true
	case "user_token_stats":
		models, ok := raw.lookup("models").document()
		if !ok {
			return
		}
		els := models.elements()
		for _, e := range els {
			m, ok := e.Value.document()
			if !ok {
				continue
			}
			u.Stats = append(u.Stats, Stat{Model: unescapeModel(e.Key), InputTokens: count(m.lookup("input_tokens")),
				OutputTokens: count(m.lookup("output_tokens")), Requests: count(m.lookup("requests")), CostUSD: money(m.lookup("cost"))})
		}
	case "token_usage":
		at, ok := when(raw.lookup("timestamp"), loc)
		model, _ := raw.lookup("model").str()
		if !ok || model == "" {
			d.Problems = append(d.Problems, fmt.Sprintf("token_usage document %d: no model or timestamp; skipped", n))
			return
		}
		u.Calls = append(u.Calls, Call{Model: model, InputTokens: count(raw.lookup("input_tokens")),
			OutputTokens: count(raw.lookup("output_tokens")), CostUSD: money(raw.lookup("cost")), At: at})
	case "user_files":
		d.file(u, n, raw, loc)
	case "reminders":
		if sent, _ := raw.lookup("sent").boolean(); sent {
			return
		}
		text, _ := raw.lookup("content").str()
		due, ok := when(raw.lookup("remind_at"), loc)
		if !ok || strings.TrimSpace(text) == "" {
			d.Problems = append(d.Problems, fmt.Sprintf("reminders document %d: no text or time; skipped", n))
			return
		}
		created, _ := when(raw.lookup("created_at"), loc)
		u.Reminders = append(u.Reminders, Reminder{OldID: docID(raw, n), Text: text, Due: due, Created: created})
	}
}

// history reads user_histories: history is a list of chat messages whose
// content is a string or a list of text and image_url parts.
func (d *Dump) history(u *User, n int, raw bsonDoc) {
	arr, ok := raw.lookup("history").array()
	if !ok {
		d.Problems = append(d.Problems, fmt.Sprintf("user_histories document %d: no history list; skipped", n))
		return
	}
	vals := arr.values()
	for _, v := range vals {
		m, ok := v.document()
		if !ok {
			u.HistoryDropped++
			continue
		}
		role, _ := m.lookup("role").str()
		if role != "user" && role != "assistant" {
			u.HistoryDropped++
			continue
		}
		var text []string
		content := m.lookup("content")
		if s, ok := content.str(); ok {
			text = append(text, s)
		} else if parts, ok := content.array(); ok {
			pv := parts.values()
			for _, p := range pv {
				part, ok := p.document()
				if !ok {
					continue
				}
				switch t, _ := part.lookup("type").str(); t {
				case "text":
					if s, ok := part.lookup("text").str(); ok {
						text = append(text, s)
					}
				case "image_url":
					u.HistoryImages++
					text = append(text, "[an image, not kept]")
				}
			}
		}
		joined := strings.TrimSpace(strings.Join(text, "\n"))
		if joined == "" {
			u.HistoryDropped++
			continue
		}
		u.History = append(u.History, Message{Role: role, Text: joined})
	}
}

// file reads user_files, written by the old code interpreter.
func (d *Dump) file(u *User, n int, raw bsonDoc, loc *time.Location) {
	id, _ := raw.lookup("file_id").str()
	name, _ := raw.lookup("filename").str()
	p, _ := raw.lookup("file_path").str()
	// Only the last element of the recorded path is used, so a forged
	// path cannot reach outside the folder the owner names.
	base := path.Base(strings.ReplaceAll(p, "\\", "/"))
	if id == "" || base == "." || base == "/" || base == ".." || strings.HasPrefix(base, ".") {
		d.Problems = append(d.Problems, fmt.Sprintf("user_files document %d: no file_id or file_path; skipped", n))
		return
	}
	f := File{OldID: id, Name: name, Base: base, Size: count(raw.lookup("file_size"))}
	f.Uploaded, _ = when(raw.lookup("uploaded_at"), loc)
	f.Expires, _ = when(raw.lookup("expires_at"), loc)
	if f.Name == "" {
		f.Name = base
	}
	u.Files = append(u.Files, f)
}

// snowflake reads a user ID stored as a number (Python int) or a string.
func snowflake(v bsonValue) (string, bool) {
	var s string
	switch v.Type {
	case bsonInt64, bsonInt32:
		n, _ := v.asInt64()
		s = strconv.FormatInt(n, 10)
	case bsonDouble:
		f := v.float()
		if f != math.Trunc(f) || f <= 0 || f > 1<<62 {
			return "", false
		}
		s = strconv.FormatInt(int64(f), 10)
	case bsonString:
		str, _ := v.str()
		s = strings.TrimSpace(str)
	default:
		return "", false
	}
	if len(s) < 15 || len(s) > 20 {
		return "", false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return s, true
}

// count reads a token or request count; anything else is 0.
func count(v bsonValue) int64 {
	if n, ok := v.asInt64(); ok && n > 0 {
		return n
	}
	if f, ok := v.asFloat64(); ok && f > 0 && f < 1e15 {
		return int64(f)
	}
	return 0
}

// money reads a cost in dollars; negative, NaN or absurd values are 0.
func money(v bsonValue) float64 {
	f, ok := v.asFloat64()
	if !ok || math.IsNaN(f) || f <= 0 || f > 1e6 {
		return 0
	}
	return f
}

// isoLayouts are what Python's isoformat() writes, naive and aware.
var isoLayouts = []string{"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"}

// when reads a BSON date (UTC) or an ISO string (naive ones in loc).
func when(v bsonValue, loc *time.Location) (time.Time, bool) {
	if t, ok := v.time(); ok {
		return t, true
	}
	if str, ok := v.str(); ok {
		s := strings.TrimSpace(str)
		for _, l := range isoLayouts {
			if t, err := time.ParseInLocation(l, s, loc); err == nil {
				return t.UTC(), true
			}
		}
	}
	return time.Time{}, false
}

// docID is the document's _id as text, or its position.
func docID(raw bsonDoc, n int) string {
	if oid, ok := raw.lookup("_id").objectIDHex(); ok {
		return oid
	}
	return "n" + strconv.Itoa(n)
}

// unescapeModel undoes the old bot's escaping of model names used as
// field names.
func unescapeModel(s string) string {
	return strings.NewReplacer("_DOT_", ".", "_SLASH_", "/", "_DOLLAR_", "$").Replace(s)
}
