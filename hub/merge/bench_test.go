package merge_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cunyou/hub/merge"
	"cunyou/hub/store"
	"cunyou/syncproto"
)

// stationOps makes a realistic day of one station: mostly inbound scans,
// pickups of parcels scanned before (often two at once), some parcels
// sent, a few problems and returns, a stocktake and a day close.
func stationOps(rng *rand.Rand, node, inc string, n int) []syncproto.Op {
	carriers := []string{"zto", "yto", "sto", "yunda", "jt", "ems", "sf"}
	var shelf []string
	ops := make([]syncproto.Op, 0, n)
	next := 0
	wb := func() string {
		next++
		return fmt.Sprintf("%s%s%06d", node[3:], inc[:4], next)
	}
	for seq := uint64(1); len(ops) < n; seq++ {
		var o syncproto.Op
		switch r := rng.IntN(100); {
		case r < 55 || len(shelf) < 3:
			w := "7" + wb()
			shelf = append(shelf, w)
			o = op(node, inc, seq, syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: w, Carrier: carriers[rng.IntN(len(carriers))],
				ReceiverName: "王秀英", ReceiverPhone: fmt.Sprintf("139%08d", rng.IntN(1e8)), Manifested: rng.IntN(2) == 0,
				Shelf: 1 + rng.IntN(6), Layer: 1 + rng.IntN(4), Code: fmt.Sprintf("%d-%d-%04d", 1+rng.IntN(6), 1+rng.IntN(4), rng.IntN(10000))})
		case r < 85:
			k := min(1+rng.IntN(2), len(shelf))
			o = op(node, inc, seq, syncproto.KindParcelsPickedUp, syncproto.ParcelsPickedUp{Waybills: shelf[:k],
				Collector:   syncproto.Collector{Kind: "receiver", Name: "王秀英", Phone: fmt.Sprintf("139%08d", rng.IntN(1e8))},
				PhotoSHA256: fmt.Sprintf("%064x", rng.Uint64())})
			shelf = shelf[k:]
		case r < 92:
			o = op(node, inc, seq, syncproto.KindParcelAccepted, syncproto.ParcelAccepted{Waybill: "9" + wb(), Carrier: "zto", WaybillSource: "range",
				Sender:      syncproto.Party{Name: "李建国", Phone: "13912345678", IDHash: fmt.Sprintf("%064x", rng.Uint64()), IDLast4: "123X"},
				Receiver:    syncproto.Party{Name: "李娜", Phone: "13787654321", Province: "广东", Address: "广州市天河区体育西路 100 号"},
				WeightGrams: 500 + rng.IntN(5000), PriceFen: 800 + rng.IntN(2000)})
		case r < 95:
			o = op(node, inc, seq, syncproto.KindParcelProblem, syncproto.ParcelProblem{Waybill: shelf[0], Reason: syncproto.ReasonDamaged})
		case r < 98:
			o = op(node, inc, seq, syncproto.KindParcelsReturned, syncproto.ParcelsReturned{Waybills: shelf[:1], Reason: "overdue"})
			shelf = shelf[1:]
		case r < 99:
			o = op(node, inc, seq, syncproto.KindStocktake, syncproto.Stocktake{Shelf: 1, Expected: 30, Scanned: 30,
				Relocations: []syncproto.ParcelRelocated{{Waybill: shelf[len(shelf)-1], FromShelf: 1, FromLayer: 1, ToShelf: 1, ToLayer: 2}}})
		default:
			o = op(node, inc, seq, syncproto.KindDayClosed, syncproto.DayClosed{Date: "2026-03-13", Total: syncproto.DayCounts{In: 40, Out: 35}})
		}
		ops = append(ops, o)
	}
	return ops
}

// encodeBatches splits ops into wire batches of size.
func encodeBatches(tb testing.TB, node, inc string, ops []syncproto.Op, size int) [][]byte {
	var out [][]byte
	for i := 0; i < len(ops); i += size {
		var buf bytes.Buffer
		require.NoError(tb, syncproto.WriteOps(&buf, node, inc, ops[i:min(i+size, len(ops))], t0.UnixMilli()))
		out = append(out, buf.Bytes())
	}
	return out
}

// BenchmarkMerge1000Stations: 1,000 stations upload at once, each its
// backlog of opsPerNode ops in batches, through the same path as the HTTP
// handler (decode the wire batch, take one of DefaultSlots merge slots,
// Apply), with FULL durability. Reports merged ops per second ("ops/s":
// every upload acknowledged, its ops durable) and, with the projector's
// catching up included, "e2e-ops/s" (every op also in the tracking index).
func BenchmarkMerge1000Stations(b *testing.B) {
	for _, c := range []struct {
		name             string
		perNode, perSent int
	}{
		{"60ops-batch200", 60, 200},
		{"600ops-batch200", 600, 200},
	} {
		b.Run(c.name, func(b *testing.B) { benchMerge(b, 1000, c.perNode, c.perSent) })
	}
}

func benchMerge(b *testing.B, nodes, perNode, perBatch int) {
	e := openEnv(b, b.TempDir(), merge.Options{})
	ids := make([]string, nodes)
	for i := range ids {
		ids[i] = fmt.Sprintf("ST-V%04d", i)
	}
	e.addNodes(b, ids...)
	slots := merge.NewSlots(merge.DefaultSlots)
	rng := rand.New(rand.NewPCG(1, 2))
	var total, e2e, cpu time.Duration
	var ops int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		inc := fmt.Sprintf("%04d%012x", i, rng.Uint64())
		wire := make([][][]byte, nodes)
		for n, id := range ids {
			wire[n] = encodeBatches(b, id, inc, stationOps(rng, id, inc, perNode), perBatch)
		}
		b.StartTimer()
		start, cpu0 := time.Now(), processCPU()
		var wg sync.WaitGroup
		errs := make(chan error, nodes)
		for n, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := context.Background()
				for _, raw := range wire[n] {
					if !slots.Acquire(ctx, time.Hour) {
						errs <- fmt.Errorf("no slot")
						return
					}
					bt, err := syncproto.ReadBatch(bufio.NewReader(bytes.NewReader(raw)))
					if err == nil {
						_, err = e.m.Apply(ctx, id, bt)
					}
					slots.Release()
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		total += time.Since(start)
		require.NoError(b, e.m.Flush(context.Background()))
		e2e += time.Since(start)
		cpu += processCPU() - cpu0
		ops += nodes * perNode
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(ops)/total.Seconds(), "ops/s")
	b.ReportMetric(float64(ops)/e2e.Seconds(), "e2e-ops/s")
	st := e.m.Stats()
	b.ReportMetric(float64(st.Applied+st.DeadLettered)/float64(st.Commits), "ops/commit")
	b.ReportMetric(float64(st.WriterBusy.Microseconds())/float64(st.Applied+st.DeadLettered), "writer-µs/op")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(ops), "cpu-µs/op")
	}
	require.EqualValues(b, ops, st.Applied)
}

// BenchmarkRawSQLiteInsert is the ceiling: the ops table alone, filled by
// one writer in transactions of 800 rows (a group commit of four batches of 200) with
// prepared statements and the same durability (WAL, synchronous FULL).
func BenchmarkRawSQLiteInsert(b *testing.B) {
	const perTx = 800
	ctx := context.Background()
	st, err := store.Open(ctx, b.TempDir(), store.Options{})
	require.NoError(b, err)
	defer st.Close()
	ins, err := st.Prepare(ctx, `INSERT INTO ops (stream, seq, v, hlc, actor, kind, payload, hash, received_ms, applied)
		VALUES (?, ?, 1, ?, 'clerk', 'parcel.inbound', ?, ?, ?, 1) ON CONFLICT (stream, seq) DO NOTHING`)
	require.NoError(b, err)
	defer ins.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	ops := stationOps(rng, "ST-V0001", "0000abcdef012345", perTx)
	const total = 200000
	b.ResetTimer()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		for n := 0; n < total; n += perTx {
			stream := int64(i*total + n)
			require.NoError(b, st.Write(ctx, func(tx *sql.Tx) error {
				s := tx.StmtContext(ctx, ins)
				defer s.Close()
				for _, o := range ops {
					if _, err := s.ExecContext(ctx, stream, int64(o.Seq), int64(o.HLC), []byte(o.Payload), o.Hash, t0.UnixMilli()); err != nil {
						return err
					}
				}
				return nil
			}))
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(total*b.N)/elapsed.Seconds(), "ops/s")
}
