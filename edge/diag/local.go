package diag

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"cunyou/sqlitedb"
	"cunyou/syncproto"
)

// facts is everything the checks judge, gathered once by Run.
type facts struct {
	o       Options
	now     time.Time // in the station's time zone
	loc     *time.Location
	db      dbFacts
	disk    diskFacts
	backups backupFacts
	hub     hubFacts
	serve   serveFacts
}

// at is a moment as the station's clock shows it.
func (f *facts) at(t time.Time) when { return when(t.In(f.loc)) }

// dbFacts is what the database file and its content say.
type dbFacts struct {
	path   string
	exists bool
	size   int64
	mode   fs.FileMode
	wal    int64 // -1: no WAL file
	// openErr is why the database could not be opened or read; the
	// checks of its content then say so.
	openErr       error
	uninitialized bool
	schema        int
	check         string   // quick_check or integrity_check
	problems      []string // what the check reported; nil when "ok"
	id            identity
	enrolled      bool
	enroll        enrollment
	state         syncState
	backlog       backlog
	// readErr is a failure reading the sync tables (a database too new or
	// too old for this program's queries).
	readErr error
}

type identity struct {
	node, kind, incarnation string
	hwm                     time.Time // the clock's high-water mark: the newest op's time
}

type enrollment struct{ hubURL, token, caFile string }

type syncState struct {
	lastSuccess   time.Time
	lastErrorCode string
	lastError     string
	lastErrorAt   time.Time
	skew          time.Duration // hub − node
	skewKnown     bool
}

// failing reports whether the last sync attempt failed.
func (s syncState) failing() bool {
	return s.lastErrorCode != "" && !s.lastErrorAt.Before(s.lastSuccess)
}

type backlog struct {
	ops    int
	oldest time.Time // HLC time of the oldest unacknowledged op
	blobs  int
	// lastSeq and acked are the current incarnation's last op and the
	// hub's cursor as last recorded; incarnations lists every
	// incarnation that still has ops, for the hello.
	lastSeq, acked uint64
	incarnations   []string
}

// gatherLocal reads the files and the database.
func (f *facts) gatherLocal(ctx context.Context) {
	c := f.o.Config
	f.db.path = c.DBPath()
	f.db.wal = -1
	if fi, err := os.Stat(f.db.path); err == nil {
		f.db.exists, f.db.size, f.db.mode = true, fi.Size(), fi.Mode().Perm()
	}
	// Measured before the database is opened: opening it read-only
	// creates an empty WAL file when there was none.
	if fi, err := os.Stat(f.db.path + "-wal"); err == nil {
		f.db.wal = fi.Size()
	}
	f.disk = measureDisk(c.DataDir)
	f.backups = findBackups(f.o.BackupDir, c.DataDir)
	if f.db.exists {
		f.readDB(ctx, time.Duration(c.BusyTimeout))
	}
}

// openReadOnly opens the database for reading only: the file opened
// read-only and every connection query_only, so that nothing here can take
// the write lock from a running serve. A reader of a WAL database needs
// the -shm file; SQLite creates it (and an empty -wal) if missing, with
// the database file's owner and mode, as serve would.
func openReadOnly(path string, busy time.Duration) (*sql.DB, error) {
	if busy <= 0 {
		busy = 5 * time.Second
	}
	dsn := sqlitedb.DSN(path, sqlitedb.Options{BusyTimeout: busy, Synchronous: "FULL"}, true) + "&mode=ro"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func (f *facts) readDB(ctx context.Context, busy time.Duration) {
	d := &f.db
	// SQLite says only "unable to open database file" when the file
	// cannot be read; the operating system says why.
	fh, err := os.Open(d.path)
	if err != nil {
		d.openErr = err
		return
	}
	fh.Close()
	db, err := openReadOnly(d.path, busy)
	if err != nil {
		d.openErr = err
		return
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&d.schema); err != nil {
		d.openErr = sqlitedb.Classify(err)
		return
	}
	d.check = "quick_check"
	if f.o.Full {
		d.check = "integrity_check"
	}
	d.problems, err = integrity(ctx, db, d.check)
	if err != nil {
		d.openErr = sqlitedb.Classify(err)
		return
	}
	if d.schema == 0 {
		d.uninitialized = true
		return
	}
	var hwm int64
	err = db.QueryRowContext(ctx, `SELECT node_id, kind, incarnation,
		max(hlc_hwm, coalesce((SELECT max(hlc) FROM outbox), 0)) FROM node WHERE id = 1`).
		Scan(&d.id.node, &d.id.kind, &d.id.incarnation, &hwm)
	if errors.Is(err, sql.ErrNoRows) {
		d.uninitialized = true
		return
	}
	if err != nil {
		d.readErr = sqlitedb.Classify(err)
		return
	}
	if hwm > 0 {
		d.id.hwm = syncproto.Timestamp(hwm).Time()
	}
	d.readErr = errors.Join(d.readEnrollment(ctx, db), d.readSyncState(ctx, db), d.readBacklog(ctx, db))
}

// integrity runs check (quick_check or integrity_check) and returns what it
// found, at most 10 lines; none when the database is sound.
func integrity(ctx context.Context, db *sql.DB, check string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "PRAGMA "+check+"(10)")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		if s != "ok" {
			out = append(out, s)
		}
	}
	return out, rows.Err()
}

func (d *dbFacts) readEnrollment(ctx context.Context, db *sql.DB) error {
	e := &d.enroll
	err := db.QueryRowContext(ctx, "SELECT hub_url, token, ca_file FROM sync_config WHERE id = 1").Scan(&e.hubURL, &e.token, &e.caFile)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("read enrollment: %w", sqlitedb.Classify(err))
	}
	d.enrolled = true
	return nil
}

func (d *dbFacts) readSyncState(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, "SELECT key, value FROM sync_state")
	if err != nil {
		return fmt.Errorf("read sync state: %w", sqlitedb.Classify(err))
	}
	defer rows.Close()
	s := &d.state
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return fmt.Errorf("read sync state: %w", err)
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "last_success_ms":
			s.lastSuccess = unixMilli(n)
		case "last_error_code":
			s.lastErrorCode = v
		case "last_error":
			s.lastError = v
		case "last_error_ms":
			s.lastErrorAt = unixMilli(n)
		case "skew_ms":
			s.skew, s.skewKnown = time.Duration(n)*time.Millisecond, true
		}
	}
	return rows.Err()
}

func unixMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// readBacklog counts, for every incarnation, the ops after the hub's
// cursor as last recorded, and the time of the oldest of them.
func (d *dbFacts) readBacklog(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT i.incarnation, i.incarnation = n.incarnation, coalesce(a.acked_seq, 0),
		(SELECT count(*) FROM outbox o WHERE o.incarnation = i.incarnation AND o.seq > coalesce(a.acked_seq, 0)),
		(SELECT o.hlc FROM outbox o WHERE o.incarnation = i.incarnation AND o.seq > coalesce(a.acked_seq, 0) ORDER BY o.seq LIMIT 1),
		coalesce((SELECT max(o.seq) FROM outbox o WHERE o.incarnation = i.incarnation), 0)
		FROM incarnations i JOIN node n ON n.id = 1 LEFT JOIN sync_acks a ON a.incarnation = i.incarnation`)
	if err != nil {
		return fmt.Errorf("read outbox: %w", sqlitedb.Classify(err))
	}
	defer rows.Close()
	b := &d.backlog
	for rows.Next() {
		var (
			inc            string
			current        bool
			acked, lastSeq uint64
			n              int
			hlc            sql.NullInt64
		)
		if err := rows.Scan(&inc, &current, &acked, &n, &hlc, &lastSeq); err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		b.ops += n
		if hlc.Valid {
			if t := syncproto.Timestamp(hlc.Int64).Time(); b.oldest.IsZero() || t.Before(b.oldest) {
				b.oldest = t
			}
		}
		if current {
			b.lastSeq, b.acked = lastSeq, acked
		}
		if current || lastSeq > 0 {
			b.incarnations = append(b.incarnations, inc)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read outbox: %w", err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM blobs WHERE uploaded_ms IS NULL").Scan(&b.blobs); err != nil {
		return fmt.Errorf("read blobs: %w", sqlitedb.Classify(err))
	}
	return nil
}

// diskFacts is the free space of the data folder's filesystem.
type diskFacts struct {
	path        string
	free, total uint64
	err         error
}

// measureDisk measures the filesystem of dir, or of its nearest existing
// parent when dir does not exist yet.
func measureDisk(dir string) diskFacts {
	d := diskFacts{path: dir}
	p := dir
	for {
		if _, err := os.Stat(p); err == nil {
			break
		}
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		p = parent
	}
	d.free, d.total, d.err = diskSpace(p)
	return d
}

// backupFacts is the newest backup found.
type backupFacts struct {
	dirs   []string
	count  int
	newest string
	at     time.Time
	size   int64
}

// sqliteHeader starts every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

func defaultBackupDir(dataDir string) string { return filepath.Join(dataDir, "backups") }

// findBackups lists the SQLite files in the backup folder and in the data
// folder (the copies kept before migrations, edge.db.vN-….bak, and backups
// written there by hand), leaving out the live database, its WAL and
// shared-memory files, a restore in progress and a database a restore
// replaced. A file counts by its content, not its name.
func findBackups(dirs ...string) backupFacts {
	var b backupFacts
	seen := map[string]bool{}
	for _, dir := range dirs {
		if dir == "" || seen[filepath.Clean(dir)] {
			continue
		}
		seen[filepath.Clean(dir)] = true
		b.dirs = append(b.dirs, dir)
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			if !e.Type().IsRegular() || name == "edge.db" || strings.HasSuffix(name, "-wal") || strings.HasSuffix(name, "-shm") ||
				strings.HasSuffix(name, "-journal") || strings.Contains(name, ".restoring") || strings.Contains(name, ".replaced-") {
				continue
			}
			p := filepath.Join(dir, name)
			fi, err := e.Info()
			if err != nil || !isSQLite(p) {
				continue
			}
			b.count++
			if fi.ModTime().After(b.at) {
				b.newest, b.at, b.size = p, fi.ModTime(), fi.Size()
			}
		}
	}
	return b
}

func isSQLite(path string) bool {
	fh, err := os.Open(path)
	if err != nil {
		return false
	}
	defer fh.Close()
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(fh, head); err != nil {
		return false
	}
	return bytes.Equal(head, sqliteHeader)
}
