package kiosk_test

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cunyou/edge/demo"
	"cunyou/edge/kiosk"
	"cunyou/edge/station"
	"cunyou/edge/store"
	"cunyou/syncproto"
	"cunyou/ui"
	"cunyou/ui/uitest"
	"cunyou/waybill"
)

// browserStation is a demo station on a real SQLite file behind a real
// kiosk server, serving the embedded page.
type browserStation struct {
	st  *station.Station
	srv *httptest.Server
}

func browserNewStation(t testing.TB) browserStation {
	t.Helper()
	return browserNewNode(t, "ST-V0101", syncproto.NodeStation, func(ctx context.Context, st *station.Station) (bool, error) { return demo.Seed(ctx, st, 1) })
}

// browserNewNode is a node of the demo county (a station or the centre),
// seeded, on a real SQLite file behind a real kiosk server.
func browserNewNode(t testing.TB, node string, kind syncproto.NodeKind, seed func(context.Context, *station.Station) (bool, error)) browserStation {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "edge.db"), store.Options{Node: node, Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := station.New(db, time.FixedZone("CST", 8*3600))
	if _, err := seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	uiFS, err := ui.Kiosk("")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := httptest.NewServer(kiosk.New(st, logger, "test", uiFS))
	t.Cleanup(srv.Close)
	return browserStation{st: st, srv: srv}
}

// browserFreeTail picks four digits that find nothing at the station yet,
// neither as a pickup code nor as a phone tail, so that a pickup search
// for them finds only the parcel the test shelves.
func browserFreeTail(t testing.TB, st *station.Station) string {
	t.Helper()
	for _, tail := range []string{"5678", "2468", "1357", "8642", "9753", "3141", "2718", "1618"} {
		n, _ := strconv.Atoi(tail)
		var hits int
		err := st.Store().DB().QueryRow("SELECT count(*) FROM parcels WHERE shelf IS NOT NULL AND (code_num = ? OR phone_tail = ?)", n, tail).Scan(&hits)
		if err != nil {
			t.Fatal(err)
		}
		if hits == 0 {
			return tail
		}
	}
	t.Fatal("no free phone tail among the candidates")
	return ""
}

// TestBrowserKioskDay drives the kiosk page in a real Chromium through a
// clerk's day: log in, scan a parcel the manifest lacks (typed like a scan
// gun: keys then Enter into whatever has the focus), give its phone, see
// the pickup code; hand it out by the phone's last four digits; find it
// gone; see and close the day with its reconciliation.
func TestBrowserKioskDay(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: 1024, Height: 768})
	s := browserNewStation(t)
	const wb = "73123456789012"
	tail := browserFreeTail(t, s.st)
	phone := "1391234" + tail
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	focused := func() string { return uitest.Eval[string](t, ctx, `document.activeElement.id`) }

	uitest.Do(t, ctx, "log in as clerk",
		chromedp.Navigate(s.srv.URL+"/"),
		chromedp.WaitVisible(css("#login-form")),
		chromedp.SendKeys(css("#login-username"), demo.ClerkUser),
		chromedp.SendKeys(css("#login-secret"), demo.ClerkPIN+"\r"),
		chromedp.WaitVisible(css("#inbound-scan")),
	)
	name, role := uitest.Text(t, ctx, "#who-name"), uitest.Text(t, ctx, "#who-role")
	title := uitest.Get(t, ctx, "title", chromedp.Title())
	if name != "李店员" || role != "店员" || title != "村邮驿站" {
		t.Errorf("header shows %q %q, title %q; want 李店员 店员, 村邮驿站", name, role, title)
	}
	if uitest.Eval[bool](t, ctx, `!document.querySelector('#tabs [data-tab="settings"]').hidden`) {
		t.Error("a clerk sees the settings tab")
	}
	if got := focused(); got != "inbound-scan" {
		t.Fatalf("after login the focus is on %q, want the scan field", got)
	}

	// The scan gun types into whatever has the focus: the test does not
	// choose the field.
	uitest.Do(t, ctx, "scan a waybill the manifest lacks",
		chromedp.KeyEvent(wb+"\r"),
		chromedp.WaitVisible(css("#inbound-receiver")),
	)
	if msg := uitest.Text(t, ctx, "#inbound-msg"); !strings.Contains(msg, "手机号") {
		t.Errorf("receiver prompt says %q, want the server's Chinese sentence asking for the phone", msg)
	}
	if got := focused(); got != "inbound-phone" {
		t.Errorf("the receiver form focuses %q, want the phone field", got)
	}
	uitest.Do(t, ctx, "give the receiver and shelve",
		chromedp.SendKeys(css("#inbound-name"), "赵测试"),
		chromedp.SendKeys(css("#inbound-phone"), phone+"\r"),
		chromedp.WaitVisible(css("#inbound-result")),
		chromedp.WaitNotVisible(css("#inbound-receiver")),
	)
	code := uitest.Text(t, ctx, "#inbound-code")
	if !regexp.MustCompile(`^\d+-\d-\d{4}$`).MatchString(code) {
		t.Fatalf("pickup code on screen is %q, want shelf-layer-NNNN", code)
	}
	if status := uitest.Text(t, ctx, "#inbound-result-status"); !strings.HasPrefix(status, "入库成功") {
		t.Errorf("result says %q, want 入库成功…", status)
	}
	uitest.Shot(t, ctx, "kiosk-inbound-receiver")
	if got := focused(); got != "inbound-scan" {
		t.Errorf("after shelving the focus is on %q, want the scan field", got)
	}

	uitest.Do(t, ctx, "scan it again",
		chromedp.KeyEvent(wb+"\r"),
		chromedp.WaitVisible(css("#inbound-result.repeat")),
	)
	if again, code2 := uitest.Text(t, ctx, "#inbound-result-status"), uitest.Text(t, ctx, "#inbound-code"); again != "已入库（重复扫描）" || code2 != code {
		t.Errorf("repeat scan shows %q code %q, want 已入库（重复扫描） and %s", again, code2, code)
	}

	// Pickup by the phone's last four digits.
	uitest.Do(t, ctx, "search by phone tail",
		chromedp.Click(css(`#tabs [data-tab="pickup"]`)),
		chromedp.WaitVisible(css("#pickup-q")),
	)
	if got := focused(); got != "pickup-q" {
		t.Errorf("the pickup tab focuses %q, want the search field", got)
	}
	uitest.Do(t, ctx, "search by phone tail",
		chromedp.KeyEvent(tail+"\r"),
		chromedp.WaitReady(css(`#pickup-results[data-state="done"]`)),
	)
	box := `#pickup-results input.pick[data-waybill="` + wb + `"]`
	if !uitest.Eval[bool](t, ctx, `!!document.querySelector('`+box+`')`) {
		t.Fatalf("search %s does not list %s; page shows %q", tail, wb, uitest.Text(t, ctx, "#pickup-results"))
	}
	if !uitest.Eval[bool](t, ctx, `document.querySelector('`+box+`').checked`) {
		t.Error("the only receiver's parcel is not ticked")
	}
	uitest.Shot(t, ctx, "kiosk-pickup")
	uitest.Do(t, ctx, "hand out",
		chromedp.Click(css("#pickup-confirm")),
		chromedp.WaitVisible(css("#pickup-msg.msg-ok")),
	)
	if done := uitest.Text(t, ctx, "#pickup-msg"); !strings.Contains(done, "取件成功") || !strings.Contains(done, code) {
		t.Errorf("pickup says %q, want 取件成功 with code %s", done, code)
	}
	uitest.Do(t, ctx, "search again",
		chromedp.KeyEvent(tail+"\r"),
		chromedp.WaitReady(css(`#pickup-results[data-state="done"]`)),
		chromedp.WaitVisible(css("#pickup-empty")),
	)
	if uitest.Eval[bool](t, ctx, `!!document.querySelector('#pickup-results [data-waybill="`+wb+`"]')`) {
		t.Error("the parcel handed out is still offered for pickup")
	}
	if empty := uitest.Text(t, ctx, "#pickup-empty"); !strings.Contains(empty, "没有找到") {
		t.Errorf("second search says %q, want 没有找到…", empty)
	}

	// Day close shows the server's reconciliation, then closes the day.
	rep, err := s.st.DayReport(context.Background(), s.st.Today())
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
	if mismatch := uitest.Text(t, ctx, "#dayclose-mismatch"); rep.Mismatch != 0 || !strings.Contains(mismatch, "账实相符") {
		t.Errorf("mismatch %d, page says %q; want 0 and 账实相符", rep.Mismatch, mismatch)
	}
	if rows := uitest.Eval[int](t, ctx, `document.querySelectorAll('#dayclose-table tbody tr').length`); rows < 2 {
		t.Errorf("day close table has %d carrier rows, want one per carrier of the demo day", rows)
	}
	uitest.Do(t, ctx, "close the day",
		chromedp.Click(css("#dayclose-close")),
		chromedp.WaitVisible(css("#modal")),
		chromedp.Click(css("#modal-ok")),
		chromedp.WaitVisible(css("#dayclose-state.closed")),
	)
	uitest.Shot(t, ctx, "kiosk-dayclose")
	if closed := uitest.Text(t, ctx, "#dayclose-state"); !strings.Contains(closed, "已日结") || !strings.Contains(closed, demo.ClerkUser) {
		t.Errorf("day state says %q, want 已日结 by %s", closed, demo.ClerkUser)
	}

	for _, p := range jsProblems() {
		t.Errorf("page: %s", p)
	}
}

// TestBrowserLabelsCoverCodes checks that the page has a label, in every
// language, for each problem reason and carrier code the server sends.
func TestBrowserLabelsCoverCodes(t *testing.T) {
	fsys, err := ui.Kiosk("")
	if err != nil {
		t.Fatal(err)
	}
	src, err := fs.ReadFile(fsys, "i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range syncproto.ProblemReasons {
		want = append(want, "reason."+r)
	}
	for _, c := range waybill.Carriers() {
		want = append(want, "carrier."+c.Code)
	}
	for _, k := range want {
		if n := strings.Count(string(src), `"`+k+`":`); n != 2 {
			t.Errorf("i18n.js has %q %d times, want once per language (2)", k, n)
		}
	}
}
