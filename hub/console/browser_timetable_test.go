package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cunyou/ui/uitest"
)

// TestBrowserTimetable: the trips page lists each line with its stops
// down and departures across, each cell the time the vehicle is due.
func TestBrowserTimetable(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: deskW, Height: deskH})
	h := newHub(t)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	line := `#trips-lines details[data-line="L1"]`
	uitest.Do(t, ctx, "the dispatcher's trips",
		chromedp.Navigate(h.url+"/console/#/trips"),
		chromedp.WaitVisible(css("#login-user")),
		chromedp.SendKeys(css("#login-user"), dispatcher),
		chromedp.SendKeys(css("#login-pass"), password+"\r"),
		chromedp.WaitVisible(css(line+" summary")),
		chromedp.Click(css(line+" summary")),
		chromedp.WaitVisible(css(line+" tbody tr")),
	)
	if got := uitest.Text(t, ctx, line+" summary"); !strings.Contains(got, "07:00 13:30") {
		t.Errorf("L1's summary %q lacks its departures", got)
	}
	rows := uitest.Eval[[][]string](t, ctx, `Array.from(document.querySelectorAll('`+line+` tbody tr')).map(r => Array.from(r.children).map(c => c.textContent))`)
	if len(rows) < 3 {
		t.Fatalf("L1 has %d stops in the timetable", len(rows))
	}
	if rows[0][0] != "望奎县农村物流分拨中心" || rows[0][1] != "07:00" || rows[0][2] != "13:30" {
		t.Errorf("the first stop reads %v, want the centre at 07:00 and 13:30", rows[0])
	}
	for i := 1; i < len(rows); i++ {
		if rows[i][1] <= rows[i-1][1] && rows[i][1] >= "07:00" {
			t.Errorf("stop %d (%v) is not later than the one before (%v)", i, rows[i], rows[i-1])
		}
	}
	uitest.Shot(t, ctx, "console-timetable")
	if ps := jsProblems(); len(ps) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(ps, "\n"))
	}
}
