// Package store is the edge node's local database: SQLite in WAL mode with
// durable commits, numbered embedded migrations, the node's identity and the
// transactional outbox. Every state change and its op commit together.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"cunyou/sqlitedb"
	"cunyou/syncproto"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options configure Open.
type Options struct {
	// Node and Kind create the identity of a new database. Both are ignored
	// for an existing one, whose identity is read from it.
	Node string
	Kind syncproto.NodeKind
	// BusyTimeout is how long a write waits for another process's lock.
	BusyTimeout time.Duration
	// Now is the wall clock; time.Now when nil.
	Now func() time.Time
	// Synchronous is SQLite's synchronous setting: "FULL" (default, an
	// fsync on every commit) or "NORMAL".
	Synchronous string
}

// Identity is who this node is.
type Identity struct {
	Node        string
	Kind        syncproto.NodeKind
	Incarnation string
	CreatedAt   time.Time
}

// Store is an open edge database.
type Store struct {
	path string
	db   *sqlitedb.DB
	w    *sql.DB // the one writer connection
	r    *sql.DB // read-only connections

	now   func() time.Time
	clock *syncproto.Clock
	id    Identity
	// BackupPath is the copy taken before this Open migrated an existing
	// database, or "" when none was needed.
	BackupPath string
	// ReplacedPath is where Restore moved the database it replaced.
	ReplacedPath string

	mu     sync.Mutex // serializes writers in this process
	secret []byte
}

func (o Options) db() sqlitedb.Options {
	return sqlitedb.Options{BusyTimeout: o.BusyTimeout, Synchronous: o.Synchronous, Readers: 4, Now: o.Now}
}

// Open opens or creates the database at path, migrating it to the current
// schema; an existing database is copied aside before it is migrated.
func Open(ctx context.Context, path string, o Options) (*Store, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	db, err := sqlitedb.Open(ctx, path, migrationsFS(), o.db())
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{path: path, db: db, w: db.W, r: db.R, now: o.Now, BackupPath: db.BackupPath}
	if err := s.loadIdentity(ctx, o); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the checkpointer, folds the WAL into the database and closes
// it.
func (s *Store) Close() error { return s.db.Close() }

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Identity returns the node's identity.
func (s *Store) Identity() Identity { return s.id }

// Now returns the store's wall clock reading.
func (s *Store) Now() time.Time { return s.now() }

// DB returns the read-only connection pool for queries.
func (s *Store) DB() *sql.DB { return s.r }

func migrationsFS() fs.FS {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		panic(err) // embedded at build time
	}
	return sub
}

// SchemaVersion is the schema this build migrates to.
func SchemaVersion() int { return sqlitedb.SchemaVersion(migrationsFS()) }

func newIncarnation() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

func (s *Store) loadIdentity(ctx context.Context, o Options) error {
	var (
		kind    string
		hwm     int64
		created int64
	)
	err := s.w.QueryRowContext(ctx, "SELECT node_id, kind, incarnation, hlc_hwm, secret, created_at FROM node WHERE id = 1").
		Scan(&s.id.Node, &kind, &s.id.Incarnation, &hwm, &s.secret, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return s.createIdentity(ctx, o)
	}
	if err != nil {
		return fmt.Errorf("read identity: %w", classify(err))
	}
	s.id.Kind = syncproto.NodeKind(kind)
	s.id.CreatedAt = time.UnixMilli(created)
	s.clock = syncproto.NewClock(s.now, syncproto.Timestamp(hwm), 0)
	return nil
}

// ValidNodeID reports whether id can name a node: 1–64 characters of
// letters, digits, '-' and '_'.
func ValidNodeID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (s *Store) createIdentity(ctx context.Context, o Options) error {
	if o.Node == "" {
		return ErrNotInitialized
	}
	if !ValidNodeID(o.Node) {
		return fmt.Errorf("store: invalid node id %q", o.Node)
	}
	if !o.Kind.Valid() {
		return fmt.Errorf("store: invalid node kind %q", o.Kind)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	now := s.now()
	s.id = Identity{Node: o.Node, Kind: o.Kind, Incarnation: newIncarnation(), CreatedAt: now}
	s.secret = secret
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", classify(err))
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO node (id, node_id, kind, incarnation, next_seq, hlc_hwm, secret, created_at)
		VALUES (1, ?, ?, ?, 1, 0, ?, ?)`, s.id.Node, string(s.id.Kind), s.id.Incarnation, secret, now.UnixMilli()); err != nil {
		return fmt.Errorf("create identity: %w", classify(err))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO incarnations (incarnation, started_at, reason) VALUES (?, ?, 'created')`,
		s.id.Incarnation, now.UnixMilli()); err != nil {
		return fmt.Errorf("record incarnation: %w", classify(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit identity: %w", classify(err))
	}
	s.clock = syncproto.NewClock(s.now, 0, 0)
	return nil
}

// Secret returns the node's key for hashing personal identifiers.
func (s *Store) Secret() []byte { return s.secret }

// Tx is a write transaction. At most one op may be appended to it: one
// operator action, one op.
type Tx struct {
	*sql.Tx
	s     *Store
	ctx   context.Context
	actor string
	op    *syncproto.Op
}

// Actor returns who performs the action.
func (tx *Tx) Actor() string { return tx.actor }

// Now returns the wall clock reading for this transaction.
func (tx *Tx) Now() time.Time { return tx.s.now() }

// Op returns the op appended so far, or nil.
func (tx *Tx) Op() *syncproto.Op { return tx.op }

// Append records the action's op in the outbox: the next gap-free seq of
// the current incarnation, a new HLC timestamp and the payload's hash.
func (tx *Tx) Append(kind syncproto.EventKind, payload any) (*syncproto.Op, error) {
	if tx.op != nil {
		return nil, errors.New("store: one op per transaction")
	}
	if !kind.Known() {
		return nil, fmt.Errorf("store: unknown op kind %q", kind)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode %s payload: %w", kind, err)
	}
	hlc := tx.s.clock.Now()
	var seq int64
	if err := tx.QueryRowContext(tx.ctx, "UPDATE node SET next_seq = next_seq + 1, hlc_hwm = ? WHERE id = 1 RETURNING next_seq - 1", int64(hlc)).Scan(&seq); err != nil {
		return nil, fmt.Errorf("take op seq: %w", classify(err))
	}
	op := &syncproto.Op{
		Node:        tx.s.id.Node,
		Incarnation: tx.s.id.Incarnation,
		Seq:         uint64(seq),
		HLC:         hlc,
		Actor:       tx.actor,
		Kind:        kind,
		Payload:     body,
	}
	op.Seal()
	if _, err := tx.ExecContext(tx.ctx, `INSERT INTO outbox (incarnation, seq, hlc, actor, kind, payload, hash) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		op.Incarnation, seq, int64(op.HLC), op.Actor, string(op.Kind), []byte(op.Payload), op.Hash); err != nil {
		return nil, fmt.Errorf("append op: %w", classify(err))
	}
	tx.op = op
	return op, nil
}

// Write runs fn in one write transaction attributed to actor and commits
// it, with its op, durably. If fn fails nothing is written.
func (s *Store) Write(ctx context.Context, actor string, fn func(tx *Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", classify(err))
	}
	committed := false
	defer func() {
		if !committed {
			sqlTx.Rollback() // also when fn panics: the one writer must not stay in a transaction
		}
	}()
	tx := &Tx{Tx: sqlTx, s: s, ctx: ctx, actor: actor}
	if err := fn(tx); err != nil {
		return classify(err)
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", classify(err))
	}
	committed = true
	return nil
}

// Ops returns the outbox's ops of the current incarnation with seq > after,
// oldest first, at most limit.
func (s *Store) Ops(ctx context.Context, after uint64, limit int) ([]syncproto.Op, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, hlc, actor, kind, payload, hash FROM outbox
		WHERE incarnation = ? AND seq > ? ORDER BY seq LIMIT ?`, s.id.Incarnation, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", classify(err))
	}
	defer rows.Close()
	var ops []syncproto.Op
	for rows.Next() {
		op := syncproto.Op{V: syncproto.EnvelopeVersion, Node: s.id.Node, Incarnation: s.id.Incarnation}
		var hlc int64
		var kind string
		var payload []byte
		if err := rows.Scan(&op.Seq, &hlc, &op.Actor, &kind, &payload, &op.Hash); err != nil {
			return nil, fmt.Errorf("read outbox: %w", classify(err))
		}
		op.HLC, op.Kind, op.Payload = syncproto.Timestamp(hlc), syncproto.EventKind(kind), payload
		ops = append(ops, op)
	}
	return ops, classify(rows.Err())
}

// OutboxStats summarizes the outbox of the current incarnation.
type OutboxStats struct {
	Ops     int
	LastSeq uint64
}

// Outbox returns the outbox's size and last seq.
func (s *Store) Outbox(ctx context.Context) (OutboxStats, error) {
	// seq is gap-free, so the count follows from the ends: two index
	// probes instead of a scan of every op.
	var st OutboxStats
	var first uint64
	err := s.r.QueryRowContext(ctx, `SELECT coalesce((SELECT min(seq) FROM outbox WHERE incarnation = ?1), 0),
		coalesce((SELECT max(seq) FROM outbox WHERE incarnation = ?1), 0)`, s.id.Incarnation).Scan(&first, &st.LastSeq)
	if first > 0 {
		st.Ops = int(st.LastSeq - first + 1)
	}
	return st, classify(err)
}

// Check runs SQLite's integrity check and verifies the outbox: seq is
// gap-free in every incarnation and every op's hash matches its content.
// Acknowledged ops pruned after the safety window (see Prune) are no gap:
// an incarnation's ops run on from the last pruned seq.
func (s *Store) Check(ctx context.Context) error {
	var res string
	if err := s.r.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("integrity check: %w", classify(err))
	}
	if res != "ok" {
		return fmt.Errorf("%w: %s", ErrCorrupt, res)
	}
	pruned, err := s.prunedSeqs(ctx)
	if err != nil {
		return err
	}
	rows, err := s.r.QueryContext(ctx, "SELECT incarnation, seq, hlc, actor, kind, payload, hash FROM outbox ORDER BY incarnation, seq")
	if err != nil {
		return fmt.Errorf("read outbox: %w", classify(err))
	}
	defer rows.Close()
	var prevInc string
	var prevSeq, currentLast uint64
	for rows.Next() {
		op := syncproto.Op{V: syncproto.EnvelopeVersion, Node: s.id.Node}
		var hlc int64
		var kind string
		var payload []byte
		if err := rows.Scan(&op.Incarnation, &op.Seq, &hlc, &op.Actor, &kind, &payload, &op.Hash); err != nil {
			return err
		}
		op.HLC, op.Kind, op.Payload = syncproto.Timestamp(hlc), syncproto.EventKind(kind), payload
		if op.Incarnation != prevInc {
			prevInc, prevSeq = op.Incarnation, pruned[op.Incarnation]
		}
		if op.Seq != prevSeq+1 {
			return fmt.Errorf("%w: outbox gap in %s after seq %d", ErrCorrupt, op.Incarnation, prevSeq)
		}
		prevSeq = op.Seq
		if op.Incarnation == s.id.Incarnation {
			currentLast = op.Seq
		}
		if err := op.Verify(); err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var next uint64
	if err := s.r.QueryRowContext(ctx, "SELECT next_seq FROM node WHERE id = 1").Scan(&next); err != nil {
		return fmt.Errorf("read identity: %w", classify(err))
	}
	if currentLast != next-1 {
		return fmt.Errorf("%w: outbox ends at seq %d but %d ops were issued", ErrCorrupt, currentLast, next-1)
	}
	return nil
}
