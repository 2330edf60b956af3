// Package store is the county hub's database: SQLite in WAL mode with
// durable commits, one writer connection and a pool of readers, numbered
// embedded migrations, and the blob files beside it. It holds the nodes and
// their credentials, the ops received and their cursors, the tracking
// projection, the downstream changes and the blobs. The merge of ops lives
// in package merge, which writes through Write.
package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"cunyou/sqlitedb"
	"cunyou/syncproto"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DBName is the database file's name in the data folder.
const DBName = "hub.db"

// Options configure Open.
type Options struct {
	// BusyTimeout is how long a write waits for another process's lock
	// (a CLI command run beside the server).
	BusyTimeout time.Duration
	// Synchronous is SQLite's synchronous setting: "FULL" (default, an
	// fsync on every commit, so an acknowledged op survives a power cut)
	// or "NORMAL".
	Synchronous string
	// Readers is the size of the read pool; 8 when 0.
	Readers int
	// Now is the wall clock; time.Now when nil.
	Now func() time.Time
}

// Store is an open hub database.
type Store struct {
	dir  string
	path string
	db   *sqlitedb.DB
	w    *sql.DB // the one writer connection
	r    *sql.DB // read-only connections
	now  func() time.Time
	// BackupPath is the copy taken before this Open migrated an existing
	// database, or "" when none was needed.
	BackupPath string

	mu    sync.Mutex // serializes writers in this process
	blobs blobLocks
}

// Open opens or creates the hub database in dir (DBName, and blobs/ for
// the blob files), migrating it to the current schema; an existing
// database is copied aside before it is migrated.
func Open(ctx context.Context, dir string, o Options) (*Store, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Readers <= 0 {
		o.Readers = 8
	}
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	p := filepath.Join(dir, DBName)
	db, err := sqlitedb.Open(ctx, p, migrationsFS(), sqlitedb.Options{
		BusyTimeout: o.BusyTimeout, Synchronous: o.Synchronous, Readers: o.Readers, Now: o.Now,
		// The writer touches parcels all over the index: keep 64 MiB of
		// pages rather than SQLite's 2 MiB.
		WriterCacheKiB: 64 << 10,
	})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &Store{dir: dir, path: p, db: db, w: db.W, r: db.R, now: o.Now, BackupPath: db.BackupPath}, nil
}

// Close stops the checkpointer, folds the WAL into the database and closes
// it. Closing twice is harmless.
func (s *Store) Close() error { return s.db.Close() }

// Dir returns the data folder.
func (s *Store) Dir() string { return s.dir }

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Now returns the store's wall clock reading.
func (s *Store) Now() time.Time { return s.now() }

// DB returns the read-only connection pool for queries.
func (s *Store) DB() *sql.DB { return s.r }

// Prepare prepares a statement on the writer connection, for use in Write
// with tx.StmtContext: a merge runs the same few statements thousands of
// times a second.
func (s *Store) Prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	st, err := s.w.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", classify(err))
	}
	return st, nil
}

// Write runs fn in one write transaction (BEGIN IMMEDIATE) and commits it
// durably. If fn fails or panics nothing is written.
func (s *Store) Write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", classify(err))
	}
	committed := false
	defer func() {
		if !committed {
			tx.Rollback() // also when fn panics: the one writer must not stay in a transaction
		}
	}()
	if err := fn(tx); err != nil {
		return classify(err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", classify(err))
	}
	committed = true
	return nil
}

// HLC returns the persisted high-water mark of the hub's clock.
func (s *Store) HLC(ctx context.Context) (syncproto.Timestamp, error) {
	var hwm int64
	if err := s.r.QueryRowContext(ctx, "SELECT hlc_hwm FROM hub WHERE id = 1").Scan(&hwm); err != nil {
		return 0, fmt.Errorf("read clock: %w", classify(err))
	}
	return syncproto.Timestamp(hwm), nil
}

func migrationsFS() fs.FS {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		panic(err) // embedded at build time
	}
	return sub
}

// SchemaVersion is the schema this build migrates to.
func SchemaVersion() int { return sqlitedb.SchemaVersion(migrationsFS()) }
