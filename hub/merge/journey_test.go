package merge_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/merge"
	"cunyou/syncproto"
)

// outbox records the events the projection queues, in its transaction.
type outbox struct {
	mu     sync.Mutex
	events []merge.OutboxEvent
}

func (o *outbox) Enqueue(ctx context.Context, tx *sql.Tx, ev merge.OutboxEvent) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, e := range o.events {
		if e.ID == ev.ID {
			return nil
		}
	}
	o.events = append(o.events, ev)
	return nil
}

func (o *outbox) kinds(wb string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, e := range o.events {
		if e.Waybill == wb {
			out = append(out, e.Kind)
		}
	}
	return out
}

func (e *env) addCentre(t *testing.T, id string) {
	t.Helper()
	require.NoError(t, e.st.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO nodes (node_id, kind, name, token_hash, created_at) VALUES (?, 'centre', '分拨中心', ?, 0)`, id, "token-"+id)
		return err
	}))
}

func (e *env) record(t *testing.T, facts ...merge.Fact) {
	t.Helper()
	require.NoError(t, e.m.Record(context.Background(), facts))
}

// changesFor lists node's downstream changes as "type waybill station".
func (e *env) changesFor(t *testing.T, node string) []string {
	t.Helper()
	e.flush(t)
	rows, err := e.st.DB().Query("SELECT type, payload FROM changes WHERE node = ? ORDER BY seq", node)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ string
		var body []byte
		require.NoError(t, rows.Scan(&typ, &body))
		var m syncproto.ManifestEntry
		require.NoError(t, json.Unmarshal(body, &m))
		s := typ + " " + m.Waybill
		if m.Station != "" {
			s += " " + m.Station
		}
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	return out
}

func manifested(wb, station string) merge.Fact {
	reason := syncproto.DestVillage
	if station == "" {
		reason = syncproto.DestUnresolved
	}
	return merge.Fact{Kind: syncproto.KindParcelManifested, Actor: "api:zto", Payload: syncproto.ParcelManifested{
		Waybill: wb, Carrier: "zto", ReceiverName: "王秀英", ReceiverPhone: "13912345678", Address: "先锋镇前进村三组",
		WeightGrams: 800, Source: "api:zto", Station: station, Reason: reason, Detail: "前进村"}}
}

// The inbound journey: announced, sorted at the centre, loaded, carried,
// scanned in at its station, picked up. Stations and the centre get the
// manifest, the carrier its webhooks, and no exception is raised.
func TestJourneyInbound(t *testing.T) {
	ob := &outbox{}
	e := openEnv(t, t.TempDir(), merge.Options{Outbox: ob})
	e.addNodes(t, "ST-A", "ST-B")
	e.addCentre(t, "CENTRE")
	e.record(t, manifested("W1", "ST-A"))
	st, node := e.parcel(t, "W1", "in")
	assert.Equal(t, merge.StatusManifested, st)
	assert.Empty(t, node, "the carrier still has it")
	assert.Equal(t, []string{"manifest W1"}, e.changesFor(t, "ST-A"))
	assert.Equal(t, []string{"manifest W1 ST-A"}, e.changesFor(t, "CENTRE"))

	const c = "CENTRE"
	e.apply(t, c,
		op(c, inc, 1, syncproto.KindParcelAtCentre, syncproto.ParcelAtCentre{Waybill: "W1", Carrier: "zto", Manifested: true, Station: "ST-A", Trip: "L1-20260314-0700"}),
		op(c, inc, 2, syncproto.KindParcelLoaded, syncproto.ParcelLoaded{Waybill: "W1", Trip: "L1-20260314-0700"}))
	st, node = e.parcel(t, "W1", "in")
	assert.Equal(t, merge.StatusLoaded, st)
	assert.Equal(t, c, node)
	e.apply(t, c, op(c, inc, 3, syncproto.KindTripDeparted, syncproto.TripDeparted{Trip: "L1-20260314-0700", Vehicle: "黑M12345", Waybills: []string{"W1"}}))
	st, node = e.parcel(t, "W1", "in")
	assert.Equal(t, merge.StatusInTransit, st)
	assert.Empty(t, node, "on the road")

	e.apply(t, "ST-A", inbound("ST-A", inc, 1, "W1"))
	st, node = e.parcel(t, "W1", "in")
	assert.Equal(t, merge.StatusAtStation, st)
	assert.Equal(t, "ST-A", node)
	p, err := e.st.Parcel(context.Background(), "W1", "in")
	require.NoError(t, err)
	assert.Equal(t, "13912345678", p.ReceiverPhone, "the manifest's receiver stays")
	e.apply(t, "ST-A", pickup("ST-A", inc, 2, "W1"))
	st, _ = e.parcel(t, "W1", "in")
	assert.Equal(t, merge.StatusPickedUp, st)

	assert.Empty(t, e.exceptions(t, "W1"))
	assert.Equal(t, []string{
		"HUB parcel.manifested manifested by api:zto for ST-A (village: 前进村)",
		"CENTRE parcel.at_centre sorted to ST-A on trip L1-20260314-0700",
		"CENTRE parcel.loaded loaded on trip L1-20260314-0700",
		"CENTRE trip.departed departed on trip L1-20260314-0700 vehicle 黑M12345",
		"ST-A parcel.inbound code 1-2-0001 shelf 1-2",
		"ST-A parcel.picked_up collector receiver",
	}, e.timeline(t, "W1", ""))
	assert.Equal(t, []string{"at_station", "picked_up"}, ob.kinds("W1"))
}

func TestJourneyDestinationChangesAndMistakes(t *testing.T) {
	ob := &outbox{}
	e := openEnv(t, t.TempDir(), merge.Options{Outbox: ob})
	e.addNodes(t, "ST-A", "ST-B")
	e.addCentre(t, "CENTRE")

	// Unresolved: only the centre hears of it, without a station.
	e.record(t, manifested("W2", ""))
	assert.Empty(t, e.changesFor(t, "ST-A"))
	assert.Equal(t, []string{"manifest W2"}, e.changesFor(t, "CENTRE"))
	assert.Equal(t, 1, e.count(t, "SELECT count(*) FROM parcels WHERE dest = '' AND status = 'manifested'"))

	// A dispatcher decides; then changes their mind.
	e.record(t, merge.Fact{Kind: syncproto.KindParcelDestination, Actor: "dispatcher:li", Payload: syncproto.ParcelDestination{
		Waybill: "W2", Station: "ST-A", Reason: syncproto.DestManual}})
	e.record(t, merge.Fact{Kind: syncproto.KindParcelDestination, Actor: "dispatcher:li", Payload: syncproto.ParcelDestination{
		Waybill: "W2", Station: "ST-B", Reason: syncproto.DestManual, Note: "receiver called"}})
	assert.Equal(t, []string{"manifest W2", "manifest.cancel W2"}, e.changesFor(t, "ST-A"))
	assert.Equal(t, []string{"manifest W2"}, e.changesFor(t, "ST-B"))
	assert.Equal(t, []string{"manifest W2", "manifest W2 ST-A", "manifest W2 ST-B"}, e.changesFor(t, "CENTRE"))

	// The carrier announces it again: details change, the dispatcher's
	// destination stands.
	e.record(t, manifested("W2", "ST-A"))
	assert.Equal(t, 1, e.count(t, "SELECT count(*) FROM parcels WHERE waybill = 'W2' AND dest = 'ST-B' AND dest_reason = 'manual'"))

	// Sorted to another station at the centre, then it turns up at a
	// third: both raise exceptions, and the facts stand.
	const c = "CENTRE"
	e.apply(t, c, op(c, inc, 1, syncproto.KindParcelAtCentre, syncproto.ParcelAtCentre{Waybill: "W2", Carrier: "zto", Station: "ST-A"}))
	e.apply(t, "ST-A", inbound("ST-A", inc, 1, "W2"))
	st, node := e.parcel(t, "W2", "in")
	assert.Equal(t, merge.StatusAtStation, st)
	assert.Equal(t, "ST-A", node)
	ex := e.exceptions(t, "W2")
	require.Len(t, ex, 2)
	assert.Contains(t, ex[0], "sorted at CENTRE to ST-A, destined for ST-B (manual)")
	assert.Contains(t, ex[1], "arrived at ST-A, destined for ST-B (manual)")

	// A carrier's own event joins the timeline only.
	e.record(t, merge.Fact{Kind: syncproto.KindCarrierEvent, Actor: "api:zto", Payload: syncproto.CarrierEvent{
		Waybill: "W2", Carrier: "zto", Code: "departed", Location: "杭州转运中心", AtMs: 1}})
	st, _ = e.parcel(t, "W2", "in")
	assert.Equal(t, merge.StatusAtStation, st)
	tl := e.timeline(t, "W2", "")
	assert.Equal(t, "HUB parcel.carrier_event zto: departed at 杭州转运中心", tl[len(tl)-1])
}

// Outbound and returns through the centre to the carrier.
func TestJourneyOutboundAndReturn(t *testing.T) {
	ob := &outbox{}
	e := openEnv(t, t.TempDir(), merge.Options{Outbox: ob})
	e.addNodes(t, "ST-A")
	e.addCentre(t, "CENTRE")
	e.apply(t, "ST-A",
		op("ST-A", inc, 1, syncproto.KindParcelAccepted, syncproto.ParcelAccepted{Waybill: "S1", Carrier: "zto", WaybillSource: "range",
			Sender: syncproto.Party{Name: "李四", Phone: "13900001111"}, Receiver: syncproto.Party{Name: "王五", Phone: "13711112222", Province: "广东"},
			WeightGrams: 800, PriceFen: 1200}),
		inbound("ST-A", inc, 2, "R1"),
		op("ST-A", inc, 3, syncproto.KindParcelsReturned, syncproto.ParcelsReturned{Waybills: []string{"R1"}, Reason: "overdue"}))
	const c = "CENTRE"
	e.apply(t, c,
		op(c, inc, 1, syncproto.KindParcelCollected, syncproto.ParcelCollected{Waybill: "S1", Carrier: "zto", Direction: syncproto.CollectedOutbound, From: "ST-A"}),
		op(c, inc, 2, syncproto.KindParcelCollected, syncproto.ParcelCollected{Waybill: "R1", Carrier: "zto", Direction: syncproto.CollectedReturn, From: "ST-A"}))
	st, node := e.parcel(t, "S1", "out")
	assert.Equal(t, merge.StatusCollected, st)
	assert.Equal(t, c, node)
	st, node = e.parcel(t, "R1", "in")
	assert.Equal(t, merge.StatusReturning, st)
	assert.Equal(t, c, node)
	e.apply(t, c, op(c, inc, 3, syncproto.KindParcelsHandedOver, syncproto.ParcelsHandedOver{Carrier: "zto", List: "HO-20260314-zto-001",
		Waybills: []string{"S1", "R1"}}))
	st, _ = e.parcel(t, "S1", "out")
	assert.Equal(t, merge.StatusHandedOver, st)
	st, _ = e.parcel(t, "R1", "in")
	assert.Equal(t, merge.StatusReturned, st)
	assert.Empty(t, e.exceptions(t, "S1"))
	assert.Empty(t, e.exceptions(t, "R1"))
	assert.Equal(t, []string{"handed_over"}, ob.kinds("S1"))
	assert.Equal(t, []string{"at_station", "returned"}, ob.kinds("R1"))
}

// Nodes may not record the hub's own facts.
func TestHubFactsFromANodeAreDeadLetters(t *testing.T) {
	e := newEnv(t, "ST-A")
	res := e.apply(t, "ST-A", op("ST-A", inc, 1, syncproto.KindParcelManifested, syncproto.ParcelManifested{Waybill: "W1", Carrier: "zto", Source: "x"}))
	assert.Equal(t, 1, res.DeadLettered)
	assert.Equal(t, 0, e.count(t, "SELECT count(*) FROM parcels"))
	assert.Error(t, e.m.Record(context.Background(), []merge.Fact{{Kind: syncproto.KindParcelInbound, Payload: syncproto.ParcelInbound{}}}))
}
