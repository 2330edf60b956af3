package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"cunyou/edge/station"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// CentreNode is the county centre's node id in the demo county.
const CentreNode = "CENTRE"

// demoLine is a line of the demo county as the centre's trips use it.
// L1 follows the county file (望奎1路 serves the 通江镇 villages, V02xx);
// the county file has no line through the 望奎镇 villages (V01xx), so the
// demo adds the postal van's round, L0.
type demoLine struct {
	code, name string
	stops      []string
	departures []string
}

var demoLines = []demoLine{
	{"L0", "望奎镇邮政班车", []string{CentreNode, "ST-V0101", "ST-V0102", "ST-V0103", "ST-V0104", "ST-V0105", "ST-V0106", CentreNode}, []string{"06:30", "14:00"}},
	{"L1", "望奎1路农村客运班线", []string{CentreNode, "ST-V0201", "ST-V0202", "ST-V0203", "ST-V0204", "ST-V0205", "ST-V0301", "ST-V0302", CentreNode}, []string{"07:00", "13:30"}},
	{"L2", "望奎2路农村客运班线", []string{CentreNode, "ST-V0501", "ST-V0502", "ST-V0503", "ST-V0504", CentreNode}, []string{"07:00", "13:30"}},
}

var demoVehicles = []string{"黑M·A1234", "黑M·B2345", "黑M·C3456"}
var demoDrivers = []string{"赵师傅", "钱师傅", "孙师傅"}

// SeedCentre fills a centre node unless it already has accounts: the
// accounts, today's trips of a few lines, the hub's manifest of about a
// hundred parcels for the V01 and V02 villages (a few still unresolved),
// then the morning's work through the centre's own operations: most
// parcels scanned in, the van's first trip loaded and departed, a bus
// trip half loaded, outbound parcels and returns collected and one
// handover list confirmed. It returns false when the centre was seeded
// before.
func SeedCentre(ctx context.Context, st *station.Station, seed uint64) (bool, error) {
	if !st.IsCentre() {
		return false, fmt.Errorf("demo centre: node %s is a %s", st.Store().Identity().Node, st.Store().Identity().Kind)
	}
	ops, err := st.Operators(ctx)
	if err != nil {
		return false, err
	}
	if len(ops) > 0 {
		return false, nil
	}
	rng := rand.New(rand.NewPCG(seed, seed^0xce47e))
	if _, err := st.AddOperator(ctx, "setup", station.OperatorInput{Username: OwnerUser, DisplayName: "刘主管", Role: station.RoleOwner, SecretKind: "pin", Secret: OwnerPIN}); err != nil {
		return false, fmt.Errorf("demo owner: %w", err)
	}
	if _, err := st.AddOperator(ctx, OwnerUser, station.OperatorInput{Username: ClerkUser, DisplayName: "陈分拣", Role: station.RoleClerk, SecretKind: "pin", Secret: ClerkPIN}); err != nil {
		return false, fmt.Errorf("demo clerk: %w", err)
	}

	// Today's trips, sent by the hub.
	today := st.Today()
	var trips []syncproto.Trip
	firstTrip := map[string][]string{} // station → its trips, in departure order
	for i, l := range demoLines {
		for _, dep := range l.departures {
			t := syncproto.Trip{ID: tripID(l.code, today, dep), Line: l.code, LineName: l.name, Date: today, Departure: dep,
				Vehicle: demoVehicles[i%len(demoVehicles)], Driver: demoDrivers[i%len(demoDrivers)], Stops: l.stops}
			trips = append(trips, t)
			for _, s := range l.stops[1 : len(l.stops)-1] {
				firstTrip[s] = append(firstTrip[s], t.ID)
			}
		}
	}
	if err := st.ApplyTrips(ctx, trips); err != nil {
		return false, fmt.Errorf("demo trips: %w", err)
	}

	// The hub's manifest: 100 parcels for ST-V0101…0106 and ST-V0201…0205,
	// most planned on the first trip there, the last five unresolved.
	var dests []string
	for v := 1; v <= 6; v++ {
		dests = append(dests, fmt.Sprintf("ST-V01%02d", v))
	}
	for v := 1; v <= 5; v++ {
		dests = append(dests, fmt.Sprintf("ST-V02%02d", v))
	}
	var manifest []station.ManifestEntry
	for i := range 100 {
		wb, carrier := demoWaybill(rng, i)
		e := station.ManifestEntry{Waybill: wb, Carrier: carrier, ReceiverName: demoName(rng), ReceiverPhone: demoPhone(rng),
			Address: "黑龙江省绥化市望奎县", WeightGrams: 300 + rng.IntN(5000)}
		if i < 95 {
			e.Station = dests[rng.IntN(len(dests))]
			if ts := firstTrip[e.Station]; len(ts) > 0 {
				e.Trip = ts[0]
				if rng.IntN(4) == 0 {
					e.Trip = ts[len(ts)-1]
				}
			}
		}
		manifest = append(manifest, e)
	}
	if err := st.ApplyCentreManifest(ctx, manifest); err != nil {
		return false, fmt.Errorf("demo manifest: %w", err)
	}

	// The morning: 80 parcels and two the manifest lacks scanned in.
	var scanned []station.ScanResult
	for _, m := range manifest[:80] {
		res, err := st.ScanIn(ctx, ClerkUser, station.ScanInput{Waybill: m.Waybill})
		if err != nil {
			return false, fmt.Errorf("demo scan: %w", err)
		}
		scanned = append(scanned, res)
	}
	for i := range 2 {
		if _, err := st.ScanIn(ctx, ClerkUser, station.ScanInput{Waybill: fmt.Sprintf("JT%013d", 9000000000000+int64(i))}); err != nil {
			return false, fmt.Errorf("demo scan: %w", err)
		}
	}
	// The van's first round is loaded and gone; the first bus is half
	// loaded.
	vanTrip, busTrip := tripID("L0", today, "06:30"), tripID("L1", today, "07:00")
	half := true
	for _, res := range scanned {
		switch res.Decision.Trip {
		case vanTrip:
		case busTrip:
			if half = !half; half {
				continue
			}
		default:
			continue
		}
		bag := "B-" + strings.TrimPrefix(res.Decision.Station, "ST-")
		if _, err := st.Load(ctx, ClerkUser, station.LoadInput{Waybill: res.Parcel.Waybill, Trip: res.Decision.Trip, Bag: bag}); err != nil {
			return false, fmt.Errorf("demo load: %w", err)
		}
	}
	if _, err := st.Depart(ctx, ClerkUser, vanTrip); err != nil {
		return false, fmt.Errorf("demo departure: %w", err)
	}

	// Outbound parcels from the villages and two returns came back on the
	// van; the YTO courier has taken his.
	var ytos []string
	for i := range 8 {
		in := station.CollectInput{Direction: syncproto.CollectedOutbound, From: dests[i%len(dests)], Trip: vanTrip}
		switch i % 3 {
		case 0:
			in.Waybill = fmt.Sprintf("78%012d", 100000000000+int64(i))
			in.Carrier = waybill.ZTO
		case 1:
			in.Waybill = fmt.Sprintf("YT%013d", 8000000000000+int64(i))
			ytos = append(ytos, in.Waybill)
		default:
			in.Waybill = fmt.Sprintf("SF%013d", 7000000000000+int64(i))
		}
		if i >= 6 {
			in.Direction = syncproto.CollectedReturn
		}
		if _, err := st.Collect(ctx, ClerkUser, in); err != nil {
			return false, fmt.Errorf("demo collect: %w", err)
		}
	}
	if _, err := st.ConfirmHandover(ctx, ClerkUser, station.HandoverInput{Carrier: waybill.YTO, Courier: "周师傅", Waybills: ytos}); err != nil {
		return false, fmt.Errorf("demo handover: %w", err)
	}
	return true, nil
}

// tripID names a line's trip of a day: L1-20250310-0700.
func tripID(line, date, departure string) string {
	return line + "-" + strings.ReplaceAll(date, "-", "") + "-" + strings.ReplaceAll(departure, ":", "")
}

func demoName(rng *rand.Rand) string {
	return string(surnames[rng.IntN(len(surnames))]) + given[rng.IntN(len(given))]
}

func demoPhone(rng *rand.Rand) string {
	return fmt.Sprintf("13%d%08d", 5+rng.IntN(5), rng.IntN(100000000))
}

// demoWaybill is the i-th parcel's number and carrier, the carriers in
// turn.
func demoWaybill(rng *rand.Rand, i int) (string, string) {
	switch i % 5 {
	case 0:
		return fmt.Sprintf("73%012d", rng.Int64N(1e12)), waybill.ZTO
	case 1:
		return fmt.Sprintf("YT%013d", rng.Int64N(1e13)), waybill.YTO
	case 2:
		return fmt.Sprintf("43%013d", rng.Int64N(1e13)), waybill.Yunda
	case 3:
		return fmt.Sprintf("JT%013d", rng.Int64N(1e13)), waybill.JT
	}
	return fmt.Sprintf("SF%013d", rng.Int64N(1e13)), waybill.SF
}
