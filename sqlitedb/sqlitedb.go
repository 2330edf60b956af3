// Package sqlitedb opens the SQLite databases of cunyou's nodes the one way
// they all need: WAL mode with durable commits, one writer connection, a
// pool of read-only connections, a background checkpointer, and numbered
// embedded migrations applied in one transaction after a copy of the old
// database is kept aside. The edge's and the hub's stores build on it; it
// knows nothing of their schemas.
package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the one SQLite driver: pure Go
)

// Options configure Open.
type Options struct {
	// BusyTimeout is how long a statement waits for another process's
	// lock (a CLI command run beside the server); 5 s when 0.
	BusyTimeout time.Duration
	// Synchronous is SQLite's synchronous setting: "FULL" (default, an
	// fsync on every commit, so an acknowledged write survives a power
	// cut) or "NORMAL".
	Synchronous string
	// Readers is the size of the read pool; 4 when 0.
	Readers int
	// WriterCacheKiB is the writer's page cache; SQLite's default (2 MiB)
	// when 0.
	WriterCacheKiB int
	// Now is the wall clock, for the names of pre-migration copies;
	// time.Now when nil.
	Now func() time.Time
}

func (o *Options) defaults() error {
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.Readers <= 0 {
		o.Readers = 4
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Synchronous = strings.ToUpper(o.Synchronous)
	if o.Synchronous == "" {
		o.Synchronous = "FULL"
	}
	if o.Synchronous != "FULL" && o.Synchronous != "NORMAL" {
		return fmt.Errorf("synchronous must be FULL or NORMAL, not %q", o.Synchronous)
	}
	return nil
}

// DB is an open database.
type DB struct {
	// Path is the database file's path.
	Path string
	// W is the one writer connection. Writes are serialized by the
	// caller; every transaction on it is BEGIN IMMEDIATE.
	W *sql.DB
	// R is the pool of read-only connections.
	R *sql.DB
	// BackupPath is the copy taken before Open migrated an existing
	// database, or "" when none was needed.
	BackupPath string

	ck     *sql.DB // the background checkpointer's connection
	stop   context.CancelFunc
	done   chan struct{}
	now    func() time.Time
	closed bool
}

// DSN returns the driver's data source name for the database at path with
// the pragmas of o (which must have passed Open's checks), for the writer
// or, when readOnly, for a reader.
func DSN(path string, o Options, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+o.Synchronous+")")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
		// No checkpoint inside a commit: the background checkpointer
		// does it (see checkpointLoop).
		q.Add("_pragma", "wal_autocheckpoint(0)")
		if o.WriterCacheKiB > 0 {
			q.Add("_pragma", "cache_size(-"+strconv.Itoa(o.WriterCacheKiB)+")")
		}
	}
	return "file:" + uriPath(path) + "?" + q.Encode()
}

// uriPath writes a file path as the path of an SQLite URI: characters that
// URIs give a meaning are escaped, and a Windows path becomes /C:/dir/f.db.
func uriPath(path string) string {
	p := filepath.ToSlash(path)
	if vol := filepath.VolumeName(path); vol != "" && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(p)
}

// Open opens or creates the database at path and migrates it to the schema
// of migrations (see Migrations); an existing database is copied aside
// (BackupPath) before it is migrated.
func Open(ctx context.Context, path string, migrations fs.FS, o Options) (*DB, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	ms, err := Migrations(migrations)
	if err != nil {
		return nil, err
	}
	w, err := sql.Open("sqlite", DSN(path, o, false))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	db := &DB{Path: path, W: w, now: o.Now}
	if err := db.MigrateTo(ctx, ms); err != nil {
		w.Close()
		return nil, err
	}
	if db.R, err = sql.Open("sqlite", DSN(path, o, true)); err != nil {
		w.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.R.SetMaxOpenConns(o.Readers)
	db.R.SetMaxIdleConns(o.Readers)
	if db.ck, err = sql.Open("sqlite", DSN(path, o, false)); err != nil {
		db.R.Close()
		w.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.ck.SetMaxOpenConns(1)
	ckCtx, stop := context.WithCancel(context.Background())
	db.stop = stop
	db.done = make(chan struct{})
	go db.checkpointLoop(ckCtx)
	return db, nil
}

// Close stops the checkpointer, folds the WAL into the database and closes
// every connection. Closing twice is harmless.
func (db *DB) Close() error {
	if db.closed {
		return nil
	}
	db.closed = true
	db.stop()
	<-db.done
	_, ckErr := db.ck.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return errors.Join(Classify(ckErr), db.ck.Close(), db.R.Close(), db.W.Close())
}

// Checkpointing: SQLite's automatic checkpoint runs inside the commit that
// crosses its threshold, so every ~70th write would pay several
// milliseconds of copying and fsync. Instead a connection of its own copies
// the WAL into the database in the background; a WAL that still grows past
// walLimitFrames (writes without a pause) is reset with a RESTART
// checkpoint, which waits for the writer only briefly.
const (
	checkpointEvery = 250 * time.Millisecond
	walLimitFrames  = 16384 // about 64 MB of 4 KiB pages
)

func (db *DB) checkpointLoop(ctx context.Context) {
	defer close(db.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var busy, frames, done int
		if err := db.ck.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &done); err != nil {
			continue // busy or shutting down: the next tick tries again
		}
		if frames > walLimitFrames {
			db.ck.ExecContext(ctx, "PRAGMA wal_checkpoint(RESTART)")
		}
	}
}

// Migration is one numbered schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations reads the migrations at the root of fsys: files named
// NNNN_what.sql, numbered 1..n without gaps.
func Migrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %q has no number", e.Name())
		}
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations must be numbered 1..n, found %s", m.Name)
		}
	}
	if len(ms) == 0 {
		return nil, errors.New("no migrations")
	}
	return ms, nil
}

// SchemaVersion is the schema version that migrations lead to. A broken
// set panics: migrations are embedded at build time.
func SchemaVersion(migrations fs.FS) int {
	ms, err := Migrations(migrations)
	if err != nil {
		panic(err)
	}
	return len(ms)
}

// MigrateTo applies the migrations the database lacks in one transaction,
// after copying an existing database aside. A database newer than ms is
// refused with ErrNewerSchema.
func (db *DB) MigrateTo(ctx context.Context, ms []Migration) error {
	var cur int
	if err := db.W.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
		return fmt.Errorf("read schema version: %w", Classify(err))
	}
	if cur > len(ms) {
		return fmt.Errorf("%w: database at %d, program knows %d", ErrNewerSchema, cur, len(ms))
	}
	if cur == len(ms) {
		return nil
	}
	if cur > 0 {
		backup := fmt.Sprintf("%s.v%d-%s.bak", db.Path, cur, db.now().UTC().Format("20060102T150405"))
		if _, err := db.W.ExecContext(ctx, "VACUUM INTO ?", backup); err != nil {
			return fmt.Errorf("back up before migrating: %w", Classify(err))
		}
		db.BackupPath = backup
	}
	tx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", Classify(err))
	}
	defer tx.Rollback()
	for _, m := range ms[cur:] {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("apply migration %s: %w", m.Name, Classify(err))
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(ms))); err != nil {
		return fmt.Errorf("record schema version: %w", Classify(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration: %w", Classify(err))
	}
	return nil
}
