// Package oldbot reads a mongodump of the Python ChatGPT Discord bot that
// discordgpt replaces (database chatgpt_discord_bot) into plain records,
// one per user, for the import. It only reads: mapping the records onto
// discordgpt's store is the caller's job.
//
// The collections' shapes were learned from the old bot's source
// (Coder-Vippro/ChatGPT-Discord-Bot: src/database/db_handler.py,
// src/utils/code_interpreter.py, src/utils/reminder_utils.py), as stored
// by the search tool on 2026-11-26.
package oldbot

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DBName is the old bot's database name; mongodump writes its collections
// into a folder of that name.
const DBName = "chatgpt_discord_bot"

// maxDoc bounds one BSON document: MongoDB's own limit is 16 MiB.
const maxDoc = 16 << 20

// Collections the import knows, in the order they are read.
var Collections = []string{"user_histories", "user_models", "user_preferences", "whitelist", "blacklist",
	"user_token_stats", "token_usage", "user_files", "reminders"}

// ErrNoDump means the folder holds none of the old bot's collections.
var ErrNoDump = errors.New("no mongodump of the old bot found")

// findDBDir returns the folder holding the collections: dir itself or its
// chatgpt_discord_bot subfolder (mongodump's own layout).
func findDBDir(dir string) (string, error) {
	for _, d := range []string{filepath.Join(dir, DBName), dir} {
		for _, c := range Collections {
			if _, err := collectionFile(d, c); err == nil {
				return d, nil
			}
		}
	}
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("read dump: %w", err)
	}
	return "", fmt.Errorf("%w in %s: expected %s/user_histories.bson (or .bson.gz) and the other collections, as `mongodump --db %s --out DIR` writes them",
		ErrNoDump, dir, DBName, DBName)
}

// collectionFile finds a collection's .bson or .bson.gz file.
func collectionFile(dir, name string) (string, error) {
	for _, p := range []string{filepath.Join(dir, name+".bson"), filepath.Join(dir, name+".bson.gz")} {
		st, err := os.Stat(p)
		if err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", os.ErrNotExist
}

// readDocs calls fn with every document of a collection file, in order.
// A damaged file stops at the first bad document with an error that says
// how many were read; what fn saw before stays.
func readDocs(path string, fn func(doc []byte) error) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReader(f)
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return 0, fmt.Errorf("%s: not gzip: %w", filepath.Base(path), err)
		}
		defer gz.Close()
		r = gz
	}
	n := 0
	var head [4]byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, fmt.Errorf("%s: damaged after %d documents: %w", filepath.Base(path), n, err)
		}
		size := int(binary.LittleEndian.Uint32(head[:]))
		if size < 5 || size > maxDoc {
			return n, fmt.Errorf("%s: damaged after %d documents: a document of %d bytes", filepath.Base(path), n, size)
		}
		doc := make([]byte, size)
		copy(doc, head[:])
		if _, err := io.ReadFull(r, doc[4:]); err != nil {
			return n, fmt.Errorf("%s: damaged after %d documents: %w", filepath.Base(path), n, err)
		}
		if err := fn(doc); err != nil {
			return n, fmt.Errorf("%s: document %d: %w", filepath.Base(path), n+1, err)
		}
		n++
	}
}

// sortedUsers lists the dump's users in ID order, for stable output.
func (d *Dump) sortedUsers() []*User {
	out := make([]*User, 0, len(d.Users))
	for _, u := range d.Users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].ID) != len(out[j].ID) {
			return len(out[i].ID) < len(out[j].ID)
		}
		return out[i].ID < out[j].ID
	})
	return out
}
