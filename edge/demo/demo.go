// Package demo fills a station with the demo county's data for `make run`:
// shelves, accounts, tariffs, a waybill range, a manifest from the hub and
// a morning's worth of parcels, all through the station's own operations.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"

	"cunyou/edge/station"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// Demo accounts. The PINs are for the demo only.
const (
	OwnerUser = "owner"
	OwnerPIN  = "246810"
	ClerkUser = "clerk"
	ClerkPIN  = "135790"
)

var surnames = []rune("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗")
var given = []string{"秀英", "桂兰", "建国", "玉兰", "志强", "海燕", "国庆", "春梅", "立新", "淑珍", "宏伟", "晓东", "丽娜", "永胜", "凤霞"}

// Seed fills st unless it already has accounts. It returns false when the
// station was seeded before.
func Seed(ctx context.Context, st *station.Station, seed uint64) (bool, error) {
	ops, err := st.Operators(ctx)
	if err != nil {
		return false, err
	}
	if len(ops) > 0 {
		return false, nil
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	if _, err := st.AddOperator(ctx, "setup", station.OperatorInput{Username: OwnerUser, DisplayName: "王站长", Role: station.RoleOwner, SecretKind: "pin", Secret: OwnerPIN}); err != nil {
		return false, fmt.Errorf("demo owner: %w", err)
	}
	if _, err := st.AddOperator(ctx, OwnerUser, station.OperatorInput{Username: ClerkUser, DisplayName: "李店员", Role: station.RoleClerk, SecretKind: "pin", Secret: ClerkPIN}); err != nil {
		return false, fmt.Errorf("demo clerk: %w", err)
	}
	var shelves []syncproto.Shelf
	for i := 1; i <= 6; i++ {
		shelves = append(shelves, syncproto.Shelf{No: i, Layers: 4, Capacity: 30})
	}
	if err := st.SetShelves(ctx, OwnerUser, shelves); err != nil {
		return false, fmt.Errorf("demo shelves: %w", err)
	}
	var tariffs []station.Tariff
	for _, c := range []string{waybill.ZTO, waybill.YTO, waybill.Yunda, waybill.JT, waybill.STO} {
		tariffs = append(tariffs,
			station.Tariff{Carrier: c, Province: "*", FirstGrams: 1000, FirstFen: 1000, StepGrams: 1000, StepFen: 500},
			station.Tariff{Carrier: c, Province: "黑龙江省", FirstGrams: 1000, FirstFen: 600, StepGrams: 1000, StepFen: 200})
	}
	tariffs = append(tariffs, station.Tariff{Carrier: waybill.EMS, Province: "*", FirstGrams: 500, FirstFen: 1200, StepGrams: 500, StepFen: 400},
		station.Tariff{Carrier: waybill.SF, Province: "*", FirstGrams: 1000, FirstFen: 2300, StepGrams: 1000, StepFen: 1300})
	if err := st.ApplyTariffs(ctx, tariffs); err != nil {
		return false, fmt.Errorf("demo tariffs: %w", err)
	}
	if err := st.ApplyWaybillRange(ctx, station.WaybillRange{Carrier: waybill.ZTO, Prefix: "78", Next: 100000000000, Last: 100000009999, Width: 12}); err != nil {
		return false, fmt.Errorf("demo waybill range: %w", err)
	}

	// The owner asks for the collector's ID card for parcels worth 1000
	// yuan or more (and, by default, for every proxy).
	if err := st.SetSettings(ctx, OwnerUser, station.Settings{OverdueDays: station.DefaultSettings.OverdueDays,
		ReturnDays: station.DefaultSettings.ReturnDays, IDForProxy: true, IDHighValue: true, IDValueYuan: 1000}); err != nil {
		return false, fmt.Errorf("demo settings: %w", err)
	}

	// The hub's manifest: 60 parcels for this village, from several carriers;
	// a few declared valuable.
	var manifest []station.ManifestEntry
	for i := range 60 {
		name := string(surnames[rng.IntN(len(surnames))]) + given[rng.IntN(len(given))]
		phone := fmt.Sprintf("13%d%08d", 5+rng.IntN(5), rng.IntN(100000000))
		var wb, carrier string
		switch i % 5 {
		case 0:
			wb, carrier = fmt.Sprintf("73%012d", rng.Int64N(1e12)), waybill.ZTO
		case 1:
			wb, carrier = fmt.Sprintf("YT%013d", rng.Int64N(1e13)), waybill.YTO
		case 2:
			wb, carrier = fmt.Sprintf("43%013d", rng.Int64N(1e13)), waybill.Yunda
		case 3:
			wb, carrier = fmt.Sprintf("JT%013d", rng.Int64N(1e13)), waybill.JT
		default:
			wb, carrier = fmt.Sprintf("SF%013d", rng.Int64N(1e13)), waybill.SF
		}
		e := station.ManifestEntry{Waybill: wb, Carrier: carrier, ReceiverName: name, ReceiverPhone: phone,
			Address: "黑龙江省绥化市望奎县", WeightGrams: 300 + rng.IntN(5000)}
		if i%7 == 6 {
			e.ValueFen = 120000 + i*5000 // a valuable one: a phone, a jacket
		}
		manifest = append(manifest, e)
	}
	if err := st.ApplyManifest(ctx, manifest); err != nil {
		return false, fmt.Errorf("demo manifest: %w", err)
	}
	// The morning bag: the first 40 scanned in, a few picked up, one damaged.
	for _, m := range manifest[:40] {
		if _, err := st.Inbound(ctx, ClerkUser, station.InboundInput{Waybill: m.Waybill}); err != nil {
			return false, fmt.Errorf("demo inbound: %w", err)
		}
	}
	for _, m := range manifest[:6] {
		if _, err := st.Pickup(ctx, ClerkUser, station.PickupInput{Waybills: []string{m.Waybill}, Collector: station.CollectorInput{Kind: "receiver"}}); err != nil {
			return false, fmt.Errorf("demo pickup: %w", err)
		}
	}
	if _, err := st.MarkProblem(ctx, ClerkUser, manifest[10].Waybill, syncproto.ReasonDamaged, "外箱破损"); err != nil {
		return false, fmt.Errorf("demo problem: %w", err)
	}
	return true, nil
}
