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
	"net/url"
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
	w    *sql.DB // the one writer connection
	r    *sql.DB // read-only connections
	ck   *sql.DB // the background checkpointer's connection

	stopCk context.CancelFunc
	ckDone chan struct{}
	now    func() time.Time
	clock  *syncproto.Clock
	id     Identity
	// BackupPath is the copy taken before this Open migrated an existing
	// database, or "" when none was needed.
	BackupPath string
	// ReplacedPath is where Restore moved the database it replaced.
	ReplacedPath string

	mu     sync.Mutex // serializes writers in this process
	secret []byte
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
		// No checkpoint inside an operator's commit: the background
		// checkpointer does it (see checkpointLoop).
		q.Add("_pragma", "wal_autocheckpoint(0)")
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

// Open opens or creates the database at path, migrating it to the current
// schema; an existing database is copied aside before it is migrated.
func Open(ctx context.Context, path string, o Options) (*Store, error) {
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Synchronous = strings.ToUpper(o.Synchronous)
	if o.Synchronous == "" {
		o.Synchronous = "FULL"
	}
	if o.Synchronous != "FULL" && o.Synchronous != "NORMAL" {
		return nil, fmt.Errorf("store: synchronous must be FULL or NORMAL, not %q", o.Synchronous)
	}
	w, err := sql.Open("sqlite", dsn(path, o, false))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	s := &Store{path: path, w: w, now: o.Now}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if err := s.loadIdentity(ctx, o); err != nil {
		w.Close()
		return nil, err
	}
	s.r, err = sql.Open("sqlite", dsn(path, o, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	s.r.SetMaxOpenConns(4)
	if s.ck, err = sql.Open("sqlite", dsn(path, o, false)); err != nil {
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
// it.
func (s *Store) Close() error {
	s.stopCk()
	<-s.ckDone
	_, ckErr := s.ck.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return errors.Join(classify(ckErr), s.ck.Close(), s.r.Close(), s.w.Close())
}

// Checkpointing: SQLite's automatic checkpoint runs inside the commit that
// crosses its threshold, so every ~70th scan would pay several
// milliseconds of copying and fsync. Instead a connection of its own copies
// the WAL into the database in the background between scans; a WAL that
// still grows past walLimit (scans without a pause) is reset with a
// RESTART checkpoint, which waits for the writer only briefly.
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

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Identity returns the node's identity.
func (s *Store) Identity() Identity { return s.id }

// Now returns the store's wall clock reading.
func (s *Store) Now() time.Time { return s.now() }

// DB returns the read-only connection pool for queries.
func (s *Store) DB() *sql.DB { return s.r }

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
