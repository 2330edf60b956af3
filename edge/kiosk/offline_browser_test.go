package kiosk_test

import (
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cunyou/edge/kiosk"
	"cunyou/edge/store"
	"cunyou/edge/syncer"
	"cunyou/ui"
	"cunyou/ui/uitest"
)

// browserTry runs actions under the step timeout and returns their error.
func browserTry(ctx context.Context, actions ...chromedp.Action[chromedp.Void]) error {
	sctx, cancel := context.WithTimeout(ctx, uitest.StepTimeout)
	defer cancel()
	return chromedp.Do(sctx, actions...)
}

// TestBrowserOffline: the county hub goes away and the station works on,
// the badge saying since when it is offline and how much waits; then
// cunyou-edge itself restarts under the page: a scan made meanwhile stays
// in the scan field, the page notices the service is back by itself, and
// Enter scans the parcel in.
func TestBrowserOffline(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: 1024, Height: 768})
	s := browserNewStation(t)
	wbs := browserManifest(t, s.st, 300, 3)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	bg := context.Background()
	if err := s.st.Store().SetSyncConfig(bg, store.SyncConfig{HubURL: "http://127.0.0.1:1", Token: "t"}); err != nil {
		t.Fatal(err)
	}
	if err := s.st.Store().RecordSyncSuccess(bg, time.Now()); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, s)
	uitest.Do(t, ctx, "online", chromedp.WaitVisible(css(`#badge-sync[data-state="good"]`)))

	// The hub link is lost: the sync loop's next try fails.
	c, err := syncer.NewClient("http://127.0.0.1:1", "t", "")
	if err != nil {
		t.Fatal(err)
	}
	sy := syncer.New(s.st, c, syncer.Options{CallTimeout: 2 * time.Second})
	s.srv.Config.Handler.(*kiosk.Server).SetSyncer(sy)
	if err := sy.SyncOnce(bg); err == nil {
		t.Fatal("sync to a hub that is not there succeeded")
	}
	uitest.Do(t, ctx, "scan in while the hub is away", browserScan(wbs[0]), chromedp.WaitVisible(css("#inbound-result")))
	if err := browserTry(ctx, chromedp.WaitVisible(css(`#badge-sync[data-state="bad"]`))); err != nil {
		t.Fatalf("the sync badge says %q (%v), want 断网", uitest.Text(t, ctx, "#badge-sync"), err)
	}
	if got := uitest.Text(t, ctx, "#badge-sync"); !strings.Contains(got, "断网") || !strings.Contains(got, "待传") {
		t.Errorf("sync badge says %q, want 断网 … 起 · 待传 n", got)
	}
	uitest.Shot(t, ctx, "kiosk-offline")

	// cunyou-edge stops.
	addr := s.srv.Listener.Addr().String()
	s.srv.Close()
	uitest.Do(t, ctx, "scan while the local service is down",
		browserScan(wbs[1]),
		chromedp.WaitVisible(css("#inbound-msg.msg-error")),
		chromedp.WaitVisible(css(`#badge-sync[data-state="bad"]`)),
	)
	if got := uitest.Eval[string](t, ctx, `document.querySelector('#inbound-scan').value`); got != wbs[1] {
		t.Errorf("after the failed scan the scan field holds %q, want the waybill %s kept", got, wbs[1])
	}
	if got := uitest.Text(t, ctx, "#badge-sync"); !strings.Contains(got, "本机服务断开") {
		t.Errorf("badge says %q, want 本机服务断开", got)
	}

	// cunyou-edge starts again on the same address and database.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	uiFS, err := ui.Kiosk("")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(kiosk.New(s.st, slog.New(slog.DiscardHandler), "test", uiFS))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	uitest.Do(t, ctx, "the page finds the service back",
		browserUntil(`!document.querySelector('#badge-sync').textContent.includes('本机服务断开')`),
	)
	if got := uitest.Text(t, ctx, "#badge-sync"); !strings.Contains(got, "断网") {
		t.Errorf("back, the badge says %q, want 断网: the hub is still away", got)
	}
	uitest.Do(t, ctx, "Enter scans the kept waybill in",
		chromedp.Focus(css("#inbound-scan")),
		chromedp.KeyEvent("\r"),
		browserUntil(`document.querySelector('#inbound-result-details').textContent.includes('`+wbs[1]+`')`),
	)
	for _, p := range jsProblems() {
		t.Errorf("page: %s", p)
	}
}
