package kiosk_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cunyou/drivers/camera"
	"cunyou/drivers/idcard"
	"cunyou/drivers/printer"
	"cunyou/drivers/scanner"
	"cunyou/edge/config"
	"cunyou/edge/devices"
	"cunyou/edge/kiosk"
	"cunyou/edge/station"
	"cunyou/ui/uitest"
)

// browserDevices are the demo station's simulated devices, run by a real
// devices.Host handed to the kiosk server.
type browserDevices struct {
	host   *devices.Host
	reader *idcard.Simulator
	labels *printer.Simulator
	gun    *scanner.Simulator
}

// browserAddDevices gives the station a simulated ID-card reader, label
// printer (TSPL over TCP), serial scan gun and network camera, and waits
// until all four are ready.
func browserAddDevices(t testing.TB, s browserStation) browserDevices {
	t.Helper()
	reader, err := idcard.NewSimulator(idcard.SimOptions{})
	if errors.Is(err, idcard.ErrNoPTY) {
		requireOrSkipf(t, "no pseudo-terminal for the simulated card reader: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reader.Close() })
	labels, err := printer.NewSimulator(printer.SimOptions{Language: printer.TSPL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { labels.Close() })
	gun, err := scanner.NewSimulator(scanner.SimOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gun.Close() })
	cam, err := camera.NewSimulator(camera.SimOptions{User: "admin", Password: "demo1234"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Close() })
	s.st.PrintPickupStickers(true)
	h, err := devices.New(devices.Options{Station: s.st, RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond, Poll: 200 * time.Millisecond,
		StateFile: devices.StateFile(filepath.Dir(s.st.Store().Path())),
		Devices: []config.Device{
			{Name: "reader", Kind: config.DeviceIDCard, Port: reader.Path()},
			{Name: "labels", Kind: config.DevicePrinter, Transport: "tcp:" + labels.Addr(), Language: "tspl"},
			{Name: "gun", Kind: config.DeviceScanner, Port: gun.Path()},
			{Name: "counter", Kind: config.DeviceCameraHTTP, URL: cam.URL(), User: "admin", Password: "demo1234"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	s.srv.Config.Handler.(*kiosk.Server).SetDevices(h)
	deadline := time.Now().Add(15 * time.Second)
	for {
		ready := 0
		for _, st := range h.Statuses() {
			if st.State == devices.StateReady {
				ready++
			}
		}
		if ready == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the simulated devices are not ready: %+v", h.Statuses())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return browserDevices{host: h, reader: reader, labels: labels, gun: gun}
}

// waitCard waits until the host has read the card on the reader.
func (d browserDevices) waitCard(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, _, ok := d.host.Identity(); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the card on the simulated reader is not read")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBrowserDevices: the top bar shows the hub link and each device;
// the devices page tests each (a card read shown masked, a test label
// printed, a snapshot shown) and shows the PC check.
func TestBrowserDevices(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: 1024, Height: 768})
	s := browserNewStation(t)
	d := browserAddDevices(t, s)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	browserLogin(t, ctx, s)

	uitest.Do(t, ctx, "see the badges", chromedp.WaitVisible(css(`#badge-devices .badge.good[data-device="counter"]`)))
	if n := uitest.Eval[int](t, ctx, `document.querySelectorAll('#badge-devices .badge.good').length`); n != 4 {
		t.Errorf("%d green device badges, want 4 (reader, printer, scan gun, camera)", n)
	}
	if sync := uitest.Text(t, ctx, "#badge-sync"); !strings.Contains(sync, "待传") {
		t.Errorf("sync badge says %q, want the backlog (待传 n)", sync)
	}
	rep, err := s.st.DayReport(context.Background(), s.st.Today())
	if err != nil {
		t.Fatal(err)
	}
	uitest.Do(t, ctx, "open home",
		chromedp.Click(css(`#tabs [data-tab="home"]`)),
		browserUntil(`(document.querySelector('#home-counts [data-count="waiting"] .n') || {}).textContent > '' && document.querySelector('#home-counts [data-count="waiting"] .n').textContent !== '…'`),
	)
	if got, want := uitest.Text(t, ctx, `#home-counts [data-count="waiting"] .n`), strconv.Itoa(rep.Total.OnShelf); got != want {
		t.Errorf("home shows %s waiting on the shelves, want %s", got, want)
	}
	if got, want := uitest.Text(t, ctx, `#home-counts [data-count="in"] .n`), strconv.Itoa(rep.Total.In); got != want {
		t.Errorf("home shows %s in today, want %s", got, want)
	}
	uitest.Shot(t, ctx, "kiosk-home")

	uitest.Do(t, ctx, "open devices",
		chromedp.Click(css(`#tabs [data-tab="devices"]`)),
		chromedp.WaitVisible(css(`#devices-list [data-kind="idcard"] button.test`)),
		chromedp.WaitVisible(css(`#devices-diag tr[data-check="db.integrity"]`)),
	)
	uitest.Do(t, ctx, "read with no card", chromedp.Click(css(`#devices-list [data-kind="idcard"] button.test`)), chromedp.WaitVisible(css("#devices-test-text.warn")))
	if err := d.reader.PlaceCard(idcard.DemoCards()[0]); err != nil {
		t.Fatal(err)
	}
	d.waitCard(t)
	uitest.Do(t, ctx, "read the card", chromedp.Click(css(`#devices-list [data-kind="idcard"] button.test`)), chromedp.WaitVisible(css("#devices-test-text.ok")))
	if got := uitest.Text(t, ctx, "#devices-test-text"); !strings.Contains(got, "231221********0139") || strings.Contains(got, idcard.DemoCards()[0].Number) {
		t.Errorf("card test shows %q, want the masked number 231221********0139", got)
	}

	uitest.Do(t, ctx, "test print",
		chromedp.Click(css(`#devices-list [data-kind="printer"] button.test`)),
		chromedp.WaitVisible(css("#devices-test-img")),
		browserUntil(`document.querySelector('#devices-test-img').naturalWidth > 0`),
	)
	wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	got, err := d.labels.Wait(wctx, 1)
	cancel()
	if err != nil {
		t.Fatalf("the test label is not printed: %v", err)
	}
	if texts := strings.Join(got[0].Texts(), " "); !strings.Contains(texts, "0-0-0000") {
		t.Errorf("the printer printed %q, want the test label 0-0-0000", texts)
	}
	uitest.Shot(t, ctx, "kiosk-devices")

	uitest.Do(t, ctx, "snapshot",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#devices-test-img').hidden = true`),
		chromedp.Click(css(`#devices-list [data-kind="camera"] button.test`)),
		chromedp.WaitVisible(css("#devices-test-img")),
		browserUntil(`document.querySelector('#devices-test-img').naturalWidth > 0 && document.querySelector('#devices-test-img').src.startsWith('blob:')`),
	)
	if got := uitest.Text(t, ctx, "#devices-test-text"); !strings.Contains(got, "照片已拍好") {
		t.Errorf("snapshot test says %q, want 照片已拍好", got)
	}
	if n := uitest.Eval[int](t, ctx, `document.querySelectorAll('#devices-diag tr[data-check^="device."]').length`); n != 4 {
		t.Errorf("the PC check lists %d devices, want 4", n)
	}
	// The serial scan gun's test: what it reads shows on the page.
	if err := d.gun.Scan("TEST12345678"); err != nil {
		t.Fatal(err)
	}
	uitest.Do(t, ctx, "scan with the serial gun", browserUntil(`document.querySelector('#devices-test-text').textContent.includes('TEST12345678')`))
	for _, p := range jsProblems() {
		t.Errorf("page: %s", p)
	}
}

// browserUntil waits until the JavaScript expression is true.
func browserUntil(js string) chromedp.Action[chromedp.Void] {
	poll := chromedp.Poll[bool](js)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := poll(ctx, t)
		return chromedp.Void{}, err
	}
}

// TestBrowserSendWithCard: the sender's card is read on the reader and
// shown masked; the send goes with id_source "reader"; the waybill label
// is shown and printed.
func TestBrowserSendWithCard(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: 1024, Height: 768})
	s := browserNewStation(t)
	d := browserAddDevices(t, s)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	browserLogin(t, ctx, s)
	card := idcard.DemoCards()[0]
	if err := d.reader.PlaceCard(card); err != nil {
		t.Fatal(err)
	}
	uitest.Do(t, ctx, "fill in the send",
		chromedp.Click(css(`#tabs [data-tab="send"]`)),
		chromedp.WaitVisible(css("#send-read-card")),
		browserUntil(`document.querySelector('#send-carrier').options.length > 1`),
		chromedp.Evaluate[chromedp.Void](`(() => {
			const set = (sel, v) => { const el = document.querySelector(sel); el.value = v; el.dispatchEvent(new Event("change", {bubbles: true})); };
			set("#send-carrier", "zto"); set("#send-province", "黑龙江省"); set("#send-weight", "1500");
			set("#send-receiver-name", "周收"); set("#send-receiver-phone", "13700000002"); set("#send-address", "绥化市望奎县");
		})()`),
		chromedp.Click(css("#send-sender-phone")),
		chromedp.SendKeys(css("#send-sender-phone"), "13900000001"),
	)
	d.waitCard(t)
	uitest.Do(t, ctx, "see the prices side by side", chromedp.WaitVisible(css(`#send-prices button[data-carrier="zto"][aria-pressed="true"]`)))
	if n := uitest.Eval[int](t, ctx, `document.querySelectorAll('#send-prices button').length`); n < 2 {
		t.Errorf("%d carriers' prices side by side, want the demo's several", n)
	}
	uitest.Do(t, ctx, "read the card", chromedp.Click(css("#send-read-card")), chromedp.WaitVisible(css("#send-card")))
	if got := uitest.Text(t, ctx, "#send-card-text"); !strings.Contains(got, "231221********0139") {
		t.Errorf("the card shows %q, want the masked number", got)
	}
	if uitest.Eval[bool](t, ctx, `!document.querySelector('#send-sender-id-box').hidden`) {
		t.Error("the typed ID number field is offered beside the card read")
	}
	uitest.Shot(t, ctx, "kiosk-send-card")
	uitest.Do(t, ctx, "send",
		chromedp.Click(css("#send-submit")),
		chromedp.WaitVisible(css("#send-result")),
		chromedp.WaitVisible(css("#send-print-msg.msg-ok")),
		browserUntil(`document.querySelector('#send-label').naturalWidth > 0`),
	)
	wb := uitest.Text(t, ctx, "#send-result-waybill")
	if !strings.HasPrefix(wb, "78") {
		t.Errorf("the send's waybill is %q, want one from the demo's ZTO range (78…)", wb)
	}
	wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	got, err := d.labels.Wait(wctx, 1)
	cancel()
	if err != nil {
		t.Fatalf("the waybill label is not printed: %v", err)
	}
	if texts := strings.Join(got[len(got)-1].Texts(), " "); !strings.Contains(texts, wb[len(wb)-4:]) {
		t.Errorf("the printer printed %q, want the label of %s", texts, wb)
	}
	payload := browserLastOp(t, s, "parcel.accepted")
	if !strings.Contains(payload, `"sender_id_source":"card"`) || strings.Contains(payload, card.Number) {
		t.Errorf("the send's op does not say the reader verified the sender, or holds the full number: %s", payload)
	}
	uitest.Shot(t, ctx, "kiosk-send-label")
	for _, p := range jsProblems() {
		t.Errorf("page: %s", p)
	}
}

// TestBrowserPickupWithPhoto: a parcel is found by the phone's last four
// digits (scanned off a slip as a burst, as a gun would) and handed out
// in one touch; the camera's proof photo goes with the pickup.
func TestBrowserPickupWithPhoto(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: 1024, Height: 768})
	s := browserNewStation(t)
	d := browserAddDevices(t, s)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	tail := browserFreeTail(t, s.st)
	wb := "73123456780001"
	if err := s.st.ApplyManifest(context.Background(), []station.ManifestEntry{{Waybill: wb, Carrier: "zto", ReceiverName: "孙测试", ReceiverPhone: "1391234" + tail}}); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, s)
	uitest.Do(t, ctx, "scan it in", browserScan(wb), chromedp.WaitVisible(css("#inbound-result")))
	code := uitest.Text(t, ctx, "#inbound-code")
	uitest.Do(t, ctx, "find it by the phone tail",
		chromedp.Click(css(`#tabs [data-tab="pickup"]`)),
		chromedp.WaitVisible(css("#pickup-q")),
		browserScan(tail),
		chromedp.WaitReady(css(`#pickup-results[data-state="done"]`)),
		chromedp.WaitVisible(css("#pickup-confirm")),
	)
	uitest.Shot(t, ctx, "kiosk-pickup-found")
	uitest.Do(t, ctx, "hand it out",
		chromedp.Click(css("#pickup-confirm")),
		chromedp.WaitVisible(css("#pickup-msg.msg-ok")),
		chromedp.WaitVisible(css("#pickup-proof.ok")),
		browserUntil(`document.querySelector('#pickup-photo').naturalWidth > 0`),
	)
	if got := uitest.Text(t, ctx, "#pickup-msg"); !strings.Contains(got, code) {
		t.Errorf("pickup says %q, want the code %s", got, code)
	}
	payload := browserLastOp(t, s, "parcel.picked_up")
	if !strings.Contains(payload, `"photo_sha256":"`) || !strings.Contains(payload, wb) {
		t.Errorf("the pickup's op has no proof photo: %s", payload)
	}
	uitest.Shot(t, ctx, "kiosk-pickup-photo")

	// A neighbour collects the next parcel: the card on the reader names
	// the proxy.
	const wb2, phone2 = "73123456780002", "13912340002"
	if err := s.st.ApplyManifest(context.Background(), []station.ManifestEntry{{Waybill: wb2, Carrier: "zto", ReceiverName: "孙测试", ReceiverPhone: phone2}}); err != nil {
		t.Fatal(err)
	}
	card := idcard.DemoCards()[0]
	if err := d.reader.PlaceCard(card); err != nil {
		t.Fatal(err)
	}
	d.waitCard(t)
	uitest.Do(t, ctx, "scan it in and find it by the full phone",
		chromedp.Click(css(`#tabs [data-tab="inbound"]`)),
		browserScan(wb2),
		browserUntil(`document.querySelector('#inbound-result-details').textContent.includes('`+wb2+`')`),
		chromedp.Click(css(`#tabs [data-tab="pickup"]`)),
		browserScan(phone2),
		chromedp.WaitVisible(css(`#pickup-results input.pick[data-waybill="`+wb2+`"]`)),
	)
	uitest.Do(t, ctx, "a proxy with the card read",
		chromedp.Click(css(`#pickup-kind [data-kind="proxy"]`)),
		chromedp.Click(css("#pickup-read-card")),
		chromedp.WaitVisible(css("#pickup-card")),
		chromedp.Click(css("#pickup-proxy-phone")),
		chromedp.SendKeys(css("#pickup-proxy-phone"), "13700001234"),
		chromedp.Click(css("#pickup-confirm")),
		chromedp.WaitVisible(css("#pickup-msg.msg-ok")),
	)
	payload = browserLastOp(t, s, "parcel.picked_up")
	if !strings.Contains(payload, wb2) || !strings.Contains(payload, `"proxy"`) || strings.Contains(payload, card.Number) {
		t.Errorf("the proxy pickup's op: %s; want the proxy, without the full ID number", payload)
	}
	for _, p := range jsProblems() {
		t.Errorf("page: %s", p)
	}
}

// browserLastOp is the payload of the station's last op of a kind.
func browserLastOp(t testing.TB, s browserStation, kind string) string {
	t.Helper()
	var payload string
	if err := s.st.Store().DB().QueryRow(`SELECT payload FROM outbox WHERE kind = ? ORDER BY seq DESC LIMIT 1`, kind).Scan(&payload); err != nil {
		t.Fatalf("last %s op: %v", kind, err)
	}
	return payload
}
