package public_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cunyou/hub/public"
)

// browserChromium is where CI installs Chromium (apt-get install chromium).
const browserChromium = "/usr/bin/chromium"

// A phone's screen: 360×640 CSS pixels at twice the density.
const phoneW, phoneH = 360, 640

// browserOpen starts a headless Chromium with a fresh profile, emulating
// a phone. It collects what the page reports as broken (uncaught
// exceptions, console errors and warnings — a CSP violation among them;
// not the HTTP errors the API answers on purpose); the returned func
// lists them.
func browserOpen(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	if _, err := os.Stat(browserChromium); err != nil {
		requireOrSkipf(t, "no %s: the browser test needs Chromium (CI installs it: apt-get install chromium fonts-noto-cjk)", browserChromium)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browserChromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(phoneW, phoneH),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	// Registered after t.TempDir, so it runs first: the browser is gone
	// before its profile folder is removed.
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	// The first run starts the browser and must have no timeout.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(phoneW, phoneH, chromedp.EmulateScale(2), chromedp.EmulateMobile,
		chromedp.EmulateTouch)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	var mu sync.Mutex
	var problems []string
	console := chromedp.Console(ctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			bad := m.IsException() ||
				(m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning) && m.Source != "network"
			if bad {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(problems)
	}
}

const browserStepTimeout = 20 * time.Second

func browserDo(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserStepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

func browserGet[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserStepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func browserText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return browserGet(t, ctx, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

func browserEval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	return browserGet(t, ctx, "evaluate "+js, chromedp.Evaluate[T](js))
}

func browserShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shot := browserGet(t, ctx, "screenshot", chromedp.CaptureScreenshot())
	p := filepath.Join(os.TempDir(), name)
	if err := os.WriteFile(p, shot, 0o644); err != nil {
		t.Errorf("save screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", p)
}

// TestBrowserPublicPage drives the page in a real Chromium on a phone's
// screen: paste a waybill from a message and track it, follow the hint to
// My parcels, prove the phone and see the pickup code in large type; find
// a station and the day's buses; switch to English.
func TestBrowserPublicPage(t *testing.T) {
	ctx, jsProblems := browserOpen(t)
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
		if w := browserEval[int](t, ctx, `document.documentElement.scrollWidth`); w > phoneW {
			t.Errorf("%s: the page is %d px wide on a %d px screen", step, w, phoneW)
		}
	}

	browserDo(t, ctx, "open the page",
		chromedp.Navigate(srv.URL+"/q/"),
		chromedp.WaitVisible(css("#track-q")),
	)
	if title := browserGet(t, ctx, "title", chromedp.Title()); title != "村邮 · 快递查询" {
		t.Errorf("title %q", title)
	}
	fits("home")
	browserShot(t, ctx, "public-home.png")

	// Pasted as it comes in a shop's message.
	browserDo(t, ctx, "track a pasted waybill",
		chromedp.SendKeys(css("#track-q"), "【中通快递】您的运单号："+wbArrived+"\r"),
		chromedp.WaitVisible(css("#track-result .parcel .status")),
	)
	if got := browserText(t, ctx, "#track-result .parcel .status"); got != "已到驿站，待取件" {
		t.Errorf("status %q", got)
	}
	if got := browserEval[string](t, ctx, `location.hash`); got != "#/track/"+wbArrived {
		t.Errorf("hash %q: the waybill was not taken out of the message", got)
	}
	if got := browserText(t, ctx, "#track-result .timeline li:first-child .ev-text"); got != "已到达福兴村驿站，取件码请见短信" {
		t.Errorf("newest event %q", got)
	}
	if got := browserText(t, ctx, "#track-result .station .station-name"); got != "福兴村驿站" {
		t.Errorf("station %q", got)
	}
	if got := browserText(t, ctx, "#track-result .receiver"); !strings.Contains(got, "王*英 139****5678") {
		t.Errorf("receiver %q, want masked", got)
	}
	if tel := browserEval[string](t, ctx, `document.querySelector("#track-result .station a.call").getAttribute("href")`); tel != "tel:04556221234" {
		t.Errorf("call link %q", tel)
	}
	page := browserText(t, ctx, "body")
	if strings.Contains(page, codeWang) || strings.Contains(page, phoneWang) {
		t.Error("the tracking page shows the pickup code or the full phone")
	}
	fits("track")
	browserShot(t, ctx, "public-track.png")

	browserDo(t, ctx, "follow the hint to My parcels",
		chromedp.Click(css("#track-result .code-hint a")),
		chromedp.WaitVisible(css("#mine-phone")),
	)
	browserDo(t, ctx, "a wrong tail",
		chromedp.SendKeys(css("#mine-phone"), "139 1234 5678"),
		chromedp.SendKeys(css("#mine-tail"), "9999\r"),
		chromedp.WaitVisible(css("#mine-msg")),
	)
	if msg := browserText(t, ctx, "#mine-msg"); !strings.HasPrefix(msg, "手机号或运单尾号不对") {
		t.Errorf("wrong tail says %q", msg)
	}
	browserEval[string](t, ctx, `document.querySelector("#mine-tail").value = ""`)
	browserDo(t, ctx, "the right tail",
		chromedp.SendKeys(css("#mine-tail"), wbArrived[len(wbArrived)-4:]+"\r"),
		chromedp.WaitVisible(css("#mine-result .pickup .code")),
	)
	if code := browserText(t, ctx, "#mine-result .pickup .code"); code != codeWang {
		t.Errorf("pickup code %q, want %s", code, codeWang)
	}
	if px := browserEval[float64](t, ctx, `parseFloat(getComputedStyle(document.querySelector("#mine-result .pickup .code")).fontSize)`); px < 40 {
		t.Errorf("the pickup code is %.0f px: too small to read", px)
	}
	if got := browserText(t, ctx, "#mine-result"); !strings.Contains(got, "在路上（1 件）") || !strings.Contains(got, wbComing) {
		t.Errorf("My parcels lacks the parcel on its way: %q", got)
	}
	fits("mine")
	browserShot(t, ctx, "public-mine.png")
	browserDo(t, ctx, "hide the codes",
		chromedp.Click(css("#mine-hide")),
		chromedp.WaitVisible(css("#mine-form")),
	)
	if n := browserEval[int](t, ctx, `document.querySelectorAll("#mine-result .code").length`); n != 0 {
		t.Error("the codes stay on screen after hiding")
	}

	browserDo(t, ctx, "find the station of a village",
		chromedp.Navigate(srv.URL+"/q/#/stations"),
		chromedp.WaitVisible(css("#stations-filter")),
		chromedp.SendKeys(css("#stations-filter"), "福兴"),
		chromedp.WaitVisible(css(`#stations-list [data-station="ST-V0201"]`)),
	)
	if got := browserText(t, ctx, `#stations-list [data-station="ST-V0201"] .state`); got != "已关门，今天 09:00 开门" {
		t.Errorf("station state %q", got)
	}
	fits("stations")

	browserDo(t, ctx, "today's buses to the village",
		chromedp.Navigate(srv.URL+"/q/#/trips/V0201"),
		chromedp.WaitVisible(css("#trips-card .trip")),
	)
	if n := browserEval[int](t, ctx, `document.querySelectorAll("#trips-card .trip").length`); n != 2 {
		t.Errorf("%d trips, want L1 07:00 and 13:30 (timetable)", n)
	}
	if v := browserEval[string](t, ctx, `document.querySelector("#trips-village").value`); v != "V0201" {
		t.Errorf("village select shows %q", v)
	}
	fits("trips")
	browserShot(t, ctx, "public-trips.png")

	browserDo(t, ctx, "switch to English and track again",
		chromedp.Navigate(srv.URL+"/q/#/track/"+wbArrived),
		chromedp.WaitVisible(css("#track-result .parcel .status")),
		chromedp.Click(css("#lang")),
		chromedp.Poll[chromedp.Void](`(document.querySelector("#track-result .parcel .status") || {}).textContent === "At the station, ready to collect"`),
	)
	if got := browserText(t, ctx, "#top .brand"); got != "Cunyou parcels" {
		t.Errorf("brand in English %q", got)
	}

	if ps := jsProblems(); len(ps) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(ps, "\n"))
	}
}
