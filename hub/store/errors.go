package store

import (
	"errors"
	"strconv"

	"modernc.org/sqlite"
)

var (
	// ErrNewerSchema: the database was written by a newer cunyou-hub.
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

	// ErrNotFound: no such node or blob.
	ErrNotFound = errors.New("store: not found")
	// ErrExists: a node with this id already exists.
	ErrExists = errors.New("store: already exists")
	// ErrInvalid: an argument breaks a rule (node id, kind, name, payload).
	ErrInvalid = errors.New("store: invalid")
	// ErrEnrollCode: the enrollment code is unknown, used or expired.
	ErrEnrollCode = errors.New("store: enrollment code unknown, used or expired")
	// ErrUnauthorized: the token is unknown or revoked, or the node is
	// disabled.
	ErrUnauthorized = errors.New("store: unknown or revoked token")
	// ErrBlobMismatch: a blob's bytes do not hash to its name; the partial
	// file was discarded.
	ErrBlobMismatch = errors.New("store: blob content does not match its SHA-256")
	// ErrTooLarge: a blob is larger than the limit.
	ErrTooLarge = errors.New("store: too large")
)

// OffsetError refuses a blob chunk that does not start where the hub's copy
// ends; Offset is where it ends.
type OffsetError struct{ Offset int64 }

func (e *OffsetError) Error() string {
	return "store: blob chunk at the wrong offset; the hub holds " + strconv.FormatInt(e.Offset, 10) + " bytes"
}

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
// code, so callers can map it to a message with errors.Is.
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
