package openapi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/openapi"
	"cunyou/hub/webhook"
	"cunyou/syncproto"
)

func TestDispatchQueue(t *testing.T) {
	e := newEnv(t)
	e.journey()
	// 南岗村 is in seven towns: the hub cannot decide.
	e.announce(entry("73100000000002", "zto", "13800000002", "南岗村"), entry("YT0000000000002", "yto", "13800000003", "南岗村"))

	q := decode[openapi.ParcelList](t, e.get("/api/v1/unresolved", "county"), http.StatusOK)
	require.Len(t, q.Parcels, 2)
	p := q.Parcels[0]
	assert.Equal(t, "73100000000002", p.Waybill)
	require.NotNil(t, p.Destination)
	assert.Equal(t, syncproto.DestUnresolved, p.Destination.Reason)
	assert.Empty(t, p.Destination.Station)
	assert.Contains(t, p.Destination.Detail, "ambiguous")
	assert.Equal(t, "南岗村", p.Address, "the dispatcher needs the address")
	assert.Equal(t, "138****0002", p.Receiver.Phone)
	q = decode[openapi.ParcelList](t, e.get("/api/v1/unresolved?limit=1", "county"), http.StatusOK)
	assert.Len(t, q.Parcels, 1)
	q = decode[openapi.ParcelList](t, e.get("/api/v1/unresolved", "zto-app"), http.StatusOK)
	require.Len(t, q.Parcels, 1, "a carrier's dispatch client: its own")
	problem(t, e.get("/api/v1/unresolved?limit=x", "county"), http.StatusBadRequest, openapi.CodeBadParameter)

	// A dispatcher decides.
	dest := map[string]string{"station": "ST-V0101", "note": "电话确认：望奎镇南岗村"}
	got := decode[openapi.Parcel](t, e.post("/api/v1/parcels/73100000000002/destination", "county", dest), http.StatusOK)
	require.NotNil(t, got.Destination)
	assert.Equal(t, openapi.Destination{Station: "ST-V0101", Name: "南岗村驿站", Reason: syncproto.DestManual, Detail: "api:county"},
		*got.Destination, "the detail of a manual choice names who chose")
	q = decode[openapi.ParcelList](t, e.get("/api/v1/unresolved", "county"), http.StatusOK)
	require.Len(t, q.Parcels, 1)
	assert.Equal(t, "YT0000000000002", q.Parcels[0].Waybill)
	tr := decode[openapi.Tracking](t, e.get("/api/v1/parcels/73100000000002", "county"), http.StatusOK)
	last := tr.Timeline[len(tr.Timeline)-1]
	assert.Equal(t, "parcel.destination", last.Kind)
	assert.Contains(t, last.Detail, "api:county")
	assert.Contains(t, last.Detail, dest["note"])

	for _, tc := range []struct {
		as, waybill string
		body        any
		status      int
		code        string
	}{
		{"county", "73100000000002", map[string]string{"station": "ST-NOPE"}, http.StatusUnprocessableEntity, openapi.CodeUnknownStation},
		{"county", "73100000000002", map[string]string{"station": "CENTRE"}, http.StatusUnprocessableEntity, openapi.CodeNotAStation},
		{"county", "73100000000001", map[string]string{"station": "ST-V0101"}, http.StatusConflict, openapi.CodeDestinationLocked},
		{"county", "73100000000009", map[string]string{"station": "ST-V0101"}, http.StatusNotFound, openapi.CodeNotFound},
		{"zto-app", "YT0000000000002", map[string]string{"station": "ST-V0101"}, http.StatusNotFound, openapi.CodeNotFound},
		{"county", "73100000000002", map[string]string{"note": "no station"}, http.StatusBadRequest, openapi.CodeBadRequest},
		{"county", "73100000000002", map[string]string{"station": "ST-V0101", "bogus": "x"}, http.StatusBadRequest, openapi.CodeBadRequest},
	} {
		problem(t, e.post("/api/v1/parcels/"+tc.waybill+"/destination", tc.as, tc.body), tc.status, tc.code)
	}
	// The admin decides too, as "admin".
	decode[openapi.Parcel](t, e.post("/api/v1/parcels/YT0000000000002/destination", "admin", map[string]string{"station": "ST-V0102"}),
		http.StatusOK)
	tr = decode[openapi.Tracking](t, e.get("/api/v1/parcels/YT0000000000002", "admin"), http.StatusOK)
	assert.Contains(t, tr.Timeline[len(tr.Timeline)-1].Detail, "by admin")
}

// The console's station list, moved here from the sync API: the same
// shape, for the admin token as before and for dispatch clients.
func TestStations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	code, err := e.st.AddNode(ctx, "ST-A", syncproto.NodeStation, "ST-A 驿站")
	require.NoError(t, err)
	_, _, err = e.st.Enroll(ctx, code, "ST-A", "cunyou-edge/test")
	require.NoError(t, err)
	_, err = e.st.AddNode(ctx, "ST-B", syncproto.NodeCentre, "县中心")
	require.NoError(t, err)
	for i := range 3 {
		e.apply("ST-A", syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: fmt.Sprintf("7310000000090%d", i), Carrier: "zto",
			ReceiverPhone: "13800138000", Shelf: 1, Layer: 1, Code: fmt.Sprintf("1-1-%04d", i)})
	}
	e.clk.add(time.Minute)

	for _, as := range []string{"admin", "county"} {
		list := decode[openapi.StationList](t, e.get("/api/v1/stations", as), http.StatusOK)
		assert.Equal(t, e.clk.now().UnixMilli(), list.HubTimeMs)
		byNode := map[string]openapi.StationInfo{}
		for _, s := range list.Stations {
			byNode[s.Node] = s
		}
		assert.Len(t, list.Stations, 80, "the county's 77 stations and centre, ST-A and ST-B")
		a := byNode["ST-A"]
		assert.True(t, a.Enrolled)
		assert.Equal(t, "station", a.Kind)
		assert.Equal(t, "cunyou-edge/test", a.Software)
		assert.Equal(t, map[string]uint64{"inc-1": 3}, a.Cursors)
		assert.InDelta(t, 3660, a.LagSeconds, 0.01, "an hour and a minute behind the hub's clock")
		b := byNode["ST-B"]
		assert.Equal(t, "centre", b.Kind)
		assert.False(t, b.Enrolled)
		assert.True(t, b.CodePending)
		assert.Empty(t, b.Cursors)
		assert.Zero(t, b.LastContactMs)
	}
	// The shape the console reads.
	r := e.get("/api/v1/stations", "admin")
	for _, field := range []string{`"hub_time_ms"`, `"node"`, `"code_pending"`, `"cursors"`, `"last_contact_ms"`, `"lag_seconds"`,
		`"skew_ms"`, `"future_ops"`, `"dead_letters"`, `"quarantined"`, `"changes_seq"`, `"changes_after"`} {
		assert.Contains(t, string(r.body), field)
	}
	assert.NotContains(t, string(r.body), `"health"`, "no station has reported its health yet")

	// A hello with the station's own report: its backlog and devices.
	require.NoError(t, e.st.RecordHello(ctx, "ST-A", "cunyou-edge/test", 0, &syncproto.Health{Backlog: 7, OldestUnsentS: 420,
		Devices: []syncproto.DeviceHealth{{Name: "labels", Kind: "printer", State: "error", Code: "printer.paper_out"}}}))
	list := decode[openapi.StationList](t, e.get("/api/v1/stations", "county"), http.StatusOK)
	for _, s := range list.Stations {
		if s.Node == "ST-A" {
			require.NotNil(t, s.Health)
			assert.Equal(t, openapi.StationHealth{Backlog: 7, OldestUnsentS: 420, Devices: []openapi.DeviceState{{Name: "labels",
				Kind: "printer", State: "error", Code: "printer.paper_out"}}}, *s.Health)
		}
	}
}

func TestCountsAndExceptions(t *testing.T) {
	e := newEnv(t)
	e.journey()
	// The yto parcel turns up at the wrong station: an exception.
	e.apply("ST-V0101", syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: "YT0000000000001", Carrier: "yto",
		ReceiverPhone: "13912345678", Shelf: 1, Layer: 1, Code: "1-1-0001"})

	c := decode[openapi.Counts](t, e.get("/api/v1/counts", "county"), http.StatusOK)
	assert.Equal(t, 2, c.Total)
	assert.Equal(t, map[string]int{"at_station": 2}, c.ByStatus)
	assert.Equal(t, map[string]int{"at_station": 2}, c.ByStage)
	require.Len(t, c.Holders, 2)
	assert.Equal(t, openapi.HolderCounts{Holder: "ST-V0101", Name: "南岗村驿站", Kind: "station", Total: 1,
		ByStatus: map[string]int{"at_station": 1}, ByStage: map[string]int{"at_station": 1}}, c.Holders[0])
	e.announce(entry("73100000000002", "zto", "13800000002", addrMinzhu))
	c = decode[openapi.Counts](t, e.get("/api/v1/counts", "zto-app"), http.StatusOK)
	assert.Equal(t, 2, c.Total, "a carrier's client counts its own")
	assert.Equal(t, map[string]int{"announced": 1, "at_station": 1}, c.ByStage)
	assert.Equal(t, "", c.Holders[0].Holder)
	assert.Equal(t, "none", c.Holders[0].Kind)

	l := decode[openapi.ExceptionList](t, e.get("/api/v1/exceptions", "county"), http.StatusOK)
	require.NotEmpty(t, l.Exceptions, "the wrong station")
	x := l.Exceptions[0]
	assert.Equal(t, "YT0000000000001", x.Waybill)
	assert.True(t, x.Open)
	assert.NotEmpty(t, x.Reason)
	assert.NotEmpty(t, x.Ops)
	l = decode[openapi.ExceptionList](t, e.get("/api/v1/exceptions?open=true&waybill=yt0000000000001", "county"), http.StatusOK)
	assert.NotEmpty(t, l.Exceptions)
	l = decode[openapi.ExceptionList](t, e.get("/api/v1/exceptions", "zto-app"), http.StatusOK)
	assert.Empty(t, l.Exceptions, "another carrier's exceptions are not shown")
	all := decode[openapi.ExceptionList](t, e.get("/api/v1/exceptions", "admin"), http.StatusOK)
	if len(all.Exceptions) > 1 {
		page := decode[openapi.ExceptionList](t, e.get("/api/v1/exceptions?limit=1", "admin"), http.StatusOK)
		require.NotZero(t, page.NextBefore)
		next := decode[openapi.ExceptionList](t, e.get(fmt.Sprintf("/api/v1/exceptions?limit=1&before=%d", page.NextBefore), "admin"),
			http.StatusOK)
		assert.Equal(t, all.Exceptions[1].ID, next.Exceptions[0].ID)
	}
	problem(t, e.get("/api/v1/exceptions?open=maybe", "county"), http.StatusBadRequest, openapi.CodeBadParameter)
	problem(t, e.get("/api/v1/exceptions?before=-1", "county"), http.StatusBadRequest, openapi.CodeBadParameter)
}

func TestWebhookDeliveries(t *testing.T) {
	e := newEnv(t)
	ev := func(carrier, kind, wb string) webhook.Event {
		return webhook.Event{ID: kind + "/" + wb, Carrier: carrier, Kind: kind, Waybill: wb, OccurredAt: t0,
			Data: map[string]any{"waybill": wb, "phone": "139****5678"}}
	}
	e.enqueue(ev("zto", "at_station", "73100000000001"), ev("yto", "at_station", "YT0000000000001"),
		ev("zto", "picked_up", "73100000000001"))

	list := func(path, as string) []openapi.Delivery {
		t.Helper()
		return decode[openapi.DeliveryList](t, e.get(path, as), http.StatusOK).Deliveries
	}
	assert.Len(t, list("/api/v1/webhooks/deliveries", "county"), 3)
	zto := list("/api/v1/webhooks/deliveries", "zto-app")
	require.Len(t, zto, 2, "a carrier's client sees its own")
	assert.Equal(t, "picked_up", zto[0].Type, "newest first")
	assert.Equal(t, "pending", zto[0].Status)
	assert.Nil(t, zto[0].Body, "no bodies in lists")
	assert.Len(t, list("/api/v1/webhooks/deliveries?carrier=zto", "zto-app"), 2)
	assert.Len(t, list("/api/v1/webhooks/deliveries?carrier=yto", "county"), 1)
	assert.Len(t, list("/api/v1/webhooks/deliveries?waybill=73100000000001&status=pending", "county"), 2)
	assert.Empty(t, list("/api/v1/webhooks/deliveries?status=dead", "county"))
	problem(t, e.get("/api/v1/webhooks/deliveries?carrier=yto", "zto-app"), http.StatusForbidden, openapi.CodeCarrierScope)
	problem(t, e.get("/api/v1/webhooks/deliveries?status=lost", "county"), http.StatusBadRequest, openapi.CodeBadParameter)
	page := decode[openapi.DeliveryList](t, e.get("/api/v1/webhooks/deliveries?limit=2", "county"), http.StatusOK)
	require.Len(t, page.Deliveries, 2)
	rest := list(fmt.Sprintf("/api/v1/webhooks/deliveries?limit=2&before=%d", page.NextBefore), "county")
	require.Len(t, rest, 1)
	assert.Equal(t, zto[1].ID, rest[0].ID)

	yto := list("/api/v1/webhooks/deliveries", "yto-app")[0]
	one := decode[openapi.Delivery](t, e.get(fmt.Sprintf("/api/v1/webhooks/deliveries/%d", zto[1].ID), "zto-app"), http.StatusOK)
	assert.Equal(t, "at_station/73100000000001", one.EventID)
	assert.Contains(t, string(one.Body), `"type":"at_station"`)
	problem(t, e.get(fmt.Sprintf("/api/v1/webhooks/deliveries/%d", yto.ID), "zto-app"), http.StatusNotFound, openapi.CodeNotFound)
	problem(t, e.get("/api/v1/webhooks/deliveries/999", "county"), http.StatusNotFound, openapi.CodeNotFound)
	problem(t, e.get("/api/v1/webhooks/deliveries/x", "county"), http.StatusNotFound, openapi.CodeNotFound)

	// Not attempted yet: nothing to replay.
	replay := func(id int64, as string) response {
		return e.do(http.MethodPost, fmt.Sprintf("/api/v1/webhooks/deliveries/%d/replay", id), as, nil, nil)
	}
	problem(t, replay(one.ID, "zto-app"), http.StatusConflict, openapi.CodeDeliveryQueued)
	problem(t, replay(yto.ID, "zto-app"), http.StatusNotFound, openapi.CodeNotFound)

	// Delivered, then replayed: a new series.
	e.runWebhooks()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := decode[openapi.Delivery](t, e.get(fmt.Sprintf("/api/v1/webhooks/deliveries/%d", one.ID), "zto-app"), http.StatusOK)
		if d.Status == "delivered" {
			require.Len(t, d.History, 1)
			assert.Equal(t, http.StatusOK, d.History[0].HTTPStatus)
			assert.False(t, d.DeliveredAt.IsZero())
			break
		}
		require.True(t, time.Now().Before(deadline), "not delivered: %+v", d)
		time.Sleep(10 * time.Millisecond)
	}
	key := map[string]string{openapi.IdempotencyHeader: "replay-1"}
	path := fmt.Sprintf("/api/v1/webhooks/deliveries/%d/replay", one.ID)
	r := e.do(http.MethodPost, path, "zto-app", nil, key)
	d := decode[openapi.Delivery](t, r, http.StatusAccepted)
	assert.Equal(t, 1, d.Series)
	again := e.do(http.MethodPost, path, "zto-app", nil, key)
	assert.Equal(t, http.StatusAccepted, again.status, "%s", again.body)
	assert.Equal(t, "true", again.header.Get(openapi.ReplayedHeader), "the same replay, not a second one")
	d = decode[openapi.Delivery](t, e.get(fmt.Sprintf("/api/v1/webhooks/deliveries/%d", one.ID), "admin"), http.StatusOK)
	assert.Equal(t, 1, d.Series)
}

func TestWithoutWebhooks(t *testing.T) {
	e := newEnv(t, envOptions{noWebhooks: true})
	for _, path := range []string{"/api/v1/webhooks/deliveries", "/api/v1/webhooks/deliveries/1"} {
		problem(t, e.get(path, "county"), http.StatusServiceUnavailable, openapi.CodeUnavailable)
	}
	problem(t, e.do(http.MethodPost, "/api/v1/webhooks/deliveries/1/replay", "county", nil, nil), http.StatusServiceUnavailable,
		openapi.CodeUnavailable)
}
