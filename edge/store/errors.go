package store

import (
	"errors"

	"modernc.org/sqlite"
)

var (
	// ErrNotInitialized: the database has no node identity yet.
	ErrNotInitialized = errors.New("store: node not initialized")
	// ErrNewerSchema: the database was written by a newer cunyou-edge.
	ErrNewerSchema = errors.New("store: database schema is newer than this program")
	// ErrDiskFull: SQLite could not grow the database or its journal.
	ErrDiskFull = errors.New("store: disk full")
	// ErrLocked: another process held the database past the busy timeout.
	ErrLocked = errors.New("store: database locked")
	// ErrReadOnly: the database file or its folder is not writable.
	ErrReadOnly = errors.New("store: database read-only")
	// ErrIO: the operating system failed a read or write.
	ErrIO = errors.New("store: disk i/o error")
	// ErrCorrupt: the database file is damaged.
	ErrCorrupt = errors.New("store: database corrupt")
	// ErrBlobTooLarge: a blob is larger than MaxBlobBytes.
	ErrBlobTooLarge = errors.New("store: blob too large")
	// ErrNoBlob: no blob is stored under that name.
	ErrNoBlob = errors.New("store: no such blob")
)

// SQLite primary result codes (sqlite3.h).
const (
	sqliteBusy     = 5
	sqliteLocked   = 6
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteCorrupt  = 11
	sqliteFull     = 13
	sqliteNotADB   = 26
)

// classify wraps a driver error with the sentinel for its SQLite result
// code, so callers can map it to an operator message with errors.Is.
func classify(err error) error {
	var se *sqlite.Error
	if err == nil || !errors.As(err, &se) {
		return err
	}
	var kind error
	switch se.Code() & 0xff {
	case sqliteFull:
		kind = ErrDiskFull
	case sqliteBusy, sqliteLocked:
		kind = ErrLocked
	case sqliteReadOnly:
		kind = ErrReadOnly
	case sqliteIOErr:
		kind = ErrIO
	case sqliteCorrupt, sqliteNotADB:
		kind = ErrCorrupt
	default:
		return err
	}
	return &classified{kind: kind, err: err}
}

type classified struct{ kind, err error }

func (c *classified) Error() string   { return c.kind.Error() + ": " + c.err.Error() }
func (c *classified) Unwrap() []error { return []error{c.kind, c.err} }
