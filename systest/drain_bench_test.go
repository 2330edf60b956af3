package systest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"cunyou/edge/station"
	edgestore "cunyou/edge/store"
	"cunyou/edge/syncer"
	hubstore "cunyou/hub/store"
	"cunyou/syncproto"
	"cunyou/systest/chaos"
	"cunyou/waybill"
)

// The 30-days-offline figure (DESIGN §7): a station that did 30 days of
// work (2,000 ops a day) without a link drains its 60,000 ops through a
// 1 Mbit/s link whose connections are cut every few seconds.
const (
	drainDays   = 30
	drainPerDay = 2000
	drainOps    = drainDays * drainPerDay
	drainNode   = "ST-DRAIN"
)

// thirtyDays returns a station database holding 30 days of a village
// station's work done through the station package (inbound of manifested
// and unannounced parcels, pickups of one to three parcels, problem
// parcels, returns, parcels sent, a day close every evening), on a clock
// that runs through the 30 days. Building it takes a while: it is kept in
// the system's temporary folder and copied for each use.
func thirtyDays(b *testing.B) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("cunyou-systest-30days-s%d-v2.db", edgestore.SchemaVersion()))
	thirtyDaysOnce.Do(func() {
		if ok, _ := validThirtyDays(path); ok {
			b.Logf("station of 30 days: %s (cached)", path)
			return
		}
		start := time.Now()
		thirtyDaysErr = buildThirtyDays(path)
		b.Logf("station of 30 days built in %v: %s", time.Since(start).Round(time.Second), path)
	})
	if thirtyDaysErr != nil {
		b.Fatal(thirtyDaysErr)
	}
	return path
}

var (
	thirtyDaysOnce sync.Once
	thirtyDaysErr  error
)

func validThirtyDays(path string) (bool, error) {
	if _, err := os.Stat(path); err != nil {
		return false, err
	}
	st, err := edgestore.Open(context.Background(), path, edgestore.Options{})
	if err != nil {
		return false, err
	}
	defer st.Close()
	ob, err := st.Outbox(context.Background())
	return err == nil && ob.Ops == drainOps && st.Identity().Node == drainNode, err
}

// clock is a wall clock the builder moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func buildThirtyDays(path string) error {
	ctx := context.Background()
	tmp := path + ".building"
	for _, sfx := range []string{"", "-wal", "-shm"} {
		os.Remove(tmp + sfx)
	}
	first := time.Now().In(cst).AddDate(0, 0, -drainDays)
	first = time.Date(first.Year(), first.Month(), first.Day(), 8, 0, 0, 0, cst)
	clk := &clock{now: first}
	st, err := edgestore.Open(ctx, tmp, edgestore.Options{Node: drainNode, Kind: syncproto.NodeStation, Synchronous: "NORMAL", Now: clk.Now})
	if err != nil {
		return err
	}
	w := newVillage(rand.New(rand.NewPCG(30, 2000)), station.New(st, cst))
	if err := w.setup(ctx); err != nil {
		st.Close()
		return err
	}
	ops := 1 // the shelves
	for day := range drainDays {
		open := first.AddDate(0, 0, day)
		n := drainPerDay
		if day == 0 {
			n-- // the shelves were set that morning
		}
		done, err := w.day(ctx, clk, open, n)
		ops += done
		if err != nil {
			st.Close()
			return fmt.Errorf("day %d: %w", day+1, err)
		}
	}
	ob, err := st.Outbox(ctx)
	if err == nil && (ob.Ops != drainOps || ops != drainOps) {
		err = fmt.Errorf("built %d ops (outbox %d), want %d", ops, ob.Ops, drainOps)
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// village is a station's day at realistic rates.
type village struct {
	rng      *rand.Rand
	stn      *station.Station
	phones   []string
	names    []string
	onShelf  []string
	problems []string
	n        int
}

var parcelKinds = []struct {
	carrier string
	format  func(r *rand.Rand) string
	weight  int
}{
	{waybill.ZTO, func(r *rand.Rand) string { return fmt.Sprintf("73%012d", r.Int64N(1e12)) }, 30},
	{waybill.YTO, func(r *rand.Rand) string { return fmt.Sprintf("YT%013d", r.Int64N(1e13)) }, 20},
	{waybill.Yunda, func(r *rand.Rand) string { return fmt.Sprintf("43%013d", r.Int64N(1e13)) }, 20},
	{waybill.JT, func(r *rand.Rand) string { return fmt.Sprintf("JT%013d", r.Int64N(1e13)) }, 20},
	{waybill.SF, func(r *rand.Rand) string { return fmt.Sprintf("SF%013d", r.Int64N(1e13)) }, 10},
}

func newVillage(rng *rand.Rand, stn *station.Station) *village {
	v := &village{rng: rng, stn: stn}
	for range 1500 { // households of the village and its neighbours
		v.phones = append(v.phones, fmt.Sprintf("1%d%d%08d", 3+rng.IntN(6), rng.IntN(10), rng.IntN(1e8)))
		v.names = append(v.names, string(surnames[rng.IntN(len(surnames))])+given[rng.IntN(len(given))])
	}
	return v
}

func (v *village) setup(ctx context.Context) error {
	var shelves []syncproto.Shelf
	for i := 1; i <= 20; i++ {
		shelves = append(shelves, syncproto.Shelf{No: i, Layers: 5, Capacity: 100})
	}
	if err := v.stn.SetShelves(ctx, "owner", shelves); err != nil {
		return err
	}
	var tariffs []station.Tariff
	for _, k := range parcelKinds {
		tariffs = append(tariffs, station.Tariff{Carrier: k.carrier, Province: "*", FirstGrams: 1000, FirstFen: 1000, StepGrams: 1000, StepFen: 500})
	}
	if err := v.stn.ApplyTariffs(ctx, tariffs); err != nil {
		return err
	}
	return v.stn.ApplyWaybillRange(ctx, station.WaybillRange{Carrier: waybill.ZTO, Prefix: "78", Next: 100000000000, Last: 100000999999, Width: 12})
}

func (v *village) newParcel() (string, string) {
	r := v.rng.IntN(100)
	for _, k := range parcelKinds {
		if r < k.weight {
			return k.format(v.rng), k.carrier
		}
		r -= k.weight
	}
	panic("weights")
}

func (v *village) take(list *[]string) string {
	i := v.rng.IntN(len(*list))
	wb := (*list)[i]
	(*list)[i] = (*list)[len(*list)-1]
	*list = (*list)[:len(*list)-1]
	return wb
}

// day does n ops between 08:00 and 20:00 of the day starting at open: the
// last of them closes the day.
func (v *village) day(ctx context.Context, clk *clock, open time.Time, n int) (int, error) {
	// The morning's manifest announces four in five of the day's parcels.
	type parcel struct{ wb, carrier, phone, name string }
	var arriving []parcel
	var manifest []station.ManifestEntry
	for range n / 2 {
		wb, carrier := v.newParcel()
		i := v.rng.IntN(len(v.phones))
		p := parcel{wb, carrier, v.phones[i], v.names[i]}
		if v.rng.IntN(5) > 0 {
			manifest = append(manifest, station.ManifestEntry{Waybill: wb, Carrier: carrier, ReceiverName: p.name, ReceiverPhone: p.phone,
				Address: "黑龙江省绥化市望奎县", WeightGrams: 200 + v.rng.IntN(3000)})
			p.phone = ""
		}
		arriving = append(arriving, p)
	}
	clk.Set(open)
	if err := v.stn.ApplyManifest(ctx, manifest); err != nil {
		return 0, err
	}
	step := 12 * time.Hour / time.Duration(n)
	done := 0
	for k := range n - 1 {
		clk.Set(open.Add(time.Duration(k)*step + time.Duration(v.rng.Int64N(int64(step)))))
		// Two ops in five are pickups (while the shelves hold a village's
		// worth), one in fifty a problem parcel, three in a hundred a
		// return, one in twenty a parcel sent, the rest inbound.
		act := "inbound"
		switch r := v.rng.IntN(100); {
		case r < 40 && len(v.onShelf) > 200:
			act = "pickup"
		case r >= 40 && r < 42 && len(v.onShelf) > 0:
			act = "problem"
		case r >= 42 && r < 45 && len(v.onShelf)+len(v.problems) > 0:
			act = "return"
		case r >= 45 && r < 50:
			act = "send"
		}
		var err error
		switch act {
		case "pickup":
			var wbs []string
			for range min(len(v.onShelf), []int{1, 1, 1, 1, 1, 1, 1, 1, 2, 3}[v.rng.IntN(10)]) {
				wbs = append(wbs, v.take(&v.onShelf))
			}
			in := station.PickupInput{Waybills: wbs, Collector: station.CollectorInput{Kind: "receiver"}}
			if v.rng.IntN(10) == 0 || len(wbs) > 1 {
				if len(wbs) == 1 {
					i := v.rng.IntN(len(v.phones))
					in.Collector = station.CollectorInput{Kind: "proxy", Name: v.names[i], Phone: v.phones[i]}
				}
				_, err = v.stn.PickupWithCard(ctx, "clerk", in, proxyCard) // the station's rule: a proxy's card is read (several receivers' parcels too)
				break
			}
			_, err = v.stn.Pickup(ctx, "clerk", in)
		case "problem":
			wb := v.take(&v.onShelf)
			_, err = v.stn.MarkProblem(ctx, "clerk", wb, syncproto.ProblemReasons[v.rng.IntN(4)], "")
			v.problems = append(v.problems, wb)
		case "return":
			if len(v.problems) > 0 {
				_, err = v.stn.Return(ctx, "clerk", []string{v.take(&v.problems)}, syncproto.ReasonRefused)
			} else {
				_, err = v.stn.Return(ctx, "clerk", []string{v.take(&v.onShelf)}, "overdue")
			}
		case "send":
			i, j := v.rng.IntN(len(v.phones)), v.rng.IntN(len(v.phones))
			_, err = v.stn.Send(ctx, "clerk", station.SendInput{Carrier: waybill.ZTO, WeightGrams: 300 + v.rng.IntN(5000),
				Sender:   station.PartyInput{Name: v.names[i], Phone: v.phones[i], IDNumber: "11010519491231002X"},
				Receiver: station.PartyInput{Name: v.names[j], Phone: v.phones[j], Province: "广东省", Address: "广州市天河区天河路 1 号"}})
		default:
			if len(arriving) == 0 {
				wb, carrier := v.newParcel()
				i := v.rng.IntN(len(v.phones))
				arriving = append(arriving, parcel{wb, carrier, v.phones[i], v.names[i]})
			}
			p := arriving[len(arriving)-1]
			arriving = arriving[:len(arriving)-1]
			in := station.InboundInput{Waybill: p.wb}
			if p.phone != "" {
				in.Carrier, in.ReceiverPhone, in.ReceiverName = p.carrier, p.phone, p.name
			}
			var res station.InboundResult
			if res, err = v.stn.Inbound(ctx, "clerk", in); err == nil && res.Repeat {
				err = fmt.Errorf("inbound %s: repeat", p.wb)
			}
			v.onShelf = append(v.onShelf, p.wb)
		}
		if err != nil {
			return done, err
		}
		done++
	}
	clk.Set(open.Add(12 * time.Hour))
	if _, err := v.stn.CloseDay(ctx, "owner", open.Format(time.DateOnly)); err != nil {
		return done, fmt.Errorf("close day: %w", err)
	}
	return done + 1, nil
}

// BenchmarkDrain30DaysOffline measures how long a station back online
// after 30 days without a link takes to drain its 60,000 ops to the hub
// through a 1 Mbit/s link (each way) whose connections are all cut every
// 3 s (jittered ±50%), with the sync loop's production settings: from the
// loop's start until the hub holds the last op durably (s-to-drain,
// target ≤ 60 s), and the request bytes the link carried per op, hellos
// and batches cut short included (B/op-wire-measured).
func BenchmarkDrain30DaysOffline(b *testing.B) {
	src := thirtyDays(b)
	b.ResetTimer()
	ctx := context.Background()
	var secs, perOp, cuts float64
	for i := range b.N {
		b.StopTimer()
		h := newHubSync(b, discardLogger(), "FULL")
		token, err := h.enroll(drainNode)
		if err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(b.TempDir(), "edge.db")
		copyFile(b, src, path)
		st, err := edgestore.Open(ctx, path, edgestore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		inc := st.Identity().Incarnation
		p, err := chaos.New(chaos.Config{Upstream: h.URL(), Seed: uint64(i + 1),
			Faults: chaos.Faults{BitsPerSecond: 1_000_000, CutEvery: 3 * time.Second}})
		if err != nil {
			b.Fatal(err)
		}
		client, err := syncer.NewClient(p.URL(), token, "")
		if err != nil {
			b.Fatal(err)
		}
		log := discardLogger()
		if os.Getenv("CUNYOU_DRAIN_LOG") != "" { // the sync loop's warnings: failures and the waits after them
			log = testLogger(b, slog.LevelWarn)
		}
		sy := syncer.New(station.New(st, cst), client, syncer.Options{Log: log})
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})

		b.StartTimer()
		start := time.Now()
		go func() {
			defer close(done)
			sy.Run(runCtx)
		}()
		err = poll(ctx, 20*time.Minute, 50*time.Millisecond, func() error {
			var c map[string]uint64
			if err := h.with(func(hs *hubstore.Store) error {
				var err error
				c, err = hs.Cursors(ctx, drainNode)
				return err
			}); err != nil {
				return err
			}
			if c[inc] != drainOps {
				return fmt.Errorf("hub at %d of %d", c[inc], drainOps)
			}
			return nil
		})
		elapsed := time.Since(start)
		b.StopTimer()

		stop()
		<-done
		p.WaitIdle(ctx)
		stats := p.Stats()
		p.Close()
		st.Close()
		h.stop()
		if err != nil {
			b.Fatalf("not drained: %v\n%v", err, stats)
		}
		secs += elapsed.Seconds()
		perOp += float64(stats.BytesUp) / drainOps
		cuts += float64(stats.Cuts)
		b.Logf("drained %d ops in %v: %v", drainOps, elapsed.Round(time.Millisecond), stats)
	}
	n := float64(b.N)
	b.ReportMetric(secs/n, "s-to-drain")
	b.ReportMetric(perOp/n, "B/op-wire-measured")
	b.ReportMetric(cuts/n, "cuts")
}

// BenchmarkSyncBytesPerOpRealMix encodes the 60,000 ops of the 30 days'
// station, as the station package wrote them, in the batches the sync
// loop sends: 200 ops (as syncproto's BenchmarkBytesPerOp, B/op-wire) and
// the loop's largest, MaxBatch (B/op-wire-maxbatch).
func BenchmarkSyncBytesPerOpRealMix(b *testing.B) {
	src := thirtyDays(b)
	ctx := context.Background()
	st, err := edgestore.Open(ctx, src, edgestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	id := st.Identity()
	ops, err := st.OpsOf(ctx, id.Incarnation, 0, drainOps, 0)
	if err != nil {
		b.Fatal(err)
	}
	size := func(batch int) int {
		total := 0
		for i := 0; i < len(ops); i += batch {
			var buf bytes.Buffer
			if err := syncproto.WriteOps(&buf, id.Node, id.Incarnation, ops[i:min(i+batch, len(ops))], 1); err != nil {
				b.Fatal(err)
			}
			total += buf.Len()
		}
		return total
	}
	b.ResetTimer()
	var small, large int
	for range b.N {
		small, large = size(200), size(syncer.MaxBatch)
	}
	b.ReportMetric(float64(small)/float64(len(ops)), "B/op-wire")
	b.ReportMetric(float64(large)/float64(len(ops)), "B/op-wire-maxbatch")
}
