package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketImported is the sub-bucket of a user's bucket that remembers what
// an import brought in, so a second run adds nothing. It lives in the
// user's bucket, so /reset removes it with the rest.
var bucketImported = []byte("imported")

// Import markers in bucketImported.
const (
	importedHistory = "history"
	importedStats   = "stats"
	importedLedger  = "ledger"
	importedFile    = "file/"     // + the old file ID; value: the new ID
	importedRem     = "reminder/" // + the old reminder's ID
)

// ImportedSpend is what one old call cost, for the ledger.
type ImportedSpend struct {
	Day, Month, Model string
	CostUSD           float64
}

// UserImport is one user's data brought in from the old bot.
type UserImport struct {
	UserID string
	// History is appended only when the user has no history here yet, so
	// an old conversation never lands after a newer one.
	History []Message
	Stats   []Usage
	Spend   []ImportedSpend
	// Files have their bytes on disk already; OldIDs[i] names Files[i] in
	// the old bot.
	Files    []FileMeta
	OldIDs   []string
	MaxFiles int
	// Reminders and RemOldIDs likewise.
	Reminders []Reminder
	RemOldIDs []string
	// Model is set as the user's choice when they have none.
	Model string
	// Blacklisted adds the user to the blacklist.
	Blacklisted bool
	At          time.Time
}

// ImportResult says what an import added; Skipped* count what it left out.
type ImportResult struct {
	// Spend counts the days of spending added to the ledger.
	Messages, Stats, Spend, Files, Reminders int
	Model, Banned                            bool
	// HistoryKept means the user already had a conversation here, so the
	// old one was left out.
	HistoryKept bool
	// FilesOverLimit counts files left out for MAX_FILES_PER_USER.
	FilesOverLimit int
	// Unstored are files (by index in UserImport.Files) imported before
	// or over the limit: the caller removes their copies.
	Unstored []int
}

// ImportedFiles returns the old file IDs an earlier import brought in
// for the user, so their bytes are not copied again.
func (db *DB) ImportedFiles(userID string) (map[string]bool, error) {
	out := map[string]bool{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		ub, err := userBucket(tx, userID, false)
		if err != nil || ub == nil {
			return err
		}
		b := ub.Bucket(bucketImported)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		p := []byte(importedFile)
		for k, _ := c.Seek(p); k != nil && len(k) > len(p) && string(k[:len(p)]) == importedFile; k, _ = c.Next() {
			out[string(k[len(p):])] = true
		}
		return nil
	})
	return out, err
}

// ImportUser stores one user's imported data in one transaction. Each
// part is added once: what an earlier run added is skipped.
func (db *DB) ImportUser(in UserImport) (ImportResult, error) {
	var res ImportResult
	key, err := userKey(in.UserID)
	if err != nil {
		return res, err
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		res = ImportResult{}
		ub, err := userBucket(tx, in.UserID, true)
		if err != nil {
			return err
		}
		mark, err := ub.CreateBucketIfNotExists(bucketImported)
		if err != nil {
			return err
		}
		once := func(name string, do func() error) error {
			if mark.Get([]byte(name)) != nil {
				return nil
			}
			if err := do(); err != nil {
				return err
			}
			return mark.Put([]byte(name), []byte(in.At.UTC().Format(time.RFC3339)))
		}
		if len(in.History) > 0 {
			err := once(importedHistory, func() error {
				h := ub.Bucket(bucketHistory)
				if k, _ := h.Cursor().First(); k != nil {
					res.HistoryKept = true
					return nil
				}
				msgs := append([]Message(nil), in.History...)
				res.Messages = len(msgs)
				return appendMessages(tx, in.UserID, msgs)
			})
			if err != nil {
				return err
			}
		}
		if len(in.Stats) > 0 {
			err := once(importedStats, func() error {
				for _, u := range in.Stats {
					if err := addUsage(tx, in.UserID, u); err != nil {
						return err
					}
				}
				res.Stats = len(in.Stats)
				return nil
			})
			if err != nil {
				return err
			}
		}
		if len(in.Spend) > 0 {
			err := once(importedLedger, func() error {
				for _, s := range in.Spend {
					if err := addSpend(tx, in.UserID, s.Day, s.Month, s.CostUSD); err != nil {
						return err
					}
					if err := addDaily(tx, in.UserID, s.Day, s.Model, s.CostUSD, true); err != nil {
						return err
					}
				}
				days := map[string]bool{}
				for _, s := range in.Spend {
					days[s.Day] = true
				}
				res.Spend = len(days)
				return nil
			})
			if err != nil {
				return err
			}
		}
		if err := importFiles(ub, mark, in, &res); err != nil {
			return err
		}
		if err := importReminders(ub, mark, in, &res); err != nil {
			return err
		}
		if in.Model != "" {
			sb := tx.Bucket(bucketSettings)
			var s Settings
			if v := sb.Get(key); v != nil {
				if err := json.Unmarshal(v, &s); err != nil {
					return fmt.Errorf("decode settings: %w", err)
				}
			}
			if s.Model == "" {
				s.Model, res.Model = in.Model, true
				v, err := json.Marshal(s)
				if err != nil {
					return err
				}
				if err := sb.Put(key, v); err != nil {
					return err
				}
			}
		}
		if in.Blacklisted {
			bl := tx.Bucket(bucketBlacklist)
			if bl.Get(key) == nil {
				v, err := json.Marshal(Ban{UserID: in.UserID, By: "import", At: in.At.UTC()})
				if err != nil {
					return err
				}
				if err := bl.Put(key, v); err != nil {
					return err
				}
				res.Banned = true
			}
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("import user: %w", err)
	}
	return res, nil
}

// importFiles adds the files not imported before, newest first, while the
// user has room under MaxFiles.
func importFiles(ub, mark *bolt.Bucket, in UserImport, res *ImportResult) error {
	if len(in.Files) == 0 {
		return nil
	}
	b := ub.Bucket(bucketFiles)
	have := countKeys(b)
	order := make([]int, len(in.Files))
	for i := range order {
		order[i] = i
	}
	// Newest first, so the limit keeps the newest.
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && in.Files[order[j]].UploadedAt.After(in.Files[order[j-1]].UploadedAt); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	for _, i := range order {
		f := in.Files[i]
		mk := []byte(importedFile + in.OldIDs[i])
		if mark.Get(mk) != nil {
			res.Unstored = append(res.Unstored, i)
			continue
		}
		if in.MaxFiles > 0 && have >= in.MaxFiles {
			res.FilesOverLimit++
			res.Unstored = append(res.Unstored, i)
			continue
		}
		v, err := json.Marshal(f)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(f.ID), v); err != nil {
			return err
		}
		if err := mark.Put(mk, []byte(f.ID)); err != nil {
			return err
		}
		have++
		res.Files++
	}
	return nil
}

// importReminders adds the reminders not imported before.
func importReminders(ub, mark *bolt.Bucket, in UserImport, res *ImportResult) error {
	if len(in.Reminders) == 0 {
		return nil
	}
	b, err := ub.CreateBucketIfNotExists(bucketReminders)
	if err != nil {
		return err
	}
	for i, r := range in.Reminders {
		mk := []byte(importedRem + in.RemOldIDs[i])
		if mark.Get(mk) != nil {
			continue
		}
		if r.ID, err = b.NextSequence(); err != nil {
			return err
		}
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if err := b.Put(reminderKey(r.ID), v); err != nil {
			return err
		}
		if err := mark.Put(mk, []byte{1}); err != nil {
			return err
		}
		res.Reminders++
	}
	return nil
}
