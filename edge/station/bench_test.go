package station

// Benchmarks against DESIGN §7 with 500k parcels in the store. `make bench`
// runs them; tools/benchreport turns their metrics into the figures table.
// Timings are reported, never asserted.
//
// A station's history is seeded straight into SQLite, in a few big
// transactions, keeping the invariants the station's own operations keep:
// every parcel's events replay to its status, every op is in the outbox with
// a gap-free seq and a valid hash, on-shelf codes are unique and slot loads
// match the parcels on them. The 500k database is built once and cached in
// os.TempDir(); every benchmark works on its own copy.

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/store"
	"cunyou/syncproto"
)

// benchSeedVersion names the shape of the seeded history; bump it when the
// seeder changes and cached databases are rebuilt. A schema change is
// detected on its own.
const benchSeedVersion = 2

const (
	benchNode = "ST-BENCH"
	// 20 shelves × 5 layers × 90 = 9,000 slots, as many as there are codes
	// (1000–9999): ~3,000 held by the history, room for a sample of scans.
	benchShelves   = 20
	benchLayers    = 5
	benchCapacity  = 90
	benchReceivers = 20_000 // phone numbers of the station's villagers
	benchReturnAge = 7 * 24 * time.Hour

	benchScans   = 2_000 // inbound scans measured per sample
	benchLookups = 5_000 // pickup lookups measured per sample
	benchWarmup  = 50    // calls before each sample, not measured

	benchRowsPerInsert = 400     // rows per multi-row INSERT
	benchActionsPerTx  = 100_000 // ops per seeding transaction
)

// benchSpec is the size of a seeded history.
type benchSpec struct {
	name    string
	parcels int
	perDay  int // parcels a day: the pickup delays keep some 1.3 days' worth on the shelves
}

var (
	bench500k  = benchSpec{"500k", 500_000, 2_200} // ~3,000 on the shelves, 1.5 % sent back
	benchSmall = benchSpec{"5k", 5_000, 250}       // 20 days: for the plan test, quick under -race too
)

// benchLoc is the station's time zone.
var benchLoc = time.FixedZone("CST", 8*3600)

// benchSeedInfo describes a seeded database; it is kept beside the cached
// file as JSON.
type benchSeedInfo struct {
	Parcels   int     `json:"parcels"`
	OnShelf   int     `json:"on_shelf"`
	Returning int     `json:"returning"`
	Events    int     `json:"events"`
	Ops       int     `json:"ops"`
	Manifest  int     `json:"manifest"`
	Bytes     int64   `json:"bytes"`
	Seconds   float64 `json:"seed_seconds"`
	Schema    int     `json:"schema"`
	Seed      int     `json:"seed_version"`
	Built     string  `json:"built"`
}

func (i benchSeedInfo) String() string {
	return fmt.Sprintf("%d parcels (%d on shelves, %d returning), %d events, %d ops, %d manifest rows, %.0f MB; seeded in %.1f s",
		i.Parcels, i.OnShelf, i.Returning, i.Events, i.Ops, i.Manifest, float64(i.Bytes)/1e6, i.Seconds)
}

// benchCache remembers the databases checked or built by this process.
var benchCache struct {
	sync.Mutex
	m map[string]benchSeedInfo
}

// benchSeeded returns the cached seeded database of spec's size, building
// it when it is missing or was built by another seeder or for another
// schema. Building the 500k one takes a minute or two.
func benchSeeded(tb testing.TB, spec benchSpec) (string, benchSeedInfo) {
	tb.Helper()
	benchCache.Lock()
	defer benchCache.Unlock()
	path := filepath.Join(os.TempDir(), "cunyou-bench-"+spec.name+"-v1.db")
	if info, ok := benchCache.m[path]; ok {
		return path, info
	}
	if benchCache.m == nil {
		benchCache.m = map[string]benchSeedInfo{}
	}
	if info, ok := benchCachedInfo(tb, path, spec); ok {
		tb.Logf("seeded store %s (cached): %s", path, info)
		benchCache.m[path] = info
		return path, info
	}
	tmp := fmt.Sprintf("%s.build-%d", path, os.Getpid())
	benchRemoveDB(tmp)
	info, err := benchSeed(context.Background(), tmp, spec, 1)
	if err != nil {
		benchRemoveDB(tmp)
		tb.Fatalf("seed %s: %v", spec.name, err)
	}
	meta, err := json.Marshal(info)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(tmp+".json", meta, 0o600); err != nil {
		tb.Fatal(err)
	}
	benchRemoveDB(path)
	if err := os.Rename(tmp+".json", path+".json"); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("seeded store %s (built now): %s", path, info)
	benchCache.m[path] = info
	return path, info
}

// benchCachedInfo reports whether the cached database at path is complete,
// was built by this seeder and has the schema this build creates.
func benchCachedInfo(tb testing.TB, path string, spec benchSpec) (benchSeedInfo, bool) {
	tb.Helper()
	var info benchSeedInfo
	meta, err := os.ReadFile(path + ".json")
	if err != nil || json.Unmarshal(meta, &info) != nil {
		return info, false
	}
	if _, err := os.Stat(path); err != nil || info.Parcels != spec.parcels || info.Seed != benchSeedVersion ||
		info.Schema != store.SchemaVersion() {
		return info, false
	}
	have, err := benchSchemaText(path)
	if err != nil {
		return info, false
	}
	fresh := filepath.Join(tb.TempDir(), "fresh.db")
	st, err := store.Open(context.Background(), fresh, store.Options{Node: benchNode, Kind: syncproto.NodeStation})
	if err != nil {
		tb.Fatal(err)
	}
	st.Close()
	want, err := benchSchemaText(fresh)
	if err != nil {
		tb.Fatal(err)
	}
	return info, have == want
}

// benchSchemaText returns a database's schema version and definitions.
func benchSchemaText(path string) (string, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		return "", err
	}
	defer db.Close()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return "", err
	}
	rows, err := db.Query("SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "version %d\n", v)
	for rows.Next() {
		var typ, name, def string
		if err := rows.Scan(&typ, &name, &def); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s %s %s\n", typ, name, def)
	}
	return b.String(), rows.Err()
}

func benchRemoveDB(path string) {
	for _, sfx := range []string{"", "-wal", "-shm", "-journal", ".json"} {
		os.Remove(path + sfx)
	}
}

// benchFresh copies the cached database into dir as station.db, replacing
// an earlier copy, and returns its path. The cached file is the whole
// database: benchSeed folds its WAL in.
func benchFresh(tb testing.TB, cached, dir string) string {
	tb.Helper()
	dst := filepath.Join(dir, "station.db")
	for _, sfx := range []string{"", "-wal", "-shm"} {
		os.Remove(dst + sfx)
	}
	if err := benchCopyFile(cached, dst); err != nil {
		tb.Fatalf("copy seeded store: %v", err)
	}
	return dst
}

func benchCopyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// benchParcel is one parcel of the seeded history.
type benchParcel struct {
	wb, carrier string
	recv        int32
	manifested  bool
	inAt, outAt int64 // unix ms; outAt is 0 while on the shelves
	status      string
	shelf       int // at inbound; still held when status is at_station
	layer       int
	codeNum     int
	inActor     string
	outActor    string
}

// benchAction is one op of the seeded history.
type benchAction struct {
	at      int64
	kind    syncproto.EventKind
	actor   string
	parcels []int32
}

var (
	benchPrefixes = []string{"130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
		"153", "155", "156", "157", "158", "159", "166", "173", "176", "177", "180", "181", "182", "183", "185", "186",
		"187", "188", "189", "191", "198", "199"}
	benchSurnames = []rune("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
	benchGiven    = []rune("秀英桂兰建国玉志强海燕庆春梅立新淑珍宏伟晓东丽娜永胜凤霞明华军平刚芳敏静红霞文杰勇超")
)

func benchPhone(rng *rand.Rand) string {
	return benchPrefixes[rng.IntN(len(benchPrefixes))] + fmt.Sprintf("%08d", rng.IntN(100_000_000))
}

func benchName(rng *rand.Rand) string {
	n := 1 + rng.IntN(2)
	name := []rune{benchSurnames[rng.IntN(len(benchSurnames))]}
	for range n {
		name = append(name, benchGiven[rng.IntN(len(benchGiven))])
	}
	return string(name)
}

// benchWaybill returns a waybill number in one carrier's format, unique for
// each i below ten million, and the carrier's code.
func benchWaybill(rng *rand.Rand, i int) (string, string) {
	serial := fmt.Sprintf("%07d", i%10_000_000)
	switch u := rng.IntN(100); {
	case u < 25:
		return fmt.Sprintf("73%05d%s", rng.IntN(100_000), serial), "zto"
	case u < 45:
		return fmt.Sprintf("YT%06d%s", rng.IntN(1_000_000), serial), "yto"
	case u < 60:
		return fmt.Sprintf("3%07d%s", rng.IntN(10_000_000), serial), "yunda"
	case u < 72:
		return fmt.Sprintf("77%06d%s", rng.IntN(1_000_000), serial), "sto"
	case u < 82:
		return fmt.Sprintf("JT%06d%s", rng.IntN(1_000_000), serial), "jt"
	case u < 90:
		return fmt.Sprintf("SF%06d%s", rng.IntN(1_000_000), serial), "sf"
	case u < 95:
		return fmt.Sprintf("98%04d%s", rng.IntN(10_000), serial), "ems"
	default:
		return fmt.Sprintf("JDVA%04d%s", rng.IntN(10_000), serial), "jd"
	}
}

func benchActor(rng *rand.Rand) string {
	if rng.IntN(4) == 0 {
		return "wang"
	}
	return "li"
}

// benchDelay is how long a parcel waits for its receiver: most the same
// or the next day, some days, a few longer than the station keeps them.
func benchDelay(rng *rand.Rand) int64 {
	const day = float64(24 * time.Hour / time.Millisecond)
	var d float64
	switch u := rng.Float64(); {
	case u < 0.55:
		d = rng.ExpFloat64() * 0.6
	case u < 0.95:
		d = rng.ExpFloat64() * 3
	default:
		d = rng.ExpFloat64() * 10
	}
	return int64(d*day) + (10 * time.Minute).Milliseconds()
}

// benchPlan draws a station's history of n inbound parcels ending an hour
// ago: receivers, pickups (a receiver takes everything waiting at once),
// returns of parcels nobody came for, and the ops in time order.
func benchPlan(n, perDay int, seed uint64) (receivers [][2]string, ps []benchParcel, actions []benchAction, end int64, err error) {
	rng := rand.New(rand.NewPCG(seed, seed^0xbe4c4))
	seen := map[string]bool{}
	for len(receivers) < benchReceivers {
		p := benchPhone(rng)
		if !seen[p] {
			seen[p] = true
			receivers = append(receivers, [2]string{p, benchName(rng)})
		}
	}
	end = time.Now().Add(-time.Hour).UnixMilli()
	span := int64(n) * (24 * time.Hour).Milliseconds() / int64(perDay)
	start := end - span
	step := span / int64(n)
	ps = make([]benchParcel, n)
	byRecv := make([][]int32, benchReceivers)
	one := make([]int32, n)
	actions = make([]benchAction, 0, n+n*3/4)
	for i := range ps {
		p := &ps[i]
		p.wb, p.carrier = benchWaybill(rng, i)
		u := rng.Float64()
		p.recv = int32(float64(benchReceivers) * u * u) // a few receivers get many parcels
		p.manifested = rng.IntN(10) < 7
		p.inAt = start + int64(i)*step + rng.Int64N(step)
		p.status = StatusAtStation
		p.shelf, p.layer, p.codeNum = 1+rng.IntN(benchShelves), 1+rng.IntN(benchLayers), codeMin+rng.IntN(codeMax-codeMin+1)
		p.inActor = benchActor(rng)
		byRecv[p.recv] = append(byRecv[p.recv], int32(i))
		one[i] = int32(i)
		actions = append(actions, benchAction{at: p.inAt, kind: syncproto.KindParcelInbound, actor: p.inActor, parcels: one[i : i+1 : i+1]})
	}
	// Each parcel has a time its receiver would come for it, or none: then
	// it goes back after benchReturnAge. The receiver comes at the earliest
	// such time and takes everything waiting.
	const never = math.MaxInt64
	returnAge := benchReturnAge.Milliseconds()
	for _, list := range byRecv {
		want := make([]int64, len(list))
		for x, k := range list {
			if d := benchDelay(rng); d > returnAge && rng.IntN(10) < 6 {
				want[x] = never
			} else {
				want[x] = ps[k].inAt + d
			}
		}
		soonest := make([]int64, len(list)+1) // soonest[x]: the first visit for list[x:]
		soonest[len(list)] = never
		for x := len(list) - 1; x >= 0; x-- {
			soonest[x] = min(want[x], soonest[x+1])
		}
		for i := 0; i < len(list); {
			visit := soonest[i]
			j := i
			for j < len(list) && ps[list[j]].inAt <= visit {
				j++
			}
			var group []int32
			for x := i; x < j; x++ {
				k := list[x]
				p := &ps[k]
				back := int64(never)
				if want[x] == never {
					back = p.inAt + returnAge + rng.Int64N((12 * time.Hour).Milliseconds())
				}
				switch {
				case back < visit && back < end:
					p.status, p.outAt, p.outActor = StatusReturning, back, benchActor(rng)
					actions = append(actions, benchAction{at: back, kind: syncproto.KindParcelsReturned, actor: p.outActor, parcels: list[x : x+1 : x+1]})
				case visit < end:
					group = append(group, k)
				}
			}
			if len(group) > 0 {
				actor := benchActor(rng)
				for _, k := range group {
					ps[k].status, ps[k].outAt, ps[k].outActor = StatusPickedUp, visit, actor
				}
				actions = append(actions, benchAction{at: visit, kind: syncproto.KindParcelsPickedUp, actor: actor, parcels: group})
			}
			i = j
		}
	}
	// In time order; an inbound stays before a pickup at the same instant.
	slices.SortStableFunc(actions, func(a, b benchAction) int { return cmp.Compare(a.at, b.at) })
	// Parcels still here get unique codes and a layer with room.
	var here []int
	for i := range ps {
		if ps[i].status == StatusAtStation {
			here = append(here, i)
		}
	}
	slots := benchShelves * benchLayers * benchCapacity
	if len(here) > slots-2*(benchWarmup+benchScans) {
		return nil, nil, nil, 0, fmt.Errorf("%d parcels on the shelves leave no room for the samples", len(here))
	}
	codes := rng.Perm(codeMax - codeMin + 1)
	used := map[[2]int]int{}
	for k, i := range here {
		for {
			sl := [2]int{1 + rng.IntN(benchShelves), 1 + rng.IntN(benchLayers)}
			if used[sl] < benchCapacity {
				used[sl]++
				ps[i].shelf, ps[i].layer, ps[i].codeNum = sl[0], sl[1], codeMin+codes[k]
				break
			}
		}
	}
	return receivers, ps, actions, end, nil
}

// benchBulk batches rows into multi-row INSERTs.
type benchBulk struct {
	ctx  context.Context
	tx   *store.Tx
	head string
	cols int
	rows int
	args []any
	full *sql.Stmt
	deps []*benchBulk // flushed first: rows this table's rows refer to
}

func benchNewBulk(ctx context.Context, tx *store.Tx, head string, cols int, deps ...*benchBulk) *benchBulk {
	return &benchBulk{ctx: ctx, tx: tx, head: head, cols: cols, deps: deps}
}

func (b *benchBulk) sql(rows int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", b.cols), ", ") + ")"
	return b.head + " VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
}

func (b *benchBulk) add(vals ...any) error {
	if len(vals) != b.cols {
		return fmt.Errorf("bench bulk: %d values for %d columns", len(vals), b.cols)
	}
	b.args = append(b.args, vals...)
	b.rows++
	if b.rows < benchRowsPerInsert {
		return nil
	}
	return b.flush()
}

func (b *benchBulk) flush() error {
	if b.rows == 0 {
		return nil
	}
	for _, d := range b.deps {
		if err := d.flush(); err != nil {
			return err
		}
	}
	var err error
	if b.rows == benchRowsPerInsert {
		if b.full == nil {
			if b.full, err = b.tx.PrepareContext(b.ctx, b.sql(benchRowsPerInsert)); err != nil {
				return err
			}
		}
		_, err = b.full.ExecContext(b.ctx, b.args...)
	} else {
		_, err = b.tx.ExecContext(b.ctx, b.sql(b.rows), b.args...)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", b.head, err)
	}
	b.rows, b.args = 0, b.args[:0]
	return nil
}

func (b *benchBulk) close() {
	if b.full != nil {
		b.full.Close()
	}
}

// benchSeed creates a station database at path holding the history of
// spec's inbound parcels, written with SQL in a few big transactions.
func benchSeed(ctx context.Context, path string, spec benchSpec, seed uint64) (benchSeedInfo, error) {
	began := time.Now()
	info := benchSeedInfo{Parcels: spec.parcels, Schema: store.SchemaVersion(), Seed: benchSeedVersion}
	receivers, ps, actions, end, err := benchPlan(spec.parcels, spec.perDay, seed)
	if err != nil {
		return info, err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x3a11))
	first := end - int64(spec.parcels)*(24*time.Hour).Milliseconds()/int64(spec.perDay) - time.Hour.Milliseconds()
	st, err := store.Open(ctx, path, store.Options{Node: benchNode, Kind: syncproto.NodeStation, Synchronous: "NORMAL",
		Now: func() time.Time { return time.UnixMilli(first) }})
	if err != nil {
		return info, err
	}
	defer st.Close()
	var shelves []syncproto.Shelf
	for i := 1; i <= benchShelves; i++ {
		shelves = append(shelves, syncproto.Shelf{No: i, Layers: benchLayers, Capacity: benchCapacity})
	}
	if err := New(st, benchLoc).SetShelves(ctx, "boss", shelves); err != nil {
		return info, err
	}
	id := st.Identity()
	var seq, hlc int64
	if err := st.DB().QueryRowContext(ctx, "SELECT seq, hlc FROM outbox ORDER BY seq DESC LIMIT 1").Scan(&seq, &hlc); err != nil {
		return info, err
	}
	for len(actions) > 0 {
		chunk := actions[:min(benchActionsPerTx, len(actions))]
		actions = actions[len(chunk):]
		err := st.Write(ctx, "bench-seed", func(tx *store.Tx) error {
			parcels := benchNewBulk(ctx, tx, `INSERT INTO parcels (id, waybill, direction, carrier, status, receiver_name, receiver_phone,
				phone_tail, shelf, layer, code, code_num, in_at, out_at, out_by, out_operator)`, 16)
			events := benchNewBulk(ctx, tx, "INSERT INTO events (parcel_id, kind, at, actor, seq, detail)", 6, parcels)
			manifest := benchNewBulk(ctx, tx, `INSERT INTO manifest (waybill, carrier, receiver_name, receiver_phone, address, weight_g,
				received_at)`, 7)
			outbox := benchNewBulk(ctx, tx, "INSERT INTO outbox (incarnation, seq, hlc, actor, kind, payload, hash)", 7)
			all := []*benchBulk{parcels, events, manifest, outbox}
			defer func() {
				for _, b := range all {
					b.close()
				}
			}()
			for _, a := range chunk {
				seq++
				hlc = max(hlc+1, int64(syncproto.MakeTimestamp(a.at, 0)))
				var payload any
				switch a.kind {
				case syncproto.KindParcelInbound:
					k := a.parcels[0]
					p := &ps[k]
					r := receivers[p.recv]
					code := fmt.Sprintf("%d-%d-%04d", p.shelf, p.layer, p.codeNum)
					payload = syncproto.ParcelInbound{Waybill: p.wb, Carrier: p.carrier, ReceiverName: r[1], ReceiverPhone: r[0],
						Manifested: p.manifested, Shelf: p.shelf, Layer: p.layer, Code: code}
					var shelf, layer, outAt, outBy, outOp any
					switch p.status {
					case StatusAtStation:
						shelf, layer = p.shelf, p.layer
					case StatusPickedUp:
						outAt, outOp = p.outAt, p.outActor
						outBy = collectorText(syncproto.Collector{Kind: "receiver"}, r[1], r[0])
					case StatusReturning:
						outAt, outOp = p.outAt, p.outActor
					}
					if err := parcels.add(int64(k)+1, p.wb, "in", p.carrier, p.status, r[1], r[0], r[0][len(r[0])-4:],
						shelf, layer, code, p.codeNum, p.inAt, outAt, outBy, outOp); err != nil {
						return err
					}
					if err := events.add(int64(k)+1, evInbound, a.at, a.actor, seq, code); err != nil {
						return err
					}
					if p.manifested {
						info.Manifest++
						addr := fmt.Sprintf("南岗村%d组%d号", 1+p.recv%12, 1+p.recv%97)
						if err := manifest.add(p.wb, p.carrier, r[1], r[0], addr, 200+rng.IntN(5000),
							a.at-rng.Int64N((18*time.Hour).Milliseconds())); err != nil {
							return err
						}
					}
					info.Events++
				case syncproto.KindParcelsPickedUp:
					ev := syncproto.ParcelsPickedUp{Collector: syncproto.Collector{Kind: "receiver"}}
					for _, k := range a.parcels {
						r := receivers[ps[k].recv]
						ev.Waybills = append(ev.Waybills, ps[k].wb)
						if err := events.add(int64(k)+1, evPickedUp, a.at, a.actor, seq,
							collectorText(ev.Collector, r[1], r[0])); err != nil {
							return err
						}
						info.Events++
					}
					payload = ev
				case syncproto.KindParcelsReturned:
					ev := syncproto.ParcelsReturned{Reason: "overdue"}
					for _, k := range a.parcels {
						ev.Waybills = append(ev.Waybills, ps[k].wb)
						if err := events.add(int64(k)+1, evReturning, a.at, a.actor, seq, "overdue"); err != nil {
							return err
						}
						info.Events++
					}
					payload = ev
				}
				body, err := json.Marshal(payload)
				if err != nil {
					return err
				}
				op := syncproto.Op{Node: id.Node, Incarnation: id.Incarnation, Seq: uint64(seq), HLC: syncproto.Timestamp(hlc),
					Actor: a.actor, Kind: a.kind, Payload: body}
				op.Seal()
				if err := outbox.add(id.Incarnation, seq, hlc, a.actor, string(a.kind), body, op.Hash); err != nil {
					return err
				}
			}
			for _, b := range all {
				if err := b.flush(); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return info, err
		}
	}
	err = st.Write(ctx, "bench-seed", func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE node SET next_seq = ?, hlc_hwm = ? WHERE id = 1", seq+1, hlc); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE slots SET used = (SELECT count(*) FROM parcels p
			WHERE p.shelf = slots.shelf AND p.layer = slots.layer AND p.shelf IS NOT NULL)`)
		return err
	})
	if err != nil {
		return info, err
	}
	if err := st.Close(); err != nil {
		return info, err
	}
	// Fold the WAL into the file, so the one file is the whole database.
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return info, err
	}
	_, err = db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	if err := errors.Join(err, db.Close()); err != nil {
		return info, fmt.Errorf("checkpoint: %w", err)
	}
	for i := range ps {
		switch ps[i].status {
		case StatusAtStation:
			info.OnShelf++
		case StatusReturning:
			info.Returning++
		}
	}
	info.Ops = int(seq)
	if fi, err := os.Stat(path); err == nil {
		info.Bytes = fi.Size()
	}
	info.Seconds = time.Since(began).Seconds()
	info.Built = time.Now().UTC().Format(time.RFC3339)
	return info, nil
}

// benchOpen opens a copy of the cached 500k database.
func benchOpen(b *testing.B, cached, dir, synchronous string) (*store.Store, *Station) {
	b.Helper()
	st, err := store.Open(context.Background(), benchFresh(b, cached, dir), store.Options{Synchronous: synchronous})
	if err != nil {
		b.Fatal(err)
	}
	return st, New(st, benchLoc)
}

// benchReceiversOf returns some receivers (phone, name) from the store.
func benchReceiversOf(b *testing.B, st *store.Store) [][2]string {
	b.Helper()
	rows, err := st.DB().Query("SELECT DISTINCT receiver_phone, receiver_name FROM parcels WHERE id % 25 = 0")
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var r [2]string
		if err := rows.Scan(&r[0], &r[1]); err != nil {
			b.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		b.Fatalf("read receivers: %v (%d)", err, len(out))
	}
	return out
}

// benchPercentile returns the p-th percentile (nearest rank) of sorted
// durations in milliseconds.
func benchPercentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	i = min(max(i, 0), len(sorted)-1)
	return float64(sorted[i]) / float64(time.Millisecond)
}

// benchReport reports the latencies' percentiles and rate; the framework's
// ns/op would time the whole sample and is suppressed.
func benchReport(b *testing.B, lat []time.Duration, busy time.Duration) {
	b.Helper()
	slices.Sort(lat)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(benchPercentile(lat, 50), "p50-ms")
	b.ReportMetric(benchPercentile(lat, 99), "p99-ms")
	b.ReportMetric(benchPercentile(lat, 100), "max-ms")
	if busy > 0 {
		b.ReportMetric(float64(len(lat))/busy.Seconds(), "ops/s")
	}
}

func BenchmarkInbound500k(b *testing.B)           { benchInbound(b, "FULL") }
func BenchmarkInbound500kNormalSync(b *testing.B) { benchInbound(b, "NORMAL") }

// benchInbound scans benchScans new parcels into a fresh copy of the 500k
// store, timing each Inbound call: half announced by the hub's manifest,
// half with the receiver typed in; most receivers known to the station.
// b.N repeats the whole sample, each time on a fresh copy.
func benchInbound(b *testing.B, synchronous string) {
	cached, info := benchSeeded(b, bench500k)
	ctx := context.Background()
	dir := b.TempDir()
	var lat []time.Duration
	var busy time.Duration
	b.ResetTimer()
	for round := range b.N {
		b.StopTimer()
		st, s := benchOpen(b, cached, dir, synchronous)
		known := benchReceiversOf(b, st)
		rng := rand.New(rand.NewPCG(uint64(round), 7))
		var ins []InboundInput
		var announced []ManifestEntry
		for j := range benchWarmup + benchScans {
			wb, carrier := benchWaybill(rng, info.Parcels+round*(benchWarmup+benchScans)+j)
			r := known[rng.IntN(len(known))]
			if rng.IntN(5) == 0 {
				r = [2]string{benchPhone(rng), benchName(rng)}
			}
			if j%2 == 0 {
				announced = append(announced, ManifestEntry{Waybill: wb, Carrier: carrier, ReceiverName: r[1], ReceiverPhone: r[0], Address: "南岗村"})
				ins = append(ins, InboundInput{Waybill: wb})
			} else {
				ins = append(ins, InboundInput{Waybill: wb, ReceiverPhone: r[0], ReceiverName: r[1]})
			}
		}
		if err := s.ApplyManifest(ctx, announced); err != nil {
			b.Fatal(err)
		}
		for j, in := range ins {
			if j == benchWarmup {
				b.StartTimer()
			}
			t := time.Now()
			res, err := s.Inbound(ctx, "li", in)
			d := time.Since(t)
			if err != nil || res.Repeat || res.Parcel.Code == "" {
				b.Fatalf("inbound %s: %v (repeat %v)", in.Waybill, err, res.Repeat)
			}
			if j >= benchWarmup {
				lat = append(lat, d)
				busy += d
			}
		}
		b.StopTimer()
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
	}
	benchReport(b, lat, busy)
}

func BenchmarkLookupPhoneTail500k(b *testing.B) {
	benchLookup(b, "SELECT phone_tail FROM parcels WHERE shelf IS NOT NULL AND status = 'at_station'")
}

func BenchmarkLookupCode500k(b *testing.B) {
	benchLookup(b, "SELECT code FROM parcels WHERE shelf IS NOT NULL AND status = 'at_station'")
}

// benchLookup times FindForPickup for benchLookups queries drawn from
// what the parcels on the shelves answer to; b.N repeats the sample.
func benchLookup(b *testing.B, queries string) {
	cached, _ := benchSeeded(b, bench500k)
	ctx := context.Background()
	st, s := benchOpen(b, cached, b.TempDir(), "FULL")
	defer st.Close()
	rows, err := st.DB().Query(queries)
	if err != nil {
		b.Fatal(err)
	}
	var qs []string
	for rows.Next() {
		var q string
		if err := rows.Scan(&q); err != nil {
			b.Fatal(err)
		}
		qs = append(qs, q)
	}
	rows.Close()
	if len(qs) == 0 {
		b.Fatal("no parcels on the shelves")
	}
	var lat []time.Duration
	var busy time.Duration
	b.ResetTimer()
	for round := range b.N {
		rng := rand.New(rand.NewPCG(uint64(round), 11))
		for j := range benchWarmup + benchLookups {
			q := qs[rng.IntN(len(qs))]
			t := time.Now()
			res, err := s.FindForPickup(ctx, q)
			d := time.Since(t)
			if err != nil || len(res.Receivers) == 0 {
				b.Fatalf("lookup %q: %v (%d receivers)", q, err, len(res.Receivers))
			}
			if j >= benchWarmup {
				lat = append(lat, d)
				busy += d
			}
		}
	}
	b.StopTimer()
	benchReport(b, lat, busy)
}

// TestBenchQueriesUseIndexes checks, on a small seeded history, that the
// seeder keeps the station's invariants and that the queries of inbound,
// pickup lookup and slot allocation use indexes: no full scan of parcels
// or manifest, no sort of slots. A plan, not a timing.
func TestBenchQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "station.db")
	info, err := benchSeed(ctx, path, benchSmall, 1)
	require.NoError(t, err)
	t.Logf("seeded: %s", info)
	require.Greater(t, info.OnShelf, 100, "parcels on the shelves")
	require.Positive(t, info.Returning, "parcels returned")
	require.Greater(t, info.Parcels-info.OnShelf-info.Returning, info.Parcels/2, "parcels picked up")

	st, err := store.Open(ctx, path, store.Options{})
	require.NoError(t, err)
	defer st.Close()
	s := New(st, benchLoc)
	require.NoError(t, st.Check(ctx), "outbox gap-free, hashes valid")
	require.NoError(t, s.VerifyDerived(ctx), "statuses replay from events")
	var bad int
	require.NoError(t, st.DB().QueryRow(`SELECT count(*) FROM slots s WHERE used !=
		(SELECT count(*) FROM parcels p WHERE p.shelf = s.shelf AND p.layer = s.layer)`).Scan(&bad))
	assert.Zero(t, bad, "layers whose load differs from their parcels")
	require.NoError(t, st.DB().QueryRow(`SELECT count(*) FROM parcels WHERE (shelf IS NULL) != (status IN ('picked_up', 'returning'))
		OR (out_at IS NULL) != (shelf IS NOT NULL)`).Scan(&bad))
	assert.Zero(t, bad, "parcels whose shelf and out_at disagree with their status")

	var tail, phone, wb, code string
	require.NoError(t, st.DB().QueryRow("SELECT phone_tail, receiver_phone, waybill, code FROM parcels WHERE shelf IS NOT NULL LIMIT 1").
		Scan(&tail, &phone, &wb, &code))
	found, err := s.FindForPickup(ctx, code)
	require.NoError(t, err)
	require.NotEmpty(t, found.Receivers, "a seeded code is found")

	// The statements of FindForPickup (queryParcels), Inbound (findParcel,
	// lookupManifest, newCode, takeSlot) and Pickup (freeSlot).
	sel := "SELECT " + parcelCols + " FROM parcels WHERE "
	queries := []struct {
		name  string
		query string
		args  []any
	}{
		{"lookup by code", sel + "code_num = ? AND shelf IS NOT NULL", []any{3001}},
		{"lookup by phone tail", sel + "phone_tail = ? AND shelf IS NOT NULL", []any{tail}},
		{"lookup by phone", sel + "receiver_phone = ? AND shelf IS NOT NULL", []any{phone}},
		{"lookup by waybill", sel + "waybill = ? AND direction = 'in' AND shelf IS NOT NULL", []any{wb}},
		{"receiver's parcels", sel + "receiver_phone = ? AND shelf IS NOT NULL ORDER BY in_at", []any{phone}},
		{"inbound: find parcel", sel + "waybill = ? AND direction = ?", []any{wb, "in"}},
		{"inbound: manifest", "SELECT waybill, carrier, receiver_name, receiver_phone, address, weight_g FROM manifest WHERE waybill = ?", []any{wb}},
		{"inbound: code taken", "SELECT 1 FROM parcels WHERE code_num = ? AND shelf IS NOT NULL", []any{3001}},
		{"inbound: take slot", `UPDATE slots SET used = used + 1 WHERE (shelf, layer) =
			(SELECT shelf, layer FROM slots WHERE used < capacity ORDER BY shelf, layer LIMIT 1) RETURNING shelf, layer`, nil},
		{"pickup: free slot", "UPDATE slots SET used = used - 1 WHERE shelf = ? AND layer = ? AND used > 0", []any{1, 1}},
	}
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			rows, err := st.DB().Query("EXPLAIN QUERY PLAN "+q.query, q.args...)
			require.NoError(t, err)
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
				plan = append(plan, detail)
			}
			require.NoError(t, rows.Err())
			require.NotEmpty(t, plan)
			t.Logf("%s", strings.Join(plan, " | "))
			for _, step := range plan {
				assert.False(t, strings.HasPrefix(step, "SCAN parcels") || strings.HasPrefix(step, "SCAN manifest"),
					"full scan: %s", step)
				// Sorting the few parcels an index found for one receiver is fine.
				if q.name != "receiver's parcels" {
					assert.NotContains(t, step, "TEMP B-TREE", "sort without an index: %s", step)
				}
			}
			if strings.Contains(q.query, "FROM parcels") {
				assert.True(t, slices.ContainsFunc(plan, func(s string) bool { return strings.HasPrefix(s, "SEARCH parcels USING") }),
					"parcels searched by an index: %v", plan)
			}
		})
	}
}
