package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/sqlitedb"
	"cunyou/syncproto"
)

// testClock is a wall clock a test sets by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock(t time.Time) *testClock { return &testClock{t: t} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

var (
	when2025 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	when2030 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
)

const testNode = "wk-zhaojia-01"

func dbPath(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "edge.db")
}

// openStore opens the database at path as a station; it is closed when the
// test ends.
func openStore(t *testing.T, path string, o Options) *Store {
	t.Helper()
	if o.Node == "" {
		o.Node, o.Kind = testNode, syncproto.NodeStation
	}
	s, err := Open(context.Background(), path, o)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// rawDB opens the file with the plain driver, beside the store, as another
// process would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// appendSetting writes one op (and one settings row) and returns the op.
func appendSetting(t *testing.T, s *Store, actor string, days int) *syncproto.Op {
	t.Helper()
	var op *syncproto.Op
	err := s.Write(context.Background(), actor, func(tx *Tx) error {
		if _, err := tx.ExecContext(context.Background(), "INSERT OR REPLACE INTO settings (key, value) VALUES ('overdue_days', ?)", fmt.Sprint(days)); err != nil {
			return err
		}
		var err error
		op, err = tx.Append(syncproto.KindSettingsSet, syncproto.SettingsSet{OverdueDays: days, ReturnDays: 7})
		return err
	})
	require.NoError(t, err)
	return op
}

func allOps(t *testing.T, s *Store) []syncproto.Op {
	t.Helper()
	ops, err := s.Ops(context.Background(), 0, 1<<30)
	require.NoError(t, err)
	return ops
}

// nodeRow reads the identity row as stored.
func nodeRow(t *testing.T, db *sql.DB) (nextSeq, hwm int64) {
	t.Helper()
	require.NoError(t, db.QueryRow("SELECT next_seq, hlc_hwm FROM node WHERE id = 1").Scan(&nextSeq, &hwm))
	return nextSeq, hwm
}

var incarnationRe = regexp.MustCompile(`^[0-9a-f]{16}$`)

func TestOpenCreatesIdentity(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock(when2025)
	s := openStore(t, dbPath(t), Options{Node: testNode, Kind: syncproto.NodeCentre, Now: clock.Now})

	id := s.Identity()
	assert.Equal(t, testNode, id.Node)
	assert.Equal(t, syncproto.NodeCentre, id.Kind)
	assert.Regexp(t, incarnationRe, id.Incarnation)
	assert.True(t, id.CreatedAt.Equal(when2025), "created at %s", id.CreatedAt)
	assert.Len(t, s.Secret(), 32)
	assert.Empty(t, s.BackupPath, "a new database needs no backup")
	assert.Equal(t, when2025, s.Now())

	var version int
	require.NoError(t, s.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version))
	assert.Equal(t, SchemaVersion(), version)
	assert.Equal(t, 8, SchemaVersion())

	var reason string
	var prev sql.NullString
	var prevSeq sql.NullInt64
	require.NoError(t, s.r.QueryRowContext(ctx, "SELECT reason, prev, prev_seq FROM incarnations WHERE incarnation = ?", id.Incarnation).
		Scan(&reason, &prev, &prevSeq))
	assert.Equal(t, "created", reason)
	assert.False(t, prev.Valid)
	assert.False(t, prevSeq.Valid)

	st, err := s.Outbox(ctx)
	require.NoError(t, err)
	assert.Equal(t, OutboxStats{}, st)
	require.NoError(t, s.Check(ctx))

	// Two databases never share an incarnation or a secret.
	s2 := openStore(t, dbPath(t), Options{})
	assert.NotEqual(t, id.Incarnation, s2.Identity().Incarnation)
	assert.NotEqual(t, s.Secret(), s2.Secret())
}

func TestReopenKeepsIdentityAndResumesClock(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	clock := newTestClock(when2030)
	s, err := Open(ctx, path, Options{Node: testNode, Kind: syncproto.NodeStation, Now: clock.Now})
	require.NoError(t, err)
	id, secret := s.Identity(), s.Secret()
	var last *syncproto.Op
	for i := range 3 {
		last = appendSetting(t, s, "li", i)
	}
	require.NoError(t, s.Close())

	// The machine reboots with its clock in 1970 and a different
	// configuration: the database's identity wins and the clock resumes
	// after its mark.
	clock.Set(time.Unix(0, 0))
	s = openStore(t, path, Options{Node: "other-node", Kind: syncproto.NodeCentre, Now: clock.Now})
	got := s.Identity()
	assert.Equal(t, id.Node, got.Node)
	assert.Equal(t, id.Kind, got.Kind)
	assert.Equal(t, id.Incarnation, got.Incarnation)
	assert.True(t, id.CreatedAt.Equal(got.CreatedAt), "created at %s, reopened %s", id.CreatedAt, got.CreatedAt)
	assert.Equal(t, secret, s.Secret())
	assert.Empty(t, s.BackupPath)
	_, hwm := nodeRow(t, s.r)
	assert.Equal(t, int64(last.HLC), hwm, "the mark is the last op's timestamp")

	op := appendSetting(t, s, "li", 9)
	assert.Equal(t, uint64(4), op.Seq)
	assert.Equal(t, id.Incarnation, op.Incarnation)
	assert.Greater(t, op.HLC, last.HLC, "a 1970 wall clock does not take the HLC back")
	assert.Equal(t, last.HLC+1, op.HLC)

	// And again, with the clock still in 1970.
	require.NoError(t, s.Close())
	s = openStore(t, path, Options{Now: clock.Now})
	op2 := appendSetting(t, s, "li", 10)
	assert.Equal(t, uint64(5), op2.Seq)
	assert.Greater(t, op2.HLC, op.HLC)
	require.NoError(t, s.Check(ctx))
}

func TestOpenNotInitialized(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	_, err := Open(ctx, path, Options{})
	require.ErrorIs(t, err, ErrNotInitialized)
	_, err = Open(ctx, path, Options{Kind: syncproto.NodeStation})
	require.ErrorIs(t, err, ErrNotInitialized)

	// Initializing it later works.
	s := openStore(t, path, Options{Node: testNode, Kind: syncproto.NodeStation})
	assert.Equal(t, testNode, s.Identity().Node)
}

func TestOpenRejectsInvalidIdentity(t *testing.T) {
	tests := []struct {
		name string
		node string
		kind syncproto.NodeKind
	}{
		{"space in node", "wk zhaojia", syncproto.NodeStation},
		{"slash in node", "wk/zhaojia", syncproto.NodeStation},
		{"chinese node", "赵家村", syncproto.NodeStation},
		{"node too long", strings.Repeat("a", 65), syncproto.NodeStation},
		{"no kind", testNode, ""},
		{"unknown kind", testNode, "hub"},
		{"kind case", testNode, "Station"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := dbPath(t)
			_, err := Open(ctx, path, Options{Node: tt.node, Kind: tt.kind})
			require.Error(t, err)
			assert.NotErrorIs(t, err, ErrNotInitialized)
			assert.Contains(t, err.Error(), "invalid node")

			// Nothing half-created: the database still has no identity.
			_, err = Open(ctx, path, Options{})
			assert.ErrorIs(t, err, ErrNotInitialized)
		})
	}
}

func TestValidNodeID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"a", true},
		{"ST-TEST", true},
		{"wk_zhaojia-01", true},
		{strings.Repeat("z", 64), true},
		{"", false},
		{strings.Repeat("z", 65), false},
		{"a.b", false},
		{"a b", false},
		{"é", false},
		{"ｓｔ", false},
		{"a\x00", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ValidNodeID(tt.id), "%q", tt.id)
	}
}

func TestOpenSettingsInEffect(t *testing.T) {
	tests := []struct {
		name    string
		sync    string
		wantSyn int
		busy    time.Duration
	}{
		{"defaults", "", 2, 5 * time.Second},
		{"full", "full", 2, 250 * time.Millisecond},
		{"normal", "normal", 1, time.Second},
		{"NORMAL", "NORMAL", 1, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			o := Options{Synchronous: tt.sync}
			if tt.name != "defaults" {
				o.BusyTimeout = tt.busy
			}
			s := openStore(t, dbPath(t), o)

			for name, db := range map[string]*sql.DB{"writer": s.w, "reader": s.r} {
				var mode string
				var syn, fk, busy int
				require.NoError(t, db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
				require.NoError(t, db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&syn))
				require.NoError(t, db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk))
				require.NoError(t, db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy))
				assert.Equal(t, "wal", mode, name)
				assert.Equal(t, tt.wantSyn, syn, "%s synchronous", name)
				assert.Equal(t, 1, fk, "%s foreign_keys", name)
				assert.Equal(t, int(tt.busy.Milliseconds()), busy, "%s busy_timeout", name)
			}
			var qo int
			require.NoError(t, s.w.QueryRowContext(ctx, "PRAGMA query_only").Scan(&qo))
			assert.Equal(t, 0, qo)
			require.NoError(t, s.r.QueryRowContext(ctx, "PRAGMA query_only").Scan(&qo))
			assert.Equal(t, 1, qo)

			// The read pool refuses writes.
			_, err := s.DB().ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('x', 'y')")
			require.Error(t, err)
			assert.ErrorIs(t, classify(err), ErrReadOnly)
		})
	}
}

func TestOpenRejectsBadSynchronous(t *testing.T) {
	for _, v := range []string{"OFF", "0", "EXTRA", "full;"} {
		_, err := Open(context.Background(), dbPath(t), Options{Node: testNode, Kind: syncproto.NodeStation, Synchronous: v})
		assert.ErrorContains(t, err, "synchronous", "%q", v)
	}
}

func TestWriteAppendGapFree(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock(when2025)
	s := openStore(t, dbPath(t), Options{Now: clock.Now})
	const n = 25
	var appended []*syncproto.Op
	for i := range n {
		if i%5 == 0 {
			clock.Set(clock.Now().Add(-time.Hour)) // the wall stumbles backwards now and then
		} else {
			clock.Set(clock.Now().Add(time.Millisecond))
		}
		appended = append(appended, appendSetting(t, s, fmt.Sprintf("op%d", i%3), i))
	}

	ops := allOps(t, s)
	require.Len(t, ops, n)
	for i, op := range ops {
		assert.Equal(t, uint64(i+1), op.Seq)
		assert.Equal(t, *appended[i], op, "what Ops reads is what Append returned")
		assert.Equal(t, testNode, op.Node)
		assert.Equal(t, s.Identity().Incarnation, op.Incarnation)
		assert.Equal(t, syncproto.KindSettingsSet, op.Kind)
		require.NoError(t, op.Verify())
		var p syncproto.SettingsSet
		require.NoError(t, json.Unmarshal(op.Payload, &p))
		assert.Equal(t, i, p.OverdueDays)
		if i > 0 {
			assert.Greater(t, op.HLC, ops[i-1].HLC)
		}
	}

	st, err := s.Outbox(ctx)
	require.NoError(t, err)
	assert.Equal(t, OutboxStats{Ops: n, LastSeq: n}, st)
	nextSeq, hwm := nodeRow(t, s.r)
	assert.Equal(t, int64(n+1), nextSeq)
	assert.Equal(t, int64(ops[n-1].HLC), hwm)

	// Paging.
	page, err := s.Ops(ctx, 5, 3)
	require.NoError(t, err)
	require.Len(t, page, 3)
	assert.Equal(t, []uint64{6, 7, 8}, []uint64{page[0].Seq, page[1].Seq, page[2].Seq})
	page, err = s.Ops(ctx, n, 10)
	require.NoError(t, err)
	assert.Empty(t, page)

	require.NoError(t, s.Check(ctx))
}

func TestConcurrentWritesGapFree(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t), Options{Synchronous: "NORMAL"})
	const workers, each = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				errs <- s.Write(ctx, fmt.Sprint("w", w), func(tx *Tx) error {
					_, err := tx.Append(syncproto.KindSettingsSet, syncproto.SettingsSet{OverdueDays: i})
					return err
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	ops := allOps(t, s)
	require.Len(t, ops, workers*each)
	for i, op := range ops {
		require.Equal(t, uint64(i+1), op.Seq)
		if i > 0 {
			require.Greater(t, op.HLC, ops[i-1].HLC, "seq order is HLC order")
		}
	}
	require.NoError(t, s.Check(ctx))
}

func TestWriteWithoutOp(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t), Options{})
	err := s.Write(ctx, "hub", func(tx *Tx) error {
		assert.Nil(t, tx.Op())
		assert.Equal(t, "hub", tx.Actor())
		_, err := tx.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('k', 'v')")
		return err
	})
	require.NoError(t, err)
	assert.Empty(t, allOps(t, s))
	assert.Equal(t, uint64(1), appendSetting(t, s, "li", 1).Seq)
}

func TestOneOpPerTransaction(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t), Options{})
	var second error
	err := s.Write(ctx, "li", func(tx *Tx) error {
		op, err := tx.Append(syncproto.KindSettingsSet, syncproto.SettingsSet{OverdueDays: 1})
		require.NoError(t, err)
		assert.Same(t, op, tx.Op())
		_, second = tx.Append(syncproto.KindSettingsSet, syncproto.SettingsSet{OverdueDays: 2})
		assert.Same(t, op, tx.Op(), "a refused Append leaves the first op in place")
		return nil // the caller ignores the refusal: the first op still commits alone
	})
	require.NoError(t, err)
	require.ErrorContains(t, second, "one op per transaction")

	ops := allOps(t, s)
	require.Len(t, ops, 1)
	assert.Equal(t, uint64(1), ops[0].Seq)
	assert.JSONEq(t, `{"overdue_days":1,"return_days":0}`, string(ops[0].Payload))
	assert.Equal(t, uint64(2), appendSetting(t, s, "li", 3).Seq, "the refusal took no seq")

	// When the caller returns the refusal, the whole transaction goes.
	err = s.Write(ctx, "li", func(tx *Tx) error {
		if _, err := tx.Append(syncproto.KindSettingsSet, syncproto.SettingsSet{}); err != nil {
			return err
		}
		_, err := tx.Append(syncproto.KindSettingsSet, syncproto.SettingsSet{})
		return err
	})
	require.Error(t, err)
	assert.Len(t, allOps(t, s), 2)
	require.NoError(t, s.Check(ctx))
}

func TestAppendRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t), Options{})
	tests := []struct {
		name    string
		kind    syncproto.EventKind
		payload any
		want    string
	}{
		{"unknown kind", "parcel.teleported", struct{}{}, "unknown op kind"},
		{"empty kind", "", struct{}{}, "unknown op kind"},
		{"unencodable payload", syncproto.KindSettingsSet, map[string]any{"c": make(chan int)}, "encode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Write(ctx, "li", func(tx *Tx) error {
				_, err := tx.Append(tt.kind, tt.payload)
				require.ErrorContains(t, err, tt.want)
				assert.Nil(t, tx.Op())
				return nil
			})
			require.NoError(t, err)
		})
	}
	assert.Empty(t, allOps(t, s))
	nextSeq, _ := nodeRow(t, s.r)
	assert.Equal(t, int64(1), nextSeq, "refused appends take no seq")
}

func TestFailingWriteRollsBackStateAndOp(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t), Options{})
	first := appendSetting(t, s, "li", 1)
	_, hwmBefore := nodeRow(t, s.r)

	errBoom := errors.New("boom")
	var appended *syncproto.Op
	err := s.Write(ctx, "li", func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('return_days', '3')"); err != nil {
			return err
		}
		var err error
		appended, err = tx.Append(syncproto.KindSettingsSet, syncproto.SettingsSet{ReturnDays: 3})
		require.NoError(t, err)
		return fmt.Errorf("validate: %w", errBoom)
	})
	require.ErrorIs(t, err, errBoom)
	require.NotNil(t, appended)
	assert.Equal(t, uint64(2), appended.Seq)

	var n int
	require.NoError(t, s.r.QueryRowContext(ctx, "SELECT count(*) FROM settings WHERE key = 'return_days'").Scan(&n))
	assert.Zero(t, n, "state rolled back")
	assert.Len(t, allOps(t, s), 1, "op rolled back")
	nextSeq, hwm := nodeRow(t, s.r)
	assert.Equal(t, int64(2), nextSeq, "seq rolled back")
	assert.Equal(t, hwmBefore, hwm)

	op := appendSetting(t, s, "li", 2)
	assert.Equal(t, uint64(2), op.Seq, "the rolled-back seq is reused: no gap")
	assert.Greater(t, op.HLC, first.HLC)
	require.NoError(t, s.Check(ctx))
}

func TestWriteCanceledContext(t *testing.T) {
	s := openStore(t, dbPath(t), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := s.Write(ctx, "li", func(tx *Tx) error {
		called = true
		_, err := tx.Append(syncproto.KindSettingsSet, syncproto.SettingsSet{})
		return err
	})
	require.Error(t, err)
	assert.False(t, called)
	assert.Empty(t, allOps(t, s))
	assert.Equal(t, uint64(1), appendSetting(t, s, "li", 1).Seq)
}

func TestWriteSurvivesPanickingFn(t *testing.T) {
	s := openStore(t, dbPath(t), Options{})
	func() {
		defer func() { assert.Equal(t, "boom", recover()) }()
		_ = s.Write(context.Background(), "li", func(tx *Tx) error {
			if _, err := tx.Append(syncproto.KindSettingsSet, syncproto.SettingsSet{}); err != nil {
				return err
			}
			panic("boom")
		})
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err := s.Write(ctx, "li", func(tx *Tx) error {
		_, err := tx.Append(syncproto.KindSettingsSet, syncproto.SettingsSet{OverdueDays: 1})
		return err
	})
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("regression: edge/store/store.go Write does not roll back when fn panics: the sql.Tx keeps the one writer " +
			"connection, so every later Write with a context that never ends blocks forever (got " + err.Error() + ")")
	}
	require.NoError(t, err)
	ops := allOps(t, s)
	require.Len(t, ops, 1, "the panicking write left nothing")
	assert.Equal(t, uint64(1), ops[0].Seq)
}

func TestOutboxAppendOnly(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openStore(t, path, Options{})
	appendSetting(t, s, "li", 1)

	err := s.Write(ctx, "li", func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE outbox SET actor = 'mallory'")
		return err
	})
	require.ErrorContains(t, err, "append-only")

	_, err = rawDB(t, path).Exec("UPDATE outbox SET payload = x'7b7d' WHERE seq = 1")
	require.ErrorContains(t, err, "append-only", "the trigger guards other writers too")

	ops := allOps(t, s)
	require.Len(t, ops, 1)
	assert.Equal(t, "li", ops[0].Actor)
	require.NoError(t, s.Check(ctx))
}

func TestCheck(t *testing.T) {
	// Each case damages a store holding ops 1..4 from outside, as a bad
	// disk, a careless technician or a bug elsewhere would.
	tests := []struct {
		name   string
		damage string
		want   string
	}{
		{"gap", "DELETE FROM outbox WHERE seq = 2", "gap"},
		{"first op missing", "DELETE FROM outbox WHERE seq = 1", "gap"},
		{"tampered payload", `CREATE TEMP TABLE op3 AS SELECT * FROM outbox WHERE seq = 3;
			DELETE FROM outbox WHERE seq = 3;
			INSERT INTO outbox SELECT incarnation, seq, hlc, actor, kind, CAST('{"overdue_days":99,"return_days":7}' AS BLOB), hash FROM op3`,
			"hash_mismatch"},
		{"tampered actor", `DROP TRIGGER outbox_no_update; UPDATE outbox SET actor = 'mallory' WHERE seq = 4`, "hash_mismatch"},
		{"tampered hlc", `DROP TRIGGER outbox_no_update; UPDATE outbox SET hlc = hlc + 1 WHERE seq = 1`, "hash_mismatch"},
		{"unknown kind", `DROP TRIGGER outbox_no_update; UPDATE outbox SET kind = 'x.y' WHERE seq = 1`, "unknown_kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := dbPath(t)
			s := openStore(t, path, Options{})
			for i := range 4 {
				appendSetting(t, s, "li", i)
			}
			require.NoError(t, s.Check(ctx))

			_, err := rawDB(t, path).Exec(tt.damage)
			require.NoError(t, err)
			err = s.Check(ctx)
			require.ErrorIs(t, err, ErrCorrupt)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestCheckDetectsLostTail(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openStore(t, path, Options{})
	for i := range 3 {
		appendSetting(t, s, "li", i)
	}
	_, err := rawDB(t, path).Exec("DELETE FROM outbox WHERE seq = 3")
	require.NoError(t, err)
	err = s.Check(ctx)
	if err == nil {
		t.Fatal("regression: edge/store/store.go Check does not compare the outbox with node.next_seq: after the newest op " +
			"(seq 3 of 3) is deleted the outbox is still \"gap-free\" and Check passes, though seq 3 was issued and is gone")
	}
	assert.ErrorIs(t, err, ErrCorrupt)
}

func TestOpenNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s, err := Open(ctx, path, Options{Node: testNode, Kind: syncproto.NodeStation})
	require.NoError(t, err)
	require.NoError(t, s.Close())

	db := rawDB(t, path)
	_, err = db.Exec("PRAGMA user_version = 99")
	require.NoError(t, err)
	require.NoError(t, db.Close())

	_, err = Open(ctx, path, Options{})
	require.ErrorIs(t, err, ErrNewerSchema)
	assert.ErrorContains(t, err, "99")
	matches, _ := filepath.Glob(path + "*.bak")
	assert.Empty(t, matches, "a newer database is left alone")
}

func TestOpenCurrentSchemaTakesNoBackup(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s, err := Open(ctx, path, Options{Node: testNode, Kind: syncproto.NodeStation})
	require.NoError(t, err)
	appendSetting(t, s, "li", 1)
	require.NoError(t, s.Close())

	s = openStore(t, path, Options{})
	assert.Empty(t, s.BackupPath)
	matches, err := filepath.Glob(filepath.Join(filepath.Dir(path), "*.bak"))
	require.NoError(t, err)
	assert.Empty(t, matches)
	var version int
	require.NoError(t, s.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version))
	assert.Equal(t, SchemaVersion(), version)
}

func TestMigrationsNumbered(t *testing.T) {
	ms, err := sqlitedb.Migrations(migrationsFS())
	require.NoError(t, err)
	require.NotEmpty(t, ms)
	for i, m := range ms {
		assert.Equal(t, i+1, m.Version, m.Name)
		assert.Regexp(t, `^\d{4}_[a-z0-9_]+\.sql$`, m.Name)
		assert.NotEmpty(t, strings.TrimSpace(m.SQL))
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	// The path is pasted into a file: URI; characters with a meaning in a
	// URI must still name the file given.
	for _, dir := range []string{"with space", "hash#dir", "pct%41dir", "q?dir"} {
		t.Run(dir, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), dir, "edge.db")
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			s, err := Open(context.Background(), path, Options{Node: testNode, Kind: syncproto.NodeStation})
			if err == nil {
				defer s.Close()
				appendSetting(t, s, "li", 1)
			}
			_, statErr := os.Stat(path)
			if err != nil || statErr != nil {
				t.Fatalf("regression: edge/store/store.go dsn builds \"file:\"+path without escaping, so SQLite parses %q as a URI "+
					"and opens another file (open: %v, stat %s: %v)", path, err, path, statErr)
			}
		})
	}
}
