package station

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/store"
	"cunyou/syncproto"
)

// cst is the station's time zone in every test.
var cst = time.FixedZone("CST", 8*3600)

// t0 is when every test starts: a Monday morning at the station.
var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, cst)

// fakeClock is a wall clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t, which must not be in its past.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Before(c.now) {
		panic("fakeClock: Set into the past")
	}
	c.now = t
}

const (
	clerk = "li"   // the actor of daily work
	owner = "boss" // the actor of layout and settings changes
)

// env is one station on its own SQLite file.
type env struct {
	ctx   context.Context
	clock *fakeClock
	st    *store.Store
	s     *Station
	path  string
}

// newEnv opens a fresh station. When the test ends it checks what must hold
// after any scenario: the store's integrity and gap-free outbox, every op's
// envelope, statuses that replay from events, and slot loads that match the
// parcels on the shelves.
func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	clock := &fakeClock{now: t0}
	path := filepath.Join(t.TempDir(), "station.db")
	st, err := store.Open(ctx, path, store.Options{Node: "ST-TEST", Kind: syncproto.NodeStation, Now: clock.Now})
	require.NoError(t, err)
	e := &env{ctx: ctx, clock: clock, st: st, s: New(st, cst), path: path}
	t.Cleanup(func() {
		assert.NoError(t, st.Check(ctx), "store check")
		assert.NoError(t, e.s.VerifyDerived(ctx), "derived statuses")
		ops, err := st.Ops(ctx, 0, 1<<30)
		if assert.NoError(t, err) {
			for _, op := range ops {
				assert.NoError(t, op.Verify(), "op %d %s", op.Seq, op.Kind)
			}
		}
		e.checkSlotLoads(t)
		assert.NoError(t, st.Close())
	})
	return e
}

// checkSlotLoads asserts that every layer's recorded load is the number of
// parcels on it, and that no parcel sits on a layer that does not exist.
func (e *env) checkSlotLoads(t *testing.T) {
	t.Helper()
	var bad int
	err := e.st.DB().QueryRowContext(e.ctx, `SELECT count(*) FROM slots s WHERE used !=
		(SELECT count(*) FROM parcels p WHERE p.shelf = s.shelf AND p.layer = s.layer)`).Scan(&bad)
	require.NoError(t, err)
	assert.Zero(t, bad, "layers whose load differs from their parcels")
	err = e.st.DB().QueryRowContext(e.ctx, `SELECT count(*) FROM parcels p WHERE p.shelf IS NOT NULL AND NOT EXISTS
		(SELECT 1 FROM slots s WHERE s.shelf = p.shelf AND s.layer = p.layer)`).Scan(&bad)
	require.NoError(t, err)
	assert.Zero(t, bad, "parcels on layers that do not exist")
}

func sf(n int) string    { return fmt.Sprintf("SF%013d", n) }
func zto(n int) string   { return fmt.Sprintf("73%012d", n) }
func yto(n int) string   { return fmt.Sprintf("YT%013d", n) }
func phone(n int) string { return fmt.Sprintf("138%08d", n) }

// layout sets the shelves.
func (e *env) layout(t *testing.T, shelves ...syncproto.Shelf) {
	t.Helper()
	require.NoError(t, e.s.SetShelves(e.ctx, owner, shelves))
}

// in shelves a parcel with a receiver typed in and returns it.
func (e *env) in(t *testing.T, wb, ph, name string) Parcel {
	t.Helper()
	res, err := e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: wb, ReceiverPhone: ph, ReceiverName: name})
	require.NoError(t, err)
	require.False(t, res.Repeat, "%s already in", wb)
	return res.Parcel
}

// pickup hands parcels to their receiver.
func (e *env) pickup(t *testing.T, wbs ...string) []Parcel {
	t.Helper()
	ps, err := e.s.Pickup(e.ctx, clerk, PickupInput{Waybills: wbs})
	require.NoError(t, err)
	return ps
}

// parcel reads a parcel as stored.
func (e *env) parcel(t *testing.T, wb, dir string) Parcel {
	t.Helper()
	ps, err := queryParcels(e.ctx, e.st.DB(), "waybill = ? AND direction = ?", wb, dir)
	require.NoError(t, err)
	require.Len(t, ps, 1, "parcel %s/%s", wb, dir)
	return ps[0]
}

// lastSeq is the outbox's last seq.
func (e *env) lastSeq(t *testing.T) uint64 {
	t.Helper()
	ob, err := e.st.Outbox(e.ctx)
	require.NoError(t, err)
	return ob.LastSeq
}

// opsSince returns the ops appended after seq.
func (e *env) opsSince(t *testing.T, seq uint64) []syncproto.Op {
	t.Helper()
	ops, err := e.st.Ops(e.ctx, seq, 1<<20)
	require.NoError(t, err)
	return ops
}

// oneOp runs fn and requires that it appended exactly one valid op of kind.
func (e *env) oneOp(t *testing.T, kind syncproto.EventKind, fn func()) syncproto.Op {
	t.Helper()
	before := e.lastSeq(t)
	fn()
	ops := e.opsSince(t, before)
	require.Len(t, ops, 1, "one action, one op")
	require.Equal(t, kind, ops[0].Kind)
	require.NoError(t, ops[0].Verify())
	assert.Equal(t, "ST-TEST", ops[0].Node)
	return ops[0]
}

// payload decodes an op's payload, refusing unknown fields.
func payload[T any](t *testing.T, op syncproto.Op) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(op.Payload))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&v), "payload of %s", op.Kind)
	return v
}

// evRow is one row of a parcel's local timeline.
type evRow struct {
	Kind   string
	Seq    uint64
	Actor  string
	Detail string
}

// events returns a parcel's timeline, oldest first.
func (e *env) events(t *testing.T, wb, dir string) []evRow {
	t.Helper()
	rows, err := e.st.DB().QueryContext(e.ctx, `SELECT e.kind, e.seq, e.actor, e.detail FROM events e
		JOIN parcels p ON p.id = e.parcel_id WHERE p.waybill = ? AND p.direction = ? ORDER BY e.id`, wb, dir)
	require.NoError(t, err)
	defer rows.Close()
	var out []evRow
	for rows.Next() {
		var r evRow
		require.NoError(t, rows.Scan(&r.Kind, &r.Seq, &r.Actor, &r.Detail))
		out = append(out, r)
	}
	require.NoError(t, rows.Err())
	return out
}

// lastEvent is the newest event of a parcel.
func (e *env) lastEvent(t *testing.T, wb, dir string) evRow {
	t.Helper()
	evs := e.events(t, wb, dir)
	require.NotEmpty(t, evs)
	return evs[len(evs)-1]
}

// used returns each layer's load, keyed "shelf-layer".
func (e *env) used(t *testing.T) map[string]int {
	t.Helper()
	sl, err := e.s.Shelves(e.ctx)
	require.NoError(t, err)
	out := map[string]int{}
	for _, u := range sl {
		out[fmt.Sprintf("%d-%d", u.Shelf, u.Layer)] = u.Used
	}
	return out
}

// tables lists the database's tables.
func (e *env) tables(t *testing.T) []string {
	t.Helper()
	rows, err := e.st.DB().QueryContext(e.ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
	require.NoError(t, err)
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		names = append(names, n)
	}
	require.NoError(t, rows.Err())
	return names
}

// eachCell calls fn with every cell of table as text.
func (e *env) eachCell(t *testing.T, table string, fn func(row int, col, val string)) {
	t.Helper()
	rows, err := e.st.DB().QueryContext(e.ctx, "SELECT * FROM "+table)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	for i := 0; rows.Next(); i++ {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for j := range vals {
			ptrs[j] = &vals[j]
		}
		require.NoError(t, rows.Scan(ptrs...))
		for j, v := range vals {
			var s string
			switch v := v.(type) {
			case nil:
				s = "NULL"
			case []byte:
				s = fmt.Sprintf("%q", v)
			default:
				s = fmt.Sprint(v)
			}
			fn(i, cols[j], s)
		}
	}
	require.NoError(t, rows.Err())
}

// snapshot renders every table but the skipped ones, rows sorted, so two
// snapshots are equal when nothing changed.
func (e *env) snapshot(t *testing.T, skip ...string) string {
	t.Helper()
	var b strings.Builder
	for _, table := range e.tables(t) {
		if slices.Contains(skip, table) {
			continue
		}
		rows := map[int][]string{}
		e.eachCell(t, table, func(row int, col, val string) {
			rows[row] = append(rows[row], col+"="+val)
		})
		var lines []string
		for _, r := range rows {
			lines = append(lines, strings.Join(r, " "))
		}
		sort.Strings(lines)
		fmt.Fprintf(&b, "== %s\n%s\n", table, strings.Join(lines, "\n"))
	}
	return b.String()
}

// whereStored returns table.column for every cell holding s, and the names
// of the database files whose bytes hold it.
func (e *env) whereStored(t *testing.T, s string) []string {
	t.Helper()
	var found []string
	for _, table := range e.tables(t) {
		e.eachCell(t, table, func(_ int, col, val string) {
			if strings.Contains(val, s) {
				found = append(found, table+"."+col)
			}
		})
	}
	for _, sfx := range []string{"", "-wal"} {
		b, err := os.ReadFile(e.path + sfx)
		if err == nil && bytes.Contains(b, []byte(s)) {
			found = append(found, "file "+filepath.Base(e.path+sfx))
		}
	}
	return found
}

// requireCode requires err to be a refusal with code.
func requireCode(t *testing.T, err error, want Code) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, want, CodeOf(err), "error: %v", err)
}

// refused runs fn, requires its refusal with code and that it changed
// nothing at all: no op, no parcel, no slot, no event.
func (e *env) refused(t *testing.T, want Code, fn func() error) error {
	t.Helper()
	before := e.snapshot(t)
	err := fn()
	requireCode(t, err, want)
	require.Equal(t, before, e.snapshot(t), "a refused action changes nothing")
	return err
}

// countRows counts a table's rows.
func (e *env) countRows(t *testing.T, table string) int {
	t.Helper()
	var n int
	require.NoError(t, e.st.DB().QueryRowContext(e.ctx, "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// rollback runs fn inside a write transaction that is then rolled back.
func (e *env) rollback(t *testing.T, fn func(tx *store.Tx) error) {
	t.Helper()
	errRollback := fmt.Errorf("rollback")
	err := e.st.Write(e.ctx, "test", func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
}
