package public_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cunyou/hub/public"
	"cunyou/ui/uitest"
)

// A phone's screen: 360×640 CSS pixels at twice the density.
const phoneW, phoneH = 360, 640

// TestBrowserPublicPage drives the page in a real Chromium on a phone's
// screen: paste a waybill from a message and track it, follow the hint to
// My parcels, prove the phone and see the pickup code in large type; find
// a station and the day's buses; switch to English.
func TestBrowserPublicPage(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: phoneW, Height: phoneH, Phone: true})
	e := newEnv(t, public.Limits{})
	setContact(t, e, stFuxing, "0455-6221234")
	e.journey(t)
	mux := http.NewServeMux()
	mux.Handle(public.Prefix, e.h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	fits := func(step string) {
		t.Helper()
		if w := uitest.Eval[int](t, ctx, `document.documentElement.scrollWidth`); w > phoneW {
			t.Errorf("%s: the page is %d px wide on a %d px screen", step, w, phoneW)
		}
	}

	uitest.Do(t, ctx, "open the page",
		chromedp.Navigate(srv.URL+"/q/"),
		chromedp.WaitVisible(css("#track-q")),
	)
	if title := uitest.Get(t, ctx, "title", chromedp.Title()); title != "村邮 · 快递查询" {
		t.Errorf("title %q", title)
	}
	fits("home")
	uitest.Shot(t, ctx, "public-home")

	// Pasted as it comes in a shop's message.
	uitest.Do(t, ctx, "track a pasted waybill",
		chromedp.SendKeys(css("#track-q"), "【中通快递】您的运单号："+wbArrived+"\r"),
		chromedp.WaitVisible(css("#track-result .parcel .status")),
	)
	if got := uitest.Text(t, ctx, "#track-result .parcel .status"); got != "已到驿站，待取件" {
		t.Errorf("status %q", got)
	}
	if got := uitest.Eval[string](t, ctx, `location.hash`); got != "#/track/"+wbArrived {
		t.Errorf("hash %q: the waybill was not taken out of the message", got)
	}
	if got := uitest.Text(t, ctx, "#track-result .timeline li:first-child .ev-text"); got != "已到达福兴村驿站，取件码请见短信" {
		t.Errorf("newest event %q", got)
	}
	if got := uitest.Text(t, ctx, "#track-result .station .station-name"); got != "福兴村驿站" {
		t.Errorf("station %q", got)
	}
	if got := uitest.Text(t, ctx, "#track-result .receiver"); !strings.Contains(got, "王*英 139****5678") {
		t.Errorf("receiver %q, want masked", got)
	}
	if tel := uitest.Eval[string](t, ctx, `document.querySelector("#track-result .station a.call").getAttribute("href")`); tel != "tel:04556221234" {
		t.Errorf("call link %q", tel)
	}
	page := uitest.Text(t, ctx, "body")
	if strings.Contains(page, codeWang) || strings.Contains(page, phoneWang) {
		t.Error("the tracking page shows the pickup code or the full phone")
	}
	fits("track")
	uitest.Shot(t, ctx, "public-track")

	uitest.Do(t, ctx, "follow the hint to My parcels",
		chromedp.Click(css("#track-result .code-hint a")),
		chromedp.WaitVisible(css("#mine-phone")),
	)
	uitest.Do(t, ctx, "a wrong tail",
		chromedp.SendKeys(css("#mine-phone"), "139 1234 5678"),
		chromedp.SendKeys(css("#mine-tail"), "9999\r"),
		chromedp.WaitVisible(css("#mine-msg")),
	)
	if msg := uitest.Text(t, ctx, "#mine-msg"); !strings.HasPrefix(msg, "手机号或运单尾号不对") {
		t.Errorf("wrong tail says %q", msg)
	}
	uitest.Eval[string](t, ctx, `document.querySelector("#mine-tail").value = ""`)
	uitest.Do(t, ctx, "the right tail",
		chromedp.SendKeys(css("#mine-tail"), wbArrived[len(wbArrived)-4:]+"\r"),
		chromedp.WaitVisible(css("#mine-result .pickup .code")),
	)
	if code := uitest.Text(t, ctx, "#mine-result .pickup .code"); code != codeWang {
		t.Errorf("pickup code %q, want %s", code, codeWang)
	}
	if px := uitest.Eval[float64](t, ctx, `parseFloat(getComputedStyle(document.querySelector("#mine-result .pickup .code")).fontSize)`); px < 40 {
		t.Errorf("the pickup code is %.0f px: too small to read", px)
	}
	if got := uitest.Text(t, ctx, "#mine-result"); !strings.Contains(got, "在路上（1 件）") || !strings.Contains(got, wbComing) {
		t.Errorf("My parcels lacks the parcel on its way: %q", got)
	}
	fits("mine")
	uitest.Shot(t, ctx, "public-mine")
	uitest.Do(t, ctx, "hide the codes",
		chromedp.Click(css("#mine-hide")),
		chromedp.WaitVisible(css("#mine-form")),
	)
	if n := uitest.Eval[int](t, ctx, `document.querySelectorAll("#mine-result .code").length`); n != 0 {
		t.Error("the codes stay on screen after hiding")
	}

	uitest.Do(t, ctx, "find the station of a village",
		chromedp.Navigate(srv.URL+"/q/#/stations"),
		chromedp.WaitVisible(css("#stations-filter")),
		chromedp.SendKeys(css("#stations-filter"), "福兴"),
		chromedp.WaitVisible(css(`#stations-list [data-station="ST-V0201"]`)),
	)
	if got := uitest.Text(t, ctx, `#stations-list [data-station="ST-V0201"] .state`); got != "已关门，今天 09:00 开门" {
		t.Errorf("station state %q", got)
	}
	fits("stations")

	uitest.Do(t, ctx, "today's buses to the village",
		chromedp.Navigate(srv.URL+"/q/#/trips/V0201"),
		chromedp.WaitVisible(css("#trips-card .trip")),
	)
	if n := uitest.Eval[int](t, ctx, `document.querySelectorAll("#trips-card .trip").length`); n != 2 {
		t.Errorf("%d trips, want L1 07:00 and 13:30 (timetable)", n)
	}
	if v := uitest.Eval[string](t, ctx, `document.querySelector("#trips-village").value`); v != "V0201" {
		t.Errorf("village select shows %q", v)
	}
	fits("trips")
	uitest.Shot(t, ctx, "public-trips")

	uitest.Do(t, ctx, "switch to English and track again",
		chromedp.Navigate(srv.URL+"/q/#/track/"+wbArrived),
		chromedp.WaitVisible(css("#track-result .parcel .status")),
		chromedp.Click(css("#lang")),
		chromedp.Poll[chromedp.Void](`(document.querySelector("#track-result .parcel .status") || {}).textContent === "At the station, ready to collect"`),
	)
	if got := uitest.Text(t, ctx, "#top .brand"); got != "Cunyou parcels" {
		t.Errorf("brand in English %q", got)
	}

	if ps := jsProblems(); len(ps) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(ps, "\n"))
	}
}
