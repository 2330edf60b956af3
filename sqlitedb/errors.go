package sqlitedb

import (
	"errors"

	"modernc.org/sqlite"
)

// The kinds of failure a caller turns into a message for a person.
var (
	// ErrNewerSchema: the database was written by a newer program.
	ErrNewerSchema = errors.New("database schema is newer than this program")
	// ErrDiskFull: SQLite could not grow the database or its journal.
	ErrDiskFull = errors.New("disk full")
	// ErrLocked: another process held the database past the busy timeout.
	ErrLocked = errors.New("database locked")
	// ErrReadOnly: the database file or its folder is not writable.
	ErrReadOnly = errors.New("database read-only")
	// ErrIO: the operating system failed a read or write.
	ErrIO = errors.New("disk i/o error")
	// ErrCorrupt: the database file is damaged.
	ErrCorrupt = errors.New("database corrupt")
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

// Classify wraps a driver error with the sentinel for its SQLite result
// code, so callers can map it to a message with errors.Is. Other errors
// (and nil) pass through unchanged.
func Classify(err error) error {
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
