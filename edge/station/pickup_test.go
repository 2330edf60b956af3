package station

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

const (
	zhangPhone = "13800000001"
	wangPhone  = "13700000001" // same tail as 张三's
	zhaoPhone  = "13900000006"
	validID    = "11010519491231002X"
)

// pickupFixture is a station with parcels for three receivers:
//
//	张三 13800000001: sf(1), zto(2) waiting; sf(4) a problem; sf(5) picked up
//	王五 13700000001: sf(3) waiting
//	赵六 13900000006: sf(6), a problem only
type pickupFixture struct {
	*env
	code map[string]string // waybill -> pickup code
}

func newPickupFixture(t *testing.T) pickupFixture {
	t.Helper()
	f := pickupFixture{env: newEnv(t), code: map[string]string{}}
	f.layout(t, syncproto.Shelf{No: 1, Layers: 3, Capacity: 2}, syncproto.Shelf{No: 2, Layers: 3, Capacity: 2})
	for _, p := range []struct{ wb, phone, name string }{
		{sf(1), zhangPhone, "张三"},
		{zto(2), zhangPhone, "张三"},
		{sf(3), wangPhone, "王五"},
		{sf(4), zhangPhone, "张三"},
		{sf(5), zhangPhone, "张三"},
		{sf(6), zhaoPhone, "赵六"},
	} {
		f.code[p.wb] = f.in(t, p.wb, p.phone, p.name).Code
		f.clock.Advance(time.Minute)
	}
	for _, wb := range []string{sf(4), sf(6)} {
		_, err := f.s.MarkProblem(f.ctx, clerk, wb, syncproto.ReasonDamaged, "")
		require.NoError(t, err)
	}
	f.pickup(t, sf(5))
	f.clock.Advance(time.Hour)
	return f
}

// receiverView is a Receiver reduced to what the tests compare.
type receiverView struct {
	Name     string
	Phone    string
	Waybills []string
}

func viewSearch(s Search) ([]receiverView, []string) {
	var rs []receiverView
	for _, r := range s.Receivers {
		v := receiverView{Name: r.Name, Phone: r.Phone}
		for _, p := range r.Parcels {
			v.Waybills = append(v.Waybills, p.Waybill)
		}
		rs = append(rs, v)
	}
	var problems []string
	for _, p := range s.Problems {
		problems = append(problems, p.Waybill)
	}
	return rs, problems
}

func TestFindForPickup(t *testing.T) {
	f := newPickupFixture(t)
	zhang := receiverView{"张三", "138****0001", []string{sf(1), zto(2)}}
	wang := receiverView{"王五", "137****0001", []string{sf(3)}}
	tests := []struct {
		name         string
		query        string
		wantBy       []string
		want         []receiverView
		wantProblems []string
	}{
		{"full code", f.code[sf(1)], []string{"code"}, []receiverView{zhang}, []string{sf(4)}},
		{"full code, spaces", "  " + f.code[zto(2)] + " ", []string{"code"}, []receiverView{zhang}, []string{sf(4)}},
		{"code number", f.code[sf(3)][len(f.code[sf(3)])-4:], []string{"code"}, []receiverView{wang}, nil},
		{"phone tail, two receivers", "0001", []string{"phone_tail"}, []receiverView{wang, zhang}, []string{sf(4)}},
		{"full phone", zhangPhone, []string{"phone"}, []receiverView{zhang}, []string{sf(4)}},
		{"phone with +86 and spaces", "+86 138 0000 0001", []string{"phone"}, []receiverView{zhang}, []string{sf(4)}},
		{"phone with 86 and dashes", "86-138-0000-0001", []string{"phone"}, []receiverView{zhang}, []string{sf(4)}},
		{"full-width phone", "１３８００００００01", []string{"phone"}, []receiverView{zhang}, []string{sf(4)}},
		{"waybill", zto(2), []string{"waybill"}, []receiverView{zhang}, []string{sf(4)}},
		{"waybill lowercase", strings.ToLower(sf(3)), []string{"waybill"}, []receiverView{wang}, nil},
		{"problem parcel's waybill", sf(4), []string{"waybill"}, []receiverView{zhang}, []string{sf(4)}},
		{"only problems", zhaoPhone, []string{"phone"}, nil, []string{sf(6)}},
		{"picked-up waybill", sf(5), nil, nil, nil},
		{"unknown phone", "13912345678", nil, nil, nil},
		{"unknown tail", "0999", nil, nil, nil},
		{"unknown code", "9-9-0999", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.s.FindForPickup(f.ctx, tt.query)
			require.NoError(t, err)
			assert.Equal(t, strings.TrimSpace(tt.query), got.Query)
			assert.ElementsMatch(t, tt.wantBy, got.MatchedBy)
			rs, problems := viewSearch(got)
			assert.Equal(t, tt.want, rs)
			assert.Equal(t, tt.wantProblems, problems)
			for _, r := range got.Receivers {
				for _, p := range r.Parcels {
					assert.Equal(t, StatusAtStation, p.Status)
					assert.NotContains(t, p.Phone, p.phone[3:7], "phone masked")
				}
			}
		})
	}
	for _, bad := range []string{"", "  ", "??", "张三", "12"} {
		_, err := f.s.FindForPickup(f.ctx, bad)
		requireCode(t, err, CodeQueryInvalid)
	}
}

func TestPickupSeveral(t *testing.T) {
	f := newPickupFixture(t)
	assert.Equal(t, 2, f.used(t)["1-1"])
	var out []Parcel
	op := f.oneOp(t, syncproto.KindParcelsPickedUp, func() {
		var err error
		out, err = f.s.Pickup(f.ctx, clerk, PickupInput{Waybills: []string{sf(1), strings.ToLower(zto(2)), sf(1)}})
		require.NoError(t, err)
	})
	ev := payload[syncproto.ParcelsPickedUp](t, op)
	assert.Equal(t, syncproto.ParcelsPickedUp{Waybills: []string{sf(1), zto(2)}, Collector: syncproto.Collector{Kind: "receiver"}}, ev)
	require.Len(t, out, 2)
	now := f.clock.Now()
	for _, p := range out {
		assert.Equal(t, StatusPickedUp, p.Status)
		assert.Zero(t, p.Shelf)
		assert.Zero(t, p.Layer)
		require.NotNil(t, p.OutAt)
		assert.True(t, now.Equal(*p.OutAt))
		assert.Equal(t, "张* 138****0001", p.OutBy)
		assert.Equal(t, p, f.parcel(t, p.Waybill, "in"))
		assert.Equal(t, evRow{Kind: evPickedUp, Seq: op.Seq, Actor: clerk, Detail: "张* 138****0001"}, f.lastEvent(t, p.Waybill, "in"))
	}
	assert.Equal(t, 0, f.used(t)["1-1"], "slots freed")

	got, err := f.s.FindForPickup(f.ctx, zhangPhone)
	require.NoError(t, err)
	rs, problems := viewSearch(got)
	assert.Empty(t, rs, "nothing left to hand out")
	assert.Equal(t, []string{sf(4)}, problems)

	// Once more: refused, naming when and by whom.
	err = f.refused(t, CodeParcelPickedUp, func() error {
		_, err := f.s.Pickup(f.ctx, clerk, PickupInput{Waybills: []string{zto(2)}})
		return err
	})
	assert.Equal(t, map[string]string{"waybill": zto(2), "when": "03-10 10:06", "by": "张* 138****0001"}, ArgsOf(err))
}

func TestPickupAllOrNone(t *testing.T) {
	f := newPickupFixture(t)
	_, err := f.s.Return(f.ctx, clerk, []string{sf(3)}, "")
	require.NoError(t, err)
	tests := []struct {
		name     string
		waybills []string
		want     Code
		wantArgs map[string]string
	}{
		{"malformed", []string{sf(1), "SF12"}, CodeWaybillInvalid, nil},
		{"unknown", []string{sf(1), sf(99)}, CodeParcelNotFound, map[string]string{"waybill": sf(99)}},
		{"already picked up", []string{sf(1), sf(5)}, CodeParcelPickedUp, map[string]string{"waybill": sf(5), "when": "03-10 09:06", "by": "张* 138****0001"}},
		{"problem", []string{zto(2), sf(4)}, CodeParcelProblem, map[string]string{"waybill": sf(4), "reason": "damaged"}},
		{"returning", []string{sf(3), sf(1)}, CodeParcelReturning, map[string]string{"waybill": sf(3), "when": "03-10 10:06"}},
		{"outbound waybill", []string{sf(1), "SF0000000000777"}, CodeParcelNotFound, map[string]string{"waybill": "SF0000000000777"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.refused(t, tt.want, func() error {
				_, err := f.s.Pickup(f.ctx, clerk, PickupInput{Waybills: tt.waybills})
				return err
			})
			assert.Equal(t, tt.wantArgs, ArgsOf(err))
		})
	}
	assert.Equal(t, StatusAtStation, f.parcel(t, sf(1), "in").Status)
}

func TestPickupCollector(t *testing.T) {
	f := newPickupFixture(t)
	tests := []struct {
		name string
		in   PickupInput
		want Code
	}{
		{"no waybills", PickupInput{}, CodeBadRequest},
		{"proxy without name", PickupInput{Waybills: []string{sf(1)}, Collector: CollectorInput{Kind: "proxy", Phone: phone(9)}}, CodeCollectorRequired},
		{"proxy with blank name", PickupInput{Waybills: []string{sf(1)}, Collector: CollectorInput{Kind: "proxy", Name: "  ", Phone: phone(9)}}, CodeCollectorRequired},
		{"proxy without phone", PickupInput{Waybills: []string{sf(1)}, Collector: CollectorInput{Kind: "proxy", Name: "王二"}}, CodeCollectorRequired},
		{"unknown kind", PickupInput{Waybills: []string{sf(1)}, Collector: CollectorInput{Kind: "neighbour", Name: "王二", Phone: phone(9)}}, CodeBadRequest},
		{"bad proxy phone", PickupInput{Waybills: []string{sf(1)}, Collector: CollectorInput{Kind: "proxy", Name: "王二", Phone: "110"}}, CodePhoneInvalid},
		{"bad receiver phone", PickupInput{Waybills: []string{sf(1)}, Collector: CollectorInput{Phone: "abc"}}, CodePhoneInvalid},
		{"ID checksum", PickupInput{Waybills: []string{sf(1)}, Collector: CollectorInput{IDNumber: "110105194912310021"}}, CodeIDInvalid},
		{"ID length", PickupInput{Waybills: []string{sf(1)}, Collector: CollectorInput{Kind: "proxy", Name: "王二", Phone: phone(9), IDNumber: "11010519491231002"}}, CodeIDInvalid},
		{"ID birth date", PickupInput{Waybills: []string{sf(1)}, Collector: CollectorInput{IDNumber: "110105299901011236"}}, CodeIDInvalid},
		{"photo not a hash", PickupInput{Waybills: []string{sf(1)}, PhotoSHA256: "photo.jpg"}, CodeBadRequest},
		{"photo hash short", PickupInput{Waybills: []string{sf(1)}, PhotoSHA256: strings.Repeat("a", 63)}, CodeBadRequest},
		{"photo not stored", PickupInput{Waybills: []string{sf(1)}, PhotoSHA256: strings.Repeat("ab", 32)}, CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.refused(t, tt.want, func() error {
				_, err := f.s.Pickup(f.ctx, clerk, tt.in)
				return err
			})
		})
	}
}

func TestPickupProxyWithID(t *testing.T) {
	f := newPickupFixture(t)
	// A typed ID number serves only where the owner has turned the card
	// rule for proxies off.
	require.NoError(t, f.s.SetSettings(f.ctx, owner, Settings{OverdueDays: 3, ReturnDays: 7}))
	stored, _, err := f.st.PutBlob(f.ctx, strings.NewReader("\xff\xd8\xff a pickup photo"))
	require.NoError(t, err)
	photo := strings.ToUpper(stored)
	var out []Parcel
	op := f.oneOp(t, syncproto.KindParcelsPickedUp, func() {
		var err error
		out, err = f.s.Pickup(f.ctx, clerk, PickupInput{
			Waybills:    []string{sf(1)},
			Collector:   CollectorInput{Kind: "proxy", Name: " 王二 ", Phone: "+86 139 0000 0009", IDNumber: " " + validID + " "},
			PhotoSHA256: photo,
		})
		require.NoError(t, err)
	})
	ev := payload[syncproto.ParcelsPickedUp](t, op)
	assert.Equal(t, syncproto.ParcelsPickedUp{
		Waybills: []string{sf(1)},
		Collector: syncproto.Collector{Kind: "proxy", Name: "王二", Phone: "13900000009",
			IDHash: f.s.hashID(validID), IDLast4: "002X"},
		PhotoSHA256: strings.ToLower(photo),
	}, ev)
	assert.Regexp(t, `^[0-9a-f]{64}$`, ev.Collector.IDHash)
	require.Len(t, out, 1)
	assert.Equal(t, "王* 139****0009 ID …002X", out[0].OutBy, "of the ID only its last four")

	// The same person later, typed with a lowercase x: the same hash.
	op = f.oneOp(t, syncproto.KindParcelsPickedUp, func() {
		_, err := f.s.Pickup(f.ctx, clerk, PickupInput{Waybills: []string{zto(2)}, Collector: CollectorInput{IDNumber: strings.ToLower(validID)}})
		require.NoError(t, err)
	})
	ev = payload[syncproto.ParcelsPickedUp](t, op)
	assert.Equal(t, f.s.hashID(validID), ev.Collector.IDHash)
	assert.Equal(t, "receiver", ev.Collector.Kind)
	assert.Equal(t, "张* 138****0001 ID …002X", f.parcel(t, zto(2), "in").OutBy)

	assert.Contains(t, f.whereStored(t, "13900000009"), "outbox.payload", "the search sees op payloads")
	for _, s := range []string{validID, strings.ToLower(validID), validID[:14]} {
		assert.Empty(t, f.whereStored(t, s), "ID number %s stored", s)
	}
}

// A 13-digit post parcel number that starts with 86 and a mobile prefix
// also reads as "+86" and a phone number: it is looked up as both.
func TestFindForPickupWaybillLikePhone(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 1, Capacity: 5})
	p := e.in(t, "8613912345678", phone(1), "张三")
	assert.Equal(t, "ems", p.Carrier)
	got, err := e.s.FindForPickup(e.ctx, "8613912345678")
	require.NoError(t, err)
	rs, _ := viewSearch(got)
	assert.Equal(t, []receiverView{{"张三", "138****0001", []string{"8613912345678"}}}, rs)
}
