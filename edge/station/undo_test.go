package station

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/idnum"
	"cunyou/syncproto"
)

// TestUndoInbound: the operator's last scan is undone by a new event, in
// one transaction with the state change: off the shelf, slot and code
// free, its sticker and SMS no longer owed; the day's figures still
// reconcile, and a new scan shelves it again.
func TestUndoInbound(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 1, Capacity: 5})
	e.s.PrintPickupStickers(true)
	kept := e.in(t, sf(1), phone(1), "张三")
	wrong := e.in(t, sf(2), phone(2), "李四")
	inSeq := e.lastSeq(t)
	require.Equal(t, map[string]int{"1-1": 2}, e.used(t))
	owed, err := e.s.UnsentArrivals(e.ctx, e.clock.Now())
	require.NoError(t, err)
	require.Len(t, owed, 2)

	var got Parcel
	op := e.oneOp(t, syncproto.KindParcelInboundUndone, func() {
		got, err = e.s.UndoInbound(e.ctx, clerk, " "+wrong.Waybill)
		require.NoError(t, err)
	})
	assert.Equal(t, syncproto.ParcelInboundUndone{Waybill: sf(2), Code: wrong.Code, Shelf: 1, Layer: 1, InboundSeq: inSeq},
		payload[syncproto.ParcelInboundUndone](t, op))
	assert.Equal(t, clerk, op.Actor)
	assert.Equal(t, StatusUndone, got.Status)
	assert.Zero(t, got.Shelf, "off the shelf")
	assert.Equal(t, map[string]int{"1-1": 1}, e.used(t), "its slot is free")
	evs := e.events(t, sf(2), "in")
	require.Len(t, evs, 2, "the inbound stays; the undo is a new event")
	assert.Equal(t, []string{evInbound, evUndone}, []string{evs[0].Kind, evs[1].Kind})
	assert.Equal(t, op.Seq, evs[1].Seq)

	found, err := e.s.FindForPickup(e.ctx, phone(2)[7:])
	require.NoError(t, err)
	assert.Empty(t, found.Receivers, "an undone parcel is not handed out")
	owed, err = e.s.UnsentArrivals(e.ctx, e.clock.Now())
	require.NoError(t, err)
	require.Len(t, owed, 1, "no SMS is owed for the undone parcel")
	assert.Equal(t, sf(1), owed[0].Waybill)
	assert.ErrorIs(t, e.s.SendingSMS(e.ctx, phone(2), "…", []string{sf(2)}), ErrArrivalGone, "a message listed before the undo does not go")
	var stickers int
	require.NoError(t, e.st.DB().QueryRowContext(e.ctx, "SELECT count(*) FROM print_jobs WHERE waybill = ?", sf(2)).Scan(&stickers))
	assert.Zero(t, stickers, "its sticker is not printed")

	e.clock.Advance(time.Minute) // today is counted up to now
	rep, err := e.s.DayReport(e.ctx, e.s.Today())
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Total.In, "in is net of the undone scan")
	assert.Equal(t, 1, rep.Undone)
	assert.Equal(t, 1, rep.Total.OnShelf)
	assert.Zero(t, rep.Mismatch)

	// Scanned again (the right receiver this time): shelved anew, code
	// and slot taken afresh.
	e.clock.Advance(time.Minute)
	again, err := e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: sf(2), ReceiverPhone: phone(3), ReceiverName: "王五"})
	require.NoError(t, err)
	assert.False(t, again.Repeat)
	assert.Equal(t, StatusAtStation, again.Parcel.Status)
	assert.Equal(t, "138****0003", again.Parcel.Phone)
	assert.NotEmpty(t, again.Parcel.Code)
	assert.NotEqual(t, kept.Code, again.Parcel.Code)
	assert.Equal(t, map[string]int{"1-1": 2}, e.used(t))
	e.clock.Advance(time.Minute)
	rep, err = e.s.DayReport(e.ctx, e.s.Today())
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Total.In)
	assert.Equal(t, 2, rep.Total.OnShelf)
	assert.Zero(t, rep.Mismatch)
	require.NoError(t, e.s.VerifyDerived(e.ctx))
}

func TestUndoInboundRefused(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 2, Capacity: 5})
	e.refused(t, CodeUndoNothing, func() error { _, err := e.s.UndoInbound(e.ctx, clerk, sf(1)); return err })
	e.in(t, sf(1), phone(1), "张三")
	e.in(t, sf(2), phone(2), "李四")

	err := e.refused(t, CodeUndoNotLast, func() error { _, err := e.s.UndoInbound(e.ctx, clerk, sf(1)); return err })
	assert.Equal(t, sf(2), ArgsOf(err)["last"], "the refusal names the last scan")
	e.refused(t, CodeUndoNothing, func() error { _, err := e.s.UndoInbound(e.ctx, "wang", sf(2)); return err })
	e.refused(t, CodeWaybillInvalid, func() error { _, err := e.s.UndoInbound(e.ctx, clerk, "??"); return err })

	// A repeat scan of an earlier parcel records nothing: the last scan
	// is still sf(2).
	res, err := e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: sf(1)})
	require.NoError(t, err)
	require.True(t, res.Repeat)
	e.pickup(t, sf(2))
	e.refused(t, CodeUndoMoved, func() error { _, err := e.s.UndoInbound(e.ctx, clerk, sf(2)); return err })

	e.in(t, sf(3), phone(3), "王五")
	_, err = e.s.MarkProblem(e.ctx, clerk, sf(3), syncproto.ReasonDamaged, "")
	require.NoError(t, err)
	e.refused(t, CodeUndoMoved, func() error { _, err := e.s.UndoInbound(e.ctx, clerk, sf(3)); return err })

	e.in(t, sf(4), phone(4), "赵六")
	_, err = e.s.Stocktake(e.ctx, clerk, 1, []StocktakeScan{{Waybill: sf(1)}, {Waybill: sf(4), Layer: 2}})
	require.NoError(t, err)
	e.refused(t, CodeUndoMoved, func() error { _, err := e.s.UndoInbound(e.ctx, clerk, sf(4)); return err })

	e.in(t, sf(5), phone(5), "钱七")
	_, err = e.s.UndoInbound(e.ctx, clerk, sf(5))
	require.NoError(t, err)
	e.refused(t, CodeUndoDone, func() error { _, err := e.s.UndoInbound(e.ctx, clerk, sf(5)); return err })

	e.in(t, sf(6), phone(6), "孙八")
	e.clock.Advance(24 * time.Hour)
	err = e.refused(t, CodeUndoTooLate, func() error { _, err := e.s.UndoInbound(e.ctx, clerk, sf(6)); return err })
	assert.Equal(t, "03-10 09:00", ArgsOf(err)["when"])
}

// TestPickupIDPolicy: the station's ID-card rule at pickup, kept on the
// server: a proxy needs the card read (on by default); with the value
// rule on, so does the collector of a parcel declared at N yuan or more.
func TestPickupIDPolicy(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 2, Capacity: 10})
	require.NoError(t, e.s.ApplyManifest(e.ctx, []ManifestEntry{
		{Waybill: sf(1), Carrier: "sf", ReceiverName: "张三", ReceiverPhone: phone(1), ValueFen: 150000},
		{Waybill: sf(2), Carrier: "sf", ReceiverName: "张三", ReceiverPhone: phone(1), ValueFen: 99999},
		{Waybill: sf(3), Carrier: "sf", ReceiverName: "李四", ReceiverPhone: phone(3)},
	}))
	for _, wb := range []string{sf(1), sf(2), sf(3)} {
		res, err := e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: wb})
		require.NoError(t, err)
		require.True(t, res.Prefilled)
	}
	assert.Equal(t, 150000, e.parcel(t, sf(1), "in").ValueFen, "the declared value comes from the manifest")
	id, err := idnum.Parse(validID)
	require.NoError(t, err)
	card := CardIdentity{Name: "王二", Number: id, LongTerm: true}
	proxy := CollectorInput{Kind: "proxy", Name: "王二", Phone: phone(9), IDNumber: validID}

	// Default: proxies need the card; values do not count.
	got, err := e.s.FindForPickup(e.ctx, phone(1))
	require.NoError(t, err)
	assert.Equal(t, IDPolicy{Proxy: true}, got.IDPolicy)
	for _, p := range got.Receivers[0].Parcels {
		assert.False(t, p.HighValue, "%s: no value rule yet", p.Waybill)
	}
	e.refused(t, CodeIDCardRequiredProxy, func() error {
		_, err := e.s.Pickup(e.ctx, clerk, PickupInput{Waybills: []string{sf(3)}, Collector: proxy})
		return err
	})
	op := e.oneOp(t, syncproto.KindParcelsPickedUp, func() {
		_, err := e.s.PickupWithCard(e.ctx, clerk, PickupInput{Waybills: []string{sf(3)}, Collector: CollectorInput{Kind: "proxy", Phone: phone(9)}}, card)
		require.NoError(t, err)
	})
	c := payload[syncproto.ParcelsPickedUp](t, op).Collector
	assert.Equal(t, syncproto.Collector{Kind: "proxy", Name: "王二", Phone: phone(9), IDHash: e.s.hashID(validID), IDLast4: "002X",
		IDSource: IDSourceCard}, c)
	e.refused(t, CodeIDCardNone, func() error {
		_, err := e.s.PickupWithCard(e.ctx, clerk, PickupInput{Waybills: []string{sf(1)}}, CardIdentity{})
		return err
	})

	// The value rule at 1000 yuan: sf(1) at 1500 needs the card, even for
	// its receiver; sf(2) at 999.99 does not.
	require.NoError(t, e.s.SetSettings(e.ctx, owner, Settings{OverdueDays: 3, ReturnDays: 7, IDForProxy: true, IDHighValue: true, IDValueYuan: 1000}))
	got, err = e.s.FindForPickup(e.ctx, phone(1))
	require.NoError(t, err)
	assert.Equal(t, IDPolicy{Proxy: true, ValueYuan: 1000}, got.IDPolicy)
	high := map[string]bool{}
	for _, p := range got.Receivers[0].Parcels {
		high[p.Waybill] = p.HighValue
	}
	assert.Equal(t, map[string]bool{sf(1): true, sf(2): false}, high)
	err = e.refused(t, CodeIDCardRequiredValue, func() error {
		_, err := e.s.Pickup(e.ctx, clerk, PickupInput{Waybills: []string{sf(2), sf(1)}})
		return err
	})
	assert.Equal(t, map[string]string{"waybill": sf(1), "value": "1500", "limit": "1000"}, ArgsOf(err))
	e.pickup(t, sf(2))
	op = e.oneOp(t, syncproto.KindParcelsPickedUp, func() {
		_, err := e.s.PickupWithCard(e.ctx, clerk, PickupInput{Waybills: []string{sf(1)}}, card)
		require.NoError(t, err)
	})
	c = payload[syncproto.ParcelsPickedUp](t, op).Collector
	assert.Equal(t, "receiver", c.Kind)
	assert.Equal(t, IDSourceCard, c.IDSource)

	// The owner turns the proxy rule off: a typed ID number serves.
	e.in(t, sf(4), phone(4), "赵六")
	require.NoError(t, e.s.SetSettings(e.ctx, owner, Settings{OverdueDays: 3, ReturnDays: 7}))
	_, err = e.s.Pickup(e.ctx, clerk, PickupInput{Waybills: []string{sf(4)}, Collector: proxy})
	require.NoError(t, err)
}

// TestDayCloseStocktakeMissing: a count that does not find a parcel the
// books have on its shelf shows in the day's report until the parcel turns
// up (a later count finds it) or leaves the shelf.
func TestDayCloseStocktakeMissing(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 1, Capacity: 10}, syncproto.Shelf{No: 2, Layers: 1, Capacity: 10})
	e.in(t, sf(1), phone(1), "张三")
	e.in(t, sf(2), phone(2), "李四")
	missing := func() []string {
		t.Helper()
		e.clock.Advance(time.Second) // today is counted up to now
		rep, err := e.s.DayReport(e.ctx, e.s.Today())
		require.NoError(t, err)
		var wbs []string
		for _, p := range rep.StocktakeMissing {
			wbs = append(wbs, p.Waybill)
		}
		return wbs
	}
	assert.Empty(t, missing())
	e.clock.Advance(time.Minute)
	_, err := e.s.Stocktake(e.ctx, clerk, 1, []StocktakeScan{{Waybill: sf(1)}})
	require.NoError(t, err)
	assert.Equal(t, []string{sf(2)}, missing())

	e.clock.Advance(time.Minute)
	closed, err := e.s.CloseDay(e.ctx, clerk, e.s.Today())
	require.NoError(t, err)
	require.Len(t, closed.StocktakeMissing, 1, "the closed day records it")
	var dc syncproto.DayClosed
	ops := e.opsSince(t, 0)
	for _, op := range ops {
		if op.Kind == syncproto.KindDayClosed {
			dc = payload[syncproto.DayClosed](t, op)
		}
	}
	assert.Equal(t, 1, dc.StocktakeMissing)

	// Next day the shelf is counted again and the parcel is there.
	e.clock.Advance(24 * time.Hour)
	_, err = e.s.Stocktake(e.ctx, clerk, 1, []StocktakeScan{{Waybill: sf(2)}})
	require.NoError(t, err)
	assert.Equal(t, []string{sf(1)}, missing(), "now the other one is missing")
	e.clock.Advance(time.Minute)
	e.pickup(t, sf(1))
	assert.Empty(t, missing(), "handed out: no longer on the books")
}

// TestPickupIDPolicyNoBypass: the proxy rule cannot be slipped past by
// calling a proxy the receiver (parcels of another receiver, or a
// collector's phone not the receiver's), nor met with an expired card.
func TestPickupIDPolicyNoBypass(t *testing.T) {
	f := newPickupFixture(t) // the proxy rule is on by default
	e := f.env
	err := e.refused(t, CodeIDCardRequiredProxy, func() error {
		_, err := e.s.Pickup(e.ctx, clerk, PickupInput{Waybills: []string{sf(1), sf(3)}})
		return err
	})
	assert.Equal(t, sf(3), ArgsOf(err)["waybill"], "王五's parcel is not 张三's")
	e.refused(t, CodeIDCardRequiredProxy, func() error {
		_, err := e.s.Pickup(e.ctx, clerk, PickupInput{Waybills: []string{sf(3)}, Collector: CollectorInput{Kind: "receiver", Phone: zhangPhone}})
		return err
	})
	id, err := idnum.Parse(validID)
	require.NoError(t, err)
	expired := CardIdentity{Name: "王二", Number: id, ValidTo: e.clock.Now().AddDate(0, 0, -2)}
	e.refused(t, CodeIDCardExpired, func() error {
		_, err := e.s.PickupWithCard(e.ctx, clerk, PickupInput{Waybills: []string{sf(3)},
			Collector: CollectorInput{Kind: "proxy", Phone: phone(9)}}, expired)
		return err
	})

	// The receiver's own phone, one receiver: no card needed; a card
	// read serves for several receivers.
	_, err = e.s.Pickup(e.ctx, clerk, PickupInput{Waybills: []string{sf(3)}, Collector: CollectorInput{Kind: "receiver", Phone: wangPhone}})
	require.NoError(t, err)
	_, err = e.s.PickupWithCard(e.ctx, clerk, PickupInput{Waybills: []string{sf(1), zto(2)}},
		CardIdentity{Name: "张三", Number: id, LongTerm: true})
	require.NoError(t, err)
}

// TestPickupIDPolicyLateManifest: a parcel scanned in before the hub's
// manifest said what it is worth (the link was down) is still valuable
// once the manifest comes.
func TestPickupIDPolicyLateManifest(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 2, Capacity: 10})
	require.NoError(t, e.s.SetSettings(e.ctx, owner, Settings{OverdueDays: 3, ReturnDays: 7, IDForProxy: true, IDHighValue: true, IDValueYuan: 1000}))
	e.in(t, sf(1), phone(1), "张三")
	require.NoError(t, e.s.ApplyManifest(e.ctx, []ManifestEntry{
		{Waybill: sf(1), Carrier: "sf", ReceiverName: "张三", ReceiverPhone: phone(1), ValueFen: 150000},
	}))
	got, err := e.s.FindForPickup(e.ctx, phone(1))
	require.NoError(t, err)
	require.Len(t, got.Receivers, 1)
	assert.True(t, got.Receivers[0].Parcels[0].HighValue)
	e.refused(t, CodeIDCardRequiredValue, func() error {
		_, err := e.s.Pickup(e.ctx, clerk, PickupInput{Waybills: []string{sf(1)}})
		return err
	})
	require.NoError(t, e.s.VerifyDerived(e.ctx))
}

// TestUndoInboundDayClosed: a scan counted in a closed day cannot be
// undone (the day's figures, sent to the hub, stay true); one made after
// the close counts in the next day and can.
func TestUndoInboundDayClosed(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 1, Capacity: 5})
	e.in(t, sf(1), phone(1), "张三")
	e.clock.Advance(time.Minute)
	_, err := e.s.CloseDay(e.ctx, clerk, e.s.Today())
	require.NoError(t, err)
	e.clock.Advance(time.Minute)
	e.refused(t, CodeUndoDayClosed, func() error { _, err := e.s.UndoInbound(e.ctx, clerk, sf(1)); return err })

	e.in(t, sf(2), phone(2), "李四")
	_, err = e.s.UndoInbound(e.ctx, clerk, sf(2))
	require.NoError(t, err)
}

// TestUndoInboundStationSMS: the arrival SMS the station's modem sent (or
// failed for good) for a scan that is undone belonged to that scan: the
// parcel scanned in again, to the right phone, is owed its own.
func TestUndoInboundStationSMS(t *testing.T) {
	for _, sent := range []bool{true, false} {
		e := newEnv(t)
		e.layout(t, syncproto.Shelf{No: 1, Layers: 1, Capacity: 5})
		e.in(t, sf(1), phone(1), "张三")
		require.NoError(t, e.s.SendingSMS(e.ctx, phone(1), "…", []string{sf(1)}))
		if sent {
			require.NoError(t, e.s.SentSMS(e.ctx, []string{sf(1)}, 1, false))
		} else {
			require.NoError(t, e.s.FailedSMS(e.ctx, []string{sf(1)}, true))
		}
		_, err := e.s.UndoInbound(e.ctx, clerk, sf(1))
		require.NoError(t, err)
		e.clock.Advance(time.Minute)
		_, err = e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: sf(1), ReceiverPhone: phone(2), ReceiverName: "李四"})
		require.NoError(t, err)
		owed, err := e.s.UnsentArrivals(e.ctx, e.clock.Now())
		require.NoError(t, err)
		require.Len(t, owed, 1, "sent %v", sent)
		assert.Equal(t, phone(2), owed[0].Phone)
		require.NoError(t, e.s.SendingSMS(e.ctx, phone(2), "…", []string{sf(1)}))
	}
}
