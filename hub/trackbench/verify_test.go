package trackbench_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cunyou/hub/merge"
	"cunyou/hub/store"
	"cunyou/hub/trackbench"
	"cunyou/syncproto"
)

const countyFile = "../../testdata/county.json"

// mergeCounty plays the county of spec through the real merge: each
// round's hub facts with Record, each node's batch with Apply, then waits
// for the projector, with the store's clock at the round's time.
func mergeCounty(t *testing.T, dir string, spec trackbench.Spec) {
	t.Helper()
	ctx := context.Background()
	var clk atomic.Int64
	st, err := store.Open(ctx, dir, store.Options{Synchronous: "NORMAL", Now: func() time.Time { return time.UnixMilli(clk.Load()) }})
	require.NoError(t, err)
	defer st.Close()
	clk.Store(time.Date(2026, 3, 14, 0, 0, 0, 0, trackbench.Loc).AddDate(0, 0, -spec.Days-1).UnixMilli())
	county, err := trackbench.Setup(ctx, st, spec, countyFile)
	require.NoError(t, err)
	m, err := merge.New(ctx, st, merge.Options{})
	require.NoError(t, err)
	defer m.Close()
	err = county.Run(func(r trackbench.Round) error {
		clk.Store(r.AtMs)
		for _, d := range r.Deliveries {
			if d.Node == syncproto.HubNode {
				facts := make([]merge.Fact, len(d.Ops))
				for i, o := range d.Ops {
					facts[i] = merge.Fact{Kind: o.Kind, Actor: o.Actor, Payload: o.Payload}
				}
				if err := m.Record(ctx, facts); err != nil {
					return err
				}
				continue
			}
			b := syncproto.Batch{Header: syncproto.BatchHeader{Proto: syncproto.ProtoVersion, Kind: syncproto.BatchOps, Node: d.Node,
				Incarnation: d.Incarnation, Count: len(d.Ops)}}
			for _, o := range d.Ops {
				op, err := trackbench.NodeOp(d.Node, d.Incarnation, o)
				if err != nil {
					return err
				}
				b.Ops = append(b.Ops, op)
			}
			res, err := m.Apply(ctx, d.Node, b)
			if err != nil {
				return err
			}
			if res.Applied != len(d.Ops) {
				return fmt.Errorf("%s: %d of %d ops applied: %+v", d.Node, res.Applied, len(d.Ops), res)
			}
		}
		return m.Flush(ctx)
	})
	require.NoError(t, err)
}

// dump reads a query's rows as text, one line a row.
func dump(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		var b strings.Builder
		for i, v := range vals {
			if i > 0 {
				b.WriteString(" | ")
			}
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprintf(&b, "%v", v)
		}
		out = append(out, b.String())
	}
	require.NoError(t, rows.Err())
	return out
}

// The direct writer gives the rows the real merge and projector give for
// the same county: ops, cursors, the nodes' contact, the hub's clock and
// projection, parcels, timeline, exceptions and downstream changes.
func TestDirectMatchesMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("merges a county of 20,000 facts")
	}
	spec, least := trackbench.CountySmall, 15000
	if raceEnabled {
		spec.PerDay, least = spec.PerDay/3, 5000 // every kind of journey still, in a third of the time
	}
	ctx := context.Background()
	directDir, mergedDir := t.TempDir(), t.TempDir()
	info, err := trackbench.Generate(ctx, directDir, spec, countyFile)
	require.NoError(t, err)
	t.Logf("direct: %s", info)
	began := time.Now()
	mergeCounty(t, mergedDir, spec)
	t.Logf("merged in %v", time.Since(began).Round(time.Millisecond))

	open := func(dir string) *sql.DB {
		st, err := store.Open(ctx, dir, store.Options{})
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		return st.DB()
	}
	direct, merged := open(directDir), open(mergedDir)
	for _, q := range []string{
		"SELECT * FROM parcels ORDER BY id",
		"SELECT * FROM facts ORDER BY id",
		"SELECT * FROM exceptions ORDER BY id",
		"SELECT * FROM ops ORDER BY hub_seq",
		"SELECT * FROM cursors ORDER BY stream",
		"SELECT * FROM changes ORDER BY seq",
		"SELECT * FROM hub",
		"SELECT node_id, last_contact_ms, last_op_hlc, future_ops FROM nodes ORDER BY node_id",
		"SELECT * FROM trips ORDER BY id",
		"SELECT count(*) FROM quarantine",
		"SELECT count(*) FROM dead_letters",
	} {
		want, got := dump(t, merged, q), dump(t, direct, q)
		if len(want) != len(got) {
			t.Errorf("%s: merged %d rows, direct %d", q, len(want), len(got))
		}
		diffs := 0
		for i := range min(len(want), len(got)) {
			if want[i] != got[i] {
				if diffs < 5 {
					t.Errorf("%s, row %d:\n merged %s\n direct %s", q, i, want[i], got[i])
				}
				diffs++
			}
		}
		if diffs > 0 || len(want) != len(got) {
			t.Errorf("%s: %d rows differ: the direct writer (project.go, direct.go) no longer does what hub/merge does; "+
				"teach it the merge's change and bump trackbench.Version", q, diffs)
		}
	}
	var facts int
	require.NoError(t, merged.QueryRow("SELECT count(*) FROM facts").Scan(&facts))
	require.Greater(t, facts, least, "a county of about 20,000 facts (a third under the race detector)")
}
