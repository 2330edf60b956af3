package merge_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/merge"
	"cunyou/syncproto"
)

// A bus whose route loops past a station comes near it again and again
// on one trip: the station is told once, and its parcels' timelines say
// it once.
func TestTripApproachingOncePerTripAndStation(t *testing.T) {
	e := newEnv(t, "ST-A", "ST-B")
	e.addCentre(t, "CENTRE")
	const c, trip = "CENTRE", "L1-20260314-0700"
	e.record(t, manifested("W1", "ST-A"), manifested("W2", "ST-B"))
	e.apply(t, c,
		op(c, inc, 1, syncproto.KindParcelAtCentre, syncproto.ParcelAtCentre{Waybill: "W1", Carrier: "zto", Manifested: true, Station: "ST-A"}),
		op(c, inc, 2, syncproto.KindParcelAtCentre, syncproto.ParcelAtCentre{Waybill: "W2", Carrier: "zto", Manifested: true, Station: "ST-B"}),
		op(c, inc, 3, syncproto.KindParcelLoaded, syncproto.ParcelLoaded{Waybill: "W1", Trip: trip}),
		op(c, inc, 4, syncproto.KindParcelLoaded, syncproto.ParcelLoaded{Waybill: "W2", Trip: trip}),
		op(c, inc, 5, syncproto.KindTripDeparted, syncproto.TripDeparted{Trip: trip, Waybills: []string{"W1", "W2"}}))
	near := func(node string, at int64) merge.Fact {
		return merge.Fact{Kind: syncproto.KindTripAtStop, Actor: "gps", Payload: syncproto.TripAtStop{Trip: trip, Vehicle: "黑M12345",
			Node: node, Event: syncproto.TripNear, AtMs: at, EtaMs: at + 240_000}}
	}
	// In one projection, and in the next ones.
	e.record(t, near("ST-A", 1000), near("ST-B", 2000), near("ST-A", 3000))
	e.flush(t)
	e.record(t, near("ST-A", 4000))
	e.flush(t)
	e.record(t, near("ST-A", 5000), near("ST-B", 6000))
	e.flush(t)

	assert.Equal(t, 1, e.count(t, "SELECT count(*) FROM changes WHERE node = 'ST-A' AND type = 'trip.approaching'"))
	assert.Equal(t, 1, e.count(t, "SELECT count(*) FROM changes WHERE node = 'ST-B' AND type = 'trip.approaching'"))
	assert.Equal(t, 1, e.count(t, "SELECT count(*) FROM facts WHERE waybill = 'W1' AND kind = 'trip.at_stop'"))
	assert.Equal(t, 1, e.count(t, "SELECT count(*) FROM facts WHERE waybill = 'W2' AND kind = 'trip.at_stop'"))
	var atMs int64
	require.NoError(t, e.st.DB().QueryRow(`SELECT payload ->> '$.at_ms' FROM changes WHERE node = 'ST-A' AND type = 'trip.approaching'`).
		Scan(&atMs))
	assert.Equal(t, int64(1000), atMs, "the first approach")

	// The next trip past the same station tells it again.
	const trip2 = "L1-20260314-1300"
	e.apply(t, c,
		op(c, inc, 6, syncproto.KindParcelAtCentre, syncproto.ParcelAtCentre{Waybill: "W3", Carrier: "zto", Station: "ST-A"}),
		op(c, inc, 7, syncproto.KindParcelLoaded, syncproto.ParcelLoaded{Waybill: "W3", Trip: trip2}),
		op(c, inc, 8, syncproto.KindTripDeparted, syncproto.TripDeparted{Trip: trip2, Waybills: []string{"W3"}}))
	f := near("ST-A", 7000)
	p := f.Payload.(syncproto.TripAtStop)
	p.Trip = trip2
	f.Payload = p
	e.record(t, f)
	e.flush(t)
	assert.Equal(t, 2, e.count(t, "SELECT count(*) FROM changes WHERE node = 'ST-A' AND type = 'trip.approaching'"))
}
