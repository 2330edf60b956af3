package kiosk_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cunyou/drivers/camera"
	"cunyou/drivers/idcard"
	"cunyou/drivers/printer"
	"cunyou/edge/config"
	"cunyou/edge/devices"
	"cunyou/edge/kiosk"
)

// browserDevices are the demo station's simulated devices, run by a real
// devices.Host handed to the kiosk server.
type browserDevices struct {
	host   *devices.Host
	reader *idcard.Simulator
	labels *printer.Simulator
}

// browserAddDevices gives the station a simulated ID-card reader, label
// printer (TSPL over TCP) and network camera, and waits until all three
// are ready.
func browserAddDevices(t *testing.T, s browserStation) browserDevices {
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
		if ready == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the simulated devices are not ready: %+v", h.Statuses())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return browserDevices{host: h, reader: reader, labels: labels}
}

// TestBrowserDevices: the top bar shows the hub link and each device;
// the devices page tests each (a card read shown masked, a test label
// printed, a snapshot shown) and shows the PC check.
func TestBrowserDevices(t *testing.T) {
	ctx, jsProblems := browserOpen(t)
	s := browserNewStation(t)
	d := browserAddDevices(t, s)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	browserLogin(t, ctx, s)

	browserDo(t, ctx, "see the badges", chromedp.WaitVisible(css(`#badge-devices .badge.good[data-device="counter"]`)))
	if n := browserEval[int](t, ctx, `document.querySelectorAll('#badge-devices .badge.good').length`); n != 3 {
		t.Errorf("%d green device badges, want 3 (reader, printer, camera)", n)
	}
	if sync := browserText(t, ctx, "#badge-sync"); !strings.Contains(sync, "待传") {
		t.Errorf("sync badge says %q, want the backlog (待传 n)", sync)
	}
	browserShot(t, ctx, "home")

	browserDo(t, ctx, "open devices",
		chromedp.Click(css(`#tabs [data-tab="devices"]`)),
		chromedp.WaitVisible(css(`#devices-list [data-kind="idcard"] button.test`)),
		chromedp.WaitVisible(css(`#devices-diag tr[data-check="db.integrity"]`)),
	)
	browserDo(t, ctx, "read with no card", chromedp.Click(css(`#devices-list [data-kind="idcard"] button.test`)), chromedp.WaitVisible(css("#devices-test-text.warn")))
	if err := d.reader.PlaceCard(idcard.DemoCards()[0]); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, _, ok := d.host.Identity(); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the card on the simulated reader is not read")
		}
		time.Sleep(20 * time.Millisecond)
	}
	browserDo(t, ctx, "read the card", chromedp.Click(css(`#devices-list [data-kind="idcard"] button.test`)), chromedp.WaitVisible(css("#devices-test-text.ok")))
	if got := browserText(t, ctx, "#devices-test-text"); !strings.Contains(got, "231221********0139") || strings.Contains(got, idcard.DemoCards()[0].Number) {
		t.Errorf("card test shows %q, want the masked number 231221********0139", got)
	}

	browserDo(t, ctx, "test print",
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
	browserShot(t, ctx, "devices")

	browserDo(t, ctx, "snapshot",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#devices-test-img').hidden = true`),
		chromedp.Click(css(`#devices-list [data-kind="camera"] button.test`)),
		chromedp.WaitVisible(css("#devices-test-img")),
		browserUntil(`document.querySelector('#devices-test-img').naturalWidth > 0 && document.querySelector('#devices-test-img').src.startsWith('blob:')`),
	)
	if got := browserText(t, ctx, "#devices-test-text"); !strings.Contains(got, "照片已拍好") {
		t.Errorf("snapshot test says %q, want 照片已拍好", got)
	}
	if n := browserEval[int](t, ctx, `document.querySelectorAll('#devices-diag tr[data-check^="device."]').length`); n != 3 {
		t.Errorf("the PC check lists %d devices, want 3", n)
	}
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
