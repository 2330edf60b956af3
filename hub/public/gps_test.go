package public_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/merge"
	"cunyou/hub/public"
	"cunyou/syncproto"
)

// The bus's GPS terminal reports it at the stops of its line (hub/gps's
// geofences): the parcels on the trip say where their bus is; those off
// the trip do not.
func TestTrackShowsTheBusAtItsStops(t *testing.T) {
	e := newEnv(t, public.Limits{})
	e.enroll(t, "CENTRE")
	e.enroll(t, stFuxing)
	e.clk.set(at("05:30"))
	defer e.clk.set(t0)
	e.announce(t, wbComing, phoneWang, "王秀英", "通江镇福兴村三组")
	e.announce(t, wbLi, phoneLi, "李娜", "通江镇福兴村")
	e.apply(t, "CENTRE", at("06:10"), syncproto.KindParcelAtCentre, syncproto.ParcelAtCentre{Waybill: wbComing, Carrier: "zto",
		Manifested: true, Station: stFuxing, Trip: tripL1})
	e.apply(t, "CENTRE", at("06:40"), syncproto.KindParcelLoaded, syncproto.ParcelLoaded{Waybill: wbComing, Trip: tripL1})
	e.apply(t, "CENTRE", at("07:02"), syncproto.KindTripDeparted, syncproto.TripDeparted{Trip: tripL1, Vehicle: "黑M12345",
		Waybills: []string{wbComing}})
	e.clk.set(at("07:30"))
	ctx := context.Background()
	_, err := e.st.PlanTrips(ctx, "2026-03-14")
	require.NoError(t, err)
	require.NoError(t, e.m.Record(ctx, []merge.Fact{
		{Kind: syncproto.KindTripAtStop, Actor: "gps", Payload: syncproto.TripAtStop{Trip: tripL1, Vehicle: "黑M12345", Node: "CENTRE",
			Event: syncproto.TripLeft, AtMs: at("07:03").UnixMilli()}},
		{Kind: syncproto.KindTripAtStop, Actor: "gps", Payload: syncproto.TripAtStop{Trip: tripL1, Vehicle: "黑M12345", Node: "ST-V0101",
			Event: syncproto.TripNear, AtMs: at("07:15").UnixMilli(), EtaMs: at("07:19").UnixMilli()}},
		{Kind: syncproto.KindTripAtStop, Actor: "gps", Payload: syncproto.TripAtStop{Trip: tripL1, Vehicle: "黑M12345", Node: stFuxing,
			Event: syncproto.TripNear, AtMs: at("07:24").UnixMilli(), EtaMs: at("07:28").UnixMilli()}},
		{Kind: syncproto.KindTripAtStop, Actor: "gps", Payload: syncproto.TripAtStop{Trip: tripL1, Vehicle: "黑M12345", Node: stFuxing,
			Event: syncproto.TripArrived, AtMs: at("07:28").UnixMilli()}},
	}))
	fctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	require.NoError(t, e.m.Flush(fctx))

	var b struct {
		Parcels []struct {
			Events []struct{ At, Text string } `json:"events"`
		} `json:"parcels"`
	}
	r := e.get(t, "/q/api/track?waybill="+wbComing)
	require.Equal(t, http.StatusOK, r.status, r.body)
	r.json(t, &b)
	require.NotEmpty(t, b.Parcels)
	var texts []string
	for _, ev := range b.Parcels[0].Events {
		texts = append(texts, ev.At[11:16]+" "+ev.Text)
	}
	require.GreaterOrEqual(t, len(texts), 3)
	assert.Equal(t, []string{"07:28 班车 黑M12345 已到达 福兴村驿站", "07:24 班车 黑M12345 即将到达 福兴村驿站，预计 07:28",
		"07:03 班车 黑M12345 已驶离 望奎县农村物流分拨中心"}, texts[:3], "near another station on the way: not this parcel's")

	// The station is told its bus is near, with how many parcels; the
	// station the bus passed with none for it is not.
	chs, err := e.st.Changes(ctx, stFuxing, 0, 100)
	require.NoError(t, err)
	var near []syncproto.TripApproaching
	for _, c := range chs {
		if c.Type == syncproto.ChangeTripApproaching {
			var v syncproto.TripApproaching
			require.NoError(t, json.Unmarshal(c.Payload, &v))
			near = append(near, v)
		}
	}
	require.Len(t, near, 1)
	assert.Equal(t, syncproto.TripApproaching{Trip: tripL1, Line: near[0].Line, Vehicle: "黑M12345", AtMs: at("07:24").UnixMilli(),
		EtaMs: at("07:28").UnixMilli(), Parcels: 1, Waybills: []string{wbComing}}, near[0])
	assert.NotEmpty(t, near[0].Line, "the line's name")
	chs, err = e.st.Changes(ctx, "ST-V0101", 0, 100)
	require.NoError(t, err)
	for _, c := range chs {
		assert.NotEqual(t, syncproto.ChangeTripApproaching, c.Type)
	}

	r = e.get(t, "/q/api/track?waybill="+wbLi)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.NotContains(t, r.body, "黑M12345", "not on the trip")
}
