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
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the one SQLite driver: pure Go

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
	w    *sql.DB // the one writer connection
	r    *sql.DB // read-only connections
	ck   *sql.DB // the background checkpointer's connection

	stopCk context.CancelFunc
	ckDone chan struct{}
	now    func() time.Time
	// BackupPath is the copy taken before this Open migrated an existing
	// database, or "" when none was needed.
	BackupPath string

	mu    sync.Mutex // serializes writers in this process
	blobs blobLocks
}

func dsn(path string, o Options, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+o.Synchronous+")")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
		// No checkpoint inside a merge's commit: the background
		// checkpointer does it.
		q.Add("_pragma", "wal_autocheckpoint(0)")
		// The writer touches parcels all over the index: keep 64 MiB of
		// pages rather than SQLite's 2 MiB.
		q.Add("_pragma", "cache_size(-65536)")
	}
	return "file:" + uriPath(path) + "?" + q.Encode()
}

// uriPath writes a file path as the path of an SQLite URI.
func uriPath(path string) string {
	p := filepath.ToSlash(path)
	if vol := filepath.VolumeName(path); vol != "" && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(p)
}

// Open opens or creates the hub database in dir (DBName, and blobs/ for
// the blob files), migrating it to the current schema; an existing
// database is copied aside before it is migrated.
func Open(ctx context.Context, dir string, o Options) (*Store, error) {
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Readers <= 0 {
		o.Readers = 8
	}
	o.Synchronous = strings.ToUpper(o.Synchronous)
	if o.Synchronous == "" {
		o.Synchronous = "FULL"
	}
	if o.Synchronous != "FULL" && o.Synchronous != "NORMAL" {
		return nil, fmt.Errorf("store: synchronous must be FULL or NORMAL, not %q", o.Synchronous)
	}
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	p := filepath.Join(dir, DBName)
	w, err := sql.Open("sqlite", dsn(p, o, false))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	s := &Store{dir: dir, path: p, w: w, now: o.Now}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if s.r, err = sql.Open("sqlite", dsn(p, o, true)); err != nil {
		w.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	s.r.SetMaxOpenConns(o.Readers)
	s.r.SetMaxIdleConns(o.Readers)
	if s.ck, err = sql.Open("sqlite", dsn(p, o, false)); err != nil {
		s.r.Close()
		w.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	s.ck.SetMaxOpenConns(1)
	ckCtx, stop := context.WithCancel(context.Background())
	s.stopCk = stop
	s.ckDone = make(chan struct{})
	go s.checkpointLoop(ckCtx)
	return s, nil
}

// Close stops the checkpointer, folds the WAL into the database and closes
// it. Closing twice is harmless.
func (s *Store) Close() error {
	if s.stopCk == nil {
		return nil
	}
	s.stopCk()
	<-s.ckDone
	s.stopCk = nil
	_, ckErr := s.ck.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return errors.Join(classify(ckErr), s.ck.Close(), s.r.Close(), s.w.Close())
}

// Checkpointing: SQLite's automatic checkpoint would run inside the commit
// that crosses its threshold and stall that merge; a connection of its own
// copies the WAL into the database in the background instead, and resets a
// WAL that still grows past walLimitFrames.
const (
	checkpointEvery = 250 * time.Millisecond
	walLimitFrames  = 16384 // about 64 MB of 4 KiB pages
)

func (s *Store) checkpointLoop(ctx context.Context) {
	defer close(s.ckDone)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var busy, frames, done int
		if err := s.ck.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &done); err != nil {
			continue // busy or shutting down: the next tick tries again
		}
		if frames > walLimitFrames {
			s.ck.ExecContext(ctx, "PRAGMA wal_checkpoint(RESTART)")
		}
	}
}

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

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration %q has no number", e.Name())
		}
		body, err := migrationFS.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migrations must be numbered 1..n, found %s", m.name)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema this build migrates to.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		panic(err) // embedded at build time: a broken set is a build bug
	}
	return len(ms)
}

func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	return s.migrateTo(ctx, ms)
}

func (s *Store) migrateTo(ctx context.Context, ms []migration) error {
	var cur int
	if err := s.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
		return fmt.Errorf("read schema version: %w", classify(err))
	}
	if cur > len(ms) {
		return fmt.Errorf("%w: database at %d, program knows %d", ErrNewerSchema, cur, len(ms))
	}
	if cur == len(ms) {
		return nil
	}
	if cur > 0 {
		backup := fmt.Sprintf("%s.v%d-%s.bak", s.path, cur, s.now().UTC().Format("20060102T150405"))
		if _, err := s.w.ExecContext(ctx, "VACUUM INTO ?", backup); err != nil {
			return fmt.Errorf("back up before migrating: %w", classify(err))
		}
		s.BackupPath = backup
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", classify(err))
	}
	defer tx.Rollback()
	for _, m := range ms[cur:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("apply migration %s: %w", m.name, classify(err))
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(ms))); err != nil {
		return fmt.Errorf("record schema version: %w", classify(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration: %w", classify(err))
	}
	return nil
}
