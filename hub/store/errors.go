package store

import (
	"errors"
	"strconv"

	"cunyou/sqlitedb"
)

var (
	// ErrNewerSchema: the database was written by a newer cunyou-hub.
	ErrNewerSchema = sqlitedb.ErrNewerSchema
	// ErrDiskFull: SQLite could not grow the database or its journal.
	ErrDiskFull = sqlitedb.ErrDiskFull
	// ErrLocked: another process held the database past the busy timeout.
	ErrLocked = sqlitedb.ErrLocked
	// ErrReadOnly: the database file or its folder is not writable.
	ErrReadOnly = sqlitedb.ErrReadOnly
	// ErrIO: the operating system failed a read or write.
	ErrIO = sqlitedb.ErrIO
	// ErrCorrupt: the database file is damaged.
	ErrCorrupt = sqlitedb.ErrCorrupt

	// ErrNotFound: no such node or blob.
	ErrNotFound = errors.New("store: not found")
	// ErrExists: a node with this id already exists.
	ErrExists = errors.New("store: already exists")
	// ErrInvalid: an argument breaks a rule (node id, kind, name, payload).
	ErrInvalid = errors.New("store: invalid")
	// ErrEnrollCode: the enrollment code is unknown, used or expired.
	ErrEnrollCode = errors.New("store: enrollment code unknown, used or expired")
	// ErrWrongNode: an enrollment code made for another node than the
	// caller's.
	ErrWrongNode = errors.New("store: code made for another node")
	// ErrUnauthorized: the token is unknown or revoked, or the node is
	// disabled.
	ErrUnauthorized = errors.New("store: unknown or revoked token")
	// ErrBlobMismatch: a blob's bytes do not hash to its name; the partial
	// file was discarded.
	ErrBlobMismatch = errors.New("store: blob content does not match its SHA-256")
	// ErrTooLarge: a blob is larger than the limit.
	ErrTooLarge = errors.New("store: too large")
	// ErrDisabled: the node is disabled (it gets no enrollment code).
	ErrDisabled = errors.New("store: node disabled")
	// ErrResolved: the exception, dead letter or quarantined op was
	// resolved (applied, discarded, acknowledged) already.
	ErrResolved = errors.New("store: already resolved")
)

// OffsetError refuses a blob chunk that does not start where the hub's copy
// ends; Offset is where it ends.
type OffsetError struct{ Offset int64 }

func (e *OffsetError) Error() string {
	return "store: blob chunk at the wrong offset; the hub holds " + strconv.FormatInt(e.Offset, 10) + " bytes"
}

// classify wraps a driver error with the sentinel for its SQLite result
// code, so callers can map it to a message with errors.Is.
func classify(err error) error { return sqlitedb.Classify(err) }
