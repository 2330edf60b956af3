// Package uitest drives cunyou's pages (the kiosk, the villagers' pages,
// the console) in a real headless Chromium for their tests, through
// chromedp: one browser per test with a fresh profile, steps bounded by a
// timeout that name themselves when they fail, what the page reports as
// broken collected, and screenshots kept as test artifacts.
package uitest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium is where CI installs it (apt-get install chromium).
const Chromium = "/usr/bin/chromium"

// StepTimeout bounds each step of a test; the browser lives on.
const StepTimeout = 20 * time.Second

// Screen is the window a page is tested in.
type Screen struct {
	Width, Height int
	// Phone emulates a phone: twice the pixel density, mobile, touch.
	Phone bool
}

// Open starts a headless Chromium with a fresh profile on screen, or
// skips the test where Chromium is missing (fails it under
// CUNYOU_TEST_STRICT=1). It collects what the page reports as broken
// (uncaught exceptions, console errors and warnings — a CSP violation
// among them; not the HTTP errors an API answers on purpose); the
// returned func lists them. The browser ends with the test.
func Open(t testing.TB, screen Screen) (context.Context, func() []string) {
	t.Helper()
	if _, err := os.Stat(Chromium); err != nil {
		const why = "no %s: the browser test needs Chromium (CI installs it: apt-get install chromium fonts-noto-cjk)"
		if os.Getenv("CUNYOU_TEST_STRICT") == "1" {
			t.Fatalf("CUNYOU_TEST_STRICT: "+why, Chromium)
		}
		t.Skipf(why, Chromium)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(screen.Width, screen.Height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	// Registered after t.TempDir, so it runs first: the browser is gone
	// before its profile folder is removed.
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	viewport := chromedp.EmulateViewport(int64(screen.Width), int64(screen.Height))
	if screen.Phone {
		viewport = chromedp.EmulateViewport(int64(screen.Width), int64(screen.Height), chromedp.EmulateScale(2),
			chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	// The first run starts the browser and must have no timeout.
	if err := chromedp.Do(ctx, viewport); err != nil {
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

// Do runs actions, failing the test with the step that broke.
func Do(t testing.TB, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// Get runs a and returns its value, failing the test with what it was.
func Get[T any](t testing.TB, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// Text is the text of the element sel selects.
func Text(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	return Get(t, ctx, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// Eval evaluates js in the page.
func Eval[T any](t testing.TB, ctx context.Context, js string) T {
	t.Helper()
	return Get(t, ctx, "evaluate "+js, chromedp.Evaluate[T](js))
}

// Shot saves a PNG of the page as a test artifact, name.png in the folder
// CUNYOU_SCREENSHOTS names (a temporary folder when unset).
func Shot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("CUNYOU_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("screenshot folder: %v", err)
		return
	}
	png := Get(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("save screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", path)
}
