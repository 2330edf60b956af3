package station

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

var testTariffs = []Tariff{
	{Carrier: "sf", Province: "*", FirstGrams: 1000, FirstFen: 1200, StepGrams: 500, StepFen: 300},
	{Carrier: "sf", Province: "广东", FirstGrams: 1000, FirstFen: 1000, StepGrams: 1000, StepFen: 200},
	{Carrier: "zto", Province: "*", FirstGrams: 3000, FirstFen: 800, StepGrams: 1000, StepFen: 200},
	{Carrier: "yto", Province: "北京", FirstGrams: 1000, FirstFen: 900, StepGrams: 1000, StepFen: 100},
}

// newSendEnv is a station with tariffs and a block of two SF numbers.
func newSendEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	require.NoError(t, e.s.ApplyTariffs(e.ctx, testTariffs))
	require.NoError(t, e.s.ApplyWaybillRange(e.ctx, WaybillRange{Carrier: "sf", Prefix: "SF", Next: 1, Last: 2, Width: 13}))
	assert.Zero(t, e.lastSeq(t), "downstream data records no op")
	return e
}

// sendInput is a valid parcel to send to Guangdong.
func sendInput(carrier string, grams int) SendInput {
	return SendInput{
		Carrier:     carrier,
		Sender:      PartyInput{Name: "张三", Phone: phone(1), IDNumber: validID, Address: "前进村"},
		Receiver:    PartyInput{Name: "陈七", Phone: "139 0000 0002", Province: "广东", Address: "深圳市南山区"},
		WeightGrams: grams,
	}
}

func TestTariffPrice(t *testing.T) {
	tr := Tariff{FirstGrams: 1000, FirstFen: 1200, StepGrams: 500, StepFen: 300}
	tests := []struct{ grams, want int }{
		{1, 1200}, {999, 1200}, {1000, 1200}, {1001, 1500}, {1500, 1500}, {1501, 1800}, {2000, 1800}, {10_000, 1200 + 18*300},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Price(tr, tt.grams), "%d g", tt.grams)
	}
}

func TestQuote(t *testing.T) {
	e := newSendEnv(t)
	tests := []struct {
		carrier, province string
		grams             int
		want              int
		wantCode          Code
	}{
		{"sf", "北京", 500, 1200, ""},
		{"sf", "北京", 1000, 1200, ""},
		{"sf", "北京", 1001, 1500, ""},
		{"sf", "北京", 1501, 1800, ""},
		{"sf", "广东", 1000, 1000, ""}, // the province's own row wins over '*'
		{"sf", "广东", 2500, 1400, ""},
		{"zto", "广东", 3000, 800, ""},
		{"zto", "广东", 3001, 1000, ""},
		{"zto", "", 4000, 1000, ""},
		{"yto", "北京", 2000, 1000, ""},
		{"yto", "广东", 2000, 0, CodeNoTariff},
		{"jd", "北京", 2000, 0, CodeNoTariff},
		{"sf", "北京", 0, 0, CodeWeightInvalid},
		{"sf", "北京", -5, 0, CodeWeightInvalid},
		{"sf", "北京", 100_000, 1200 + 198*300, ""},
		{"sf", "北京", 100_001, 0, CodeWeightInvalid},
	}
	for _, tt := range tests {
		got, err := e.s.Quote(e.ctx, tt.carrier, tt.province, tt.grams)
		if tt.wantCode != "" {
			requireCode(t, err, tt.wantCode)
			continue
		}
		require.NoError(t, err, "%s %s %d", tt.carrier, tt.province, tt.grams)
		assert.Equal(t, tt.want, got, "%s %s %d", tt.carrier, tt.province, tt.grams)
	}
	_, err := e.s.Quote(e.ctx, "yto", "广东", 10)
	assert.Equal(t, map[string]string{"carrier": "yto", "province": "广东"}, ArgsOf(err))
}

func TestApplyTariffsInvalid(t *testing.T) {
	e := newSendEnv(t)
	for _, bad := range []Tariff{
		{Carrier: "sf", Province: "*", FirstGrams: 1000, FirstFen: 1200, StepGrams: 0, StepFen: 300},
		{Carrier: "sf", Province: "*", FirstGrams: -1, FirstFen: 1200, StepGrams: 500, StepFen: 300},
		{Carrier: "sf", Province: "*", FirstGrams: 1000, FirstFen: -1, StepGrams: 500, StepFen: 300},
		{Carrier: "sf", Province: "*", FirstGrams: 1000, FirstFen: 1200, StepGrams: 500, StepFen: -1},
		{Carrier: "", Province: "*", FirstGrams: 1000, FirstFen: 1200, StepGrams: 500, StepFen: 300},
		{Carrier: "sf", Province: "", FirstGrams: 1000, FirstFen: 1200, StepGrams: 500, StepFen: 300},
	} {
		before := e.snapshot(t)
		assert.Error(t, e.s.ApplyTariffs(e.ctx, []Tariff{testTariffs[0], bad}), "%+v", bad)
		assert.Equal(t, before, e.snapshot(t))
	}
	// A new table replaces the old one.
	require.NoError(t, e.s.ApplyTariffs(e.ctx, testTariffs[2:3]))
	_, err := e.s.Quote(e.ctx, "sf", "北京", 1000)
	requireCode(t, err, CodeNoTariff)
}

func TestApplyWaybillRangeInvalid(t *testing.T) {
	e := newSendEnv(t)
	for _, bad := range []WaybillRange{
		{Carrier: "sf", Prefix: "SF", Next: 10, Last: 9, Width: 13},
		{Carrier: "sf", Prefix: "SF", Next: 1, Last: 100000, Width: 5},
		{Carrier: "", Prefix: "SF", Next: 1, Last: 9, Width: 13},
	} {
		before := e.snapshot(t)
		assert.Error(t, e.s.ApplyWaybillRange(e.ctx, bad), "%+v", bad)
		assert.Equal(t, before, e.snapshot(t))
	}
}

func TestSend(t *testing.T) {
	e := newSendEnv(t)
	var p Parcel
	op := e.oneOp(t, syncproto.KindParcelAccepted, func() {
		var err error
		p, err = e.s.Send(e.ctx, clerk, sendInput("sf", 2500))
		require.NoError(t, err)
	})
	ev := payload[syncproto.ParcelAccepted](t, op)
	assert.Equal(t, syncproto.ParcelAccepted{
		Waybill: "SF0000000000001", Carrier: "sf", WaybillSource: "range",
		Sender:      syncproto.Party{Name: "张三", Phone: phone(1), Address: "前进村", IDHash: e.s.hashID(validID), IDLast4: "002X"},
		Receiver:    syncproto.Party{Name: "陈七", Phone: "13900000002", Province: "广东", Address: "深圳市南山区"},
		WeightGrams: 2500, PriceFen: 1400,
	}, ev)
	assert.Equal(t, Parcel{
		Waybill: "SF0000000000001", Direction: "out", Carrier: "sf", CarrierName: "顺丰", Status: StatusAccepted,
		Receiver: "陈七", Phone: "139****0002", InAt: p.InAt, WeightGrams: 2500, PriceFen: 1400,
		id: p.id, phone: "13900000002",
	}, p)
	assert.True(t, t0.Equal(p.InAt))
	assert.Equal(t, []evRow{{Kind: evAccepted, Seq: op.Seq, Actor: clerk}}, e.events(t, p.Waybill, "out"))

	// The next number of the block, then none left.
	p2, err := e.s.Send(e.ctx, clerk, sendInput("sf", 100))
	require.NoError(t, err)
	assert.Equal(t, "SF0000000000002", p2.Waybill)
	assert.Equal(t, 1000, p2.PriceFen)
	err = e.refused(t, CodeNoWaybillRange, func() error {
		_, err := e.s.Send(e.ctx, clerk, sendInput("sf", 100))
		return err
	})
	assert.Equal(t, map[string]string{"carrier": "sf"}, ArgsOf(err))

	// No parcel to send is ever on the shelves or in the pickup lists.
	got, err := e.s.FindForPickup(e.ctx, "13900000002")
	require.NoError(t, err)
	assert.Empty(t, got.Receivers)
	assert.Empty(t, e.whereStored(t, validID), "the sender's ID number is kept only hashed")
}

func TestSendRanges(t *testing.T) {
	e := newSendEnv(t)
	require.NoError(t, e.s.ApplyWaybillRange(e.ctx, WaybillRange{Carrier: "zto", Prefix: "74", Next: 1, Last: 1, Width: 12}))
	require.NoError(t, e.s.ApplyWaybillRange(e.ctx, WaybillRange{Carrier: "zto", Prefix: "73", Next: 99, Last: 100, Width: 12}))
	var got []string
	for range 3 {
		p, err := e.s.Send(e.ctx, clerk, sendInput("zto", 1000))
		require.NoError(t, err)
		got = append(got, p.Waybill)
	}
	assert.Equal(t, []string{"73000000000099", "73000000000100", "74000000000001"}, got, "blocks in prefix order")
	e.refused(t, CodeNoWaybillRange, func() error {
		_, err := e.s.Send(e.ctx, clerk, sendInput("zto", 1000))
		return err
	})
}

func TestSendEntered(t *testing.T) {
	e := newSendEnv(t)
	in := sendInput("sf", 1000)
	in.Waybill = strings.ToLower(sf(77)) + "\r\n"
	op := e.oneOp(t, syncproto.KindParcelAccepted, func() {
		p, err := e.s.Send(e.ctx, clerk, in)
		require.NoError(t, err)
		assert.Equal(t, sf(77), p.Waybill)
	})
	ev := payload[syncproto.ParcelAccepted](t, op)
	assert.Equal(t, "entered", ev.WaybillSource)
	assert.Equal(t, sf(77), ev.Waybill)

	err := e.refused(t, CodeWaybillExists, func() error {
		_, err := e.s.Send(e.ctx, clerk, in)
		return err
	})
	assert.Equal(t, map[string]string{"waybill": sf(77)}, ArgsOf(err))

	// An inbound parcel with the same number is another parcel.
	e.layout(t, syncproto.Shelf{No: 1, Layers: 1, Capacity: 5})
	e.in(t, sf(77), phone(1), "")
}

func TestSendRefused(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.s.ApplyTariffs(e.ctx, testTariffs))
	with := func(f func(*SendInput)) SendInput {
		in := sendInput("sf", 1000)
		f(&in)
		return in
	}
	tests := []struct {
		name     string
		in       SendInput
		want     Code
		wantArgs map[string]string
	}{
		{"unknown carrier", with(func(in *SendInput) { in.Carrier = "zjs" }), CodeCarrierUnknown, nil},
		{"no carrier", with(func(in *SendInput) { in.Carrier = "" }), CodeCarrierUnknown, nil},
		{"no sender ID", with(func(in *SendInput) { in.Sender.IDNumber = "" }), CodeSenderIDRequired, nil},
		{"blank sender ID", with(func(in *SendInput) { in.Sender.IDNumber = "  " }), CodeSenderIDRequired, nil},
		{"sender ID checksum", with(func(in *SendInput) { in.Sender.IDNumber = "110105194912310021" }), CodeIDInvalid, nil},
		{"sender ID charset", with(func(in *SendInput) { in.Sender.IDNumber = "11010519491231ABCD" }), CodeIDInvalid, nil},
		{"no sender name", with(func(in *SendInput) { in.Sender.Name = " " }), CodeNameRequired, nil},
		{"no receiver name", with(func(in *SendInput) { in.Receiver.Name = "" }), CodeNameRequired, nil},
		{"bad sender phone", with(func(in *SendInput) { in.Sender.Phone = "010-8888888" }), CodePhoneInvalid, nil},
		{"bad receiver phone", with(func(in *SendInput) { in.Receiver.Phone = "" }), CodePhoneInvalid, nil},
		{"no province", with(func(in *SendInput) { in.Receiver.Province = " " }), CodeBadRequest, map[string]string{"field": "receiver.address"}},
		{"no address", with(func(in *SendInput) { in.Receiver.Address = "" }), CodeBadRequest, map[string]string{"field": "receiver.address"}},
		{"zero weight", with(func(in *SendInput) { in.WeightGrams = 0 }), CodeWeightInvalid, nil},
		{"negative weight", with(func(in *SendInput) { in.WeightGrams = -1 }), CodeWeightInvalid, nil},
		{"too heavy", with(func(in *SendInput) { in.WeightGrams = 100_001 }), CodeWeightInvalid, nil},
		{"no tariff", with(func(in *SendInput) { in.Carrier, in.Waybill = "yto", yto(1) }), CodeNoTariff, map[string]string{"carrier": "yto", "province": "广东"}},
		{"no range", with(func(in *SendInput) {}), CodeNoWaybillRange, map[string]string{"carrier": "sf"}},
		{"entered for another carrier", with(func(in *SendInput) { in.Waybill = zto(1) }), CodeCarrierMismatch, nil},
		{"entered malformed", with(func(in *SendInput) { in.Waybill = "SF-1!" }), CodeWaybillInvalid, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.refused(t, tt.want, func() error {
				_, err := e.s.Send(e.ctx, clerk, tt.in)
				return err
			})
			assert.Equal(t, tt.wantArgs, ArgsOf(err))
		})
	}
	assert.Empty(t, e.whereStored(t, validID))
}

// A number of the station's block that is already used (typed in by hand
// earlier, or the hub re-sent the block) is skipped; the range does not
// get stuck on it.
func TestSendRangeSkipsUsedNumber(t *testing.T) {
	e := newSendEnv(t)
	in := sendInput("sf", 1000)
	in.Waybill = "SF0000000000001"
	_, err := e.s.Send(e.ctx, clerk, in)
	require.NoError(t, err)
	p, err := e.s.Send(e.ctx, clerk, sendInput("sf", 1000))
	require.NoError(t, err)
	assert.Equal(t, "SF0000000000002", p.Waybill)
}
