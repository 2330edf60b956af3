package kiosk_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/drivers/idcard"
	"cunyou/edge/config"
	"cunyou/edge/devices"
	"cunyou/edge/kiosk"
	"cunyou/edge/station"
	"cunyou/syncproto"
)

// TestAPIInboundUndo: a clerk or the owner undoes their own last scan;
// anything else is refused with a code and a sentence, changing nothing.
func TestAPIInboundUndo(t *testing.T) {
	e := apiNewEnv(t)
	owner := e.setupOwner(t)
	clerk := e.addClerk(t, owner)
	e.setShelves(t, owner, syncproto.Shelf{No: 1, Layers: 2, Capacity: 5})
	type undone struct {
		Parcel station.Parcel `json:"parcel"`
	}
	body := func(wb string) map[string]string { return map[string]string{"waybill": wb} }

	e.refuse(t, http.StatusConflict, "undo_nothing", "POST", "/api/v1/inbound/undo", clerk, body(apiSF(1)))
	first := e.inbound(t, clerk, station.InboundInput{Waybill: apiSF(1), ReceiverPhone: apiPhone})
	last := e.inbound(t, clerk, station.InboundInput{Waybill: apiSF(2), ReceiverPhone: apiPhone})
	ownerScan := e.inbound(t, owner, station.InboundInput{Waybill: apiSF(3), ReceiverPhone: apiPhone})

	seq := e.lastSeq(t)
	b := e.refuse(t, http.StatusConflict, "undo_not_last", "POST", "/api/v1/inbound/undo", clerk, body(first.Waybill))
	assert.Contains(t, b.Error.Message, last.Waybill, "the sentence names the last scan")
	e.refuse(t, http.StatusConflict, "undo_not_last", "POST", "/api/v1/inbound/undo", clerk, body(ownerScan.Waybill))
	e.refuse(t, http.StatusUnprocessableEntity, "waybill_invalid", "POST", "/api/v1/inbound/undo", clerk, body("?"))
	e.refuse(t, http.StatusBadRequest, "bad_request", "POST", "/api/v1/inbound/undo", clerk, `{"waybill":1}`)
	assert.Equal(t, seq, e.lastSeq(t), "refusals change nothing")

	got := apiOK[undone](t, e, http.StatusOK, "POST", "/api/v1/inbound/undo", clerk, body(last.Waybill)).Parcel
	assert.Equal(t, station.StatusUndone, got.Status)
	assert.Zero(t, got.Shelf)
	assert.Equal(t, seq+1, e.lastSeq(t), "one op")
	b = e.refuse(t, http.StatusConflict, "undo_done", "POST", "/api/v1/inbound/undo", clerk, body(last.Waybill))
	assert.Equal(t, "The inbound of "+last.Waybill+" is undone already; scan it again to shelve it.",
		e.refuse(t, http.StatusConflict, "undo_done", "POST", "/api/v1/inbound/undo", clerk, body(last.Waybill), "Accept-Language", "en").Error.Message)
	assert.NotEmpty(t, b.Error.Message)
	apiOK[undone](t, e, http.StatusOK, "POST", "/api/v1/inbound/undo", owner, body(ownerScan.Waybill))

	s := apiOK[station.Search](t, e, http.StatusOK, "GET", "/api/v1/pickup?q="+apiPhone, clerk, nil)
	require.Len(t, s.Receivers, 1)
	require.Len(t, s.Receivers[0].Parcels, 1, "undone parcels are not offered for pickup")
	assert.Equal(t, first.Waybill, s.Receivers[0].Parcels[0].Waybill)
	tl := e.timeline(t, clerk, last.Waybill)
	require.Len(t, tl, 1)
	assert.Equal(t, []string{"inbound", "inbound_undone"}, apiEventKinds(tl[0].Events))

	// Scanned in again, then picked up: too late to undo.
	again := e.inbound(t, clerk, station.InboundInput{Waybill: last.Waybill, ReceiverPhone: apiPhone})
	assert.Equal(t, station.StatusAtStation, again.Status)
	e.pickup(t, clerk, again.Waybill)
	e.refuse(t, http.StatusConflict, "undo_moved", "POST", "/api/v1/inbound/undo", clerk, body(again.Waybill))
}

// TestAPIPickupIDCard: the ID-card rule at pickup through the kiosk API,
// with a simulated reader: a proxy needs the card read; with the value
// rule on, so does the receiver of a parcel declared at N yuan or more.
// Only the owner sets the rule.
func TestAPIPickupIDCard(t *testing.T) {
	reader, err := idcard.NewSimulator(idcard.SimOptions{})
	if err != nil {
		t.Skip(err)
	}
	defer reader.Close()
	e := apiNewEnv(t)
	h, err := devices.New(devices.Options{Station: e.st, RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond, Poll: 100 * time.Millisecond,
		Devices: []config.Device{{Name: "reader", Kind: config.DeviceIDCard, Port: reader.Path()}}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	e.srv.Config.Handler.(*kiosk.Server).SetDevices(h)

	owner := e.setupOwner(t)
	clerk := e.addClerk(t, owner)
	e.setShelves(t, owner, syncproto.Shelf{No: 1, Layers: 2, Capacity: 10})
	require.NoError(t, e.st.ApplyManifest(e.ctx, []station.ManifestEntry{
		{Waybill: apiSF(1), Carrier: "sf", ReceiverName: "张三", ReceiverPhone: apiPhone, ValueFen: 200000},
		{Waybill: apiSF(2), Carrier: "sf", ReceiverName: "张三", ReceiverPhone: apiPhone, ValueFen: 5000},
	}))
	for _, wb := range []string{apiSF(1), apiSF(2)} {
		e.inbound(t, clerk, station.InboundInput{Waybill: wb})
	}
	placeCard := func() {
		t.Helper()
		require.NoError(t, reader.PlaceCard(idcard.DemoCards()[1]))
		require.Eventually(t, func() bool {
			return apiOK[kiosk.IDCardJSON](t, e, http.StatusOK, "GET", "/api/v1/devices/idcard", clerk, nil).Present
		}, 15*time.Second, 20*time.Millisecond, "the card is read")
	}
	lastCollector := func() syncproto.Collector {
		t.Helper()
		ops, err := e.store.Ops(e.ctx, uint64(e.lastSeq(t))-1, 1)
		require.NoError(t, err)
		require.Equal(t, syncproto.KindParcelsPickedUp, ops[0].Kind)
		var v syncproto.ParcelsPickedUp
		require.NoError(t, json.Unmarshal(ops[0].Payload, &v))
		return v.Collector
	}

	// The value rule is the owner's to set.
	rule := map[string]any{"id_high_value": true, "id_value_yuan": 1000}
	e.refuse(t, http.StatusForbidden, "forbidden", "PUT", "/api/v1/settings", clerk, rule)
	got := apiOK[station.Settings](t, e, http.StatusOK, "PUT", "/api/v1/settings", owner, rule)
	assert.Equal(t, station.Settings{OverdueDays: 3, ReturnDays: 7, IDForProxy: true, IDHighValue: true, IDValueYuan: 1000}, got)

	s := apiOK[station.Search](t, e, http.StatusOK, "GET", "/api/v1/pickup?q="+apiPhone[7:], clerk, nil)
	assert.Equal(t, station.IDPolicy{Proxy: true, ValueYuan: 1000}, s.IDPolicy)
	high := map[string]bool{}
	for _, p := range s.Receivers[0].Parcels {
		high[p.Waybill] = p.HighValue
	}
	assert.Equal(t, map[string]bool{apiSF(1): true, apiSF(2): false}, high)

	seq := e.lastSeq(t)
	b := e.refuse(t, http.StatusUnprocessableEntity, "idcard_required_value", "POST", "/api/v1/pickup", clerk,
		station.PickupInput{Waybills: []string{apiSF(1)}})
	assert.Contains(t, b.Error.Message, "2000")
	e.refuse(t, http.StatusUnprocessableEntity, "idcard_required_proxy", "POST", "/api/v1/pickup", clerk,
		station.PickupInput{Waybills: []string{apiSF(2)}, Collector: station.CollectorInput{Kind: "proxy", Name: "王五", Phone: "13700000007", IDNumber: apiIDNumber}})
	assert.Equal(t, seq, e.lastSeq(t), "refusals change nothing")

	// A proxy with the card read takes the cheap parcel.
	placeCard()
	apiOK[map[string]any](t, e, http.StatusOK, "POST", "/api/v1/pickup", clerk,
		map[string]any{"waybills": []string{apiSF(2)}, "collector": map[string]string{"kind": "proxy", "phone": "13700000007"}, "id_source": "reader"})
	c := lastCollector()
	assert.Equal(t, "proxy", c.Kind)
	assert.Equal(t, "card", c.IDSource)
	assert.Equal(t, idcard.DemoCards()[1].Name, c.Name)

	// The receiver with their card read takes the valuable one; the reading
	// served one pickup and is gone.
	e.refuse(t, http.StatusUnprocessableEntity, "idcard_none", "POST", "/api/v1/pickup", clerk,
		map[string]any{"waybills": []string{apiSF(1)}, "id_source": "reader"})
	placeCard()
	apiOK[map[string]any](t, e, http.StatusOK, "POST", "/api/v1/pickup", clerk,
		map[string]any{"waybills": []string{apiSF(1)}, "id_source": "reader"})
	c = lastCollector()
	assert.Equal(t, "receiver", c.Kind)
	assert.Equal(t, "card", c.IDSource)
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, x := range e.exchanges {
		assert.NotContains(t, x.body, idcard.DemoCards()[1].Number, "%s %s", x.method, x.target)
	}
}

// TestAPIPickupCardOnce: one card reading serves one pickup, even when
// pickups taking it come at the same time (two windows, a double tap).
func TestAPIPickupCardOnce(t *testing.T) {
	reader, err := idcard.NewSimulator(idcard.SimOptions{})
	if err != nil {
		t.Skip(err)
	}
	defer reader.Close()
	e := apiNewEnv(t)
	h, err := devices.New(devices.Options{Station: e.st, RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond, Poll: 100 * time.Millisecond,
		Devices: []config.Device{{Name: "reader", Kind: config.DeviceIDCard, Port: reader.Path()}}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	e.srv.Config.Handler.(*kiosk.Server).SetDevices(h)

	owner := e.setupOwner(t)
	clerk := e.addClerk(t, owner)
	e.setShelves(t, owner, syncproto.Shelf{No: 1, Layers: 2, Capacity: 10})
	const n = 6
	for i := 1; i <= n; i++ {
		e.inbound(t, clerk, station.InboundInput{Waybill: apiSF(i), ReceiverPhone: apiPhone, ReceiverName: "张三"})
	}
	require.NoError(t, reader.PlaceCard(idcard.DemoCards()[1]))
	require.Eventually(t, func() bool {
		return apiOK[kiosk.IDCardJSON](t, e, http.StatusOK, "GET", "/api/v1/devices/idcard", clerk, nil).Present
	}, 15*time.Second, 20*time.Millisecond, "the card is read")

	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- e.do(t, "POST", "/api/v1/pickup", clerk, map[string]any{"waybills": []string{apiSF(i)}, "id_source": "reader"}).Status
		}()
	}
	wg.Wait()
	close(statuses)
	got := map[int]int{}
	for s := range statuses {
		got[s]++
	}
	assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusUnprocessableEntity: n - 1}, got, "one reading, one pickup")
}
