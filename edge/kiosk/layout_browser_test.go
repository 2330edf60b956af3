package kiosk_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cunyou/edge/demo"
	"cunyou/ui/uitest"
)

// TestBrowserLayout opens every screen a clerk has at the kiosk's two
// screen sizes, and in English at the smaller: nothing runs off the side, and every button in view is a
// finger's size (40 px at least each way).
func TestBrowserLayout(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: 1024, Height: 768})
	s := browserNewStation(t)
	browserLogin(t, ctx, s)
	for i, size := range [][2]int64{{1024, 768}, {1366, 768}, {1024, 768}} {
		uitest.Do(t, ctx, "resize", chromedp.EmulateViewport(size[0], size[1]))
		if i == 2 {
			// The English table's longer words, at the smaller screen.
			uitest.Do(t, ctx, "switch to English", chromedp.Click(chromedp.CSS("#lang-toggle")))
			if got := uitest.Text(t, ctx, `#tabs [data-tab="inbound"]`); got != "Inbound" {
				t.Fatalf("after the language switch the inbound tab says %q", got)
			}
		}
		tabs := uitest.Eval[[]string](t, ctx, `[...document.querySelectorAll('#tabs button')].filter((b) => !b.hidden).map((b) => b.dataset.tab)`)
		if len(tabs) < 9 {
			t.Fatalf("a clerk has %d tabs: %v", len(tabs), tabs)
		}
		for _, tab := range tabs {
			uitest.Do(t, ctx, "open "+tab,
				chromedp.Click(chromedp.CSS(`#tabs [data-tab="`+tab+`"]`)),
				chromedp.WaitVisible(chromedp.CSS("#tab-"+tab)),
				chromedp.Sleep(150_000_000), // its lists load
			)
			bad := uitest.Eval[[]string](t, ctx, `(() => {
				const bad = [];
				const root = document.documentElement, main = document.querySelector("main");
				if (root.scrollWidth > innerWidth) bad.push("the page is " + root.scrollWidth + " px wide");
				if (main.scrollWidth > main.clientWidth + 1) bad.push("the screen scrolls sideways: " + main.scrollWidth + " px in " + main.clientWidth);
				for (const b of document.querySelectorAll("button")) {
					const r = b.getBoundingClientRect();
					if (!r.width || !r.height || b.closest("[hidden]")) continue;
					if (r.width < 40 || r.height < 40) bad.push("button " + (b.id || b.textContent.trim()) + " is " + Math.round(r.width) + "×" + Math.round(r.height));
				}
				return bad;
			})()`)
			for _, b := range bad {
				t.Errorf("%s at %dx%d (pass %d): %s", tab, size[0], size[1], i+1, b)
			}
		}
		name := fmt.Sprintf("%s-%dx%d", tabs[len(tabs)-1], size[0], size[1])
		if i == 2 {
			name += "-en"
		}
		uitest.Shot(t, ctx, "kiosk-"+name)
	}
	for _, p := range jsProblems() {
		t.Errorf("page: %s", p)
	}
}

// TestBrowserAutoLock: left alone, the page locks; the PIN opens it again
// on the screen it was on, with what was typed still there.
func TestBrowserAutoLock(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: 1024, Height: 768})
	s := browserNewStation(t)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	browserLogin(t, ctx, s)
	uitest.Do(t, ctx, "start a send and walk away",
		chromedp.Evaluate[chromedp.Void](`localStorage.setItem("cunyou.lock_after_s", "2")`),
		chromedp.Click(css(`#tabs [data-tab="send"]`)),
		chromedp.Click(css("#send-receiver-name")),
		chromedp.SendKeys(css("#send-receiver-name"), "Zhang"),
		chromedp.WaitVisible(css("#login-form")),
	)
	if msg := uitest.Text(t, ctx, "#login-msg"); !strings.Contains(msg, "自动锁定") {
		t.Errorf("the lock says %q, want 已自动锁定…", msg)
	}
	uitest.Do(t, ctx, "unlock with the PIN",
		chromedp.Evaluate[chromedp.Void](`localStorage.removeItem("cunyou.lock_after_s")`),
		chromedp.SendKeys(css("#login-secret"), demo.ClerkPIN+"\r"),
		chromedp.WaitVisible(css("#tab-send")),
	)
	if got := uitest.Eval[string](t, ctx, `document.querySelector('#send-receiver-name').value`); got != "Zhang" {
		t.Errorf("after unlocking the name field holds %q, want Zhang", got)
	}
	for _, p := range jsProblems() {
		t.Errorf("page: %s", p)
	}
}
