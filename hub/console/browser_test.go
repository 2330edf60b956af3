package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"cunyou/hub/audit"
	"cunyou/hub/auth"
	"cunyou/hub/console"
	"cunyou/hub/gazetteer"
	"cunyou/hub/intake"
	"cunyou/hub/merge"
	"cunyou/hub/openapi"
	"cunyou/hub/store"
	"cunyou/syncproto"
	"cunyou/ui/uitest"
)

// cst is the county's time zone.
var cst = time.FixedZone("CST", 8*3600)

// t0 is the tests' wall clock: Saturday 14 March 2026, 08:00 in the
// county, while the L1 07:00 bus is on the road.
var t0 = time.Date(2026, 3, 14, 8, 0, 0, 0, cst)

const (
	tripL1     = "L1-20260314-0700"
	plate      = "黑M12345"
	terminal   = "013900000001"
	stFuxing   = "ST-V0201"
	wbArrived  = "73100000000001" // at 福兴村驿站
	wbUnknown  = "73100000000009" // an address the gazetteer does not know
	wbDamaged  = "73100000000005" // at 福兴村驿站, damaged
	dispatcher = "wang"
	government = "zhengfu"
	admin      = "admin1"
	password   = "Diaodu-2026!"
)

// clock is a settable wall clock shared by the store and the API.
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

// hub is a hub with the demo county on a real SQLite file, the open API
// with console sessions and the console, on a real HTTP server.
type hub struct {
	st   *store.Store
	m    *merge.Merger
	clk  *clock
	url  string
	seqs map[string]uint64
}

func newHub(t *testing.T) *hub {
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
	require.NoError(t, st.PutCarrier(ctx, store.Carrier{Code: "zto", Name: "中通"}))
	for _, node := range []string{"CENTRE", stFuxing} {
		_, _, err := st.Enroll(ctx, rep.Codes[node], node, "test")
		require.NoError(t, err)
	}
	log := audit.New(st)
	people := auth.New(auth.Options{Store: st, Audit: log, Now: clk.now})
	for user, role := range map[string]string{dispatcher: auth.Dispatcher, government: auth.Government, admin: auth.Admin} {
		_, err = people.AddUser(ctx, auth.Actor{Name: "cli:test", Remote: "local"}, user, role, "", password)
		require.NoError(t, err)
	}
	in := intake.New(st, m, cst)
	open := openapi.New(openapi.Options{Store: st, Intake: in, Auth: people, Audit: log, Now: clk.now, Location: cst, Version: "test"})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", open.Handler())
	mux.Handle(console.Prefix, console.Handler(nil))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	h := &hub{st: st, m: m, clk: clk, url: srv.URL, seqs: map[string]uint64{}}

	// The day so far: two parcels announced at 05:30, one of them
	// carried on the L1 07:00 bus to 福兴村驿站, the other with an address
	// nobody knows; the bus on the road with its GPS.
	clk.set(at("05:30"))
	rs, err := in.Announce(ctx, "api:test", "", []intake.Entry{
		{Waybill: wbArrived, Carrier: "zto", ReceiverName: "王秀英", ReceiverPhone: "13912345678", Address: "通江镇福兴村三组", WeightGrams: 800},
		{Waybill: wbUnknown, Carrier: "zto", ReceiverName: "赵强", ReceiverPhone: "13600002222", Address: "不知道哪里", WeightGrams: 500},
		{Waybill: wbDamaged, Carrier: "zto", ReceiverName: "李娜", ReceiverPhone: "13800001111", Address: "通江镇福兴村", WeightGrams: 300},
	})
	require.NoError(t, err)
	require.Equal(t, stFuxing, rs[0].Station)
	require.Equal(t, "", rs[1].Station, "%+v", rs[1])
	require.NoError(t, st.PutVehicle(ctx, store.Vehicle{Plate: plate, Kind: "bus", Capacity: 300, Terminal: terminal, Active: true}))
	_, err = st.PlanTrips(ctx, "2026-03-14")
	require.NoError(t, err)
	h.apply(t, "CENTRE", at("06:10"), syncproto.KindParcelAtCentre, syncproto.ParcelAtCentre{Waybill: wbArrived, Carrier: "zto",
		Manifested: true, Station: stFuxing, Trip: tripL1})
	h.apply(t, "CENTRE", at("06:40"), syncproto.KindParcelLoaded, syncproto.ParcelLoaded{Waybill: wbArrived, Trip: tripL1})
	clk.set(at("07:02"))
	vehicle, departed := plate, "departed"
	require.NoError(t, st.UpdateTrip(ctx, tripL1, store.TripUpdate{Vehicle: &vehicle, Status: &departed}))
	h.apply(t, "CENTRE", at("07:02"), syncproto.KindTripDeparted, syncproto.TripDeparted{Trip: tripL1, Vehicle: plate,
		Waybills: []string{wbArrived}})
	h.apply(t, stFuxing, at("07:40"), syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: wbArrived, Carrier: "zto",
		ReceiverPhone: "13912345678", ReceiverName: "王秀英", Manifested: true, Shelf: 3, Layer: 2, Code: "3-2-0417"})
	h.apply(t, stFuxing, at("07:41"), syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: wbDamaged, Carrier: "zto",
		ReceiverPhone: "13800001111", ReceiverName: "李娜", Manifested: true, Shelf: 3, Layer: 2, Code: "3-2-0418"})
	h.apply(t, stFuxing, at("07:45"), syncproto.KindParcelProblem, syncproto.ParcelProblem{Waybill: wbDamaged, Reason: "damaged",
		Text: "外包装破损"})
	_, err = st.SaveGPS(ctx, store.GPSBatch{Events: []store.GeofenceEvent{{Trip: tripL1, Plate: plate, Node: "CENTRE", Kind: "departure",
		Time: at("07:03")}}})
	require.NoError(t, err)
	clk.set(t0)
	require.NoError(t, st.RecordHello(ctx, stFuxing, "cunyou-edge/test", 0, &syncproto.Health{Backlog: 2, OldestUnsentS: 300,
		Devices: []syncproto.DeviceHealth{{Name: "labels", Kind: "printer", State: "error", Code: "printer.paper_out"},
			{Name: "gun", Kind: "scanner", State: "ready"}}}))
	return h
}

// at is a time of the test day in the county.
func at(hhmm string) time.Time {
	tm, err := time.ParseInLocation("2006-01-02 15:04", "2026-03-14 "+hhmm, cst)
	if err != nil {
		panic(err)
	}
	return tm
}

// apply merges a fact of node made at its clock time at, as a station or
// the centre uploads it, and waits for the tracking index.
func (h *hub) apply(t *testing.T, node string, at time.Time, kind syncproto.EventKind, payload any) {
	t.Helper()
	body, err := json.Marshal(payload)
	require.NoError(t, err)
	h.seqs[node]++
	op := syncproto.Op{Node: node, Incarnation: "inc1", Seq: h.seqs[node], HLC: syncproto.MakeTimestamp(at.UnixMilli(), 0),
		Actor: "clerk", Kind: kind, Payload: body}
	op.Seal()
	ctx := context.Background()
	_, err = h.m.Apply(ctx, node, syncproto.Batch{Header: syncproto.BatchHeader{Proto: syncproto.ProtoVersion,
		Kind: syncproto.BatchOps, Node: node, Incarnation: "inc1", Count: 1}, Ops: []syncproto.Op{op}})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	require.NoError(t, h.m.Flush(ctx))
}

// drive reports the bus's position at hhmm, a fraction f of the way from
// the centre to 福兴村驿站.
func (h *hub) drive(t *testing.T, hhmm string, f float64) {
	t.Helper()
	ctx := context.Background()
	sites, err := h.st.Sites(ctx)
	require.NoError(t, err)
	var from, to store.Site
	for _, s := range sites {
		switch s.Node {
		case "CENTRE":
			from = s
		case stFuxing:
			to = s
		}
	}
	p := store.Position{Terminal: terminal, Plate: plate, Time: at(hhmm), Received: at(hhmm), Speed: 42, Heading: 90,
		Lat: from.Lat + f*(to.Lat-from.Lat), Lon: from.Lon + f*(to.Lon-from.Lon)}
	_, err = h.st.SaveGPS(ctx, store.GPSBatch{Positions: []store.Position{p}})
	require.NoError(t, err)
}

// A dispatcher's desk screen.
const deskW, deskH = 1366, 768

// TestBrowserConsole drives the console in a real Chromium on a desk
// screen: a wrong password, then sign in as a dispatcher; the overview's
// counts; find a parcel and read its timeline; choose the station of a
// parcel nobody could place; watch the bus move on the map.
func TestBrowserConsole(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: deskW, Height: deskH})
	h := newHub(t)
	h.drive(t, "07:50", 0.3)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	fits := func(step string) {
		t.Helper()
		if w := uitest.Eval[int](t, ctx, `document.documentElement.scrollWidth`); w > deskW {
			t.Errorf("%s: the page is %d px wide on a %d px screen", step, w, deskW)
		}
	}

	uitest.Do(t, ctx, "open the console",
		chromedp.Navigate(h.url+"/console/"),
		chromedp.WaitVisible(css("#login-user")),
	)
	if title := uitest.Get(t, ctx, "title", chromedp.Title()); title != "村邮 · 调度台" {
		t.Errorf("title %q", title)
	}
	uitest.Do(t, ctx, "a wrong password",
		chromedp.SendKeys(css("#login-user"), dispatcher),
		chromedp.SendKeys(css("#login-pass"), "wrong-password\r"),
		chromedp.WaitVisible(css("#login-msg")),
	)
	if msg := uitest.Text(t, ctx, "#login-msg"); !strings.HasPrefix(msg, "用户名或密码不对") {
		t.Errorf("wrong password says %q", msg)
	}
	uitest.Eval[string](t, ctx, `document.querySelector("#login-pass").value = ""`)
	uitest.Do(t, ctx, "sign in",
		chromedp.SendKeys(css("#login-pass"), password+"\r"),
		chromedp.WaitVisible(css(`#ov-stages [data-stage="at_station"]`)),
		chromedp.WaitVisible(css("#ov-trips table")),
		chromedp.WaitVisible(css("#ov-online")),
	)
	if got := uitest.Text(t, ctx, `#ov-stages [data-stage="at_station"] .n`); got != "1" {
		t.Errorf("at stations %q, want 1", got)
	}
	if got := uitest.Text(t, ctx, `#ov-stages [data-stage="announced"] .n`); got != "1" {
		t.Errorf("announced %q, want 1", got)
	}
	if got := uitest.Text(t, ctx, `#ov-stages [data-stage="problem"] .n`); got != "1" {
		t.Errorf("problems %q, want 1", got)
	}
	if got := uitest.Text(t, ctx, "#ov-exceptions"); got != "1" {
		t.Errorf("open exceptions %q, want 1 (the unplaced parcel)", got)
	}
	if got := uitest.Text(t, ctx, `#ov-trips [data-trip="`+tripL1+`"]`); !strings.Contains(got, "已发车") || !strings.Contains(got, plate) {
		t.Errorf("the L1 07:00 trip reads %q", got)
	}
	nav := uitest.Eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#nav a")).map(a => a.getAttribute("data-view"))`)
	if want := []string{"overview", "parcels", "exceptions", "stations", "trips", "map", "sms", "statistics"}; !slices.Equal(nav, want) {
		t.Errorf("a dispatcher's nav %v, want %v (no audit log)", nav, want)
	}
	if tok := uitest.Eval[string](t, ctx, `sessionStorage.getItem("cunyou.console.token") || ""`); !strings.HasPrefix(tok, "cys_") {
		t.Errorf("session token %q not in sessionStorage", tok)
	}
	fits("overview")
	uitest.Shot(t, ctx, "console-overview")

	uitest.Do(t, ctx, "find a parcel by its waybill",
		chromedp.Navigate(h.url+"/console/#/parcels"),
		chromedp.WaitVisible(css("#pq-waybill")),
		chromedp.SendKeys(css("#pq-waybill"), wbArrived+"\r"),
		chromedp.WaitVisible(css("#parcel-detail .timeline li")),
	)
	if got := uitest.Text(t, ctx, "#parcel-detail .timeline li:first-child .what"); got != "驿站入库" {
		t.Errorf("newest event %q", got)
	}
	if got := uitest.Text(t, ctx, "#parcel-detail .facts"); !strings.Contains(got, "在驿站待取") || !strings.Contains(got, "福兴村驿站") {
		t.Errorf("the parcel's facts %q", got)
	}
	if n := uitest.Eval[int](t, ctx, `document.querySelectorAll("#parcel-detail .timeline li").length`); n < 4 {
		t.Errorf("%d events in the timeline, want the carrier's, the centre's, the bus's and the station's", n)
	}
	uitest.Eval[string](t, ctx, `document.querySelector("#pq-waybill").value = ""`)
	uitest.Do(t, ctx, "find parcels by phone",
		chromedp.SendKeys(css("#pq-phone"), "13912345678\r"),
		chromedp.WaitVisible(css(`#pq-results [data-waybill="`+wbArrived+`"]`)),
	)
	fits("parcels")
	uitest.Shot(t, ctx, "console-parcel")

	item := `#ex-unresolved [data-waybill="` + wbUnknown + `"]`
	uitest.Do(t, ctx, "open the exceptions",
		chromedp.Navigate(h.url+"/console/#/exceptions"),
		chromedp.WaitVisible(css(`#ex-problems [data-waybill="`+wbDamaged+`"]`)),
		chromedp.WaitReady(css(item+` .dest-station option[value="`+stFuxing+`"]`)),
	)
	fits("exceptions")
	uitest.Shot(t, ctx, "console-exceptions")
	uitest.Eval[string](t, ctx, `document.querySelector('`+item+` .dest-station').value = "`+stFuxing+`"`)
	uitest.Do(t, ctx, "choose the station of the unplaced parcel",
		chromedp.SendKeys(css(`#ex-unresolved [data-waybill="`+wbUnknown+`"] .dest-note`), "电话确认"),
		chromedp.Click(css(`#ex-unresolved [data-waybill="`+wbUnknown+`"] .dest-save`)),
		chromedp.Poll[chromedp.Void](`!document.querySelector('#ex-unresolved [data-waybill="`+wbUnknown+`"]') && !!document.querySelector("#ex-unresolved .empty")`),
	)
	p, err := h.st.Parcel(context.Background(), wbUnknown, "in")
	require.NoError(t, err)
	if p.Dest != stFuxing {
		t.Errorf("the parcel's station is %q after the dispatcher chose %s", p.Dest, stFuxing)
	}

	station := `#st-list [data-node="` + stFuxing + `"]`
	uitest.Do(t, ctx, "a station's health and parcels",
		chromedp.Navigate(h.url+"/console/#/stations/"+stFuxing),
		chromedp.WaitVisible(css(station+" .devices")),
		chromedp.WaitVisible(css(`#st-detail [data-waybill="`+wbArrived+`"]`)),
	)
	if got := uitest.Text(t, ctx, station+" .devices"); got != "labels 故障 (printer.paper_out)" {
		t.Errorf("the station's devices read %q", got)
	}
	if got := uitest.Text(t, ctx, station); !strings.Contains(got, "在线") {
		t.Errorf("the station's row %q: it said hello just now", got)
	}
	fits("stations")
	uitest.Shot(t, ctx, "console-stations")

	vehicle := `#map .vehicle[data-plate="` + plate + `"]`
	uitest.Do(t, ctx, "the bus on the map",
		chromedp.Navigate(h.url+"/console/#/map"),
		chromedp.WaitVisible(css(vehicle)),
		chromedp.WaitVisible(css("#map .line")),
	)
	before := uitest.Eval[string](t, ctx, `document.querySelector('`+vehicle+`').getAttribute("transform")`)
	h.drive(t, "07:58", 0.8)
	uitest.Do(t, ctx, "the bus moves",
		chromedp.Poll[chromedp.Void](`document.querySelector('`+vehicle+`').getAttribute("transform") !== "`+before+`"`),
	)
	const tripL1Afternoon = "L1-20260314-1330"
	uitest.Do(t, ctx, "open the afternoon L1's assignment",
		chromedp.Navigate(h.url+"/console/#/trips"),
		chromedp.Click(css(`#trips-list [data-trip="`+tripL1Afternoon+`"] a.assign`)),
		chromedp.WaitReady(css(`#assign-vehicle option[value="`+plate+`"]`)),
	)
	uitest.Eval[string](t, ctx, `document.querySelector("#assign-vehicle").value = "`+plate+`"`)
	uitest.Do(t, ctx, "assign the bus to the afternoon L1",
		chromedp.Click(css(".assign-form button[type=submit]")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#assign-msg").textContent !== ""`),
		chromedp.Poll[chromedp.Void](`(document.querySelector('#trips-list [data-trip="`+tripL1Afternoon+`"]') || {}).textContent.indexOf("`+plate+`") >= 0`),
	)
	if got := uitest.Text(t, ctx, "#assign-msg"); !strings.HasPrefix(got, "已保存") {
		t.Errorf("assigning says %q", got)
	}
	fits("trips")
	uitest.Shot(t, ctx, "console-trips")
	trips, err := h.st.Trips(context.Background(), "2026-03-14")
	require.NoError(t, err)
	for _, tr := range trips {
		if tr.ID == tripL1Afternoon && tr.Vehicle != plate {
			t.Errorf("the afternoon L1's vehicle is %q after assigning %s", tr.Vehicle, plate)
		}
	}

	uitest.Do(t, ctx, "today's trips and the parcels on the L1 07:00",
		chromedp.Navigate(h.url+"/console/#/trips/"+tripL1),
		chromedp.WaitVisible(css(`#trip-detail [data-waybill="`+wbArrived+`"]`)),
		chromedp.Click(css(`#trips-list [data-trip="`+tripL1+`"] a[href^="#/map/"]`)),
		chromedp.WaitVisible(css(vehicle)),
		chromedp.WaitVisible(css("#map .trail")),
		chromedp.WaitVisible(css(`#map-stops [data-node="CENTRE"]`)),
	)
	if got := uitest.Text(t, ctx, `#map-stops [data-node="CENTRE"]`); !strings.Contains(got, "离开 望奎县农村物流分拨中心") {
		t.Errorf("the replay's stop reads %q", got)
	}
	if n := uitest.Eval[int](t, ctx, `document.querySelectorAll('#map .line.active[data-line="L1"]').length`); n != 1 {
		t.Errorf("%d L1 lines drawn as the replayed trip's, want 1", n)
	}
	if got := uitest.Eval[string](t, ctx, `document.querySelector("#map-trip").value`); got != tripL1 {
		t.Errorf("the map replays %q, want %s", got, tripL1)
	}
	fits("map")
	uitest.Shot(t, ctx, "console-map")

	uitest.Do(t, ctx, "the SMS templates",
		chromedp.Navigate(h.url+"/console/#/sms/templates"),
		chromedp.WaitVisible(css(`#sms-body .template[data-kind="arrival"] .preview`)),
	)
	uitest.Do(t, ctx, "the SMS failures",
		chromedp.Navigate(h.url+"/console/#/sms/problems"),
		chromedp.WaitVisible(css("#sms-body .empty")),
	)

	uitest.Do(t, ctx, "statistics",
		chromedp.Navigate(h.url+"/console/#/statistics"),
		chromedp.WaitVisible(css(`#stats-chart .bar[data-stage="at_station"]`)),
		chromedp.WaitVisible(css(`#stats-holders [data-holder="`+stFuxing+`"]`)),
	)
	if got := uitest.Eval[string](t, ctx, `document.querySelector('#stats-chart .bar[data-stage="at_station"] .n').textContent`); got != "1" {
		t.Errorf("the at-station bar says %q", got)
	}
	fits("statistics")
	uitest.Shot(t, ctx, "console-statistics")
	uitest.Eval[bool](t, ctx, `(function () {
		window.csvOut = null;
		var create = URL.createObjectURL;
		URL.createObjectURL = function (b) { b.text().then(function (s) { window.csvOut = s; }); return create.call(URL, b); };
		return true;
	})()`)
	uitest.Do(t, ctx, "export the counts as CSV",
		chromedp.Click(css("#stats-csv")),
		chromedp.Poll[chromedp.Void](`window.csvOut !== null`),
	)
	csv := uitest.Eval[string](t, ctx, `window.csvOut`) // Blob.text drops the BOM
	if !strings.HasPrefix(csv, "holder,name,kind,total,announced,") || !strings.Contains(csv, "\r\n"+stFuxing+",福兴村驿站,station,2,0,0,0,1,0,1,0,0\r\n") {
		t.Errorf("the CSV export reads %q", csv)
	}

	uitest.Do(t, ctx, "sign out",
		chromedp.Click(css("#logout")),
		chromedp.WaitVisible(css("#login-user")),
	)
	if tok := uitest.Eval[string](t, ctx, `sessionStorage.getItem("cunyou.console.token") || ""`); tok != "" {
		t.Error("the token stays in sessionStorage after signing out")
	}

	// The government's viewer reads counts, never a parcel, and may
	// read them in English.
	uitest.Eval[string](t, ctx, `document.querySelector("#login-user").value = ""; location.hash = "#/overview"`)
	uitest.Do(t, ctx, "sign in as the government's viewer",
		chromedp.SendKeys(css("#login-user"), government),
		chromedp.SendKeys(css("#login-pass"), password+"\r"),
		chromedp.WaitVisible(css(`#ov-stages [data-stage="at_station"]`)),
	)
	nav = uitest.Eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#nav a")).map(a => a.getAttribute("data-view"))`)
	if want := []string{"overview", "statistics"}; !slices.Equal(nav, want) {
		t.Errorf("a government viewer's nav %v, want %v", nav, want)
	}
	if uitest.Eval[bool](t, ctx, `!document.querySelector("#ov-stations").parentNode.hidden`) {
		t.Error("the government viewer sees the stations card")
	}
	uitest.Do(t, ctx, "switch to English",
		chromedp.Click(css("#top .lang")),
		chromedp.Poll[chromedp.Void](`document.querySelector('#nav a[data-view="statistics"]').textContent === "Statistics"`),
		chromedp.Poll[chromedp.Void](`(document.querySelector('#ov-stages [data-stage="at_station"] .label') || {}).textContent === "at stations"`),
	)

	// The admin sees the users, what each role may do, and the audit log.
	uitest.Do(t, ctx, "sign out the government's viewer",
		chromedp.Click(css("#logout")),
		chromedp.WaitVisible(css("#login-user")),
	)
	uitest.Eval[string](t, ctx, `document.querySelector("#login-user").value = ""; location.hash = "#/users"`)
	uitest.Do(t, ctx, "the admin's users and roles",
		chromedp.SendKeys(css("#login-user"), admin),
		chromedp.SendKeys(css("#login-pass"), password+"\r"),
		chromedp.WaitVisible(css(`#users-list [data-user="`+dispatcher+`"]`)),
		chromedp.WaitVisible(css(`#users-roles [data-permission="audit.read"]`)),
	)
	if got := uitest.Text(t, ctx, `#users-list [data-user="`+government+`"]`); !strings.Contains(got, "Government") && !strings.Contains(got, "government") {
		t.Errorf("the government viewer's row %q", got)
	}
	fits("users")
	uitest.Shot(t, ctx, "console-users")
	uitest.Do(t, ctx, "the audit log",
		chromedp.Navigate(h.url+"/console/#/audit"),
		chromedp.WaitVisible(css("#audit-body tbody tr")),
	)
	if got := uitest.Text(t, ctx, "#audit-body"); !strings.Contains(got, "user:"+dispatcher) {
		t.Errorf("the audit log lacks the dispatcher's sign-in: %q", got)
	}

	if ps := jsProblems(); len(ps) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(ps, "\n"))
	}
}
