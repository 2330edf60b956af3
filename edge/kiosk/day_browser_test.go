package kiosk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cunyou/drivers/idcard"
	"cunyou/edge/kiosk"
	"cunyou/edge/station"
	"cunyou/edge/store"
	"cunyou/edge/syncer"
	"cunyou/syncproto"
	"cunyou/ui/uitest"
)

// browserHub is a county hub in memory behind a real HTTP server on a
// fixed loopback address, speaking the sync routes of syncproto/api.go
// (hello, ops in order after the cursor, no changes, blobs taken whole):
// enough for a station to sync against, and to go away and come back on
// the same address.
type browserHub struct {
	t    testing.TB
	addr string
	node string

	mu  sync.Mutex
	srv *httptest.Server
	ops map[string][]syncproto.Op
}

const browserHubToken = "tok-kiosk"

func browserNewHub(t testing.TB, node string) *browserHub {
	t.Helper()
	h := &browserHub{t: t, node: node, ops: map[string][]syncproto.Op{}}
	h.up()
	t.Cleanup(h.down)
	return h
}

func (h *browserHub) URL() string { return "http://" + h.addr }

// up starts the hub, on the address it had before if any.
func (h *browserHub) up() {
	h.t.Helper()
	addr := h.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		h.t.Fatalf("hub listen on %s: %v", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+syncproto.PathHello, h.auth(h.hello))
	mux.HandleFunc("POST "+syncproto.PathOps, h.auth(h.pushOps))
	mux.HandleFunc("GET "+syncproto.PathChanges, h.auth(h.changes))
	mux.HandleFunc("HEAD "+syncproto.PathBlobs+"{sha}", h.auth(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) }))
	mux.HandleFunc("PATCH "+syncproto.PathBlobs+"{sha}", h.auth(h.blob))
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	h.mu.Lock()
	h.srv, h.addr = srv, ln.Addr().String()
	h.mu.Unlock()
}

// down stops the hub: the station's calls are refused.
func (h *browserHub) down() {
	h.mu.Lock()
	srv := h.srv
	h.srv = nil
	h.mu.Unlock()
	if srv != nil {
		srv.CloseClientConnections()
		srv.Close()
	}
}

// held is every op the hub holds, as "kind waybill…" lines.
func (h *browserHub) held() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	for _, ops := range h.ops {
		for _, op := range ops {
			fmt.Fprintf(&b, "%s %s\n", op.Kind, op.Payload)
		}
	}
	return b.String()
}

func (h *browserHub) writeErr(w http.ResponseWriter, status int, code syncproto.Code, msg string, cursor *uint64) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(syncproto.ErrorBody{Code: code, Name: code.String(), Message: msg, Cursor: cursor})
}

func (h *browserHub) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+browserHubToken {
			h.writeErr(w, http.StatusUnauthorized, syncproto.CodeUnauthorized, "bad token", nil)
			return
		}
		next(w, r)
	}
}

func (h *browserHub) hello(w http.ResponseWriter, r *http.Request) {
	var req syncproto.Hello
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		h.writeErr(w, http.StatusBadRequest, syncproto.CodeBadOp, err.Error(), nil)
		return
	}
	proto, err := syncproto.Negotiate(req.MinProto, req.Proto)
	if err != nil {
		h.writeErr(w, http.StatusBadRequest, syncproto.CodeUnsupportedVersion, err.Error(), nil)
		return
	}
	h.mu.Lock()
	wel := syncproto.Welcome{Proto: proto, HubTimeMs: time.Now().UnixMilli(), Cursors: map[string]uint64{}}
	for _, inc := range req.Incarnations {
		wel.Cursors[inc] = uint64(len(h.ops[inc]))
	}
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(wel)
}

func (h *browserHub) pushOps(w http.ResponseWriter, r *http.Request) {
	b, err := syncproto.ReadBatch(http.MaxBytesReader(w, r.Body, 64<<20))
	if err != nil {
		h.writeErr(w, http.StatusBadRequest, syncproto.CodeOf(err), err.Error(), nil)
		return
	}
	if b.Header.Node != h.node {
		h.writeErr(w, http.StatusForbidden, syncproto.CodeWrongNode, "ops of another node", nil)
		return
	}
	inc := b.Header.Incarnation
	h.mu.Lock()
	defer h.mu.Unlock()
	cursor := uint64(len(h.ops[inc]))
	for i, op := range b.Ops {
		if err := op.Verify(); err != nil || op.Seq != cursor+1+uint64(i) {
			h.writeErr(w, http.StatusConflict, syncproto.CodeGap, fmt.Sprintf("op %d after cursor %d", op.Seq, cursor), &cursor)
			return
		}
	}
	h.ops[inc] = append(h.ops[inc], b.Ops...)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(syncproto.OpsResult{Incarnation: inc, AckedSeq: uint64(len(h.ops[inc])), Applied: len(b.Ops)})
}

func (h *browserHub) changes(w http.ResponseWriter, r *http.Request) {
	if _, err := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64); err != nil {
		h.writeErr(w, http.StatusBadRequest, syncproto.CodeBadOp, "after", nil)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if err := syncproto.WriteChanges(w, h.node, nil, time.Now().UnixMilli()); err != nil {
		h.t.Errorf("hub: write changes: %v", err)
	}
}

func (h *browserHub) blob(w http.ResponseWriter, r *http.Request) {
	total, _ := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(syncproto.BlobStatus{SHA256: r.PathValue("sha"), Offset: total, Complete: true})
}

// TestBrowserHubLostAndBack: the county hub goes away in the middle of
// the day. The badge says since when the station is offline and how many
// ops wait; scanning in and handing out go on; when the hub is back the
// backlog drains to it and the badge says online again.
func TestBrowserHubLostAndBack(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: 1024, Height: 768})
	s := browserNewStation(t)
	hub := browserNewHub(t, "ST-V0101")
	bg := context.Background()
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	if err := s.st.Store().SetSyncConfig(bg, store.SyncConfig{HubURL: hub.URL(), Token: browserHubToken}); err != nil {
		t.Fatal(err)
	}
	c, err := syncer.NewClient(hub.URL(), browserHubToken, "")
	if err != nil {
		t.Fatal(err)
	}
	sy := syncer.New(s.st, c, syncer.Options{CallTimeout: 2 * time.Second})
	s.srv.Config.Handler.(*kiosk.Server).SetSyncer(sy)
	if err := sy.SyncOnce(bg); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	wbs := browserManifest(t, s.st, 400, 3)
	tail := "0400" // browserManifest's first receiver: 1380000 0400

	browserLogin(t, ctx, s)
	uitest.Do(t, ctx, "online", chromedp.WaitVisible(css(`#badge-sync[data-state="good"]`)))
	if got := uitest.Text(t, ctx, "#badge-sync"); got != "已联网 · 待传 0" {
		t.Errorf("badge says %q, want 已联网 · 待传 0", got)
	}

	hub.down()
	if err := sy.SyncOnce(bg); err == nil {
		t.Fatal("sync to a hub that is gone succeeded")
	}
	uitest.Do(t, ctx, "work on while the hub is away",
		browserScan(wbs[0]), browserUntil(`document.querySelector('#inbound-result-details').textContent.includes('`+wbs[0]+`')`),
		browserScan(wbs[1]), browserUntil(`document.querySelector('#inbound-result-details').textContent.includes('`+wbs[1]+`')`),
		browserScan(wbs[2]), browserUntil(`document.querySelector('#inbound-result-details').textContent.includes('`+wbs[2]+`')`),
		chromedp.WaitVisible(css(`#badge-sync[data-state="bad"]`)),
		chromedp.Click(css(`#tabs [data-tab="pickup"]`)),
		chromedp.WaitVisible(css("#pickup-q")),
		browserScan(tail),
		chromedp.WaitVisible(css(`#pickup-results input.pick[data-waybill="`+wbs[0]+`"]`)),
		chromedp.Click(css("#pickup-confirm")),
		chromedp.WaitVisible(css("#pickup-msg.msg-ok")),
		browserUntil(`document.querySelector('#badge-sync').textContent.includes('待传 4')`),
	)
	offline := uitest.Text(t, ctx, "#badge-sync")
	if !strings.HasPrefix(offline, "断网 ") || !strings.Contains(offline, "起 · 待传 4") {
		t.Errorf("while the hub is away the badge says %q, want 断网 HH:MM起 · 待传 4", offline)
	}
	uitest.Shot(t, ctx, "kiosk-hub-lost")
	if held := hub.held(); strings.Contains(held, wbs[0]) {
		t.Fatal("the hub has ops it could not have received")
	}

	// The hub is back: the next sync drains the backlog.
	hub.up()
	if err := sy.SyncOnce(bg); err != nil {
		t.Fatalf("sync once the hub is back: %v", err)
	}
	// The page learns it at its next look at the status (every 30 s), by
	// itself.
	wctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, browserUntil(`document.querySelector('#badge-sync').textContent === '已联网 · 待传 0'`)); err != nil {
		t.Fatalf("once the hub is back the badge says %q (%v), want 已联网 · 待传 0", uitest.Text(t, ctx, "#badge-sync"), err)
	}
	uitest.Shot(t, ctx, "kiosk-hub-back")
	held := hub.held()
	for _, wb := range wbs {
		if !strings.Contains(held, string(syncproto.KindParcelInbound)+` {"waybill":"`+wb+`"`) {
			t.Errorf("the hub did not get the inbound of %s", wb)
		}
	}
	if !strings.Contains(held, string(syncproto.KindParcelsPickedUp)+` {"waybills":["`+wbs[0]+`"]`) {
		t.Errorf("the hub did not get the pickup of %s:\n%s", wbs[0], held)
	}
	for _, p := range jsProblems() {
		t.Errorf("page: %s", p)
	}
}

// TestBrowserInboundUndo: a wrong parcel scanned in is undone from the
// button under its code, without hunting for it: the code is struck out,
// the bag and the list say so, the parcel is not offered for pickup, and
// scanning it again shelves it anew.
func TestBrowserInboundUndo(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: 1024, Height: 768})
	s := browserNewStation(t)
	wbs := browserManifest(t, s.st, 500, 2)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	browserLogin(t, ctx, s)
	uitest.Do(t, ctx, "scan two",
		browserScan(wbs[0]), browserUntil(`document.querySelector('#inbound-result-details').textContent.includes('`+wbs[0]+`')`),
		browserScan(wbs[1]), browserUntil(`document.querySelector('#inbound-result-details').textContent.includes('`+wbs[1]+`')`),
		chromedp.WaitVisible(css("#inbound-undo")),
	)
	code := uitest.Text(t, ctx, "#inbound-code")
	uitest.Shot(t, ctx, "kiosk-inbound-undo-offered")
	uitest.Do(t, ctx, "undo the last",
		chromedp.Click(css("#inbound-undo")),
		chromedp.WaitVisible(css("#inbound-result.undone")),
		chromedp.WaitNotVisible(css("#inbound-undo")),
	)
	if got := uitest.Text(t, ctx, "#inbound-result-status"); !strings.HasPrefix(got, "已撤销入库") {
		t.Errorf("result says %q, want 已撤销入库…", got)
	}
	if got := uitest.Text(t, ctx, "#inbound-msg"); !strings.Contains(got, wbs[1]) || !strings.Contains(got, code) {
		t.Errorf("message says %q, want the waybill %s and its void code %s", got, wbs[1], code)
	}
	if got := uitest.Text(t, ctx, "#inbound-bag"); !strings.Contains(got, "新入库 1") || !strings.Contains(got, "撤销 1") {
		t.Errorf("the bag says %q, want 新入库 1 and 撤销 1", got)
	}
	if got := uitest.Text(t, ctx, "#inbound-session tbody tr:first-child"); !strings.Contains(got, "已撤销") {
		t.Errorf("the scan list's first row says %q, want 已撤销", got)
	}
	if got := uitest.Eval[string](t, ctx, `document.activeElement.id`); got != "inbound-scan" {
		t.Errorf("after the undo the focus is on %q, want the scan field", got)
	}
	uitest.Shot(t, ctx, "kiosk-inbound-undone")
	p, err := s.st.FindForPickup(context.Background(), wbs[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Receivers) != 0 {
		t.Errorf("the undone parcel is offered for pickup: %+v", p.Receivers)
	}
	if payload := browserLastOp(t, s, string(syncproto.KindParcelInboundUndone)); !strings.Contains(payload, wbs[1]) {
		t.Errorf("the undo's op: %s", payload)
	}

	uitest.Do(t, ctx, "scan it again",
		browserScan(wbs[1]),
		chromedp.WaitNotPresent(css("#inbound-result.undone")),
		chromedp.WaitVisible(css("#inbound-undo")),
	)
	if got := uitest.Text(t, ctx, "#inbound-result-status"); !strings.HasPrefix(got, "入库成功") {
		t.Errorf("scanned again the result says %q, want 入库成功…", got)
	}
	// Only the last scan: after another parcel's scan the server refuses
	// an older one (the page offers only the last).
	for _, pr := range jsProblems() {
		t.Errorf("page: %s", pr)
	}
}

// TestBrowserPickupIDRule: with the owner's rule for valuable parcels on,
// the pickup screen asks for the collector's card before the hand-out
// button works, and the card read on the reader unlocks it.
func TestBrowserPickupIDRule(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: 1024, Height: 768})
	s := browserNewStation(t)
	d := browserAddDevices(t, s)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	bg := context.Background()
	tail := browserFreeTail(t, s.st)
	const wb = "73123456780101"
	if err := s.st.ApplyManifest(bg, []station.ManifestEntry{{Waybill: wb, Carrier: "zto", ReceiverName: "周测试",
		ReceiverPhone: "1391234" + tail, ValueFen: 250000}}); err != nil {
		t.Fatal(err)
	}
	if err := s.st.SetSettings(bg, "boss", station.Settings{OverdueDays: 3, ReturnDays: 7, IDForProxy: true, IDHighValue: true, IDValueYuan: 1000}); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, s)
	uitest.Do(t, ctx, "scan in the valuable parcel and find it",
		browserScan(wb), browserUntil(`document.querySelector('#inbound-result-details').textContent.includes('`+wb+`')`),
		chromedp.Click(css(`#tabs [data-tab="pickup"]`)),
		chromedp.WaitVisible(css("#pickup-q")),
		browserScan(tail),
		chromedp.WaitVisible(css(`#pickup-results input.pick[data-waybill="`+wb+`"]`)),
		chromedp.WaitVisible(css("#pickup-id-need")),
	)
	if !uitest.Eval[bool](t, ctx, `document.querySelector('#pickup-confirm').disabled`) {
		t.Error("the hand-out button works before the card is read")
	}
	if got := uitest.Text(t, ctx, "#pickup-id-need"); !strings.Contains(got, "1000 元") || !strings.Contains(got, "身份证") {
		t.Errorf("the page says %q, want why the card is needed (1000 元)", got)
	}
	if got := uitest.Text(t, ctx, "#pickup-results .badge-value"); got != "贵重 2500 元" {
		t.Errorf("the parcel's badge says %q, want 贵重 2500 元", got)
	}
	if got := uitest.Text(t, ctx, "#pickup-read-card"); got != "读取件人身份证" {
		t.Errorf("the card button says %q, want 读取件人身份证", got)
	}
	uitest.Shot(t, ctx, "kiosk-pickup-id-required")

	card := idcard.DemoCards()[1]
	if err := d.reader.PlaceCard(card); err != nil {
		t.Fatal(err)
	}
	d.waitCard(t)
	uitest.Do(t, ctx, "read the card and hand out",
		chromedp.Click(css("#pickup-read-card")),
		chromedp.WaitVisible(css("#pickup-card")),
		chromedp.WaitNotVisible(css("#pickup-id-need")),
		browserUntil(`!document.querySelector('#pickup-confirm').disabled`),
		chromedp.Click(css("#pickup-confirm")),
		chromedp.WaitVisible(css("#pickup-msg.msg-ok")),
	)
	payload := browserLastOp(t, s, string(syncproto.KindParcelsPickedUp))
	if !strings.Contains(payload, wb) || !strings.Contains(payload, `"id_source":"card"`) || strings.Contains(payload, card.Number) {
		t.Errorf("the pickup's op: %s; want the card read, without the full number", payload)
	}
	for _, p := range jsProblems() {
		t.Errorf("page: %s", p)
	}
}

// TestBrowserDayCloseReconciles: after a day of scanning in, handing out
// and sending, day close shows figures that match the books; a stocktake
// that misses a parcel makes it say the shelves and books differ, naming
// the parcel, until the day is closed with it on record.
func TestBrowserDayCloseReconciles(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: 1024, Height: 768})
	s := browserNewStation(t)
	bg := context.Background()
	wbs := browserManifest(t, s.st, 600, 3)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	browserLogin(t, ctx, s)
	for _, wb := range wbs {
		if err := browserTry(ctx, browserScan(wb), browserUntil(`document.querySelector('#inbound-result-details').textContent.includes('`+wb+`')`)); err != nil {
			t.Fatalf("scan %s: %v; the page says %q", wb, err, uitest.Text(t, ctx, "#inbound-msg"))
		}
	}
	if _, err := s.st.Pickup(bg, "li", station.PickupInput{Waybills: wbs[:1]}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.Send(bg, "li", station.SendInput{Carrier: "zto", WeightGrams: 1200,
		Sender:   station.PartyInput{Name: "吴测试", Phone: "13900006001", IDNumber: "11010519491231002X"},
		Receiver: station.PartyInput{Name: "郑测试", Phone: "13900006002", Province: "浙江", Address: "杭州市西湖区"}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // today is counted up to now: past the send's millisecond
	rep, err := s.st.DayReport(bg, s.st.Today())
	if err != nil {
		t.Fatal(err)
	}
	uitest.Do(t, ctx, "open day close",
		chromedp.Click(css(`#tabs [data-tab="dayclose"]`)),
		chromedp.WaitVisible(css("#dayclose-recon")),
	)
	want := fmt.Sprintf("昨日在架 %d + 入库 %d − 出库 %d − 退回 %d = 今日在架 %d",
		rep.OpeningOnShelf, rep.Total.In, rep.Total.Out, rep.Total.Returns, rep.ExpectedOnShelf)
	if got := uitest.Text(t, ctx, "#dayclose-formula"); got != want {
		t.Errorf("reconciliation shows %q, want %q", got, want)
	}
	if got := uitest.Text(t, ctx, "#dayclose-mismatch"); !strings.Contains(got, "账实相符") {
		t.Errorf("page says %q, want 账实相符", got)
	}
	for i, want := range []int{rep.Total.In, rep.Total.Out, rep.Total.Sent} {
		if got := uitest.Text(t, ctx, fmt.Sprintf("#dayclose-table tfoot td:nth-child(%d)", i+2)); got != strconv.Itoa(want) {
			t.Errorf("the total row's column %d says %s, want %d", i+2, got, want)
		}
	}
	if rep.Total.Sent < 1 || rep.Total.Out < 1 || rep.Total.In < 3 {
		t.Errorf("the day's figures %+v lack the test's in, out and send", rep.Total)
	}

	// A count of the shelf of wbs[1] that does not find it.
	p, err := s.st.Timeline(bg, wbs[1])
	if err != nil || len(p) == 0 {
		t.Fatalf("timeline of %s: %v", wbs[1], err)
	}
	shelf := p[0].Parcel.Shelf
	stk, err := s.st.Stocktake(bg, "li", shelf, browserShelfScans(t, s, shelf, wbs[1]))
	if err != nil {
		t.Fatal(err)
	}
	if len(stk.Missing) != 1 || stk.Missing[0].Waybill != wbs[1] {
		t.Fatalf("the stocktake misses %+v, want only %s", stk.Missing, wbs[1])
	}
	uitest.Do(t, ctx, "home says so",
		chromedp.Click(css(`#tabs [data-tab="home"]`)),
		browserUntil(`document.querySelector('#home-alerts').textContent.includes('盘点有 1 件没找到')`),
	)
	uitest.Do(t, ctx, "day close again",
		chromedp.Click(css(`#tabs [data-tab="dayclose"]`)),
		chromedp.Click(css("#dayclose-load")),
		chromedp.WaitVisible(css("#dayclose-missing")),
	)
	if got := uitest.Text(t, ctx, "#dayclose-missing"); !strings.Contains(got, "盘点没找到 1 件") || !strings.Contains(got, wbs[1]) {
		t.Errorf("the page says %q, want 盘点没找到 1 件 naming %s", got, wbs[1])
	}
	if got := uitest.Text(t, ctx, "#dayclose-mismatch"); !strings.Contains(got, "账实不符") {
		t.Errorf("page says %q, want 账实不符", got)
	}
	uitest.Shot(t, ctx, "kiosk-dayclose-mismatch")
	uitest.Do(t, ctx, "close the day with it",
		chromedp.Click(css("#dayclose-close")),
		chromedp.WaitVisible(css("#modal")),
	)
	if got := uitest.Text(t, ctx, "#modal"); !strings.Contains(got, "盘点还有 1 件没找到") {
		t.Errorf("the confirmation says %q, want it to warn of the missing parcel", got)
	}
	uitest.Do(t, ctx, "confirm", chromedp.Click(css("#modal-ok")), chromedp.WaitVisible(css("#dayclose-state.closed")))
	if got := browserLastOp(t, s, string(syncproto.KindDayClosed)); !strings.Contains(got, `"stocktake_missing":1`) {
		t.Errorf("the day close's op: %s; want stocktake_missing 1", got)
	}
	for _, pr := range jsProblems() {
		t.Errorf("page: %s", pr)
	}
}

// browserShelfScans is a count of shelf finding every parcel the books
// have on it but missing.
func browserShelfScans(t testing.TB, s browserStation, shelf int, missing string) []station.StocktakeScan {
	t.Helper()
	rows, err := s.st.Store().DB().Query("SELECT waybill FROM parcels WHERE direction = 'in' AND shelf = ? AND waybill <> ?", shelf, missing)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []station.StocktakeScan
	for rows.Next() {
		var wb string
		if err := rows.Scan(&wb); err != nil {
			t.Fatal(err)
		}
		out = append(out, station.StocktakeScan{Waybill: wb})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
