package syncproto_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

// stationOps makes n sealed ops of a realistic station day: mostly inbound
// and pickups, some problems, sends and returns.
func stationOps(n int, seed uint64) []syncproto.Op {
	rng := rand.New(rand.NewPCG(seed, 1))
	clock := int64(1_764_000_000_000)
	var ops []syncproto.Op
	var onShelf []string
	names := []string{"王秀英", "李建国", "张玉兰", "刘志强", "陈海燕"}
	carriers := []string{"zto", "yto", "yunda", "jt", "sf", "sto"}
	for seq := uint64(1); seq <= uint64(n); seq++ {
		clock += int64(5_000 + rng.IntN(120_000))
		var kind syncproto.EventKind
		var payload any
		switch r := rng.IntN(100); {
		case r < 55 || len(onShelf) == 0:
			wb := fmt.Sprintf("7%013d", rng.Int64N(1e13))
			onShelf = append(onShelf, wb)
			kind, payload = syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: wb, Carrier: carriers[rng.IntN(len(carriers))],
				ReceiverName: names[rng.IntN(len(names))], ReceiverPhone: fmt.Sprintf("13%09d", rng.IntN(1e9)), Manifested: rng.IntN(10) < 8,
				Shelf: 1 + rng.IntN(6), Layer: 1 + rng.IntN(4), Code: fmt.Sprintf("%d-%d-%04d", 1+rng.IntN(6), 1+rng.IntN(4), 1000+rng.IntN(9000))}
		case r < 92:
			i := rng.IntN(len(onShelf))
			wb := onShelf[i]
			onShelf = append(onShelf[:i], onShelf[i+1:]...)
			kind, payload = syncproto.KindParcelsPickedUp, syncproto.ParcelsPickedUp{Waybills: []string{wb}, Collector: syncproto.Collector{Kind: "receiver"}}
		case r < 95:
			kind, payload = syncproto.KindParcelProblem, syncproto.ParcelProblem{Waybill: onShelf[rng.IntN(len(onShelf))], Reason: syncproto.ReasonDamaged}
		case r < 98:
			kind, payload = syncproto.KindParcelAccepted, syncproto.ParcelAccepted{Waybill: fmt.Sprintf("78%012d", seq), Carrier: "zto", WaybillSource: "range",
				Sender:   syncproto.Party{Name: names[0], Phone: "13900000000", IDHash: fmt.Sprintf("%064x", rng.Uint64()), IDLast4: "002X"},
				Receiver: syncproto.Party{Name: names[1], Phone: "13800000000", Province: "广东省", Address: "广州市天河区"}, WeightGrams: 1200, PriceFen: 1500}
		default:
			kind, payload = syncproto.KindParcelsReturned, syncproto.ParcelsReturned{Waybills: []string{onShelf[0]}, Reason: "overdue"}
		}
		body, _ := json.Marshal(payload)
		op := syncproto.Op{Node: "ST-V0101", Incarnation: "0123456789abcdef", Seq: seq, HLC: syncproto.MakeTimestamp(clock, 0),
			Actor: []string{"clerk", "owner"}[rng.IntN(2)], Kind: kind, Payload: body}
		op.Seal()
		ops = append(ops, op)
	}
	return ops
}

func encodeOps(t testing.TB, ops []syncproto.Op) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, syncproto.WriteOps(&buf, ops[0].Node, ops[0].Incarnation, ops, 1))
	return buf.Bytes()
}

func TestOpsBatchRoundTrip(t *testing.T) {
	ops := stationOps(500, 1)
	raw := encodeOps(t, ops)
	b, err := syncproto.ReadBatch(bytes.NewReader(raw))
	require.NoError(t, err)
	assert.Equal(t, syncproto.BatchOps, b.Header.Kind)
	assert.Equal(t, "ST-V0101", b.Header.Node)
	assert.Equal(t, ops, b.Ops)
	for _, op := range b.Ops {
		require.NoError(t, op.Verify())
	}
	t.Logf("%d ops in %d bytes: %.1f B/op", len(ops), len(raw), float64(len(raw))/float64(len(ops)))
}

func TestChangesBatchRoundTrip(t *testing.T) {
	var changes []syncproto.Change
	for i := uint64(1); i <= 50; i++ {
		p, _ := json.Marshal(syncproto.ManifestEntry{Waybill: fmt.Sprintf("73%012d", i), Carrier: "zto", ReceiverName: "王秀英", ReceiverPhone: "13800000000"})
		changes = append(changes, syncproto.Change{Seq: i * 3, Type: syncproto.ChangeManifest, Payload: p})
	}
	var buf bytes.Buffer
	require.NoError(t, syncproto.WriteChanges(&buf, "ST-V0101", changes, 1))
	b, err := syncproto.ReadBatch(&buf)
	require.NoError(t, err)
	assert.Equal(t, changes, b.Changes)

	buf.Reset()
	require.NoError(t, syncproto.WriteChanges(&buf, "ST-V0101", nil, 1))
	b, err = syncproto.ReadBatch(&buf)
	require.NoError(t, err)
	assert.Empty(t, b.Changes, "an empty batch is valid: nothing new")
}

// A bundle file is batches one after another; each is read exactly.
func TestBundleOfBatches(t *testing.T) {
	ops := stationOps(300, 2)
	var file bytes.Buffer
	for i := 0; i < 300; i += 100 {
		require.NoError(t, syncproto.WriteOps(&file, "ST-V0101", ops[0].Incarnation, ops[i:i+100], 1))
	}
	r := bufio.NewReader(&file)
	var got []syncproto.Op
	for {
		b, err := syncproto.ReadBatch(r)
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		got = append(got, b.Ops...)
	}
	assert.Equal(t, ops, got)
}

// Every truncation and every flipped byte is rejected whole, never half-read.
func TestCorruptBatchRejectedWhole(t *testing.T) {
	raw := encodeOps(t, stationOps(40, 3))
	for n := 0; n < len(raw); n++ {
		_, err := syncproto.ReadBatch(bytes.NewReader(raw[:n]))
		require.Error(t, err, "truncated at %d of %d", n, len(raw))
		if n > 0 {
			assert.True(t, syncproto.IsBadBatch(err), "truncated at %d: %v", n, err)
		}
	}
	for i := range raw {
		bad := bytes.Clone(raw)
		bad[i] ^= 0x41
		b, err := syncproto.ReadBatch(bytes.NewReader(bad))
		require.Error(t, err, "byte %d flipped", i)
		assert.Empty(t, b.Ops)
	}
}

func TestBatchVersions(t *testing.T) {
	raw := encodeOps(t, stationOps(3, 4))
	bad := bytes.Clone(raw)
	bad[4] = 9 // a format from the future
	_, err := syncproto.ReadBatch(bytes.NewReader(bad))
	assert.Equal(t, syncproto.CodeUnsupportedVersion, syncproto.CodeOf(err))
	_, err = syncproto.ReadBatch(bytes.NewReader([]byte("GET / HTTP/1.1\r\n")))
	assert.Equal(t, syncproto.CodeBadBatch, syncproto.CodeOf(err))
}

func TestWriteOpsRefusesMixedOrUnordered(t *testing.T) {
	ops := stationOps(3, 5)
	var buf bytes.Buffer
	assert.Error(t, syncproto.WriteOps(&buf, "ST-OTHER", ops[0].Incarnation, ops, 1))
	ops[1], ops[2] = ops[2], ops[1]
	assert.Error(t, syncproto.WriteOps(&buf, "ST-V0101", ops[0].Incarnation, ops, 1))
}

func TestNegotiate(t *testing.T) {
	v, err := syncproto.Negotiate(1, 5)
	require.NoError(t, err)
	assert.Equal(t, syncproto.ProtoVersion, v)
	_, err = syncproto.Negotiate(syncproto.ProtoVersion+1, syncproto.ProtoVersion+3)
	assert.Equal(t, syncproto.CodeUnsupportedVersion, syncproto.CodeOf(err))
	assert.Contains(t, err.Error(), "upgrade this program")
	_, err = syncproto.Negotiate(0, 0)
	assert.Contains(t, err.Error(), "upgrade the other end")
}

func FuzzReadBatch(f *testing.F) {
	f.Add(encodeOps(f, stationOps(5, 6)))
	var buf bytes.Buffer
	syncproto.WriteChanges(&buf, "ST-V0101", []syncproto.Change{{Seq: 1, Type: syncproto.ChangeTemplate, Payload: []byte(`{"key":"a","text":"b"}`)}}, 1)
	f.Add(buf.Bytes())
	f.Add([]byte("CYSB\x01\x02{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := syncproto.ReadBatch(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to a batch that decodes the same.
		var out bytes.Buffer
		switch b.Header.Kind {
		case syncproto.BatchOps:
			if len(b.Ops) == 0 {
				return
			}
			require.NoError(t, syncproto.WriteOps(&out, b.Header.Node, b.Header.Incarnation, b.Ops, b.Header.CreatedMs))
		case syncproto.BatchChanges:
			require.NoError(t, syncproto.WriteChanges(&out, b.Header.Node, b.Changes, b.Header.CreatedMs))
		}
		b2, err := syncproto.ReadBatch(&out)
		require.NoError(t, err)
		assert.Equal(t, b.Ops, b2.Ops)
		assert.Equal(t, b.Changes, b2.Changes)
	})
}

// BenchmarkBytesPerOp reports the wire size of a realistic station mix in
// batches of 200 ops (target ≤ 40 B/op, DESIGN §7).
func BenchmarkBytesPerOp(b *testing.B) {
	ops := stationOps(20000, 7)
	var total int
	for range b.N {
		total = 0
		for i := 0; i < len(ops); i += 200 {
			var buf bytes.Buffer
			syncproto.WriteOps(&buf, ops[0].Node, ops[0].Incarnation, ops[i:i+200], 1)
			total += buf.Len()
		}
	}
	b.ReportMetric(float64(total)/float64(len(ops)), "B/op-wire")
}
