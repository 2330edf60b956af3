package store

import (
	"errors"

	"cunyou/sqlitedb"
)

var (
	// ErrNotInitialized: the database has no node identity yet.
	ErrNotInitialized = errors.New("store: node not initialized")
	// ErrNewerSchema: the database was written by a newer cunyou-edge.
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
	// ErrBlobTooLarge: a blob is larger than MaxBlobBytes.
	ErrBlobTooLarge = errors.New("store: blob too large")
	// ErrNoBlob: no blob is stored under that name.
	ErrNoBlob = errors.New("store: no such blob")
)

// classify wraps a driver error with the sentinel for its SQLite result
// code, so callers can map it to an operator message with errors.Is.
func classify(err error) error { return sqlitedb.Classify(err) }
