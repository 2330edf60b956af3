package kiosk_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cunyou/edge/demo"
	"cunyou/edge/station"
	"cunyou/ui/uitest"
)

// browserLogin opens the page and logs the demo clerk in.
func browserLogin(t testing.TB, ctx context.Context, s browserStation) {
	t.Helper()
	uitest.Do(t, ctx, "log in as clerk",
		chromedp.Navigate(s.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#login-username"), demo.ClerkUser),
		chromedp.SendKeys(chromedp.CSS("#login-secret"), demo.ClerkPIN+"\r"),
		chromedp.WaitVisible(chromedp.CSS("#inbound-scan")),
	)
}

// browserManifest announces n parcels for the station, as the hub's
// manifest would, and returns their waybills: each scans in without a
// question.
func browserManifest(t testing.TB, st *station.Station, first, n int) []string {
	t.Helper()
	var es []station.ManifestEntry
	var wbs []string
	for i := range n {
		wb := fmt.Sprintf("73%012d", 555000000000+first+i)
		wbs = append(wbs, wb)
		es = append(es, station.ManifestEntry{Waybill: wb, Carrier: "zto", ReceiverName: "钱测试",
			ReceiverPhone: fmt.Sprintf("1380000%04d", first+i)})
	}
	if err := st.ApplyManifest(context.Background(), es); err != nil {
		t.Fatal(err)
	}
	return wbs
}

// browserScan types code then Enter as a scan gun does: one burst, the
// keys dispatched one after the other with no pause.
func browserScan(code string) chromedp.Action[chromedp.Void] { return chromedp.KeyEvent(code + "\r") }

// browserTypeByHand types text a key at a time, as a person does.
func browserTypeByHand(t testing.TB, ctx context.Context, text string) {
	t.Helper()
	for _, r := range text {
		uitest.Do(t, ctx, "type "+string(r), chromedp.KeyEvent(string(r)))
		time.Sleep(90 * time.Millisecond)
	}
}

// TestBrowserWedgeScan checks the scan-gun rule: a burst of keys ending
// in Enter is a scan wherever the focus is, and goes to the screen in view
// (the typing it put into a field taken back out); the same keys typed by
// hand stay typing. Each outcome of an inbound scan has its own sound.
func TestBrowserWedgeScan(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: 1024, Height: 768})
	s := browserNewStation(t)
	wbs := browserManifest(t, s.st, 0, 2)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	scans := func() int { return uitest.Eval[int](t, ctx, `window.kioskPerf.scans.length`) }
	sounds := func() []string { return uitest.Eval[[]string](t, ctx, `window.kioskPerf.sounds`) }
	value := func(sel string) string { return uitest.Eval[string](t, ctx, `document.querySelector('`+sel+`').value`) }
	browserLogin(t, ctx, s)

	// Inbound with the focus on nothing at all.
	uitest.Do(t, ctx, "scan with no focus",
		chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`),
		browserScan(wbs[0]),
		chromedp.WaitVisible(css("#inbound-result")),
	)
	code := uitest.Text(t, ctx, "#inbound-code")
	if code == "" || scans() != 1 {
		t.Fatalf("after one scan: code %q, %d scans; want a code and 1 scan", code, scans())
	}
	uitest.Do(t, ctx, "scan it again", browserScan(wbs[0]), chromedp.WaitVisible(css("#inbound-result.repeat")))
	uitest.Do(t, ctx, "scan a code that is no waybill", browserScan("ABC!"), chromedp.WaitVisible(css("#inbound-msg.msg-error")))
	if got, want := sounds(), []string{"new", "repeat", "error"}; !slices.Equal(got, want) {
		t.Errorf("sounds %v, want %v: new, already in, error each its own", got, want)
	}
	if v := value("#inbound-scan"); v != "" {
		t.Errorf("the scan field keeps %q after the scans", v)
	}
	uitest.Shot(t, ctx, "kiosk-inbound")

	// On the send screen, in the middle of typing a name: the burst goes
	// to the waybill field, the name keeps what was typed by hand.
	uitest.Do(t, ctx, "open send", chromedp.Click(css(`#tabs [data-tab="send"]`)), chromedp.Click(css("#send-receiver-name")))
	browserTypeByHand(t, ctx, "Wang")
	time.Sleep(300 * time.Millisecond) // a hand from the keyboard to the gun
	uitest.Do(t, ctx, "scan a label's waybill into the name field", browserScan("78100000000123"))
	if got := value("#send-waybill"); got != "78100000000123" {
		t.Errorf("send waybill is %q after the scan, want the code scanned", got)
	}
	if got := value("#send-receiver-name"); got != "Wang" {
		t.Errorf("the name field holds %q after a scan landed in it, want what was typed by hand (Wang)", got)
	}
	if n := scans(); n != 4 {
		t.Errorf("%d scans, want 4", n)
	}

	// Typed by hand into the pickup search, Enter included: a search, but
	// not a scan.
	uitest.Do(t, ctx, "open pickup", chromedp.Click(css(`#tabs [data-tab="pickup"]`)), chromedp.WaitVisible(css("#pickup-q")))
	browserTypeByHand(t, ctx, "13800000000")
	time.Sleep(90 * time.Millisecond)
	uitest.Do(t, ctx, "Enter by hand", chromedp.KeyEvent("\r"), chromedp.WaitReady(css(`#pickup-results[data-state="done"]`)))
	if n := scans(); n != 4 {
		t.Errorf("typing by hand was taken for a scan: %d scans, want still 4", n)
	}
	if !strings.Contains(uitest.Text(t, ctx, "#pickup-results"), code) {
		t.Errorf("the search typed by hand finds %q, want the parcel scanned in", uitest.Text(t, ctx, "#pickup-results"))
	}

	for _, p := range jsProblems() {
		t.Errorf("page: %s", p)
	}
}

// TestBrowserInboundBag scans a bag in by wedge bursts with a printer on:
// each code shown, the bag's counts, each pickup sticker printed.
func TestBrowserInboundBag(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: 1024, Height: 768})
	s := browserNewStation(t)
	d := browserAddDevices(t, s)
	wbs := browserManifest(t, s.st, 100, 3)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	browserLogin(t, ctx, s)
	var codes []string
	for i, wb := range append(wbs, wbs[0]) {
		uitest.Do(t, ctx, "scan "+wb,
			browserScan(wb),
			browserUntil(fmt.Sprintf(`window.kioskPerf.sounds.length === %d`, i+1)),
			chromedp.WaitVisible(css("#inbound-result")),
		)
		codes = append(codes, uitest.Text(t, ctx, "#inbound-code"))
	}
	if codes[3] != codes[0] {
		t.Errorf("the repeat scan shows %q, want the first code %q", codes[3], codes[0])
	}
	if got := uitest.Text(t, ctx, "#inbound-bag"); !strings.Contains(got, "新入库 3") || !strings.Contains(got, "重复 1") {
		t.Errorf("bag summary says %q, want 新入库 3 and 重复 1", got)
	}
	uitest.Do(t, ctx, "scan the last again",
		browserScan(wbs[2]), // a repeat: no new sticker
		browserUntil(`window.kioskPerf.sounds.length === 5`),
	)
	wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	got, err := d.labels.Wait(wctx, 3)
	cancel()
	if err != nil {
		t.Fatalf("3 stickers are not printed: %v", err)
	}
	printed := ""
	for _, l := range got {
		printed += strings.Join(l.Texts(), " ") + "\n"
	}
	for _, c := range codes[:3] {
		if !strings.Contains(printed, c) {
			t.Errorf("no sticker printed with code %s; printed:\n%s", c, printed)
		}
	}
	uitest.Do(t, ctx, "start the next bag",
		chromedp.Click(css("#inbound-bag-next")),
	)
	if got := uitest.Text(t, ctx, "#inbound-bag"); !strings.Contains(got, "新入库 0") {
		t.Errorf("after 开始下一袋 the bag says %q, want 新入库 0", got)
	}
	wb := browserManifest(t, s.st, 200, 1)[0]
	uitest.Do(t, ctx, "scan a parcel of the next bag",
		browserScan(wb),
		chromedp.WaitVisible(css(`#inbound-sticker[data-status="printed"]`)),
	)
	uitest.Shot(t, ctx, "kiosk-inbound-bag")
	for _, p := range jsProblems() {
		t.Errorf("page: %s", p)
	}
}
