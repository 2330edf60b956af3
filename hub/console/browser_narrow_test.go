package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"cunyou/hub/intake"
	"cunyou/hub/store"
	"cunyou/ui/uitest"
)

// The county's older desk screens.
const narrowW, narrowH = 1024, 768

// TestBrowserNarrow opens every view as the admin on a 1024×768 screen:
// none scrolls sideways. A parcel's receiver, written by a carrier, holds
// markup that must stay text.
func TestBrowserNarrow(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: narrowW, Height: narrowH})
	h := newHub(t)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	const evil = `<img src=x onerror="window.pwned=1">`
	in := intake.New(h.st, h.m, cst)
	_, err := in.Announce(context.Background(), "api:test", "", []intake.Entry{
		{Waybill: "73100000000077", Carrier: "zto", ReceiverName: evil, ReceiverPhone: "13912340000", Address: evil + "不知道哪里", WeightGrams: 500},
	})
	require.NoError(t, err)
	// A carrier's full name of ten characters, as long as a date.
	const zto = "中通快递股份有限公司"
	require.NoError(t, h.st.PutCarrier(context.Background(), store.Carrier{Code: "zto", Name: zto}))
	fits := func(step string) {
		t.Helper()
		if w := uitest.Eval[int](t, ctx, `document.documentElement.scrollWidth`); w > narrowW {
			wide := uitest.Eval[[]string](t, ctx, `Array.from(document.querySelectorAll("main *")).filter(e => e.getBoundingClientRect().right > `+"1024"+` && e.offsetParent).slice(0, 8).map(e => e.tagName + "." + e.className + "#" + e.id + " " + Math.round(e.getBoundingClientRect().right))`)
			t.Errorf("%s: the page is %d px wide on a %d px screen: %v", step, w, narrowW, wide)
		}
	}
	uitest.Do(t, ctx, "sign in as the admin",
		chromedp.Navigate(h.url+"/console/#/overview"),
		chromedp.WaitVisible(css("#login-user")),
		chromedp.SendKeys(css("#login-user"), admin),
		chromedp.SendKeys(css("#login-pass"), password+"\r"),
		chromedp.WaitVisible(css(`#ov-stages [data-stage="at_station"]`)),
	)
	fits("overview")
	for _, v := range []struct{ hash, wait, shot string }{
		{"#/users", `#users-list [data-user="` + dispatcher + `"]`, "console-1024-users"},
		{"#/stations/" + stFuxing, `#st-detail .st-facts`, "console-1024-station"},
		{"#/exceptions", `#ex-unresolved [data-waybill="73100000000077"]`, "console-1024-exceptions"},
		{"#/parcels/73100000000077", `#parcel-detail .timeline li`, "console-1024-parcel"},
		{"#/statistics", `#stats-stations table`, "console-1024-statistics"},
		{"#/sms/templates", `#sms-body .template textarea`, "console-1024-sms-templates"},
		{"#/sms/optouts", `#oo-phone`, "console-1024-sms-optouts"},
		{"#/audit", `#audit-body tbody tr`, "console-1024-audit"},
	} {
		uitest.Do(t, ctx, "open "+v.hash, chromedp.Navigate(h.url+"/console/"+v.hash), chromedp.WaitVisible(css(v.wait)))
		fits(v.hash)
		uitest.Shot(t, ctx, v.shot)
	}
	uitest.Do(t, ctx, "the carriers' chart", chromedp.Navigate(h.url+"/console/#/statistics"), chromedp.WaitVisible(css("#stats-carriers .bar")))
	if got := uitest.Eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#stats-carriers text.label")).map(x => x.textContent)`); len(got) != 1 || got[0] != zto {
		t.Errorf("the carriers' chart names %q, want %s", got, zto)
	}
	uitest.Do(t, ctx, "open the add-station form",
		chromedp.Navigate(h.url+"/console/#/stations"),
		chromedp.WaitVisible(css("#st-add-open")),
		chromedp.Click(css("#st-add-open")),
		chromedp.WaitVisible(css("#sa-node")),
	)
	fits("add a station")
	uitest.Shot(t, ctx, "console-1024-station-add")
	if uitest.Eval[bool](t, ctx, `!!window.pwned || !!document.querySelector("main img")`) {
		t.Error("a receiver's markup became an element")
	}
	if ps := jsProblems(); len(ps) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(ps, "\n"))
	}
}
