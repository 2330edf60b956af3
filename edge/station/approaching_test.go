package station

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

// The hub's word that a bus is near is kept per trip, replaced by the
// trip's later word, shown from then until ApproachingFor after it was
// due, soonest first; a malformed one is refused without holding up the
// others.
func TestApproaching(t *testing.T) {
	e := newEnv(t)
	near := func(trip, line, plate string, eta time.Time, n int) syncproto.TripApproaching {
		return syncproto.TripApproaching{Trip: trip, Line: line, Vehicle: plate, AtMs: e.clock.Now().UnixMilli(), EtaMs: eta.UnixMilli(), Parcels: n}
	}
	res, err := e.s.ApplyChanges(e.ctx, []syncproto.Change{
		change(t, 1, syncproto.ChangeTripApproaching, near("L1-20250310-0700", "1路 县城—福兴", "黑M12345", t0.Add(6*time.Minute), 12)),
		change(t, 2, syncproto.ChangeTripApproaching, near("V2-20250310-0830", "", "黑M67890", t0.Add(4*time.Minute), 3)),
		change(t, 3, syncproto.ChangeTripApproaching, syncproto.TripApproaching{Trip: "X", Parcels: 1}),
		change(t, 4, syncproto.ChangeTripApproaching, near("L1-20250310-0700", "1路 县城—福兴", "黑M12345", t0.Add(8*time.Minute), 12)),
	}, 4)
	require.NoError(t, err)
	assert.Equal(t, 3, res.Applied)
	require.Len(t, res.Refused, 1)
	assert.Equal(t, uint64(3), res.Refused[0].Seq)

	as, err := e.s.Approaching(e.ctx)
	require.NoError(t, err)
	require.Len(t, as, 2)
	assert.Equal(t, "黑M67890", as[0].Vehicle, "the sooner first")
	assert.Equal(t, Approaching{Trip: "L1-20250310-0700", Line: "1路 县城—福兴", Vehicle: "黑M12345", At: t0, ETA: t0.Add(8 * time.Minute),
		Parcels: 12}, as[1], "the later word of the trip")

	e.clock.Advance(4*time.Minute + ApproachingFor + time.Second)
	as, err = e.s.Approaching(e.ctx)
	require.NoError(t, err)
	require.Len(t, as, 1, "the van was due over half an hour ago")
	assert.Equal(t, "黑M12345", as[0].Vehicle)
	e.clock.Advance(4 * time.Minute)
	as, err = e.s.Approaching(e.ctx)
	require.NoError(t, err)
	assert.Empty(t, as)
}

// A vehicle that names its parcels: the notice counts those not scanned
// in yet, an undone scan counts again, and the notice goes once all are
// in.
func TestApproachingCountsDown(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 1, Capacity: 5})
	a := syncproto.TripApproaching{Trip: "L6-20250310-0800", Vehicle: "黑M24680", AtMs: t0.UnixMilli(),
		EtaMs: t0.Add(4 * time.Minute).UnixMilli(), Parcels: 2, Waybills: []string{sf(1), "sf" + sf(2)[2:]}}
	res, err := e.s.ApplyChanges(e.ctx, []syncproto.Change{change(t, 1, syncproto.ChangeTripApproaching, a),
		change(t, 2, syncproto.ChangeTripApproaching, syncproto.TripApproaching{Trip: "X", Vehicle: "v", EtaMs: 1, Parcels: 1,
			Waybills: []string{"not a waybill!"}})}, 2)
	require.NoError(t, err)
	require.Len(t, res.Refused, 1, "a bad waybill")
	left := func() []int {
		t.Helper()
		as, err := e.s.Approaching(e.ctx)
		require.NoError(t, err)
		var out []int
		for _, a := range as {
			out = append(out, a.Parcels)
		}
		return out
	}
	assert.Equal(t, []int{2}, left())
	_, err = e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: sf(1), Carrier: "sf", ReceiverPhone: phone(1)})
	require.NoError(t, err)
	assert.Equal(t, []int{1}, left(), "one of the two is in")
	_, err = e.s.UndoInbound(e.ctx, clerk, sf(1))
	require.NoError(t, err)
	assert.Equal(t, []int{2}, left(), "an undone scan is not in")
	for _, wb := range []string{sf(1), sf(2)} {
		_, err = e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: wb, Carrier: "sf", ReceiverPhone: phone(1)})
		require.NoError(t, err)
	}
	assert.Empty(t, left(), "all are in: the vehicle is here")
}
