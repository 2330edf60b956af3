package station

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/store"
	"cunyou/syncproto"
	"cunyou/waybill"
)

var pickupCodeRe = regexp.MustCompile(`^\d+-\d-\d{4}$`)

func TestInboundManifest(t *testing.T) {
	manifest := []ManifestEntry{
		{Waybill: sf(1), Carrier: "sf", ReceiverName: "张三", ReceiverPhone: "+86 138 0013 8000", Address: "前进村3组"},
		{Waybill: zto(2), Carrier: "zto", ReceiverName: "李四", ReceiverPhone: "13900139000"},
	}
	tests := []struct {
		name          string
		in            InboundInput
		wantPrefilled bool
		wantCarrier   string
		wantName      string
		wantPhone     string // full, as in the op
	}{
		{"waybill only", InboundInput{Waybill: sf(1)}, true, "sf", "张三", "13800138000"},
		{"scanner suffix and lowercase", InboundInput{Waybill: strings.ToLower(sf(1)) + "\r\n"}, true, "sf", "张三", "13800138000"},
		{"name typed over manifest", InboundInput{Waybill: sf(1), ReceiverName: "张三丰"}, true, "sf", "张三丰", "13800138000"},
		{"phone typed over manifest", InboundInput{Waybill: sf(1), ReceiverPhone: "137 0000 0007", ReceiverName: "王五"}, false, "sf", "王五", "13700000007"},
		{"carrier typed over manifest", InboundInput{Waybill: zto(2), Carrier: "sto"}, true, "sto", "李四", "13900139000"},
		{"manifest carrier over detection", InboundInput{Waybill: zto(2)}, true, "zto", "李四", "13900139000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.layout(t, syncproto.Shelf{No: 1, Layers: 2, Capacity: 10})
			require.NoError(t, e.s.ApplyManifest(e.ctx, manifest))
			var res InboundResult
			op := e.oneOp(t, syncproto.KindParcelInbound, func() {
				var err error
				res, err = e.s.Inbound(e.ctx, clerk, tt.in)
				require.NoError(t, err)
			})
			assert.False(t, res.Repeat)
			assert.Equal(t, tt.wantPrefilled, res.Prefilled)
			assert.Equal(t, tt.wantCarrier, res.Parcel.Carrier)
			assert.Equal(t, tt.wantName, res.Parcel.Receiver)
			assert.Equal(t, MaskPhone(tt.wantPhone), res.Parcel.Phone)
			assert.Equal(t, StatusAtStation, res.Parcel.Status)
			assert.Equal(t, "in", res.Parcel.Direction)

			ev := payload[syncproto.ParcelInbound](t, op)
			if !tt.wantPrefilled {
				// See TestInboundManifestedFlag.
				ev.Manifested = true
			}
			assert.Equal(t, syncproto.ParcelInbound{
				Waybill: res.Parcel.Waybill, Carrier: tt.wantCarrier, ReceiverName: tt.wantName, ReceiverPhone: tt.wantPhone,
				Manifested: true, Shelf: res.Parcel.Shelf, Layer: res.Parcel.Layer, Code: res.Parcel.Code,
			}, ev)
			assert.Equal(t, clerk, op.Actor)
		})
	}
}

// When the operator types another receiver over the manifest's, the op
// does not say the receiver came from the manifest.
func TestInboundManifestedFlag(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 1, Capacity: 5})
	require.NoError(t, e.s.ApplyManifest(e.ctx, []ManifestEntry{{Waybill: sf(1), Carrier: "sf", ReceiverName: "张三", ReceiverPhone: phone(1)}}))
	op := e.oneOp(t, syncproto.KindParcelInbound, func() { e.in(t, sf(1), phone(2), "王五") })
	assert.False(t, payload[syncproto.ParcelInbound](t, op).Manifested)
}

func TestApplyManifest(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.s.ApplyManifest(e.ctx, []ManifestEntry{{Waybill: sf(1), Carrier: "sf", ReceiverName: "张三", ReceiverPhone: phone(1)}}))
	require.NoError(t, e.s.ApplyManifest(e.ctx, []ManifestEntry{{Waybill: sf(1), Carrier: "sf", ReceiverName: "张三三", ReceiverPhone: phone(2)}}))
	assert.Zero(t, e.lastSeq(t), "the hub's manifest records no op")

	wb, hints, m, err := e.s.DetectCarrier(e.ctx, strings.ToLower(sf(1)))
	require.NoError(t, err)
	assert.Equal(t, sf(1), wb)
	assert.Equal(t, []waybill.Candidate{{Code: "sf", Confidence: 90}}, hints)
	require.NotNil(t, m)
	assert.Equal(t, "张三三", m.ReceiverName, "a later announcement replaces the earlier one")
	assert.Equal(t, "138****0002", m.ReceiverPhone, "phone is masked")

	_, _, m, err = e.s.DetectCarrier(e.ctx, sf(2))
	require.NoError(t, err)
	assert.Nil(t, m)
	_, _, _, err = e.s.DetectCarrier(e.ctx, "SF12")
	requireCode(t, err, CodeWaybillInvalid)

	for _, bad := range []ManifestEntry{
		{Waybill: "bad!", Carrier: "sf", ReceiverPhone: phone(1)},
		{Waybill: sf(3), Carrier: "sf", ReceiverPhone: "12345"},
	} {
		before := e.snapshot(t)
		err := e.s.ApplyManifest(e.ctx, []ManifestEntry{{Waybill: sf(4), Carrier: "sf", ReceiverPhone: phone(4)}, bad})
		assert.Error(t, err, "%+v", bad)
		assert.Equal(t, before, e.snapshot(t), "a bad entry stores none of its batch")
	}
}

func TestInboundRefused(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 2, Capacity: 10})
	require.NoError(t, e.s.ApplyManifest(e.ctx, []ManifestEntry{{Waybill: sf(9), Carrier: "sf", ReceiverName: "张三", ReceiverPhone: phone(9)}}))
	e.in(t, sf(8), phone(8), "已在")
	tests := []struct {
		name string
		in   InboundInput
		want Code
	}{
		{"not in manifest, no phone", InboundInput{Waybill: sf(1)}, CodeReceiverRequired},
		{"not in manifest, name only", InboundInput{Waybill: sf(1), ReceiverName: "张三"}, CodeReceiverRequired},
		{"phone too short", InboundInput{Waybill: sf(1), ReceiverPhone: "1380013"}, CodePhoneInvalid},
		{"phone not mobile", InboundInput{Waybill: sf(1), ReceiverPhone: "02388888888"}, CodePhoneInvalid},
		{"phone second digit", InboundInput{Waybill: sf(1), ReceiverPhone: "12800138000"}, CodePhoneInvalid},
		{"phone letters", InboundInput{Waybill: sf(1), ReceiverPhone: "1380013800a"}, CodePhoneInvalid},
		{"phone too long", InboundInput{Waybill: sf(1), ReceiverPhone: "138001380001"}, CodePhoneInvalid},
		{"bad phone over manifest", InboundInput{Waybill: sf(9), ReceiverPhone: "555"}, CodePhoneInvalid},
		{"no carrier hint", InboundInput{Waybill: "1234567890123456", ReceiverPhone: phone(1)}, CodeCarrierUnknown},
		{"a word, not a number", InboundInput{Waybill: "ABCDEFGHIJ", ReceiverPhone: phone(1), Carrier: "sf"}, CodeWaybillInvalid},
		{"unknown carrier typed", InboundInput{Waybill: sf(1), Carrier: "zjs", ReceiverPhone: phone(1)}, CodeCarrierUnknown},
		{"unknown carrier over manifest", InboundInput{Waybill: sf(9), Carrier: "ups"}, CodeCarrierUnknown},
		{"empty waybill", InboundInput{Waybill: "", ReceiverPhone: phone(1)}, CodeWaybillInvalid},
		{"blank waybill", InboundInput{Waybill: " \r\n", ReceiverPhone: phone(1)}, CodeWaybillInvalid},
		{"short waybill", InboundInput{Waybill: "SF12", ReceiverPhone: phone(1)}, CodeWaybillInvalid},
		{"long waybill", InboundInput{Waybill: strings.Repeat("7", 33), ReceiverPhone: phone(1)}, CodeWaybillInvalid},
		{"inner space", InboundInput{Waybill: "SF123 4567890123", ReceiverPhone: phone(1)}, CodeWaybillInvalid},
		{"chinese in waybill", InboundInput{Waybill: "顺丰1234567890123", ReceiverPhone: phone(1)}, CodeWaybillInvalid},
		{"punctuation", InboundInput{Waybill: "SF1234567890123!", ReceiverPhone: phone(1)}, CodeWaybillInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.refused(t, tt.want, func() error {
				_, err := e.s.Inbound(e.ctx, clerk, tt.in)
				return err
			})
		})
	}
}

func TestInboundCarrier(t *testing.T) {
	tests := []struct {
		name      string
		waybill   string
		carrier   string
		want      string
		wantHints []waybill.Candidate
	}{
		{"SF detected", sf(1), "", "sf", []waybill.Candidate{{Code: "sf", Confidence: 90}}},
		{"ZTO detected", zto(1), "", "zto", []waybill.Candidate{{Code: "zto", Confidence: 60}}},
		{"most confident hint", "JT3002232682242", "", "jt", []waybill.Candidate{{Code: "jt", Confidence: 80}, {Code: "best", Confidence: 50}}},
		{"second hint chosen", "JT3002232682242", "best", "best", []waybill.Candidate{{Code: "jt", Confidence: 80}, {Code: "best", Confidence: 50}}},
		{"hint overridden", sf(1), "ems", "ems", []waybill.Candidate{{Code: "sf", Confidence: 90}}},
		{"no hint, typed", "1234567890123456", "deppon", "deppon", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.layout(t, syncproto.Shelf{No: 1, Layers: 1, Capacity: 5})
			res, err := e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: tt.waybill, Carrier: tt.carrier, ReceiverPhone: phone(1)})
			require.NoError(t, err)
			assert.Equal(t, tt.want, res.Parcel.Carrier)
			assert.Equal(t, tt.wantHints, res.Hints)
			c, _ := waybill.Lookup(tt.want)
			assert.Equal(t, c.Short, res.Parcel.CarrierName)
			assert.Equal(t, tt.want, e.parcel(t, res.Parcel.Waybill, "in").Carrier)
		})
	}
}

// A carrier code typed in another case is accepted (Lookup ignores case)
// but stored as typed, so the day's figures split one carrier in two and
// its tariffs and ranges are not found.
func TestInboundCarrierCase(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 1, Capacity: 5})
	res, err := e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: sf(1), Carrier: "SF", ReceiverPhone: phone(1)})
	require.NoError(t, err)
	assert.Equal(t, "sf", res.Parcel.Carrier)
}

func TestInboundSlotsAndCodes(t *testing.T) {
	e := newEnv(t)
	e.layout(t,
		syncproto.Shelf{No: 12, Layers: 2, Capacity: 1},
		syncproto.Shelf{No: 3, Layers: 3, Capacity: 2},
	)
	wantSlots := []string{"3-1", "3-1", "3-2", "3-2", "3-3", "3-3", "12-1", "12-2"}
	codes := map[string]bool{}
	nums := map[string]bool{}
	for i, want := range wantSlots {
		p := e.in(t, sf(i+1), phone(i+1), "")
		assert.Equal(t, want, fmt.Sprintf("%d-%d", p.Shelf, p.Layer), "parcel %d fills the first layer with room", i+1)
		assert.Regexp(t, pickupCodeRe, p.Code)
		assert.True(t, strings.HasPrefix(p.Code, want+"-"), "code %s names slot %s", p.Code, want)
		num := p.Code[len(p.Code)-4:]
		assert.False(t, nums[num], "code number %s reused", num)
		codes[p.Code], nums[num] = true, true
	}
	assert.Equal(t, map[string]int{"3-1": 2, "3-2": 2, "3-3": 2, "12-1": 1, "12-2": 1}, e.used(t))
	e.refused(t, CodeShelvesFull, func() error {
		_, err := e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: sf(99), ReceiverPhone: phone(99)})
		return err
	})

	// A freed layer takes the next parcel.
	e.pickup(t, sf(3))
	assert.Equal(t, 1, e.used(t)["3-2"])
	p := e.in(t, sf(100), phone(100), "")
	assert.Equal(t, 3, p.Shelf)
	assert.Equal(t, 2, p.Layer)
}

func TestInboundFullLayersSkipped(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 3, Capacity: 1})
	for l := 1; l <= 3; l++ {
		p := e.in(t, sf(l), phone(l), "")
		assert.Equal(t, l, p.Layer)
	}
	e.refused(t, CodeShelvesFull, func() error {
		_, err := e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: sf(4), ReceiverPhone: phone(4)})
		return err
	})
}

func TestInboundNoShelves(t *testing.T) {
	e := newEnv(t)
	e.refused(t, CodeNoShelves, func() error {
		_, err := e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: sf(1), ReceiverPhone: phone(1)})
		return err
	})
}

// Code numbers stay unique among parcels on the shelves, also when many
// parcels come in at once from several goroutines.
func TestInboundCodesUnique(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 9, Capacity: 20})
	const workers, each = 4, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				n := w*100 + i
				_, err := e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: sf(n), ReceiverPhone: phone(n)})
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	ps, err := queryParcels(e.ctx, e.st.DB(), "shelf IS NOT NULL")
	require.NoError(t, err)
	require.Len(t, ps, workers*each)
	nums := map[string]string{}
	for _, p := range ps {
		require.Regexp(t, pickupCodeRe, p.Code)
		num := p.Code[len(p.Code)-4:]
		require.NotContains(t, nums, num, "code number of %s and %s", p.Waybill, nums[num])
		nums[num] = p.Waybill
	}
	assert.Equal(t, uint64(1+workers*each), e.lastSeq(t), "one op per parcel after the layout's")
}

// When random draws keep colliding, newCode walks to the one free number;
// when none is left it refuses.
func TestNewCodeExhaustion(t *testing.T) {
	if testing.Short() {
		t.Skip("walks all 9000 code numbers")
	}
	e := newEnv(t)
	fill := func(tx *store.Tx, skip int) error {
		_, err := tx.ExecContext(e.ctx, `WITH RECURSIVE n(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM n WHERE x < ?)
			INSERT INTO parcels (waybill, direction, carrier, status, shelf, layer, code, code_num, in_at)
			SELECT 'SF' || x, 'in', 'sf', 'at_station', 1, 1, '1-1-' || x, x, 0 FROM n WHERE x != ?`, codeMin, codeMax, skip)
		return err
	}
	e.rollback(t, func(tx *store.Tx) error {
		if err := fill(tx, 4321); err != nil {
			return err
		}
		code, n, err := newCode(e.ctx, tx, 2, 5)
		require.NoError(t, err)
		assert.Equal(t, "2-5-4321", code)
		assert.Equal(t, 4321, n)
		return nil
	})
	e.rollback(t, func(tx *store.Tx) error {
		if err := fill(tx, -1); err != nil {
			return err
		}
		_, _, err := newCode(e.ctx, tx, 1, 1)
		requireCode(t, err, CodeShelvesFull)
		return nil
	})
}

func TestInboundRepeat(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 2, Capacity: 10})
	first := e.in(t, sf(1), phone(1), "张三")
	e.clock.Advance(10 * time.Minute)
	for _, raw := range []InboundInput{
		{Waybill: sf(1)},
		{Waybill: strings.ToLower(sf(1)) + "\t"},
		{Waybill: sf(1), ReceiverPhone: phone(2), ReceiverName: "别人", Carrier: "zto"},
	} {
		before := e.snapshot(t)
		res, err := e.s.Inbound(e.ctx, clerk, raw)
		require.NoError(t, err)
		assert.True(t, res.Repeat)
		assert.Equal(t, first.Code, res.Parcel.Code, "the same code again")
		assert.Equal(t, first.Receiver, res.Parcel.Receiver)
		assert.Equal(t, before, e.snapshot(t), "a repeat scan writes nothing")
	}
	// A problem parcel is still here: scanning it again is a repeat too.
	_, err := e.s.MarkProblem(e.ctx, clerk, sf(1), syncproto.ReasonDamaged, "")
	require.NoError(t, err)
	n := e.lastSeq(t)
	res, err := e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: sf(1)})
	require.NoError(t, err)
	assert.True(t, res.Repeat)
	assert.Equal(t, StatusProblem, res.Parcel.Status)
	assert.Equal(t, n, e.lastSeq(t))
}

func TestInboundAfterLeaving(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 2, Capacity: 10})
	e.in(t, sf(1), phone(1), "张三")
	e.in(t, sf(2), phone(2), "李四")
	e.clock.Advance(90 * time.Minute) // 10:30
	e.pickup(t, sf(1))
	e.clock.Advance(30 * time.Minute) // 11:00
	_, err := e.s.Return(e.ctx, clerk, []string{sf(2)}, "")
	require.NoError(t, err)
	e.clock.Advance(24 * time.Hour)

	err = e.refused(t, CodeParcelPickedUp, func() error {
		_, err := e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: sf(1), ReceiverPhone: phone(1)})
		return err
	})
	assert.Equal(t, map[string]string{"when": "03-10 10:30", "by": "张* 138****0001"}, ArgsOf(err))

	err = e.refused(t, CodeParcelReturning, func() error {
		_, err := e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: sf(2)})
		return err
	})
	assert.Equal(t, map[string]string{"when": "03-10 11:00"}, ArgsOf(err))
}

func TestInboundRecords(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 5, Layers: 2, Capacity: 10})
	var p Parcel
	op := e.oneOp(t, syncproto.KindParcelInbound, func() { p = e.in(t, "  "+yto(7)+"\n", "+86-139-0000-0007", "王五") })
	ev := payload[syncproto.ParcelInbound](t, op)
	assert.Equal(t, syncproto.ParcelInbound{Waybill: yto(7), Carrier: "yto", ReceiverName: "王五", ReceiverPhone: "13900000007",
		Shelf: 5, Layer: 1, Code: p.Code}, ev)
	assert.Equal(t, []evRow{{Kind: evInbound, Seq: op.Seq, Actor: clerk, Detail: p.Code}}, e.events(t, yto(7), "in"),
		"the event names the op that recorded it")
	assert.True(t, t0.Equal(p.InAt))
	assert.Nil(t, p.OutAt)
	assert.Equal(t, "139****0007", p.Phone)
	got := e.parcel(t, yto(7), "in")
	assert.Equal(t, "13900000007", got.phone)
	assert.Equal(t, p, got)
	var tail string
	require.NoError(t, e.st.DB().QueryRowContext(e.ctx, "SELECT phone_tail FROM parcels WHERE waybill = ?", yto(7)).Scan(&tail))
	assert.Equal(t, "0007", tail)
}

func TestInboundBatch(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 3, Capacity: 10})
	require.NoError(t, e.s.ApplyManifest(e.ctx, []ManifestEntry{
		{Waybill: sf(1), Carrier: "sf", ReceiverName: "张三", ReceiverPhone: phone(1)},
		{Waybill: zto(2), Carrier: "zto", ReceiverName: "李四", ReceiverPhone: phone(2)},
	}))
	e.in(t, sf(3), phone(3), "")
	e.pickup(t, sf(3))
	before := e.lastSeq(t)

	items := []InboundInput{
		{Waybill: sf(1)},  // manifest
		{Waybill: "bad!"}, // malformed
		{Waybill: yto(4), ReceiverPhone: phone(4)}, // typed
		{Waybill: sf(1) + "\r\n"},                  // scanned twice in the bag
		{Waybill: sf(5)},                           // unknown, no phone
		{Waybill: sf(3)},                           // already picked up
		{Waybill: yto(6), ReceiverPhone: "12"},     // bad phone
		{Waybill: zto(2)},                          // manifest
	}
	out := e.s.InboundBatch(e.ctx, clerk, items)
	require.Len(t, out, len(items))
	wantCodes := []Code{"", CodeWaybillInvalid, "", "", CodeReceiverRequired, CodeParcelPickedUp, CodePhoneInvalid, ""}
	for i, it := range out {
		assert.Equal(t, items[i].Waybill, it.Waybill)
		assert.Equal(t, wantCodes[i], it.Code, "item %d", i)
		if wantCodes[i] == "" {
			require.NotNil(t, it.Result, "item %d", i)
			assert.NoError(t, it.Err)
		} else {
			assert.Nil(t, it.Result, "item %d", i)
			assert.Error(t, it.Err)
		}
	}
	assert.True(t, out[0].Result.Prefilled)
	assert.False(t, out[0].Result.Repeat)
	assert.True(t, out[3].Result.Repeat)
	assert.Equal(t, out[0].Result.Parcel.Code, out[3].Result.Parcel.Code)
	assert.Contains(t, out[5].Args, "when")
	assert.Contains(t, out[5].Args, "by")

	ops := e.opsSince(t, before)
	require.Len(t, ops, 3, "one op per parcel shelved")
	var got []string
	for _, op := range ops {
		require.Equal(t, syncproto.KindParcelInbound, op.Kind)
		got = append(got, payload[syncproto.ParcelInbound](t, op).Waybill)
	}
	assert.Equal(t, []string{sf(1), yto(4), zto(2)}, got)
}
