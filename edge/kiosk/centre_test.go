package kiosk_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/kiosk"
	"cunyou/edge/messages"
	"cunyou/edge/station"
	"cunyou/edge/store"
	"cunyou/syncproto"
)

// apiCentreTrips are the centre's trips of apiT0's day: L1 serves the V02
// villages twice, L9 the V01 villages, L5's trip is cancelled.
var apiCentreTrips = []syncproto.Trip{
	{ID: "L1-0700", Line: "L1", LineName: "望奎1路", Date: "2025-03-10", Departure: "07:00", Vehicle: "黑M12345", Driver: "赵师傅",
		Stops: []string{"CENTRE", "ST-V0201", "ST-V0202", "ST-V0203", "CENTRE"}},
	{ID: "L1-1330", Line: "L1", LineName: "望奎1路", Date: "2025-03-10", Departure: "13:30",
		Stops: []string{"CENTRE", "ST-V0201", "ST-V0202", "ST-V0203", "CENTRE"}},
	{ID: "L9-0800", Line: "L9", LineName: "邮政班车", Date: "2025-03-10", Departure: "08:00",
		Stops: []string{"CENTRE", "ST-V0101", "ST-V0102", "CENTRE"}},
	{ID: "L5-0900", Line: "L5", LineName: "望奎5路", Date: "2025-03-10", Departure: "09:00", Cancelled: true,
		Stops: []string{"CENTRE", "ST-V0101", "CENTRE"}},
}

// apiNewCentreEnv starts a new county centre with no accounts, behind a
// real HTTP server, like apiNewEnv a station.
func apiNewCentreEnv(t *testing.T) *apiEnv {
	t.Helper()
	ctx := context.Background()
	clock := &apiClock{now: apiT0}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "edge.db"),
		store.Options{Node: "CENTRE", Kind: syncproto.NodeCentre, Now: clock.Now})
	require.NoError(t, err)
	e := &apiEnv{ctx: ctx, clock: clock, store: st, st: station.New(st, apiZone), log: &apiLog{}}
	e.srv = httptest.NewServer(kiosk.New(e.st, slog.New(slog.NewTextHandler(e.log, nil)), "test", nil))
	t.Cleanup(func() {
		e.srv.Close()
		assert.NoError(t, st.Check(ctx), "store check")
		assert.NoError(t, e.st.VerifyDerived(ctx), "derived statuses")
		assert.NoError(t, st.Close())
	})
	return e
}

// centreDay loads the trips and a manifest: apiZTO(n) for n = 1… goes to
// the stations given, in order ("" = unresolved).
func (e *apiEnv) centreDay(t *testing.T, stations ...string) {
	t.Helper()
	require.NoError(t, e.st.ApplyTrips(e.ctx, apiCentreTrips))
	var m []station.ManifestEntry
	for i, st := range stations {
		m = append(m, station.ManifestEntry{Waybill: apiZTO(i + 1), Carrier: "zto", ReceiverName: "张三", ReceiverPhone: apiPhone, Station: st})
	}
	require.NoError(t, e.st.ApplyCentreManifest(e.ctx, m))
}

// apiCentreRoutes lists every centre route with a body it accepts, in an
// order in which each finds what the ones before made.
var apiCentreRoutes = []struct {
	method, target string
	body           any
}{
	{"POST", "/api/v1/centre/scan", station.ScanInput{Waybill: apiZTO(1)}},
	{"POST", "/api/v1/centre/load", station.LoadInput{Waybill: apiZTO(1), Trip: "L1-0700"}},
	{"POST", "/api/v1/centre/collect", station.CollectInput{Waybill: apiSF(1), Direction: "out"}},
	{"GET", "/api/v1/centre/trips", nil},
	{"GET", "/api/v1/centre/trips/L1-0700", nil},
	{"POST", "/api/v1/centre/trips/L1-0700/depart", nil},
	{"GET", "/api/v1/centre/handover", nil},
	{"GET", "/api/v1/centre/handover?carrier=sf", nil},
	{"POST", "/api/v1/centre/handovers", station.HandoverInput{Carrier: "sf", Waybills: []string{apiSF(1)}}},
	{"GET", "/api/v1/centre/handovers", nil},
	{"GET", "/api/v1/centre/handovers/HO-20250310-sf-001", nil},
	{"GET", "/api/v1/centre/parcels", nil},
	{"GET", "/api/v1/centre/parcels/" + apiZTO(1), nil},
	{"GET", "/api/v1/centre/print-jobs", nil},
	{"POST", "/api/v1/centre/print-jobs/1/reprint", nil},
}

// A station serves none of the centre's routes, with or without a session.
func TestAPICentreNotOnStation(t *testing.T) {
	e := apiNewEnv(t)
	tok := e.setupOwner(t)
	seq := e.lastSeq(t)
	for _, rt := range apiCentreRoutes {
		for _, token := range []string{"", tok} {
			t.Run(rt.method+" "+rt.target, func(t *testing.T) {
				eb := e.refuse(t, http.StatusNotFound, "not_centre", rt.method, rt.target, token, rt.body)
				assert.Equal(t, "分拨中心功能只在县分拨中心的电脑上使用，这台电脑是驿站。", eb.Error.Message)
			})
		}
	}
	assert.Equal(t, seq, e.lastSeq(t), "nothing was done")
	// Its own routes are as before.
	apiOK[map[string]any](t, e, http.StatusOK, "GET", "/api/v1/shelves", tok, nil)
}

// Every centre route needs a session, and answers every centre role
// (the routes run in the order of apiCentreRoutes, so each finds what the
// one before made).
func TestAPICentreAuth(t *testing.T) {
	e := apiNewCentreEnv(t)
	e.centreDay(t, "ST-V0202")
	for _, rt := range apiCentreRoutes {
		t.Run("no session "+rt.method+" "+rt.target, func(t *testing.T) {
			e.refuse(t, http.StatusUnauthorized, "unauthorized", rt.method, rt.target, "", rt.body)
			e.refuse(t, http.StatusUnauthorized, "unauthorized", rt.method, rt.target, "", rt.body, "Authorization", "Bearer bm90LWEtdG9rZW4")
		})
	}
	assert.Zero(t, e.lastSeq(t), "nothing was done")

	owner := e.setupOwner(t)
	clerk := e.addClerk(t, owner)
	_, err := e.st.Collect(e.ctx, "li", station.CollectInput{Waybill: apiSF(2), Direction: "out"})
	require.NoError(t, err)
	for _, rt := range apiCentreRoutes {
		for _, role := range []string{"owner", "clerk"} {
			t.Run(role+" "+rt.method+" "+rt.target, func(t *testing.T) {
				tok, body := owner, rt.body
				if role == "clerk" {
					tok = clerk
					if rt.target == "/api/v1/centre/handovers" && rt.method == "POST" {
						body = station.HandoverInput{Carrier: "sf", Waybills: []string{apiSF(2)}}
					}
				}
				r := e.do(t, rt.method, rt.target, tok, body)
				assert.Contains(t, []int{http.StatusOK, http.StatusCreated}, r.Status, "%s", r)
			})
		}
	}
	// Unknown centre routes are not found, as elsewhere.
	e.refuse(t, http.StatusNotFound, "not_found", "GET", "/api/v1/centre/nope", "", nil)
	e.refuse(t, http.StatusNotFound, "not_found", "GET", "/api/v1/centre/nope", clerk, nil)
	e.refuse(t, http.StatusMethodNotAllowed, "method_not_allowed", "DELETE", "/api/v1/centre/scan", clerk, nil)
}

// apiCentreScan is the answer to a scan.
type apiCentreScan = kiosk.CentreScanJSON

// A morning at the centre through the API: the sorter scans, the loader
// loads and sends the trip off, outbound parcels come in and go to their
// carrier.
func TestAPICentreDay(t *testing.T) {
	e := apiNewCentreEnv(t)
	e.centreDay(t, "ST-V0202", "ST-V0101", "", "ST-V0999")
	owner := e.setupOwner(t)
	clerk := e.addClerk(t, owner)

	// Scan-in: destination, trip and sort code in large type.
	sc := apiOK[apiCentreScan](t, e, http.StatusCreated, "POST", "/api/v1/centre/scan", clerk, station.ScanInput{Waybill: apiZTO(1)})
	assert.Equal(t, station.SortDecision{Outcome: "sorted", Station: "ST-V0202", StationName: "ST-V0202", Village: "V0202", Trip: "L1-0700",
		Line: "L1", LineName: "望奎1路", Date: "2025-03-10", Departure: "07:00", Stop: 2, SortCode: "L1-02"}, sc.Decision)
	assert.Equal(t, &kiosk.Notice{Code: "centre_sorted", Message: "ST-V0202 · 望奎1路 07:00 发车 · 分拣码 L1-02",
		Args: map[string]string{"station_name": "ST-V0202", "line_name": "望奎1路", "departure": "07:00", "sort_code": "L1-02"}}, sc.Headline)
	assert.Nil(t, sc.Notice)
	assert.NotZero(t, sc.LabelJob)
	assert.False(t, sc.Repeat)
	assert.Equal(t, "sorted", sc.Parcel.Status)

	// A duplicate: the same decision, said to be a repeat, no op.
	seq := e.lastSeq(t)
	again := apiOK[apiCentreScan](t, e, http.StatusOK, "POST", "/api/v1/centre/scan", clerk, station.ScanInput{Waybill: apiZTO(1)})
	assert.True(t, again.Repeat)
	assert.Equal(t, sc.Decision, again.Decision)
	assert.Zero(t, again.LabelJob)
	assert.Equal(t, "centre_repeat", again.Notice.Code)
	assert.Equal(t, "已扫描过（03-10 09:00），分拣结果不变；标签可在打印任务中补打。", again.Notice.Message)
	assert.Equal(t, seq, e.lastSeq(t))

	// Unresolved, and not in the manifest at all: recorded, 待分配.
	for _, wb := range []string{apiZTO(3), apiYTO(9)} {
		un := apiOK[apiCentreScan](t, e, http.StatusCreated, "POST", "/api/v1/centre/scan", clerk, station.ScanInput{Waybill: wb})
		assert.Equal(t, "unresolved", un.Decision.Outcome)
		assert.Equal(t, "X", un.Decision.SortCode)
		assert.Equal(t, "centre_unresolved", un.Headline.Code)
		assert.Equal(t, "待分配：还不知道送往哪个驿站，请放到待分配区，由调度指定。", un.Headline.Message)
		assert.Equal(t, "at_centre", un.Parcel.Status)
	}
	nt := apiOK[apiCentreScan](t, e, http.StatusCreated, "POST", "/api/v1/centre/scan", clerk, station.ScanInput{Waybill: apiZTO(4)},
		"Accept-Language", "en")
	assert.Equal(t, "no_trip", nt.Decision.Outcome)
	assert.Equal(t, "ST-V0999 · no trip goes there yet: put it in the waiting area · sort code V0999", nt.Headline.Message)
	apiOK[apiCentreScan](t, e, http.StatusCreated, "POST", "/api/v1/centre/scan", clerk, station.ScanInput{Waybill: apiZTO(2)})

	// Load: the right trip, a wrong one refused then forced, a repeat.
	ld := apiOK[station.LoadResult](t, e, http.StatusCreated, "POST", "/api/v1/centre/load", clerk,
		station.LoadInput{Waybill: apiZTO(1), Trip: "L1-0700", Bag: "B-01"})
	assert.Equal(t, "loaded", ld.Parcel.Status)
	assert.Equal(t, 1, ld.Trip.Loaded)
	eb := e.refuse(t, http.StatusConflict, "load_wrong_trip", "POST", "/api/v1/centre/load", clerk, station.LoadInput{Waybill: apiZTO(2), Trip: "L1-0700"})
	assert.Equal(t, "包裹 "+apiZTO(2)+" 应送往 ST-V0101，车次 L1-0700 不经过该站。请核对；确实要装这趟车，请勾选“强制装车”。", eb.Error.Message)
	forced := apiOK[station.LoadResult](t, e, http.StatusCreated, "POST", "/api/v1/centre/load", owner,
		station.LoadInput{Waybill: apiZTO(2), Trip: "L1-0700", Force: true})
	assert.Equal(t, []station.Code{station.CodeLoadWrongTrip}, forced.Overridden)
	assert.True(t, forced.Parcel.Forced)
	rep := apiOK[station.LoadResult](t, e, http.StatusOK, "POST", "/api/v1/centre/load", clerk, station.LoadInput{Waybill: apiZTO(1), Trip: "L1-0700"})
	assert.True(t, rep.Repeat)

	// What the trip carries, and what is still to come.
	tm := apiOK[station.TripManifest](t, e, http.StatusOK, "GET", "/api/v1/centre/trips/L1-0700", clerk, nil)
	assert.Equal(t, []string{apiZTO(1), apiZTO(2)}, apiCentreWaybills(tm.Loaded))
	assert.Empty(t, tm.Waiting)

	// Departure: every loaded parcel listed; later loads refused.
	dep := apiOK[station.DepartResult](t, e, http.StatusCreated, "POST", "/api/v1/centre/trips/L1-0700/depart", clerk, nil)
	assert.Equal(t, []string{apiZTO(1), apiZTO(2)}, dep.Waybills)
	assert.Equal(t, "departed", dep.Trip.State)
	dep = apiOK[station.DepartResult](t, e, http.StatusOK, "POST", "/api/v1/centre/trips/L1-0700/depart", clerk, `{}`)
	assert.True(t, dep.Repeat)
	e.refuse(t, http.StatusConflict, "trip_departed", "POST", "/api/v1/centre/load", clerk, station.LoadInput{Waybill: apiZTO(3), Trip: "L1-0700", Force: true})
	type trips struct {
		Date  string             `json:"date"`
		Trips []station.TripInfo `json:"trips"`
	}
	ts := apiOK[trips](t, e, http.StatusOK, "GET", "/api/v1/centre/trips", clerk, nil)
	assert.Equal(t, "2025-03-10", ts.Date)
	require.Len(t, ts.Trips, 4)
	assert.Equal(t, "departed", ts.Trips[0].State)
	assert.Equal(t, "cancelled", ts.Trips[2].State)
	assert.Equal(t, "planned", ts.Trips[3].State)
	assert.Empty(t, apiOK[trips](t, e, http.StatusOK, "GET", "/api/v1/centre/trips?date=2025-03-11", clerk, nil).Trips)

	// Receiving and handover.
	for _, in := range []station.CollectInput{
		{Waybill: apiSF(11), Direction: "out", From: "ST-V0101", Trip: "L9-0800"},
		{Waybill: apiSF(12), Direction: "return"},
		{Waybill: apiZTO(13), Direction: "out"},
	} {
		c := apiOK[station.CollectResult](t, e, http.StatusCreated, "POST", "/api/v1/centre/collect", clerk, in)
		assert.Equal(t, "collected", c.Parcel.Status)
	}
	c := apiOK[station.CollectResult](t, e, http.StatusOK, "POST", "/api/v1/centre/collect", clerk, station.CollectInput{Waybill: apiSF(11), Direction: "out"})
	assert.True(t, c.Repeat)
	type pending struct {
		Carriers []station.CarrierPending `json:"carriers"`
	}
	assert.Equal(t, []station.CarrierPending{{Carrier: "sf", CarrierName: "顺丰", Parcels: 2}, {Carrier: "zto", CarrierName: "中通", Parcels: 1}},
		apiOK[pending](t, e, http.StatusOK, "GET", "/api/v1/centre/handover", clerk, nil).Carriers)
	draft := apiOK[station.Handover](t, e, http.StatusOK, "GET", "/api/v1/centre/handover?carrier=sf", clerk, nil)
	assert.Equal(t, 2, draft.Count)
	var wbs []string
	for _, l := range draft.Lines {
		wbs = append(wbs, l.Waybill)
	}
	h := apiOK[station.Handover](t, e, http.StatusCreated, "POST", "/api/v1/centre/handovers", clerk,
		station.HandoverInput{Carrier: "sf", Courier: "钱师傅", Waybills: wbs})
	assert.Equal(t, "HO-20250310-sf-001", h.List)
	assert.Equal(t, 2, h.Count)
	assert.Len(t, h.Lines, 2)
	e.refuse(t, http.StatusConflict, "parcel_handed_over", "POST", "/api/v1/centre/handovers", clerk, station.HandoverInput{Carrier: "sf", Waybills: wbs})
	type lists struct {
		Handovers []station.Handover `json:"handovers"`
	}
	hs := apiOK[lists](t, e, http.StatusOK, "GET", "/api/v1/centre/handovers", clerk, nil).Handovers
	require.Len(t, hs, 1)
	assert.Equal(t, h.List, hs[0].List)
	assert.Equal(t, h, apiOK[station.Handover](t, e, http.StatusOK, "GET", "/api/v1/centre/handovers/"+h.List, clerk, nil))

	// Parcels by status, and one parcel's timeline.
	pl := apiOK[station.CentreParcelList](t, e, http.StatusOK, "GET", "/api/v1/centre/parcels?status=at_centre", clerk, nil)
	assert.Equal(t, []string{apiZTO(3), apiYTO(9)}, apiCentreWaybills(pl.Parcels))
	assert.Equal(t, 2, pl.Counts["in_transit"])
	assert.Equal(t, 2, pl.Counts["handed_over"])
	tl := apiOK[[]station.CentreTimeline](t, e, http.StatusOK, "GET", "/api/v1/centre/parcels/"+apiZTO(2), clerk, nil)
	require.Len(t, tl, 1)
	assert.Equal(t, []string{"sorted", "loaded", "departed"}, apiEventKinds(tl[0].Events))
	assert.Contains(t, tl[0].Events[1].Detail, "forced:load_wrong_trip")
	assert.Equal(t, apiOwner, tl[0].Events[1].Actor, "who forced it")

	// The print queue: one label per scan, a reprint refers to its job.
	type jobs struct {
		Jobs []station.PrintJob `json:"jobs"`
	}
	js := apiOK[jobs](t, e, http.StatusOK, "GET", "/api/v1/centre/print-jobs?status=queued", clerk, nil).Jobs
	assert.Len(t, js, 5)
	re := apiOK[station.PrintJob](t, e, http.StatusCreated, "POST", fmt.Sprintf("/api/v1/centre/print-jobs/%d/reprint", sc.LabelJob), clerk, nil)
	assert.Equal(t, sc.LabelJob, re.ReprintOf)
	assert.JSONEq(t, string(js[len(js)-1].Payload), string(re.Payload))
	assert.Len(t, apiOK[jobs](t, e, http.StatusOK, "GET", "/api/v1/centre/print-jobs?waybill="+apiZTO(1), clerk, nil).Jobs, 2)

	// No answer holds the receiver's phone.
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, x := range e.exchanges {
		assert.NotContains(t, x.body, apiPhone, "%s %s", x.method, x.target)
		assert.NotContains(t, x.body, apiPhoneMasked, "%s %s: the centre shows no receiver", x.method, x.target)
	}
}

func apiCentreWaybills(ps []station.CentreParcel) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Waybill)
	}
	return out
}

// apiCentreRefusals holds, for every centre code, one request to a
// prepared centre that provokes it (run in order).
var apiCentreRefusals = []apiRefusal{
	{"trip_not_found", "clerk", "GET", "/api/v1/centre/trips/L1-2300", nil, http.StatusNotFound},
	{"trip_invalid", "clerk", "POST", "/api/v1/centre/load", station.LoadInput{Waybill: apiZTO(1), Trip: "L1 0700"}, http.StatusUnprocessableEntity},
	{"trip_cancelled", "clerk", "POST", "/api/v1/centre/load", station.LoadInput{Waybill: apiZTO(2), Trip: "L5-0900"}, http.StatusConflict},
	{"trip_departed", "clerk", "POST", "/api/v1/centre/load", station.LoadInput{Waybill: apiZTO(2), Trip: "L9-0800", Force: true}, http.StatusConflict},
	{"parcel_not_scanned", "clerk", "POST", "/api/v1/centre/load", station.LoadInput{Waybill: apiZTO(8), Trip: "L1-0700"}, http.StatusConflict},
	{"parcel_unresolved", "clerk", "POST", "/api/v1/centre/load", station.LoadInput{Waybill: apiZTO(3), Trip: "L1-0700"}, http.StatusConflict},
	{"load_wrong_trip", "clerk", "POST", "/api/v1/centre/load", station.LoadInput{Waybill: apiZTO(2), Trip: "L1-0700"}, http.StatusConflict},
	{"parcel_loaded_elsewhere", "clerk", "POST", "/api/v1/centre/load", station.LoadInput{Waybill: apiZTO(5), Trip: "L1-1330"}, http.StatusConflict},
	{"parcel_departed", "clerk", "POST", "/api/v1/centre/scan", station.ScanInput{Waybill: apiZTO(4)}, http.StatusConflict},
	{"bag_invalid", "clerk", "POST", "/api/v1/centre/load", station.LoadInput{Waybill: apiZTO(1), Trip: "L1-0700", Bag: "第1袋"}, http.StatusUnprocessableEntity},
	{"direction_invalid", "clerk", "POST", "/api/v1/centre/collect", station.CollectInput{Waybill: apiSF(20)}, http.StatusUnprocessableEntity},
	{"station_invalid", "clerk", "POST", "/api/v1/centre/collect", station.CollectInput{Waybill: apiSF(20), Direction: "out", From: "南岗村"}, http.StatusUnprocessableEntity},
	{"parcel_not_collected", "clerk", "POST", "/api/v1/centre/handovers", station.HandoverInput{Carrier: "sf", Waybills: []string{apiSF(20)}}, http.StatusConflict},
	{"parcel_collected", "clerk", "POST", "/api/v1/centre/scan", station.ScanInput{Waybill: apiSF(22)}, http.StatusConflict},
	{"parcel_handed_over", "clerk", "POST", "/api/v1/centre/collect", station.CollectInput{Waybill: apiSF(21), Direction: "out"}, http.StatusConflict},
	{"handover_carrier_mismatch", "clerk", "POST", "/api/v1/centre/handovers", station.HandoverInput{Carrier: "zto", Waybills: []string{apiSF(22)}}, http.StatusUnprocessableEntity},
	{"handover_empty", "clerk", "POST", "/api/v1/centre/handovers", station.HandoverInput{Carrier: "sf"}, http.StatusUnprocessableEntity},
	{"handover_not_found", "clerk", "GET", "/api/v1/centre/handovers/HO-20250310-sf-009", nil, http.StatusNotFound},
	{"print_job_not_found", "clerk", "POST", "/api/v1/centre/print-jobs/999/reprint", nil, http.StatusNotFound},
	{"state_invalid", "clerk", "GET", "/api/v1/centre/parcels?status=lost", nil, http.StatusUnprocessableEntity},
	{"courier_invalid", "clerk", "POST", "/api/v1/centre/handovers", station.HandoverInput{Carrier: "sf", Courier: "钱\t师傅", Waybills: []string{apiSF(22)}}, http.StatusUnprocessableEntity},
	// Station codes the centre's routes answer too.
	{"waybill_invalid", "clerk", "POST", "/api/v1/centre/scan", station.ScanInput{Waybill: "ab"}, http.StatusUnprocessableEntity},
	{"carrier_unknown", "clerk", "POST", "/api/v1/centre/scan", station.ScanInput{Waybill: "QQ12345678"}, http.StatusUnprocessableEntity},
	{"date_invalid", "clerk", "GET", "/api/v1/centre/trips?date=2025-13-01", nil, http.StatusUnprocessableEntity},
	{"parcel_not_found", "clerk", "GET", "/api/v1/centre/parcels/" + apiZTO(99), nil, http.StatusNotFound},
	{"bad_request", "clerk", "POST", "/api/v1/centre/print-jobs/x/reprint", nil, http.StatusBadRequest},
	{"unauthorized", "", "GET", "/api/v1/centre/trips", nil, http.StatusUnauthorized},
}

// apiCentreCodesElsewhere are the centre codes apiCentreRefusals does not
// provoke, and why.
var apiCentreCodesElsewhere = map[string]string{
	"not_centre": "TestAPICentreNotOnStation: only a station answers it",
}

func TestAPICentreRefusals(t *testing.T) {
	e := apiNewCentreEnv(t)
	e.centreDay(t, "ST-V0202", "ST-V0101", "", "ST-V0101", "ST-V0201")
	tokens := map[string]string{"owner": e.setupOwner(t)}
	tokens["clerk"] = e.addClerk(t, tokens["owner"])
	clerk := tokens["clerk"]
	for n := 1; n <= 5; n++ {
		apiOK[apiCentreScan](t, e, http.StatusCreated, "POST", "/api/v1/centre/scan", clerk, station.ScanInput{Waybill: apiZTO(n)})
	}
	apiOK[station.LoadResult](t, e, http.StatusCreated, "POST", "/api/v1/centre/load", clerk, station.LoadInput{Waybill: apiZTO(4), Trip: "L9-0800"})
	apiOK[station.DepartResult](t, e, http.StatusCreated, "POST", "/api/v1/centre/trips/L9-0800/depart", clerk, nil)
	apiOK[station.LoadResult](t, e, http.StatusCreated, "POST", "/api/v1/centre/load", clerk, station.LoadInput{Waybill: apiZTO(5), Trip: "L1-0700", Bag: "B-01"})
	for _, wb := range []string{apiSF(21), apiSF(22)} {
		apiOK[station.CollectResult](t, e, http.StatusCreated, "POST", "/api/v1/centre/collect", clerk, station.CollectInput{Waybill: wb, Direction: "out"})
	}
	apiOK[station.Handover](t, e, http.StatusCreated, "POST", "/api/v1/centre/handovers", clerk, station.HandoverInput{Carrier: "sf", Waybills: []string{apiSF(21)}})
	for _, tt := range apiCentreRefusals {
		for _, lang := range []string{"", "en"} {
			t.Run(tt.code+"/"+lang, func(t *testing.T) {
				seq := e.lastSeq(t)
				e.refuse(t, tt.status, tt.code, tt.method, tt.target, tokens[tt.as], tt.body, "Accept-Language", lang)
				assert.Equal(t, seq, e.lastSeq(t), "a refusal records nothing")
			})
		}
	}
}

// apiCentreCodes returns the values of the station.Code constants in
// station/centre_errors.go, as apiStationCodes does for errors.go.
func apiCentreCodes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "station", "centre_errors.go"), nil, 0)
	require.NoError(t, err)
	var codes []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
				continue
			}
			for _, v := range vs.Values {
				code, err := strconv.Unquote(v.(*ast.BasicLit).Value)
				require.NoError(t, err)
				codes = append(codes, code)
			}
		}
	}
	return codes
}

func TestAPICentreErrorCodes(t *testing.T) {
	codes := apiCentreCodes(t)
	require.Greater(t, len(codes), 15, "parsed %v", codes)
	stationCodes := apiStationCodes(t)
	for _, c := range codes {
		assert.NotContains(t, stationCodes, c, "centre code %s is also a station code", c)
	}
	// Every centre code and notice has a sentence in both tables, with
	// the same placeholders.
	for _, code := range append(slices.Clone(codes), "centre_sorted", "centre_no_trip", "centre_unresolved", "centre_repeat", "centre_resorted") {
		t.Run(code, func(t *testing.T) {
			require.True(t, messages.Has(code), "no sentence for %s in some table", code)
			zh, en := messages.Text(messages.ZH, code, nil), messages.Text(messages.EN, code, nil)
			assert.NotEqual(t, messages.Text(messages.ZH, "internal", nil), zh)
			assert.NotEqual(t, zh, en)
			pzh, pen := apiPlaceholderRe.FindAllString(zh, -1), apiPlaceholderRe.FindAllString(en, -1)
			slices.Sort(pzh)
			slices.Sort(pen)
			assert.Equal(t, pzh, pen, "placeholders of %s", code)
		})
	}
	// Every centre code is provoked or accounted for, with one status.
	statusOf := map[string]int{}
	for _, r := range apiCentreRefusals {
		if s, ok := statusOf[r.code]; ok {
			assert.Equal(t, s, r.status, "code %s with two statuses", r.code)
		}
		statusOf[r.code] = r.status
	}
	for _, code := range codes {
		_, provoked := statusOf[code]
		_, elsewhere := apiCentreCodesElsewhere[code]
		assert.True(t, provoked || elsewhere, "new centre code %s: add a request provoking it to apiCentreRefusals", code)
	}
}

func TestAPICentreBadInput(t *testing.T) {
	e := apiNewCentreEnv(t)
	e.centreDay(t, "ST-V0202")
	tok := e.setupOwner(t)
	seq := e.lastSeq(t)
	for _, tt := range []struct{ method, target, body string }{
		{"POST", "/api/v1/centre/scan", `{"waybill":`},
		{"POST", "/api/v1/centre/scan", `{"waybill":"73000000000001","station":"ST-V0101"}`},
		{"POST", "/api/v1/centre/load", `{"waybill":"73000000000001","trip":"L1-0700","force":"yes"}`},
		{"POST", "/api/v1/centre/collect", `{"waybill":"SF0000000000001","direction":"out","weight_g":3}`},
		{"POST", "/api/v1/centre/handovers", `{"carrier":"sf","waybills":"SF0000000000001"}`},
		{"POST", "/api/v1/centre/trips/L1-0700/depart", `{"vehicle":"黑M00000"}`},
		{"POST", "/api/v1/centre/print-jobs/1/reprint", `{"copies":2}`},
	} {
		t.Run(tt.target+" "+tt.body, func(t *testing.T) {
			e.refuse(t, http.StatusBadRequest, "bad_request", tt.method, tt.target, tok, tt.body)
		})
	}
	assert.Equal(t, seq, e.lastSeq(t), "nothing was done")
	// The log names routes, never what was typed.
	e.srv.Close()
	assert.False(t, strings.Contains(e.log.String(), "73000000000001"), "a waybill in the log")
}
