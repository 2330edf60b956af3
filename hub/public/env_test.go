package public_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cunyou/hub/gazetteer"
	"cunyou/hub/intake"
	"cunyou/hub/merge"
	"cunyou/hub/public"
	"cunyou/hub/store"
	"cunyou/syncproto"
)

// cst is the county's time zone in the tests.
var cst = time.FixedZone("CST", 8*3600)

// t0 is the tests' wall clock: Saturday 14 March 2026, 08:00 in the
// county, while the L1 07:00 bus is on the road.
var t0 = time.Date(2026, 3, 14, 8, 0, 0, 0, cst)

const tripL1 = "L1-20260314-0700"

// clock is a settable wall clock shared by the store and the server.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

// env is a hub with the demo county on a real SQLite file, a merger, the
// intake service and the public server, all on one clock.
type env struct {
	st    *store.Store
	m     *merge.Merger
	in    *intake.Service
	clk   *clock
	srv   *public.Server
	h     http.Handler
	codes map[string]string // enrollment codes of the county's nodes
	seqs  map[string]uint64
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newEnv(t testing.TB, limits public.Limits) *env {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: t0}
	st, err := store.Open(ctx, t.TempDir(), store.Options{Now: clk.now})
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
	for _, code := range []string{"zto", "yto", "sf"} {
		require.NoError(t, st.PutCarrier(ctx, store.Carrier{Code: code, Name: code}))
	}
	logs := &syncBuffer{}
	srv := public.New(public.Options{Store: st, Now: clk.now, Location: cst, Limits: limits,
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	return &env{st: st, m: m, in: intake.New(st, m, cst), clk: clk, srv: srv, h: srv.Handler(), codes: rep.Codes,
		seqs: map[string]uint64{}, logs: logs}
}

// enroll enrolls node with its code from the county load.
func (e *env) enroll(t testing.TB, node string) {
	t.Helper()
	_, _, err := e.st.Enroll(context.Background(), e.codes[node], node, "test")
	require.NoError(t, err)
}

// announce announces a parcel from a carrier, as the open API does.
func (e *env) announce(t testing.TB, wb, phone, name, address string) intake.Result {
	t.Helper()
	rs, err := e.in.Announce(context.Background(), "api:test", "", []intake.Entry{{Waybill: wb, Carrier: "zto",
		ReceiverName: name, ReceiverPhone: phone, Address: address, WeightGrams: 800}})
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.Equal(t, intake.Created, rs[0].Outcome, "%+v", rs[0])
	return rs[0]
}

// apply merges facts of node made at its clock time at, as a station or
// the centre uploads them, and waits for the tracking index.
func (e *env) apply(t testing.TB, node string, at time.Time, kind syncproto.EventKind, payload any) {
	t.Helper()
	body, err := json.Marshal(payload)
	require.NoError(t, err)
	e.seqs[node]++
	op := syncproto.Op{Node: node, Incarnation: "inc1", Seq: e.seqs[node], HLC: syncproto.MakeTimestamp(at.UnixMilli(), 0),
		Actor: "clerk", Kind: kind, Payload: body}
	op.Seal()
	ctx := context.Background()
	_, err = e.m.Apply(ctx, node, syncproto.Batch{Header: syncproto.BatchHeader{Proto: syncproto.ProtoVersion,
		Kind: syncproto.BatchOps, Node: node, Incarnation: "inc1", Count: 1}, Ops: []syncproto.Op{op}})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	require.NoError(t, e.m.Flush(ctx))
}

// at is a time of the test day in the county.
func at(hhmm string) time.Time {
	tm, err := time.ParseInLocation("2006-01-02 15:04", "2026-03-14 "+hhmm, cst)
	if err != nil {
		panic(err)
	}
	return tm
}

// The test county's parcels.
const (
	phoneWang = "13912345678"
	phoneLi   = "13800001111"
	wbArrived = "73100000000001" // 王秀英's, at 福兴村驿站 with code 3-2-0417
	wbComing  = "73100000000002" // 王秀英's, announced, on the way
	wbTaken   = "73100000000003" // 王秀英's, collected yesterday
	wbLi      = "73100000000004" // 李娜's, at 福兴村驿站 with code 3-2-0418
	codeWang  = "3-2-0417"
	codeLi    = "3-2-0418"
	stFuxing  = "ST-V0201"
)

// journey puts the county's parcels where the constants say: announced
// by the carrier, sorted and carried by the centre on the L1 07:00 bus,
// scanned in at 福兴村驿站, one collected.
func (e *env) journey(t testing.TB) {
	t.Helper()
	e.enroll(t, "CENTRE")
	e.enroll(t, stFuxing)
	e.clk.set(at("05:30")) // the carrier announces before the centre opens
	defer e.clk.set(t0)
	for _, wb := range []string{wbArrived, wbComing, wbTaken} {
		r := e.announce(t, wb, phoneWang, "王秀英", "通江镇福兴村三组")
		require.Equal(t, stFuxing, r.Station)
	}
	e.announce(t, wbLi, phoneLi, "李娜", "通江镇福兴村")

	for _, wb := range []string{wbArrived, wbLi} {
		e.apply(t, "CENTRE", at("06:10"), syncproto.KindParcelAtCentre, syncproto.ParcelAtCentre{Waybill: wb, Carrier: "zto",
			Manifested: true, Station: stFuxing, Trip: tripL1})
		e.apply(t, "CENTRE", at("06:40"), syncproto.KindParcelLoaded, syncproto.ParcelLoaded{Waybill: wb, Trip: tripL1})
	}
	e.apply(t, "CENTRE", at("07:02"), syncproto.KindTripDeparted, syncproto.TripDeparted{Trip: tripL1, Vehicle: "黑M12345",
		Waybills: []string{wbArrived, wbLi}})
	e.apply(t, stFuxing, at("07:40"), syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: wbArrived, Carrier: "zto",
		ReceiverPhone: phoneWang, ReceiverName: "王秀英", Manifested: true, Shelf: 3, Layer: 2, Code: codeWang})
	e.apply(t, stFuxing, at("07:41"), syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: wbLi, Carrier: "zto",
		ReceiverPhone: phoneLi, ReceiverName: "李娜", Manifested: true, Shelf: 3, Layer: 2, Code: codeLi})
	e.apply(t, stFuxing, at("07:42"), syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: wbTaken, Carrier: "zto",
		ReceiverPhone: phoneWang, ReceiverName: "王秀英", Manifested: true, Shelf: 1, Layer: 1, Code: "1-1-0001"})
	e.apply(t, stFuxing, at("07:50"), syncproto.KindParcelsPickedUp, syncproto.ParcelsPickedUp{Waybills: []string{wbTaken},
		Collector: syncproto.Collector{Kind: "proxy", Name: "王小明", Phone: "13700000000"}})
}

// response is an answer of the handler.
type response struct {
	status int
	header http.Header
	body   string
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal([]byte(r.body), v), r.body)
}

// apiError is the error answer's body.
type apiError struct {
	Error struct {
		Code        string `json:"code"`
		Message     string `json:"message"`
		RetryAfterS int    `json:"retry_after_s"`
	} `json:"error"`
}

func (r response) errCode(t *testing.T) apiError {
	t.Helper()
	var e apiError
	r.json(t, &e)
	return e
}

// do runs one request through the handler from client address ip.
func (e *env) do(t *testing.T, method, target, body, ip string, header ...string) response {
	t.Helper()
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	var req *http.Request
	if rd != nil {
		req = httptest.NewRequest(method, target, rd)
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	if ip != "" {
		req.RemoteAddr = net.JoinHostPort(ip, "40000")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

func (e *env) get(t *testing.T, target string, header ...string) response {
	t.Helper()
	return e.do(t, http.MethodGet, target, "", "", header...)
}

// mine asks My parcels from ip.
func (e *env) mine(t *testing.T, ip, phone, tail string) response {
	t.Helper()
	return e.do(t, http.MethodPost, "/q/api/mine", fmt.Sprintf(`{"phone":%q,"tail":%q}`, phone, tail), ip)
}

func regexpFind(t *testing.T, pattern, s string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	require.NotNil(t, m, "no %s in %s", pattern, s)
	return m[1]
}

// httptestDo runs one request through h.
func httptestDo(h http.Handler, method, target string) response {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}
