package station

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

// newStocktakeEnv shelves nine parcels, two per layer:
//
//	1-1 sf1 sf2 · 1-2 sf3 sf4 (a problem) · 1-3 sf5 sf6 · 2-1 sf7 sf8 · 2-2 sf9
//
// sf10 was picked up. Then the layers grow to room for five each.
func newStocktakeEnv(t *testing.T) (*env, map[string]Parcel) {
	t.Helper()
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 3, Capacity: 2}, syncproto.Shelf{No: 2, Layers: 2, Capacity: 2})
	ps := map[string]Parcel{}
	for i := 1; i <= 10; i++ {
		ps[sf(i)] = e.in(t, sf(i), phone(i), "")
	}
	e.pickup(t, sf(10))
	_, err := e.s.MarkProblem(e.ctx, clerk, sf(4), syncproto.ReasonDamaged, "")
	require.NoError(t, err)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 3, Capacity: 5}, syncproto.Shelf{No: 2, Layers: 2, Capacity: 5})
	assert.Equal(t, map[string]int{"1-1": 2, "1-2": 2, "1-3": 2, "2-1": 2, "2-2": 1}, e.used(t))
	return e, ps
}

func waybills(ps []Parcel) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.Waybill)
	}
	return out
}

func TestStocktake(t *testing.T) {
	e, before := newStocktakeEnv(t)
	scans := []StocktakeScan{
		{Waybill: sf(1), Layer: 1},  // where recorded
		{Waybill: sf(2)},            // layer not said
		{Waybill: sf(3), Layer: 3},  // another layer of this shelf
		{Waybill: sf(7), Layer: 2},  // from shelf 2
		{Waybill: sf(8)},            // from shelf 2, its layer exists here
		{Waybill: sf(99), Layer: 1}, // unknown to the station
		{Waybill: sf(10), Layer: 2}, // picked up long ago
		{Waybill: "??bad"},          // not a waybill
		{Waybill: sf(1), Layer: 2},  // scanned twice: the first scan counts
	}
	var rep StocktakeReport
	op := e.oneOp(t, syncproto.KindStocktake, func() {
		var err error
		rep, err = e.s.Stocktake(e.ctx, clerk, 1, scans)
		require.NoError(t, err)
	})
	assert.Equal(t, 1, rep.Shelf)
	assert.Equal(t, 6, rep.Expected)
	assert.Equal(t, 7, rep.Scanned)
	assert.ElementsMatch(t, []string{sf(4), sf(5), sf(6)}, waybills(rep.Missing))
	assert.Equal(t, []string{sf(10), sf(99)}, rep.Unexpected)
	assert.Equal(t, []string{"??bad"}, rep.Invalid)
	var moved []string
	for _, p := range rep.Misplaced {
		moved = append(moved, fmt.Sprintf("%s@%d-%d", p.Waybill, p.Shelf, p.Layer))
		assert.Equal(t, before[p.Waybill].Code, p.Code, "a relocated parcel keeps its code")
		assert.Equal(t, p, e.parcel(t, p.Waybill, "in"))
	}
	assert.ElementsMatch(t, []string{sf(3) + "@1-3", sf(7) + "@1-2", sf(8) + "@1-1"}, moved)

	ev := payload[syncproto.Stocktake](t, op)
	assert.Equal(t, 1, ev.Shelf)
	assert.Equal(t, 6, ev.Expected)
	assert.Equal(t, 7, ev.Scanned)
	assert.ElementsMatch(t, []string{sf(4), sf(5), sf(6)}, ev.Missing)
	assert.Equal(t, []string{sf(10), sf(99)}, ev.Unexpected)
	assert.ElementsMatch(t, []string{sf(3), sf(7), sf(8)}, ev.Misplaced)
	assert.ElementsMatch(t, []syncproto.ParcelRelocated{
		{Waybill: sf(3), FromShelf: 1, FromLayer: 2, ToShelf: 1, ToLayer: 3},
		{Waybill: sf(7), FromShelf: 2, FromLayer: 1, ToShelf: 1, ToLayer: 2},
		{Waybill: sf(8), FromShelf: 2, FromLayer: 1, ToShelf: 1, ToLayer: 1},
	}, ev.Relocations)

	for wb, detail := range map[string]string{sf(3): "1-2 -> 1-3", sf(7): "2-1 -> 1-2", sf(8): "2-1 -> 1-1"} {
		assert.Equal(t, evRow{Kind: evRelocated, Seq: op.Seq, Actor: clerk, Detail: detail}, e.lastEvent(t, wb, "in"))
	}
	assert.Len(t, e.events(t, sf(1), "in"), 1, "a parcel where recorded gets no event")
	assert.Equal(t, map[string]int{"1-1": 3, "1-2": 2, "1-3": 3, "2-1": 0, "2-2": 1}, e.used(t))

	// The moved parcel is still found by its code, on its new layer.
	got, err := e.s.FindForPickup(e.ctx, before[sf(7)].Code)
	require.NoError(t, err)
	require.Len(t, got.Receivers, 1)
	require.Len(t, got.Receivers[0].Parcels, 1)
	assert.Equal(t, 2, got.Receivers[0].Parcels[0].Layer)

	// Missing parcels stay recorded where they were: nothing is edited.
	assert.Equal(t, before[sf(5)].Layer, e.parcel(t, sf(5), "in").Layer)
	assert.Equal(t, StatusAtStation, e.parcel(t, sf(5), "in").Status)

	// Shelf 2 has two layers: a parcel from layer 3 of shelf 1 found on it
	// with no layer said goes to its lowest.
	rep, err = e.s.Stocktake(e.ctx, clerk, 2, []StocktakeScan{{Waybill: sf(6)}, {Waybill: sf(9), Layer: 2}})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Expected)
	assert.Empty(t, rep.Missing)
	require.Len(t, rep.Misplaced, 1)
	assert.Equal(t, "2-1", fmt.Sprintf("%d-%d", rep.Misplaced[0].Shelf, rep.Misplaced[0].Layer))
	assert.Equal(t, 2, e.used(t)["1-3"])
	assert.Equal(t, 1, e.used(t)["2-1"])
}

func TestStocktakeEmpty(t *testing.T) {
	e, _ := newStocktakeEnv(t)
	op := e.oneOp(t, syncproto.KindStocktake, func() {
		rep, err := e.s.Stocktake(e.ctx, clerk, 2, nil)
		require.NoError(t, err)
		assert.Equal(t, StocktakeReport{Shelf: 2, Expected: 3, Scanned: 0, Missing: rep.Missing,
			Unexpected: []string{}, Misplaced: []Parcel{}, Invalid: []string{}}, rep)
		assert.ElementsMatch(t, []string{sf(7), sf(8), sf(9)}, waybills(rep.Missing))
	})
	ev := payload[syncproto.Stocktake](t, op)
	assert.Equal(t, 3, ev.Expected)
	assert.Len(t, ev.Missing, 3)
	assert.Empty(t, ev.Relocations)
}

func TestStocktakeRefused(t *testing.T) {
	e, _ := newStocktakeEnv(t)
	tests := []struct {
		name     string
		shelf    int
		scans    []StocktakeScan
		wantArgs map[string]string
	}{
		{"unknown shelf", 9, []StocktakeScan{{Waybill: sf(1)}}, map[string]string{"shelf": "9"}},
		{"shelf zero", 0, nil, map[string]string{"shelf": "0"}},
		{"unknown layer", 1, []StocktakeScan{{Waybill: sf(1), Layer: 1}, {Waybill: sf(7), Layer: 7}}, map[string]string{"shelf": "1-7"}},
		{"layer of another shelf", 2, []StocktakeScan{{Waybill: sf(5), Layer: 3}}, map[string]string{"shelf": "2-3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.refused(t, CodeShelfUnknown, func() error {
				_, err := e.s.Stocktake(e.ctx, clerk, tt.shelf, tt.scans)
				return err
			})
			assert.Equal(t, tt.wantArgs, ArgsOf(err))
		})
	}
}
