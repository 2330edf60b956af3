package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func schema(files ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for i := 0; i+1 < len(files); i += 2 {
		m[files[i]] = &fstest.MapFile{Data: []byte(files[i+1])}
	}
	return m
}

var v1 = schema("0001_init.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);")

func TestOpenPragmasAndPools(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := Open(ctx, path, v1, Options{WriterCacheKiB: 1024})
	require.NoError(t, err)
	var mode string
	var sync, version, cache int
	require.NoError(t, db.W.QueryRow("PRAGMA journal_mode").Scan(&mode))
	require.NoError(t, db.W.QueryRow("PRAGMA synchronous").Scan(&sync))
	require.NoError(t, db.W.QueryRow("PRAGMA user_version").Scan(&version))
	require.NoError(t, db.W.QueryRow("PRAGMA cache_size").Scan(&cache))
	assert.Equal(t, "wal", mode)
	assert.Equal(t, 2, sync, "FULL by default")
	assert.Equal(t, 1, version)
	assert.Equal(t, -1024, cache)
	_, err = db.W.Exec("INSERT INTO t (v) VALUES ('a')")
	require.NoError(t, err)
	_, err = db.R.Exec("INSERT INTO t (v) VALUES ('b')")
	assert.Error(t, err, "the read pool is read-only")
	var n int
	require.NoError(t, db.R.QueryRow("SELECT count(*) FROM t").Scan(&n))
	assert.Equal(t, 1, n)
	assert.Empty(t, db.BackupPath, "a new database needs no copy")
	require.NoError(t, db.Close())
	require.NoError(t, db.Close(), "closing twice is harmless")
	if fi, err := os.Stat(path + "-wal"); err == nil {
		assert.Zero(t, fi.Size(), "Close folds the WAL into the database")
	}

	_, err = Open(ctx, path, v1, Options{Synchronous: "OFF"})
	assert.ErrorContains(t, err, "FULL or NORMAL")
	db, err = Open(ctx, path, v1, Options{Synchronous: "normal"})
	require.NoError(t, err)
	require.NoError(t, db.W.QueryRow("PRAGMA synchronous").Scan(&sync))
	assert.Equal(t, 1, sync)
	require.NoError(t, db.Close())
}

func TestMigrations(t *testing.T) {
	ms, err := Migrations(schema("0002_b.sql", "B", "0001_a.sql", "A", "README", "not sql"))
	require.NoError(t, err)
	require.Len(t, ms, 2)
	assert.Equal(t, Migration{Version: 1, Name: "0001_a.sql", SQL: "A"}, ms[0])
	assert.Equal(t, 2, SchemaVersion(schema("0002_b.sql", "B", "0001_a.sql", "A")))

	for name, fsys := range map[string]fstest.MapFS{
		"gap":       schema("0001_a.sql", "A", "0003_c.sql", "C"),
		"no number": schema("0001_a.sql", "A", "init.sql", "B"),
		"empty":     schema(),
	} {
		_, err := Migrations(fsys)
		assert.Error(t, err, name)
	}
	assert.Panics(t, func() { SchemaVersion(schema()) })
}

func TestMigrateKeepsACopyAndIsAtomic(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	clock := func() time.Time { return time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC) }
	db, err := Open(ctx, path, v1, Options{Now: clock})
	require.NoError(t, err)
	_, err = db.W.Exec("INSERT INTO t (v) VALUES ('kept')")
	require.NoError(t, err)
	require.NoError(t, db.Close())

	// A newer build adds a migration: the old database is copied aside
	// first, then migrated.
	v2 := schema("0001_init.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);",
		"0002_more.sql", "ALTER TABLE t ADD COLUMN w TEXT;")
	db, err = Open(ctx, path, v2, Options{Now: clock})
	require.NoError(t, err)
	assert.Equal(t, path+".v1-20261127T080000.bak", db.BackupPath)
	b, err := sql.Open("sqlite", "file:"+db.BackupPath+"?mode=ro")
	require.NoError(t, err)
	var n, v int
	require.NoError(t, b.QueryRow("SELECT count(*) FROM t").Scan(&n))
	require.NoError(t, b.QueryRow("PRAGMA user_version").Scan(&v))
	require.NoError(t, b.Close())
	assert.Equal(t, 1, n)
	assert.Equal(t, 1, v)

	// A broken migration leaves the database as it was.
	ms, err := Migrations(v2)
	require.NoError(t, err)
	broken := append(ms, Migration{Version: 3, Name: "0003_bad.sql", SQL: "CREATE TABLE x (a); SELECT nonsense FROM nowhere;"})
	err = db.MigrateTo(ctx, broken)
	require.ErrorContains(t, err, "0003_bad.sql")
	var cur, tables int
	require.NoError(t, db.W.QueryRow("PRAGMA user_version").Scan(&cur))
	require.NoError(t, db.W.QueryRow("SELECT count(*) FROM sqlite_schema WHERE name = 'x'").Scan(&tables))
	assert.Equal(t, 2, cur)
	assert.Zero(t, tables)
	require.NoError(t, db.Close())

	// An older build refuses the database a newer one migrated, and leaves
	// it alone.
	_, err = Open(ctx, path, v1, Options{})
	assert.ErrorIs(t, err, ErrNewerSchema)
}

func TestCheckpointerKeepsTheWALShort(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := Open(ctx, path, v1, Options{Synchronous: "NORMAL"})
	require.NoError(t, err)
	defer db.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // a reader holding no snapshot must not block checkpoints
		defer wg.Done()
		for range 50 {
			var n int
			db.R.QueryRow("SELECT count(*) FROM t").Scan(&n)
		}
	}()
	for i := range 2000 {
		_, err := db.W.Exec("INSERT INTO t (v) VALUES (?)", strings.Repeat("x", 100)+string(rune('a'+i%26)))
		require.NoError(t, err)
	}
	wg.Wait()
	// Without auto-checkpoint only the background loop copies the WAL:
	// wait (bounded) until it has.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var busy, frames, done int
		require.NoError(t, db.W.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &done))
		if frames == done || time.Now().After(deadline) {
			assert.Equal(t, frames, done, "every WAL frame checkpointed")
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestURIPath(t *testing.T) {
	for _, dir := range []string{"with space", "hash#dir", "pct%41dir", "q?dir"} {
		path := filepath.Join(t.TempDir(), dir, "x.db")
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		db, err := Open(context.Background(), path, v1, Options{})
		require.NoError(t, err, dir)
		require.NoError(t, db.Close())
		_, err = os.Stat(path)
		assert.NoError(t, err, "the file is where it was asked for: %s", path)
	}
}

func TestClassify(t *testing.T) {
	assert.NoError(t, Classify(nil))
	plain := errors.New("plain")
	assert.Same(t, plain, Classify(plain))

	// A real SQLite error: the read pool refuses writes (SQLITE_READONLY).
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := Open(context.Background(), path, v1, Options{})
	require.NoError(t, err)
	defer db.Close()
	_, err = db.R.Exec("INSERT INTO t (v) VALUES ('x')")
	err = Classify(err)
	require.ErrorIs(t, err, ErrReadOnly)
	assert.NotErrorIs(t, err, ErrDiskFull)
	assert.True(t, strings.HasPrefix(err.Error(), "database read-only: "), err.Error())

	// A syntax error is no kind: it passes through.
	_, err = db.W.Exec("SELEC 1")
	require.Error(t, err)
	for _, k := range []error{ErrDiskFull, ErrLocked, ErrReadOnly, ErrIO, ErrCorrupt} {
		assert.NotErrorIs(t, Classify(err), k)
	}

	// A file that is not a database is corrupt.
	junk := filepath.Join(t.TempDir(), "junk.db")
	require.NoError(t, os.WriteFile(junk, []byte(strings.Repeat("not a database ", 512)), 0o600))
	_, err = Open(context.Background(), junk, v1, Options{})
	assert.ErrorIs(t, err, ErrCorrupt)
}
