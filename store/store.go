// Package store keeps all of discordgpt's data in one bbolt file: per-user
// history, statistics and file metadata, per-user settings, and bot-wide
// metadata. Every exported method runs in its own transaction; lowercase
// helpers take the transaction they work in.
package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout version this code writes. Open refuses a
// database written by a newer version and migrates older ones.
const SchemaVersion = 1

// FileName is the name of the database file inside the data directory.
const FileName = "discordgpt.db"

// Sentinel errors returned by the store. Callers compare with errors.Is.
var (
	// ErrLocked means another process holds the database open.
	ErrLocked = errors.New("database is locked by another process")
	// ErrNotFound means the requested record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrNewerSchema means the file was written by a newer discordgpt.
	ErrNewerSchema = errors.New("database was written by a newer discordgpt")
	// ErrBadUserID means a user ID is not a Discord snowflake.
	ErrBadUserID = errors.New("invalid user id")
)

// Top-level buckets, all created at Open.
var (
	bucketMeta     = []byte("meta")
	bucketUsers    = []byte("users")
	bucketSettings = []byte("settings")
	// bucketSpend is the owner's ledger of spending per user per day and
	// month, and in all per month. /reset leaves it, or a reset would lift
	// a budget.
	bucketSpend = []byte("spend")
	// bucketBlacklist holds blocked users; /reset leaves it, or a reset
	// would lift a ban.
	bucketBlacklist = []byte("blacklist")

	allBuckets = [][]byte{bucketMeta, bucketUsers, bucketSettings, bucketSpend, bucketBlacklist, bucketModels, bucketInflight, bucketThreads, bucketPersonas}
)

// Sub-buckets of one user's bucket under bucketUsers. Deleting the user's
// bucket removes all of them at once.
var (
	bucketHistory = []byte("history")
	bucketStats   = []byte("stats")
	bucketFiles   = []byte("files")

	userBuckets = [][]byte{bucketHistory, bucketStats, bucketFiles}
)

// Keys in bucketMeta.
var (
	keySchema       = []byte("schema_version")
	keyCommandsHash = []byte("commands_hash")
	// keyCommandsScope is where the commands were registered last.
	keyCommandsScope = []byte("commands_scope")
)

// batchDelay is how long a write of an answer (RecordExchange,
// RecordUsage, the in-flight records) waits for others to share its
// commit.
const batchDelay = 2 * time.Millisecond

// Options tune Open.
type Options struct {
	// LockTimeout is how long Open waits for another process to release the
	// file before it returns ErrLocked. Zero means 5 seconds.
	LockTimeout time.Duration
	// ReadOnly opens the file without creating or changing anything.
	ReadOnly bool
	// MaxSize, if set, caps the data in the file at about this many bytes
	// (bbolt's MaxSize): a write that needs more fails, as on a full disk.
	MaxSize int
}

// DB is the open database.
type DB struct {
	bolt *bolt.DB
	path string
}

// Open opens (creating if needed) the database at path with mode 0600, makes
// sure every bucket exists and checks the schema version.
func Open(path string, opts Options) (*DB, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 5 * time.Second
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
	} else if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  opts.LockTimeout,
		ReadOnly: opts.ReadOnly,
		// Mapping room up front means a long read (a backup) rarely holds up
		// a writer that needs the file remapped.
		InitialMmapSize: 64 << 20,
		MaxSize:         opts.MaxSize,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, ErrLocked
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// Answers finishing together share a commit, so a busy bot syncs the
	// disk once for many (an SD card's sync takes milliseconds); a lone
	// write waits at most batchDelay for company.
	bdb.MaxBatchDelay = batchDelay
	db := &DB{bolt: bdb, path: path}
	if opts.ReadOnly {
		err = bdb.View(checkSchema)
	} else {
		err = bdb.Update(initSchema)
	}
	if err != nil {
		_ = bdb.Close()
		return nil, err
	}
	return db, nil
}

// initSchema creates every bucket and records or checks the schema version.
func initSchema(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	v := meta.Get(keySchema)
	if v == nil {
		return meta.Put(keySchema, []byte(strconv.Itoa(SchemaVersion)))
	}
	return checkSchema(tx)
}

func checkSchema(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return fmt.Errorf("open database: %w", ErrNotFound)
	}
	n, err := strconv.Atoi(string(meta.Get(keySchema)))
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if n > SchemaVersion {
		return fmt.Errorf("schema %d, this binary knows %d: %w", n, SchemaVersion, ErrNewerSchema)
	}
	// Migrations from older versions go here, keyed on n.
	return nil
}

// Path is the file the database lives in.
func (db *DB) Path() string { return db.path }

// Close closes the database file and releases the lock.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// Check runs bbolt's consistency check over the whole file and returns the
// first problem it finds.
func (db *DB) Check() error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return fmt.Errorf("consistency check: %w", err)
		}
		return nil
	})
}

// userKey validates a Discord user ID and returns it as a bucket key.
func userKey(userID string) ([]byte, error) {
	if userID == "" || len(userID) > 20 {
		return nil, fmt.Errorf("%q: %w", userID, ErrBadUserID)
	}
	for _, c := range userID {
		if c < '0' || c > '9' {
			return nil, fmt.Errorf("%q: %w", userID, ErrBadUserID)
		}
	}
	return []byte(userID), nil
}

// userBucket returns the user's bucket and its sub-buckets, creating them
// when create is set. Without create it returns nil for a user with no data.
func userBucket(tx *bolt.Tx, userID string, create bool) (*bolt.Bucket, error) {
	key, err := userKey(userID)
	if err != nil {
		return nil, err
	}
	users := tx.Bucket(bucketUsers)
	if b := users.Bucket(key); b != nil || !create {
		return b, nil
	}
	b, err := users.CreateBucket(key)
	if err != nil {
		return nil, fmt.Errorf("create user bucket: %w", err)
	}
	for _, name := range userBuckets {
		if _, err := b.CreateBucket(name); err != nil {
			return nil, fmt.Errorf("create user bucket %s: %w", name, err)
		}
	}
	return b, nil
}
