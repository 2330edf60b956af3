package systest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"

	"cunyou/edge/station"
	"cunyou/idnum"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// operator does a station's daily work at random, through the station
// package as the kiosk would: inbound, pickups (one parcel or several),
// problem parcels and returns. It keeps its own list of what is on the
// shelves, so every action it tries is one the station accepts.
type operator struct {
	rng     *rand.Rand
	prefix  string // waybill prefix of this station, so no two stations share a parcel
	next    int
	actor   string
	onShelf []string // at_station
	problem []string // problem parcels, still at the station
	counts  map[string]int
	// withPhotos: one pickup in three carries a proof photo (a blob of
	// 1 KB to 400 KB, so some take several chunks); photos lists them.
	withPhotos bool
	photos     []string
}

var (
	surnames = []rune("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗")
	given    = []string{"秀英", "桂兰", "建国", "玉兰", "志强", "海燕", "国庆", "春梅", "立新", "淑珍", "宏伟", "晓东", "丽娜", "永胜", "凤霞"}
)

// newOperator returns the operator of station number idx (0-99) drawing
// from seed.
func newOperator(seed uint64, idx int) *operator {
	return &operator{
		rng:    rand.New(rand.NewPCG(seed, uint64(idx)+0x5157)),
		prefix: fmt.Sprintf("73%02d", idx),
		actor:  "clerk",
		counts: map[string]int{},
	}
}

func (o *operator) name() string {
	return string(surnames[o.rng.IntN(len(surnames))]) + given[o.rng.IntN(len(given))]
}

// phone draws a receiver from a village of a few hundred households.
func (o *operator) phone() string { return fmt.Sprintf("139%08d", 10000000+o.rng.IntN(400)*7919) }

// takeRandom removes and returns a random element of *list.
func (o *operator) takeRandom(list *[]string) string {
	i := o.rng.IntN(len(*list))
	wb := (*list)[i]
	(*list)[i] = (*list)[len(*list)-1]
	*list = (*list)[:len(*list)-1]
	return wb
}

// proxyCard is the identity a proxy's ID card gives on the reader.
var proxyCard = func() station.CardIdentity {
	id, err := idnum.Parse("11010519491231002X")
	if err != nil {
		panic(err)
	}
	return station.CardIdentity{Name: "王代取", Number: id, LongTerm: true}
}()

// setup gives the station its shelves (an op like any other).
func (o *operator) setup(ctx context.Context, stn *station.Station) error {
	var shelves []syncproto.Shelf
	for i := 1; i <= 6; i++ {
		shelves = append(shelves, syncproto.Shelf{No: i, Layers: 4, Capacity: 60})
	}
	if err := stn.SetShelves(ctx, "owner", shelves); err != nil {
		return fmt.Errorf("set shelves: %w", err)
	}
	o.counts["shelves"]++
	return nil
}

// act performs one random action, which records exactly one op.
func (o *operator) act(ctx context.Context, stn *station.Station) error {
	here := len(o.onShelf) + len(o.problem)
	switch r := o.rng.IntN(100); {
	case r < 25 && len(o.onShelf) > 0:
		n := min(1+o.rng.IntN(3), len(o.onShelf))
		var wbs []string
		for range n {
			wbs = append(wbs, o.takeRandom(&o.onShelf))
		}
		collector := station.CollectorInput{Kind: "receiver"}
		if o.rng.IntN(5) == 0 {
			collector = station.CollectorInput{Kind: "proxy", Name: o.name(), Phone: o.phone()}
		}
		in := station.PickupInput{Waybills: wbs, Collector: collector}
		if o.withPhotos && o.rng.IntN(3) == 0 {
			photo := make([]byte, 1000+o.rng.IntN(400_000))
			for i := 0; i+8 <= len(photo); i += 8 {
				binary.LittleEndian.PutUint64(photo[i:], o.rng.Uint64())
			}
			sha, _, err := stn.Store().PutBlob(ctx, bytes.NewReader(photo))
			if err != nil {
				return fmt.Errorf("store photo: %w", err)
			}
			in.PhotoSHA256 = sha
			o.photos = append(o.photos, sha)
		}
		pick := stn.Pickup
		if collector.Kind == "proxy" || len(wbs) > 1 {
			// The station's rule: a proxy's ID card is read on the reader
			// (parcels of several receivers are a proxy's).
			pick = func(ctx context.Context, actor string, in station.PickupInput) ([]station.Parcel, error) {
				return stn.PickupWithCard(ctx, actor, in, proxyCard)
			}
		}
		if _, err := pick(ctx, o.actor, in); err != nil {
			return fmt.Errorf("pickup %v: %w", wbs, err)
		}
		o.counts["pickup"]++
	case r < 33 && len(o.onShelf) > 0:
		wb := o.takeRandom(&o.onShelf)
		reason := syncproto.ProblemReasons[o.rng.IntN(len(syncproto.ProblemReasons)-1)] // not "other", which needs a text
		if _, err := stn.MarkProblem(ctx, o.actor, wb, reason, ""); err != nil {
			return fmt.Errorf("problem %s: %w", wb, err)
		}
		o.problem = append(o.problem, wb)
		o.counts["problem"]++
	case r < 40 && here > 0:
		var wb, reason string
		if len(o.problem) > 0 && (len(o.onShelf) == 0 || o.rng.IntN(2) == 0) {
			wb, reason = o.takeRandom(&o.problem), syncproto.ReasonRefused
		} else {
			wb, reason = o.takeRandom(&o.onShelf), "overdue"
		}
		if _, err := stn.Return(ctx, o.actor, []string{wb}, reason); err != nil {
			return fmt.Errorf("return %s: %w", wb, err)
		}
		o.counts["return"]++
	default:
		return o.inbound(ctx, stn)
	}
	return nil
}

// inbound shelves a new parcel.
func (o *operator) inbound(ctx context.Context, stn *station.Station) error {
	o.next++
	wb := fmt.Sprintf("%s%010d", o.prefix, o.next)
	res, err := stn.Inbound(ctx, o.actor, station.InboundInput{Waybill: wb, Carrier: waybill.ZTO, ReceiverPhone: o.phone(), ReceiverName: o.name()})
	if err != nil {
		return fmt.Errorf("inbound %s: %w", wb, err)
	}
	if res.Repeat {
		return fmt.Errorf("inbound %s: a new parcel taken for a repeat", wb)
	}
	o.onShelf = append(o.onShelf, wb)
	o.counts["inbound"]++
	return nil
}

// rescan scans in again a parcel already known, as after a restore.
func (o *operator) rescan(ctx context.Context, stn *station.Station, wb string) error {
	if _, err := stn.Inbound(ctx, o.actor, station.InboundInput{Waybill: wb, Carrier: waybill.ZTO, ReceiverPhone: o.phone(), ReceiverName: o.name()}); err != nil {
		return fmt.Errorf("rescan %s: %w", wb, err)
	}
	if !slices.Contains(o.onShelf, wb) {
		o.onShelf = append(o.onShelf, wb)
	}
	return nil
}

// manifestEntry draws a parcel the hub announces for a station.
func manifestEntry(rng *rand.Rand, wb string) syncproto.ManifestEntry {
	return syncproto.ManifestEntry{
		Waybill:       wb,
		Carrier:       waybill.YTO,
		ReceiverName:  string(surnames[rng.IntN(len(surnames))]) + given[rng.IntN(len(given))],
		ReceiverPhone: fmt.Sprintf("13%d%08d", 5+rng.IntN(5), rng.IntN(100000000)),
		Address:       "黑龙江省绥化市望奎县",
		WeightGrams:   100 + rng.IntN(5000),
	}
}
