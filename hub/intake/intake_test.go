package intake_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"cunyou/hub/gazetteer"
	"cunyou/hub/intake"
	"cunyou/hub/merge"
	"cunyou/hub/store"
	"cunyou/syncproto"
)

type env struct {
	st  *store.Store
	m   *merge.Merger
	svc *intake.Service
}

var shanghai = time.FixedZone("CST", 8*3600)

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), store.Options{})
	require.NoError(t, err)
	m, err := merge.New(ctx, st, merge.Options{})
	require.NoError(t, err)
	t.Cleanup(func() {
		m.Close()
		st.Close()
	})
	c, err := gazetteer.LoadFile("../../testdata/county.json")
	require.NoError(t, err)
	rep, err := st.LoadCounty(ctx, c)
	require.NoError(t, err)
	require.Len(t, rep.Codes, 78, "77 stations and the centre")
	for _, code := range []string{"zto", "yto", "sf"} {
		require.NoError(t, st.PutCarrier(ctx, store.Carrier{Code: code, Name: code}))
	}
	return &env{st: st, m: m, svc: intake.New(st, m, shanghai)}
}

func (e *env) announce(t *testing.T, scope string, entries ...intake.Entry) []intake.Result {
	t.Helper()
	rs, err := e.svc.Announce(context.Background(), "api:test", scope, entries)
	require.NoError(t, err)
	require.Len(t, rs, len(entries))
	return rs
}

func entry(wb, carrier, phone, addr string) intake.Entry {
	return intake.Entry{Waybill: wb, Carrier: carrier, ReceiverName: "王秀英", ReceiverPhone: phone, Address: addr, WeightGrams: 800}
}

func TestAnnounce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rs := e.announce(t, "",
		entry("73100000000001", "zto", "13912345678", "黑龙江省绥化市望奎县先锋镇民主村三组"),
		entry("73100000000002", "zto", "139 1234 5679", "先锋民主屯 王家小卖部"),
		entry("73100000000003", "zto", "+86 13912345670", "南岗村"), // in seven towns: unresolved
		entry("bad waybill!", "zto", "13912345678", "民主村"),
		entry("73100000000005", "zto", "12345", "民主村"),
		entry("73100000000006", "dhl", "13912345678", "民主村"),
		entry("73100000000001", "zto", "13912345678", "黑龙江省绥化市望奎县先锋镇民主村三组"), // the same again: one parcel
		entry("73100000000002", "zto", "13912345679", "卫星镇"),                // other details
	)
	assert.Equal(t, intake.Created, rs[0].Outcome)
	assert.Equal(t, syncproto.DestVillage, rs[0].Reason)
	assert.NotEmpty(t, rs[0].Station)
	assert.Equal(t, rs[0].Station, rs[1].Station, "the same village, written as people speak")
	assert.Equal(t, "13912345679", mustParcel(t, e, "73100000000002").ReceiverPhone, "phone normalized")
	assert.Equal(t, intake.Created, rs[2].Outcome)
	assert.Empty(t, rs[2].Station)
	assert.Equal(t, syncproto.DestUnresolved, rs[2].Reason)
	assert.Contains(t, rs[2].Detail, "ambiguous")
	for i, code := range map[int]string{3: intake.CodeBadWaybill, 4: intake.CodeBadPhone, 5: intake.CodeUnknownCarrier, 7: intake.CodeDuplicate} {
		assert.Equal(t, intake.Rejected, rs[i].Outcome, i)
		assert.Equal(t, code, rs[i].Code, i)
		assert.NotEmpty(t, rs[i].Message, i)
	}
	assert.NotContains(t, rs[4].Message, "12345", "a bad phone is masked in the report")
	assert.Equal(t, intake.Created, rs[6].Outcome, "a repeat in the same announcement is the same parcel")
	s := intake.Summarize(rs)
	assert.Equal(t, intake.Summary{Created: 4, Rejected: 4, Unresolved: 1}, s)

	q, err := e.st.Unresolved(ctx, 10)
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Equal(t, "73100000000003", q[0].Waybill)

	// Again: unchanged; with a new address: updated and re-routed.
	rs = e.announce(t, "", entry("73100000000001", "zto", "13912345678", "黑龙江省绥化市望奎县先锋镇民主村三组"))
	assert.Equal(t, intake.Unchanged, rs[0].Outcome)
	rs = e.announce(t, "", entry("73100000000001", "zto", "13912345678", "卫星镇朝阳村"))
	assert.Equal(t, intake.Updated, rs[0].Outcome)
	p := mustParcel(t, e, "73100000000001")
	assert.Equal(t, rs[0].Station, p.Dest)
	assert.Equal(t, "卫星镇朝阳村", p.Address)

	// Another carrier may not take over a waybill; a carrier's client
	// announces its own parcels only.
	rs = e.announce(t, "", entry("73100000000001", "yto", "13912345678", "卫星镇朝阳村"))
	assert.Equal(t, intake.CodeOtherCarrier, rs[0].Code)
	rs = e.announce(t, "zto", entry("YT0000000000001", "yto", "13912345678", "卫星镇朝阳村"))
	assert.Equal(t, intake.CodeCarrierScope, rs[0].Code)
}

func mustParcel(t *testing.T, e *env, wb string) store.Parcel {
	t.Helper()
	p, err := e.st.Parcel(context.Background(), wb, "in")
	require.NoError(t, err)
	return p
}

// A parcel whose address says nothing goes to the station where the
// receiver's phone last collected a parcel; a dispatcher can still choose.
func TestPhoneHistoryAndDispatcher(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	code, err := e.st.NewEnrollCode(ctx, "ST-V0101")
	require.NoError(t, err)
	_, _, err = e.st.Enroll(ctx, code, "ST-V0101", "test")
	require.NoError(t, err)
	inb := syncproto.Op{Node: "ST-V0101", Incarnation: "inc1", Seq: 1, HLC: syncproto.MakeTimestamp(time.Now().UnixMilli(), 0),
		Actor: "clerk", Kind: syncproto.KindParcelInbound}
	inb.Payload = []byte(`{"waybill":"7310000000009","carrier":"zto","receiver_phone":"13800001111","shelf":1,"layer":1,"code":"1-1-0001"}`)
	inb.Seal()
	_, err = e.m.Apply(ctx, "ST-V0101", syncproto.Batch{Header: syncproto.BatchHeader{Proto: syncproto.ProtoVersion,
		Kind: syncproto.BatchOps, Node: "ST-V0101", Incarnation: "inc1", Count: 1}, Ops: []syncproto.Op{inb}})
	require.NoError(t, err)
	require.NoError(t, e.m.Flush(ctx))

	rs := e.announce(t, "", entry("73100000000010", "zto", "13800001111", "收货地址不详"))
	assert.Equal(t, "ST-V0101", rs[0].Station)
	assert.Equal(t, syncproto.DestPhone, rs[0].Reason)

	rs = e.announce(t, "", entry("73100000000011", "zto", "13800002222", ""))
	assert.Equal(t, syncproto.DestUnresolved, rs[0].Reason)
	require.NoError(t, e.svc.Assign(ctx, "dispatcher:li", "73100000000011", "ST-V0102", "receiver called"))
	p := mustParcel(t, e, "73100000000011")
	assert.Equal(t, "ST-V0102", p.Dest)
	assert.Equal(t, syncproto.DestManual, p.DestReason)
	assert.ErrorIs(t, e.svc.Assign(ctx, "dispatcher:li", "73100000000011", "CENTRE", ""), store.ErrInvalid)
	assert.ErrorIs(t, e.svc.Assign(ctx, "dispatcher:li", "NOPE0000000", "ST-V0102", ""), store.ErrNotFound)
	// The carrier announces it again: the dispatcher's choice stands.
	rs = e.announce(t, "", entry("73100000000011", "zto", "13800002222", "卫星镇朝阳村"))
	assert.Equal(t, "ST-V0102", rs[0].Station)
	assert.Equal(t, syncproto.DestManual, rs[0].Reason)
}

func TestTripPlanned(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	trips, err := e.st.PlanTrips(ctx, time.Now().In(shanghai).Format(time.DateOnly))
	require.NoError(t, err)
	require.NotEmpty(t, trips)
	// A village on line L1 (its stops start V0201).
	rs := e.announce(t, "", entry("73100000000020", "zto", "13912345678", "通江镇"+villageName(t, e, "V0201")))
	require.Equal(t, "ST-V0201", rs[0].Station)
	hm := time.Now().In(shanghai).Format("15:04")
	if hm <= "13:30" {
		assert.True(t, strings.HasPrefix(rs[0].Trip, "L1-"), "the next L1 departure today: %q", rs[0].Trip)
	} else {
		assert.Empty(t, rs[0].Trip, "every L1 trip of today has gone")
	}
}

func villageName(t *testing.T, e *env, code string) string {
	c, err := e.st.County(context.Background())
	require.NoError(t, err)
	v, ok := c.Village(code)
	require.True(t, ok)
	return v.Name
}

func TestAnnounceFileCSVAndXLSX(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	csvText := "运单号,快递公司,收件人,手机,地址,重量\n" +
		"73200000000001,中通,王秀英,13912345678,先锋镇民主村,800\n" +
		"73200000000002,中通快递,李娜,1391234,先锋镇民主村,500\n" + // bad phone
		"\n" +
		"73200000000003,zto,张伟,13912345670,先锋镇民主村,half\n" + // bad weight
		"73200000000004,yto,赵敏,13912345671,卫星镇朝阳村,1200.0\n"
	gbk, err := simplifiedchinese.GB18030.NewEncoder().String(csvText)
	require.NoError(t, err)
	rs, err := e.svc.AnnounceFile(ctx, "file:manifest.csv", "", "manifest.csv", strings.NewReader(gbk))
	require.NoError(t, err)
	require.Len(t, rs, 4)
	assert.Equal(t, []int{2, 3, 5, 6}, []int{rs[0].Row, rs[1].Row, rs[2].Row, rs[3].Row})
	assert.Equal(t, intake.Created, rs[0].Outcome)
	assert.Equal(t, intake.CodeBadPhone, rs[1].Code)
	assert.Equal(t, intake.CodeBadField, rs[2].Code)
	assert.Equal(t, intake.Created, rs[3].Outcome)
	assert.Equal(t, 1200, mustParcel(t, e, "73200000000004").WeightGrams)
	assert.Equal(t, "zto", mustParcel(t, e, "73200000000001").Carrier, "中通 is zto")

	x := excelize.NewFile()
	sheet := x.GetSheetName(0)
	for i, row := range [][]any{
		{"waybill", "carrier", "receiver_name", "receiver_phone", "address", "weight_g"},
		{"73200000000011", "sf", "孙丽", "13700001111", "卫星镇朝阳村", 300},
		{"73200000000012", "sf", "周杰", "13700001112", "", 300},
	} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		require.NoError(t, x.SetSheetRow(sheet, cell, &row))
	}
	var buf bytes.Buffer
	require.NoError(t, x.Write(&buf))
	rs, err = e.svc.AnnounceFile(ctx, "file:sf.xlsx", "", "sf.xlsx", &buf)
	require.NoError(t, err)
	require.Len(t, rs, 2)
	assert.Equal(t, intake.Created, rs[0].Outcome)
	assert.NotEmpty(t, rs[0].Station)
	assert.Equal(t, syncproto.DestUnresolved, rs[1].Reason)

	_, err = e.svc.AnnounceFile(ctx, "file:x.csv", "", "x.csv", strings.NewReader("a,b\n1,2\n"))
	assert.ErrorContains(t, err, "no waybill column")
	_, err = e.svc.AnnounceFile(ctx, "file:x.pdf", "", "x.pdf", strings.NewReader("%PDF"))
	assert.ErrorIs(t, err, store.ErrInvalid)
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"13912345678":      "13912345678",
		"139 1234 5678":    "13912345678",
		"139-1234-5678":    "13912345678",
		"+86 13912345678":  "13912345678",
		"１３９１２３４５６７８":      "13912345678",
		"13912345678-1234": "13912345678-1234",
		"13912345678转1234": "13912345678-1234",
	} {
		got, ok := intake.NormalizePhone(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "12345678901", "1391234567", "0451-8888888", "139123456789"} {
		_, ok := intake.NormalizePhone(bad)
		assert.False(t, ok, bad)
	}
}

func TestCarrierEvents(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.announce(t, "", entry("73100000000030", "zto", "13912345678", "卫星镇朝阳村"))
	at := time.Date(2026, 11, 26, 18, 0, 0, 0, shanghai)
	require.NoError(t, e.svc.CarrierEvents(ctx, "api:zto", "zto", []intake.Event{{Waybill: "73100000000030", Code: "departed",
		Location: "哈尔滨转运中心", At: at}}))
	tl, err := e.st.Timeline(ctx, "73100000000030", "")
	require.NoError(t, err)
	require.Len(t, tl, 2)
	assert.Equal(t, "zto: departed at 哈尔滨转运中心", tl[1].Detail)
	assert.ErrorIs(t, e.svc.CarrierEvents(ctx, "api:zto", "zto", []intake.Event{{Waybill: "x", Code: "departed", At: at}}), store.ErrInvalid)
	assert.ErrorIs(t, e.svc.CarrierEvents(ctx, "api:zto", "zto", []intake.Event{{Waybill: "73100000000030", Code: "Departed!", At: at}}),
		store.ErrInvalid)
}
