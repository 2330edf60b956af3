package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"cunyou/hub/store"
	"cunyou/syncproto"
	"cunyou/ui/uitest"
)

// statsHistory adds two days of history at 福兴村驿站 to newHub's day: on
// the 12th three parcels in from the centre (zto, yto, zto), one picked
// up 12 h after the centre's scan, the yto one picked up on the 14th;
// on the 14th the bus's parcel picked up 1 h 45 min after the centre's
// scan.
func statsHistory(t *testing.T, h *hub) {
	t.Helper()
	require.NoError(t, h.st.PutCarrier(context.Background(), store.Carrier{Code: "yto", Name: "圆通"}))
	day12 := func(hhmm string) time.Time { return at(hhmm).AddDate(0, 0, -2) }
	for _, p := range []struct{ wb, carrier, code string }{
		{"73100000000021", "zto", "1-1-0021"}, {"YT0000000000022", "yto", "1-1-0022"}, {"73100000000023", "zto", "1-1-0023"},
	} {
		h.apply(t, "CENTRE", day12("06:00"), syncproto.KindParcelAtCentre, syncproto.ParcelAtCentre{Waybill: p.wb, Carrier: p.carrier,
			Station: stFuxing})
		h.apply(t, stFuxing, day12("08:00"), syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: p.wb, Carrier: p.carrier,
			ReceiverPhone: "13912345678", Shelf: 1, Layer: 1, Code: p.code})
	}
	pickup := func(wb string, at time.Time) {
		h.apply(t, stFuxing, at, syncproto.KindParcelsPickedUp, syncproto.ParcelsPickedUp{Waybills: []string{wb},
			Collector: syncproto.Collector{Kind: "receiver"}})
	}
	pickup("73100000000021", day12("18:00"))
	pickup("YT0000000000022", at("07:50"))
	pickup(wbArrived, at("07:55"))
}

// TestBrowserStatistics: the government's viewer reads three days of
// statistics, sees the charts' bars with the fixture's numbers, narrows
// them to a station and a carrier, and saves a table as CSV and the
// whole as XLSX.
func TestBrowserStatistics(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: deskW, Height: deskH})
	h := newHub(t)
	statsHistory(t, h)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	bar := func(chart, label, series string) string {
		t.Helper()
		return uitest.Eval[string](t, ctx, `(function () {
			var b = Array.from(document.querySelectorAll("#`+chart+` .bar")).filter(function (g) {
				return g.getAttribute("data-label") === "`+label+`" && g.getAttribute("data-series") === "`+series+`";
			})[0];
			return b ? b.getAttribute("data-value") : "none";
		})()`)
	}

	uitest.Do(t, ctx, "sign in as the government's viewer",
		chromedp.Navigate(h.url+"/console/#/statistics"),
		chromedp.WaitVisible(css("#login-user")),
		chromedp.SendKeys(css("#login-user"), government),
		chromedp.SendKeys(css("#login-pass"), password+"\r"),
		chromedp.WaitVisible(css("#stats-daily .bar")),
	)
	if from, to := uitest.Eval[string](t, ctx, `document.querySelector("#stats-from").value`),
		uitest.Eval[string](t, ctx, `document.querySelector("#stats-to").value`); from != "2026-02-13" || to != "2026-03-14" {
		t.Errorf("the range is %s to %s, want the hub's 30 days to its today", from, to)
	}
	uitest.Eval[string](t, ctx, `document.querySelector("#stats-from").value = "2026-03-12"`)
	uitest.Do(t, ctx, "three days",
		chromedp.Click(css("#stats-show")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#stats-summary").textContent.indexOf("2026-03-12 至 2026-03-14") === 0`),
	)
	summary := uitest.Text(t, ctx, "#stats-summary")
	for _, want := range []string{"入库 5 件", "取件 3 件", "寄件 0 件", "超期率 0%", "中位 12 小时", "90% 在 49.8 小时内"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary %q lacks %q", summary, want)
		}
	}
	for _, c := range []struct{ chart, label, series, want string }{
		{"stats-daily", "2026-03-12", "in", "3"},
		{"stats-daily", "2026-03-12", "picked_up", "1"},
		{"stats-daily", "2026-03-13", "in", "0"},
		{"stats-daily", "2026-03-14", "in", "2"},
		{"stats-daily", "2026-03-14", "picked_up", "2"},
		{"stats-waits", "12 小时内", "pickups", "2"},
		{"stats-waits", "24 小时内", "pickups", "0"},
		{"stats-waits", "3 天内", "pickups", "1"},
		{"stats-overdue", "福兴村驿站", "overdue_rate", "0"},
		{"stats-carriers", "圆通", "in", "1"},
		{"stats-carriers", "中通", "in", "4"},
		{"stats-carriers", "中通", "picked_up", "2"},
	} {
		if got := bar(c.chart, c.label, c.series); got != c.want {
			t.Errorf("%s: the %s bar of %s is %s, want %s", c.chart, c.series, c.label, got, c.want)
		}
	}
	if got := uitest.Text(t, ctx, `#stats-stations [data-station="`+stFuxing+`"]`); !strings.HasPrefix(got, "福兴村驿站\t5\t3\t0\t0\t0\t0%\t12\t49.8\t") &&
		!strings.HasPrefix(got, "福兴村驿站 5 3 0 0 0 0% 12 49.8") {
		t.Errorf("the station's row reads %q", got)
	}
	if w := uitest.Eval[int](t, ctx, `document.documentElement.scrollWidth`); w > deskW {
		t.Errorf("the statistics are %d px wide on a %d px screen", w, deskW)
	}
	uitest.Eval[bool](t, ctx, `document.querySelector("#stats-form").scrollIntoView(); true`)
	uitest.Shot(t, ctx, "console-statistics-history")
	uitest.Eval[bool](t, ctx, `document.querySelector("#stats-station-days").scrollIntoView(); true`)
	uitest.Shot(t, ctx, "console-statistics-tables")

	uitest.Eval[bool](t, ctx, `(function () {
		window.saved = [];
		var create = URL.createObjectURL;
		URL.createObjectURL = function (b) {
			var n = window.saved.length;
			window.saved.push(null);
			(b.type.indexOf("text/csv") === 0 ? b.text() : Promise.resolve(b.type + " " + b.size)).then(function (s) { window.saved[n] = s; });
			return create.call(URL, b);
		};
		return true;
	})()`)
	uitest.Do(t, ctx, "save the stations' days as CSV",
		chromedp.Click(css(`.stats-table-csv[data-table="station_days"]`)),
		chromedp.Poll[chromedp.Void](`window.saved.length === 1 && window.saved[0] !== null`),
	)
	csv := uitest.Eval[string](t, ctx, `window.saved[0]`)
	if !strings.HasPrefix(csv, "day,station,name,in,picked_up,sent,returned,overdue,overdue_rate,wait_median_hours,wait_p90_hours,waited\r\n") ||
		!strings.Contains(csv, "\r\n2026-03-12,"+stFuxing+",福兴村驿站,3,1,0,0,0,0,12,12,1\r\n") ||
		!strings.Contains(csv, "\r\n2026-03-14,"+stFuxing+",福兴村驿站,2,2,0,0,0,0,1.8,49.8,2\r\n") {
		t.Errorf("the CSV reads %q", csv)
	}
	uitest.Do(t, ctx, "save the workbook",
		chromedp.Click(css("#stats-xlsx")),
		chromedp.Poll[chromedp.Void](`window.saved.length === 2 && window.saved[1] !== null`),
	)
	if got := uitest.Eval[string](t, ctx, `window.saved[1]`); !strings.HasPrefix(got, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet ") {
		t.Errorf("the workbook saved is %q", got)
	}

	uitest.Eval[string](t, ctx, `document.querySelector("#stats-station").value = "`+stFuxing+`"; document.querySelector("#stats-carrier").value = "yto"`)
	uitest.Do(t, ctx, "one station, one carrier",
		chromedp.Click(css("#stats-show")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#stats-summary").textContent.indexOf("入库 1 件") > 0`),
	)
	if got := bar("stats-daily", "2026-03-14", "picked_up"); got != "1" {
		t.Errorf("yto's pickups on the 14th: %s, want 1", got)
	}

	uitest.Eval[string](t, ctx, `document.querySelector("#stats-from").value = "2025-01-01"`)
	uitest.Do(t, ctx, "too long a range",
		chromedp.Click(css("#stats-show")),
		chromedp.WaitVisible(css("#stats-msg")),
	)
	if got := uitest.Text(t, ctx, "#stats-msg"); !strings.HasPrefix(got, "日期不对") {
		t.Errorf("a year's range says %q", got)
	}
	if p := jsProblems(); len(p) > 0 {
		t.Errorf("the page's script failed: %v", p)
	}
}
