package kiosk_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cunyou/edge/demo"
	"cunyou/edge/station"
	"cunyou/syncproto"
	"cunyou/ui/uitest"
)

// TestBrowserCentre drives the county centre's screens: a parcel scanned
// in shows its destination and trip in large type; loaded onto its trip,
// the trip's count goes up.
func TestBrowserCentre(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: 1024, Height: 768})
	bg := context.Background()
	node := browserNewNode(t, demo.CentreNode, syncproto.NodeCentre, func(ctx context.Context, st *station.Station) (bool, error) { return demo.SeedCentre(ctx, st, 1) })
	st := node.st
	trips, err := st.Trips(bg, "")
	if err != nil {
		t.Fatal(err)
	}
	var trip station.TripInfo
	for _, tr := range trips {
		if tr.State == "planned" && len(tr.Stops) > 2 {
			trip = tr
			break
		}
	}
	if trip.ID == "" {
		t.Fatalf("no planned trip among the demo's %d", len(trips))
	}
	const wb = "73999000000001"
	if err := st.ApplyCentreManifest(bg, []station.ManifestEntry{{Waybill: wb, Carrier: "zto", ReceiverName: "吴测试", ReceiverPhone: "13900001111",
		Station: trip.Stops[1], Trip: trip.ID}}); err != nil {
		t.Fatal(err)
	}
	srv := node.srv
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	uitest.Do(t, ctx, "log in at the centre",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(css("#login-form")),
		chromedp.SendKeys(css("#login-username"), demo.ClerkUser),
		chromedp.SendKeys(css("#login-secret"), demo.ClerkPIN+"\r"),
		chromedp.WaitVisible(css("#centre-scan")),
	)
	if uitest.Eval[bool](t, ctx, `!document.querySelector('#tabs [data-tab="pickup"]').hidden`) {
		t.Error("the centre shows the station's pickup tab")
	}
	uitest.Do(t, ctx, "scan in", browserScan(wb), chromedp.WaitVisible(css(`#centre-result[data-outcome="sorted"]`)))
	code := uitest.Text(t, ctx, "#centre-code")
	if !strings.HasPrefix(code, trip.Line) {
		t.Errorf("sort code %q, want one of line %s", code, trip.Line)
	}
	if details := uitest.Text(t, ctx, "#centre-details"); !strings.Contains(details, trip.LineName) || !strings.Contains(details, trip.Departure) {
		t.Errorf("details say %q, want the trip %s %s", details, trip.LineName, trip.Departure)
	}
	uitest.Shot(t, ctx, "kiosk-centre-scan")

	uitest.Do(t, ctx, "load it",
		chromedp.Click(css(`#tabs [data-tab="load"]`)),
		chromedp.Click(css(`#load-trips [data-trip="`+trip.ID+`"]`)),
		browserScan(wb),
		chromedp.WaitVisible(css("#load-result")),
	)
	if got := uitest.Text(t, ctx, "#load-status"); !strings.Contains(got, "已装上") {
		t.Errorf("load says %q, want 已装上…", got)
	}
	after, err := st.Trips(bg, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range after {
		if tr.ID == trip.ID && (tr.Loaded != trip.Loaded+1 || !strings.Contains(uitest.Text(t, ctx, "#load-details"), strconv.Itoa(tr.Loaded))) {
			t.Errorf("the trip has %d loaded (was %d), page says %q", tr.Loaded, trip.Loaded, uitest.Text(t, ctx, "#load-details"))
		}
	}
	uitest.Do(t, ctx, "see what is left to load", chromedp.WaitVisible(css("#load-waiting-count")), browserUntil(`document.querySelector('#load-waiting-count').textContent !== ''`))
	if uitest.Eval[bool](t, ctx, `!!document.querySelector('#load-waiting [data-waybill="`+wb+`"]')`) {
		t.Errorf("the parcel loaded is still listed as left to load")
	}
	uitest.Shot(t, ctx, "kiosk-centre-load")
	uitest.Do(t, ctx, "depart",
		chromedp.Click(css("#load-depart")),
		chromedp.WaitVisible(css("#modal")),
		chromedp.Click(css("#modal-ok")),
		chromedp.WaitVisible(css("#load-msg.msg-ok")),
		chromedp.WaitNotPresent(css(`#load-trips [data-trip="`+trip.ID+`"]`)),
	)

	uitest.Do(t, ctx, "receive a return",
		chromedp.Click(css(`#tabs [data-tab="collect"]`)),
		chromedp.Click(css(`#collect-direction [data-direction="return"]`)),
		browserScan("YT1234567890123"),
		chromedp.WaitVisible(css("#collect-result")),
	)
	if got := uitest.Text(t, ctx, "#collect-status"); !strings.Contains(got, "已收下") {
		t.Errorf("receiving says %q, want 已收下…", got)
	}
	if got := uitest.Text(t, ctx, "#collect-details"); !strings.Contains(got, "退件") {
		t.Errorf("received parcel details %q, want 退件", got)
	}
	for _, p := range jsProblems() {
		t.Errorf("page: %s", p)
	}
}
