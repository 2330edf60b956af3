package station

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

func TestMarkProblemReasons(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 3, Capacity: 10})
	tests := []struct {
		reason, text string
		wantText     string
		wantDetail   string
	}{
		{syncproto.ReasonDamaged, "", "", "damaged"},
		{syncproto.ReasonWrongStation, "", "", "wrong_station"},
		{syncproto.ReasonRefused, "不要了", "不要了", "refused: 不要了"},
		{syncproto.ReasonAddressUnknown, "", "", "address_unknown"},
		{syncproto.ReasonLost, "  ", "", "lost"},
		{syncproto.ReasonOther, " 箱子湿了 ", "箱子湿了", "other: 箱子湿了"},
	}
	for i, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			wb := sf(i + 1)
			before := e.in(t, wb, phone(i+1), "")
			var p Parcel
			op := e.oneOp(t, syncproto.KindParcelProblem, func() {
				var err error
				p, err = e.s.MarkProblem(e.ctx, clerk, wb, tt.reason, tt.text)
				require.NoError(t, err)
			})
			assert.Equal(t, syncproto.ParcelProblem{Waybill: wb, Reason: tt.reason, Text: tt.wantText}, payload[syncproto.ParcelProblem](t, op))
			assert.Equal(t, StatusProblem, p.Status)
			assert.Equal(t, tt.reason, p.Problem)
			assert.Equal(t, before.Code, p.Code, "a problem parcel keeps its slot and code")
			assert.Equal(t, before.Shelf, p.Shelf)
			assert.Equal(t, evRow{Kind: evProblem, Seq: op.Seq, Actor: clerk, Detail: tt.wantDetail}, e.lastEvent(t, wb, "in"))
		})
	}
	ps, err := e.s.Problems(e.ctx)
	require.NoError(t, err)
	assert.Len(t, ps, len(tests))
}

func TestMarkProblemRefused(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 3, Capacity: 10})
	e.in(t, sf(1), phone(1), "张三")
	e.in(t, sf(2), phone(2), "李四")
	e.in(t, sf(3), phone(3), "王五")
	e.clock.Advance(time.Hour)
	e.pickup(t, sf(2))
	_, err := e.s.Return(e.ctx, clerk, []string{sf(3)}, "")
	require.NoError(t, err)
	tests := []struct {
		name         string
		wb           string
		reason, text string
		want         Code
		wantArgs     map[string]string
	}{
		{"other without text", sf(1), syncproto.ReasonOther, "", CodeReasonText, nil},
		{"other with blank text", sf(1), syncproto.ReasonOther, " \t", CodeReasonText, nil},
		{"unknown reason", sf(1), "broken", "", CodeReasonInvalid, nil},
		{"no reason", sf(1), "", "", CodeReasonInvalid, nil},
		{"reason in capitals", sf(1), "DAMAGED", "", CodeReasonInvalid, nil},
		{"malformed waybill", "SF1", syncproto.ReasonDamaged, "", CodeWaybillInvalid, nil},
		{"unknown waybill", sf(9), syncproto.ReasonDamaged, "", CodeParcelNotFound, map[string]string{"waybill": sf(9)}},
		{"picked up", sf(2), syncproto.ReasonDamaged, "", CodeParcelPickedUp, map[string]string{"waybill": sf(2), "when": "03-10 10:00", "by": "李* 138****0002"}},
		{"returning", sf(3), syncproto.ReasonLost, "", CodeParcelReturning, map[string]string{"waybill": sf(3), "when": "03-10 10:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.refused(t, tt.want, func() error {
				_, err := e.s.MarkProblem(e.ctx, clerk, tt.wb, tt.reason, tt.text)
				return err
			})
			assert.Equal(t, tt.wantArgs, ArgsOf(err))
		})
	}
}

func TestProblemParcelLifecycle(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 1, Capacity: 10})
	e.in(t, sf(1), phone(1), "张三")
	e.in(t, sf(2), phone(1), "张三")
	_, err := e.s.MarkProblem(e.ctx, clerk, sf(1), syncproto.ReasonWrongStation, "")
	require.NoError(t, err)

	// It leaves the pickup lists but shows as a problem.
	got, err := e.s.FindForPickup(e.ctx, phone(1))
	require.NoError(t, err)
	rs, problems := viewSearch(got)
	assert.Equal(t, []receiverView{{"张三", "138****0001", []string{sf(2)}}}, rs)
	assert.Equal(t, []string{sf(1)}, problems)

	// It cannot be picked up.
	err = e.refused(t, CodeParcelProblem, func() error {
		_, err := e.s.Pickup(e.ctx, clerk, PickupInput{Waybills: []string{sf(1)}})
		return err
	})
	assert.Equal(t, map[string]string{"waybill": sf(1), "reason": "wrong_station"}, ArgsOf(err))

	// Marked again with another reason: a second fact.
	op := e.oneOp(t, syncproto.KindParcelProblem, func() {
		p, err := e.s.MarkProblem(e.ctx, clerk, sf(1), syncproto.ReasonDamaged, "")
		require.NoError(t, err)
		assert.Equal(t, syncproto.ReasonDamaged, p.Problem)
	})
	assert.Equal(t, syncproto.ReasonDamaged, payload[syncproto.ParcelProblem](t, op).Reason)

	// It can be returned, with its reason; its slot is freed.
	assert.Equal(t, 2, e.used(t)["1-1"])
	op = e.oneOp(t, syncproto.KindParcelsReturned, func() {
		ps, err := e.s.Return(e.ctx, clerk, []string{sf(1)}, syncproto.ReasonDamaged)
		require.NoError(t, err)
		require.Len(t, ps, 1)
		assert.Equal(t, StatusReturning, ps[0].Status)
	})
	assert.Equal(t, syncproto.ParcelsReturned{Waybills: []string{sf(1)}, Reason: syncproto.ReasonDamaged}, payload[syncproto.ParcelsReturned](t, op))
	assert.Equal(t, 1, e.used(t)["1-1"])
	ps, err := e.s.Problems(e.ctx)
	require.NoError(t, err)
	assert.Empty(t, ps)
	kinds := []string{}
	for _, ev := range e.events(t, sf(1), "in") {
		kinds = append(kinds, ev.Kind)
	}
	assert.Equal(t, []string{evInbound, evProblem, evProblem, evReturning}, kinds)
}

func TestProblemOutbound(t *testing.T) {
	e := newSendEnv(t)
	p, err := e.s.Send(e.ctx, clerk, sendInput("sf", 1000))
	require.NoError(t, err)
	e.oneOp(t, syncproto.KindParcelProblem, func() {
		got, err := e.s.MarkProblem(e.ctx, clerk, p.Waybill, syncproto.ReasonRefused, "")
		require.NoError(t, err)
		assert.Equal(t, "out", got.Direction)
		assert.Equal(t, StatusProblem, got.Status)
	})
	ps, err := e.s.Problems(e.ctx)
	require.NoError(t, err)
	require.Len(t, ps, 1)
	assert.Equal(t, p.Waybill, ps[0].Waybill)
	assert.Empty(t, e.used(t))
}

func TestSettings(t *testing.T) {
	e := newEnv(t)
	got, err := e.s.Settings(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, Settings{OverdueDays: 3, ReturnDays: 7, IDForProxy: true, IDValueYuan: 1000}, got)
	tests := []struct {
		in   Settings
		want Code
	}{
		{Settings{OverdueDays: 0, ReturnDays: 7, IDValueYuan: 1000}, CodeSettingsInvalid},
		{Settings{OverdueDays: -1, ReturnDays: 7, IDValueYuan: 1000}, CodeSettingsInvalid},
		{Settings{OverdueDays: 5, ReturnDays: 4, IDValueYuan: 1000}, CodeSettingsInvalid},
		{Settings{OverdueDays: 3, ReturnDays: 91, IDValueYuan: 1000}, CodeSettingsInvalid},
		{Settings{OverdueDays: 91, ReturnDays: 91, IDValueYuan: 1000}, CodeSettingsInvalid},
		{Settings{OverdueDays: 3, ReturnDays: 7, IDHighValue: true}, CodeSettingsInvalid},
		{Settings{OverdueDays: 3, ReturnDays: 7, IDHighValue: true, IDValueYuan: -5}, CodeSettingsInvalid},
		{Settings{OverdueDays: 3, ReturnDays: 7, IDHighValue: true, IDValueYuan: 1000001}, CodeSettingsInvalid},
		{Settings{OverdueDays: 1, ReturnDays: 1, IDValueYuan: 1000}, ""},
		{Settings{OverdueDays: 5, ReturnDays: 90, IDForProxy: true, IDValueYuan: 1000}, ""},
		{Settings{OverdueDays: 2, ReturnDays: 5, IDForProxy: true, IDHighValue: true, IDValueYuan: 500}, ""},
	}
	for _, tt := range tests {
		if tt.want != "" {
			e.refused(t, tt.want, func() error { return e.s.SetSettings(e.ctx, owner, tt.in) })
			continue
		}
		op := e.oneOp(t, syncproto.KindSettingsSet, func() { require.NoError(t, e.s.SetSettings(e.ctx, owner, tt.in)) })
		assert.Equal(t, syncproto.SettingsSet{OverdueDays: tt.in.OverdueDays, ReturnDays: tt.in.ReturnDays, IDForProxy: tt.in.IDForProxy,
			IDHighValue: tt.in.IDHighValue, IDValueYuan: tt.in.IDValueYuan}, payload[syncproto.SettingsSet](t, op))
		assert.Equal(t, owner, op.Actor)
		got, err := e.s.Settings(e.ctx)
		require.NoError(t, err)
		assert.Equal(t, tt.in, got)
	}
}

func TestOverdue(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 2, Capacity: 10})
	const day = 24 * time.Hour
	e.in(t, sf(1), phone(1), "张三") // day 0 09:00
	e.in(t, sf(2), phone(2), "李四")
	e.clock.Advance(day)
	e.in(t, sf(3), phone(3), "王五") // day 1 09:00
	e.clock.Advance(time.Minute)
	e.in(t, sf(4), phone(4), "赵六") // day 1 09:01
	e.pickup(t, sf(2))
	_, err := e.s.MarkProblem(e.ctx, clerk, sf(4), syncproto.ReasonDamaged, "")
	require.NoError(t, err)

	type row struct {
		Waybill   string
		Days      int
		Reminder  time.Time
		Return    time.Time
		ReturnNow bool
	}
	overdue := func() []row {
		t.Helper()
		got, err := e.s.Overdue(e.ctx)
		require.NoError(t, err)
		rows := []row{}
		for _, o := range got {
			rows = append(rows, row{o.Waybill, o.Days, o.ReminderDue.In(cst), o.ReturnDue.In(cst), o.ReturnNow})
		}
		return rows
	}
	d0, d1, d1b := t0, t0.Add(day), t0.Add(day+time.Minute)
	tests := []struct {
		at   time.Time
		want []row
	}{
		{t0.Add(3*day - time.Minute), []row{}},
		{t0.Add(3 * day), []row{{sf(1), 3, d0.Add(3 * day), d0.Add(7 * day), false}}},
		{t0.Add(4 * day), []row{
			{sf(1), 4, d0.Add(3 * day), d0.Add(7 * day), false},
			{sf(3), 3, d1.Add(3 * day), d1.Add(7 * day), false},
		}},
		{t0.Add(7*day - time.Minute), []row{
			{sf(1), 6, d0.Add(3 * day), d0.Add(7 * day), false},
			{sf(3), 5, d1.Add(3 * day), d1.Add(7 * day), false},
			{sf(4), 5, d1b.Add(3 * day), d1b.Add(7 * day), false},
		}},
		{t0.Add(7 * day), []row{
			{sf(1), 7, d0.Add(3 * day), d0.Add(7 * day), true},
			{sf(3), 6, d1.Add(3 * day), d1.Add(7 * day), false},
			{sf(4), 5, d1b.Add(3 * day), d1b.Add(7 * day), false},
		}},
	}
	for _, tt := range tests {
		e.clock.Set(tt.at)
		assert.Equal(t, tt.want, overdue(), "at %s", tt.at)
	}

	// Shorter limits apply at once.
	require.NoError(t, e.s.SetSettings(e.ctx, owner, Settings{OverdueDays: 1, ReturnDays: 2}))
	got := overdue()
	require.Len(t, got, 3)
	assert.Equal(t, row{sf(3), 6, d1.Add(day), d1.Add(2 * day), true}, got[1])

	// Returned parcels leave the list; their slots are freed.
	assert.Equal(t, 3, e.used(t)["1-1"])
	op := e.oneOp(t, syncproto.KindParcelsReturned, func() {
		ps, err := e.s.Return(e.ctx, clerk, []string{sf(1), sf(3), sf(1)}, "")
		require.NoError(t, err)
		require.Len(t, ps, 2)
		now := e.clock.Now()
		for _, p := range ps {
			assert.Equal(t, StatusReturning, p.Status)
			assert.Zero(t, p.Shelf)
			require.NotNil(t, p.OutAt)
			assert.True(t, now.Equal(*p.OutAt))
			assert.Equal(t, evReturning, e.lastEvent(t, p.Waybill, "in").Kind)
		}
	})
	assert.Equal(t, syncproto.ParcelsReturned{Waybills: []string{sf(1), sf(3)}, Reason: "overdue"}, payload[syncproto.ParcelsReturned](t, op))
	assert.Equal(t, 1, e.used(t)["1-1"])
	got = overdue()
	require.Len(t, got, 1)
	assert.Equal(t, sf(4), got[0].Waybill)

	// A returned parcel cannot be picked up, and is no longer found.
	err = e.refused(t, CodeParcelReturning, func() error {
		_, err := e.s.Pickup(e.ctx, clerk, PickupInput{Waybills: []string{sf(1)}})
		return err
	})
	assert.Equal(t, map[string]string{"waybill": sf(1), "when": "03-17 09:00"}, ArgsOf(err))
	found, err := e.s.FindForPickup(e.ctx, sf(1))
	require.NoError(t, err)
	assert.Empty(t, found.Receivers)
	assert.Empty(t, found.MatchedBy)
}

func TestReturnRefused(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 2, Capacity: 10})
	e.in(t, sf(1), phone(1), "张三")
	e.in(t, sf(2), phone(2), "李四")
	e.in(t, sf(3), phone(3), "王五")
	e.pickup(t, sf(2))
	_, err := e.s.Return(e.ctx, clerk, []string{sf(3)}, "")
	require.NoError(t, err)
	tests := []struct {
		name     string
		waybills []string
		reason   string
		want     Code
	}{
		{"nothing", nil, "", CodeBadRequest},
		{"unknown reason", []string{sf(1)}, "bored", CodeReasonInvalid},
		{"malformed", []string{sf(1), "x"}, "", CodeWaybillInvalid},
		{"unknown", []string{sf(1), sf(9)}, "", CodeParcelNotFound},
		{"picked up", []string{sf(1), sf(2)}, "", CodeParcelPickedUp},
		{"already returning", []string{sf(1), sf(3)}, syncproto.ReasonRefused, CodeParcelReturning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.refused(t, tt.want, func() error {
				_, err := e.s.Return(e.ctx, clerk, tt.waybills, tt.reason)
				return err
			})
		})
	}
	assert.Equal(t, StatusAtStation, e.parcel(t, sf(1), "in").Status, "all or none")
}
