package merge_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cunyou/hub/merge"
	"cunyou/hub/store"
	"cunyou/syncproto"
)

// t0 is the tests' wall clock: ops are stamped a little before it.
var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

type env struct {
	dir string
	st  *store.Store
	m   *merge.Merger
}

func openEnv(tb testing.TB, dir string, o merge.Options) *env {
	tb.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dir, store.Options{Now: func() time.Time { return t0 }})
	require.NoError(tb, err)
	m, err := merge.New(ctx, st, o)
	require.NoError(tb, err)
	e := &env{dir: dir, st: st, m: m}
	tb.Cleanup(e.close)
	return e
}

func newEnv(tb testing.TB, nodes ...string) *env {
	tb.Helper()
	e := openEnv(tb, tb.TempDir(), merge.Options{})
	e.addNodes(tb, nodes...)
	return e
}

func (e *env) close() {
	e.m.Close()
	e.st.Close()
}

// addNodes enrolls nodes directly, in one transaction.
func (e *env) addNodes(tb testing.TB, nodes ...string) {
	tb.Helper()
	require.NoError(tb, e.st.Write(context.Background(), func(tx *sql.Tx) error {
		for _, n := range nodes {
			if _, err := tx.Exec(`INSERT INTO nodes (node_id, kind, name, token_hash, created_at) VALUES (?, 'station', ?, ?, 0)`,
				n, n+" 驿站", "token-"+n); err != nil {
				return err
			}
		}
		return nil
	}))
}

// op builds a sealed op.
func op(node, inc string, seq uint64, kind syncproto.EventKind, payload any) syncproto.Op {
	body, err := json.Marshal(payload)
	if err != nil {
		panic(err)
	}
	o := syncproto.Op{Node: node, Incarnation: inc, Seq: seq, HLC: syncproto.MakeTimestamp(t0.Add(-time.Hour).UnixMilli()+int64(seq), 0),
		Actor: "clerk", Kind: kind, Payload: body}
	o.Seal()
	return o
}

func inbound(node, inc string, seq uint64, wb string) syncproto.Op {
	return op(node, inc, seq, syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: wb, Carrier: "zto",
		ReceiverName: "张三", ReceiverPhone: "13800138000", Shelf: 1, Layer: 2, Code: fmt.Sprintf("1-2-%04d", seq)})
}

func pickup(node, inc string, seq uint64, wbs ...string) syncproto.Op {
	return op(node, inc, seq, syncproto.KindParcelsPickedUp, syncproto.ParcelsPickedUp{Waybills: wbs,
		Collector: syncproto.Collector{Kind: "receiver", Name: "张三", Phone: "13800138000"}})
}

func batch(node, inc string, ops ...syncproto.Op) syncproto.Batch {
	return syncproto.Batch{Header: syncproto.BatchHeader{Proto: syncproto.ProtoVersion, Kind: syncproto.BatchOps, Node: node,
		Incarnation: inc, Count: len(ops)}, Ops: ops}
}

func (e *env) cursor(tb testing.TB, node, inc string) uint64 {
	tb.Helper()
	c, err := e.st.Cursors(context.Background(), node)
	require.NoError(tb, err)
	return c[inc]
}

// flush waits for the projector to catch up with every durable op.
func (e *env) flush(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(tb, e.m.Flush(ctx))
}

func (e *env) count(tb testing.TB, query string, args ...any) int {
	tb.Helper()
	e.flush(tb)
	var n int
	require.NoError(tb, e.st.DB().QueryRow(query, args...).Scan(&n))
	return n
}
