package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"cunyou/hub/gazetteer"
	"cunyou/hub/syncapi"
	"cunyou/syncproto"
	"cunyou/ui/uitest"
)

// edgeClient speaks the sync protocol to the hub as cunyou-edge does:
// the enrollment, a hello with its health, an ops upload.
type edgeClient struct {
	t     *testing.T
	url   string
	node  string
	token string
}

func (c *edgeClient) call(path, token, contentType string, body []byte, out any) int {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.url+path, bytes.NewReader(body))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		require.NoError(c.t, json.NewDecoder(resp.Body).Decode(out))
	}
	return resp.StatusCode
}

func (c *edgeClient) enroll(code string) {
	c.t.Helper()
	body, err := json.Marshal(syncproto.EnrollRequest{Code: code, Node: c.node, Software: "cunyou-edge/test"})
	require.NoError(c.t, err)
	var er syncproto.EnrollResponse
	require.Equal(c.t, http.StatusOK, c.call(syncproto.PathEnroll, "", "application/json", body, &er), "enroll with %s", code)
	require.Equal(c.t, c.node, er.Node)
	c.token = er.Token
}

func (c *edgeClient) hello(timeMs int64, health *syncproto.Health) int {
	c.t.Helper()
	body, err := json.Marshal(syncproto.Hello{Proto: syncproto.ProtoVersion, MinProto: syncproto.MinProtoVersion, Node: c.node,
		Software: "cunyou-edge/test", TimeMs: timeMs, Incarnations: []string{"inc-new"}, Health: health})
	require.NoError(c.t, err)
	return c.call(syncproto.PathHello, c.token, "application/json", body, nil)
}

func (c *edgeClient) upload(ops ...syncproto.Op) {
	c.t.Helper()
	var buf bytes.Buffer
	require.NoError(c.t, syncproto.WriteOps(&buf, c.node, "inc-new", ops, ops[0].HLC.Time().UnixMilli()))
	require.Equal(c.t, http.StatusOK, c.call(syncproto.PathOps, c.token, "application/octet-stream", buf.Bytes(), nil), "upload ops")
}

// TestBrowserStations drives the stations' pages as a dispatcher: add a
// station for a village nobody served and see its one-time code with
// the command to type; the station really enrolls with that code over
// the sync API, says hello with its devices and uploads a day close;
// its detail then shows it online with its devices and the day's
// figures. A new code revokes its token; disabling it is shown.
func TestBrowserStations(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: deskW, Height: deskH})
	h := newHub(t)
	bg := context.Background()
	// The county gains a village, 红光村, with no station yet.
	c, err := gazetteer.LoadFile("../../testdata/county.json")
	require.NoError(t, err)
	v := c.Towns[0].Villages[0]
	c.Towns[0].Villages = append(c.Towns[0].Villages, gazetteer.Village{Code: "V0107", Name: "红光村", Lat: v.Lat + 0.02, Lon: v.Lon + 0.02})
	_, err = h.st.LoadCounty(bg, c)
	require.NoError(t, err)
	// The sync API, where the station's PC enrolls.
	sync := httptest.NewServer(syncapi.New(h.st, h.m, syncapi.Options{}).Handler())
	t.Cleanup(sync.Close)

	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	fits := func(step string) {
		t.Helper()
		if w := uitest.Eval[int](t, ctx, `document.documentElement.scrollWidth`); w > deskW {
			t.Errorf("%s: the page is %d px wide on a %d px screen", step, w, deskW)
		}
	}
	const node = "ST-V0107"

	uitest.Do(t, ctx, "sign in as a dispatcher",
		chromedp.Navigate(h.url+"/console/#/stations"),
		chromedp.WaitVisible(css("#login-user")),
		chromedp.SendKeys(css("#login-user"), dispatcher),
		chromedp.SendKeys(css("#login-pass"), password+"\r"),
		chromedp.WaitVisible(css(`#st-list [data-node="`+stFuxing+`"]`)),
		chromedp.WaitVisible(css("#st-add-open")),
	)
	uitest.Do(t, ctx, "open the form to add a station",
		chromedp.Click(css("#st-add-open")),
		chromedp.WaitVisible(css("#sa-node")),
		chromedp.WaitReady(css(`#sa-village option[value="V0107"]`)),
	)
	if n := uitest.Eval[int](t, ctx, `document.querySelectorAll('#sa-village option[value="V0101"]').length`); n != 0 {
		t.Error("the form offers a village another station serves")
	}
	uitest.Do(t, ctx, "a node id that is taken",
		chromedp.SendKeys(css("#sa-node"), stFuxing),
		chromedp.SendKeys(css("#sa-name"), "重复的驿站"),
		chromedp.Click(css("#sa-submit")),
		chromedp.WaitVisible(css("#st-add-msg")),
	)
	if got := uitest.Text(t, ctx, "#st-add-msg"); !strings.HasPrefix(got, "这个编号已经有了") {
		t.Errorf("a taken node id says %q", got)
	}
	uitest.Eval[string](t, ctx, `document.querySelector("#sa-node").value = ""; document.querySelector("#sa-name").value = ""; document.querySelector("#sa-village").value = "V0107"`)
	uitest.Do(t, ctx, "add 红光村驿站",
		chromedp.SendKeys(css("#sa-node"), node),
		chromedp.SendKeys(css("#sa-name"), "红光村驿站"),
		chromedp.Click(css("#sa-submit")),
		chromedp.WaitVisible(css("#st-code .enroll-code")),
		chromedp.WaitVisible(css(`#st-detail[data-node="`+node+`"] .st-state`)),
		chromedp.WaitVisible(css(`#st-list [data-node="`+node+`"]`)),
	)
	code := uitest.Text(t, ctx, "#st-code .enroll-code")
	if want := "cunyou-edge enroll --hub " + h.url + " --code " + code; uitest.Text(t, ctx, "#st-code .enroll-command") != want {
		t.Errorf("the command reads %q, want %q", uitest.Text(t, ctx, "#st-code .enroll-command"), want)
	}
	if got := uitest.Text(t, ctx, "#st-code"); !strings.Contains(got, "只能用一次，2026-03-21 08:00 前有效") || !strings.Contains(got, "红光村驿站") {
		t.Errorf("the code card reads %q", got)
	}
	if got := uitest.Text(t, ctx, "#st-detail .st-state"); got != "待注册（已发注册码）" {
		t.Errorf("the new station's state %q", got)
	}
	if got := uitest.Text(t, ctx, "#st-detail .st-facts"); !strings.Contains(got, "望奎镇红光村") {
		t.Errorf("the new station's facts %q", got)
	}
	fits("the code")
	uitest.Shot(t, ctx, "console-station-code")
	uitest.Do(t, ctx, "the code is noted",
		chromedp.Click(css("#st-code button")),
		chromedp.WaitNotVisible(css("#st-code")),
	)

	// The technician types the command at the station's PC: it enrolls,
	// says hello with its devices and uploads yesterday's close.
	edge := &edgeClient{t: t, url: sync.URL, node: node}
	edge.enroll(code)
	now := h.clk.now()
	require.Equal(t, http.StatusOK, edge.hello(now.UnixMilli()+1200, &syncproto.Health{Backlog: 1, OldestUnsentS: 40,
		Devices: []syncproto.DeviceHealth{{Name: "reader", Kind: "idcard", State: "ready"},
			{Name: "labels", Kind: "printer", State: "error", Code: "printer.paper_out"}}}))
	closed, err := json.Marshal(syncproto.DayClosed{Date: "2026-03-13", FromMs: at("00:00").AddDate(0, 0, -1).UnixMilli(), ToMs: at("00:00").UnixMilli(),
		ByCarrier: map[string]syncproto.DayCounts{"zto": {In: 12, Out: 9, Sent: 2, Problems: 1, OnShelf: 7}},
		Total:     syncproto.DayCounts{In: 12, Out: 9, Sent: 2, Problems: 1, OnShelf: 7}, OpeningOnShelf: 5, Mismatch: -1})
	require.NoError(t, err)
	op := syncproto.Op{Node: node, Incarnation: "inc-new", Seq: 1, HLC: syncproto.MakeTimestamp(at("07:55").UnixMilli(), 0), Actor: "laoli",
		Kind: syncproto.KindDayClosed, Payload: closed}
	op.Seal()
	edge.upload(op)

	detail := `#st-detail[data-node="` + node + `"]`
	uitest.Do(t, ctx, "the station's detail once it enrolled",
		chromedp.Navigate(h.url+"/console/#/stations"),
		chromedp.WaitVisible(css(`#st-list [data-node="`+node+`"]`)),
		chromedp.Navigate(h.url+"/console/#/stations/"+node),
		chromedp.WaitVisible(css(detail+` [data-date="2026-03-13"]`)),
		chromedp.WaitVisible(css(detail+` [data-device="labels"]`)),
	)
	if got := uitest.Text(t, ctx, "#st-detail .st-state"); got != "在线" {
		t.Errorf("the enrolled station's state %q", got)
	}
	if got := uitest.Text(t, ctx, `#st-list [data-node="`+node+`"]`); !strings.Contains(got, "在线") || !strings.Contains(got, "labels 故障") {
		t.Errorf("the station's row %q", got)
	}
	if got := uitest.Text(t, ctx, detail+` [data-date="2026-03-13"]`); !strings.Contains(got, "12") || !strings.Contains(got, "-1") ||
		!strings.Contains(got, "laoli") {
		t.Errorf("the day close reads %q", got)
	}
	if got := uitest.Text(t, ctx, "#st-detail .st-facts"); !strings.Contains(got, "1200 毫秒") || !strings.Contains(got, "cunyou-edge/test") {
		t.Errorf("the station's facts %q: its clock skew and version", got)
	}
	fits("the station's detail")
	uitest.Shot(t, ctx, "console-station-detail")

	// A replaced PC: a new code, shown once; the old token stops.
	uitest.Do(t, ctx, "a new code",
		chromedp.Click(css("#st-detail .st-new-code")),
		chromedp.Click(css("#st-detail .st-new-code")),
		chromedp.WaitVisible(css("#st-code .enroll-code")),
	)
	if again := uitest.Text(t, ctx, "#st-code .enroll-code"); again == code || len(again) != 9 {
		t.Errorf("the new code %q (the first was %q)", again, code)
	}
	if status := edge.hello(now.UnixMilli(), nil); status != http.StatusUnauthorized {
		t.Errorf("the old PC's hello answers %d after a new code, want 401", status)
	}
	uitest.Do(t, ctx, "disable the station",
		chromedp.Click(css("#st-detail .st-disable")),
		chromedp.Click(css("#st-detail .st-disable")),
		chromedp.Poll[chromedp.Void](`(document.querySelector("#st-detail .st-state") || {}).textContent === "已停用"`),
		chromedp.WaitVisible(css("#st-detail .msg.ok")),
	)
	n, err := h.st.Node(bg, node)
	require.NoError(t, err)
	if !n.Disabled {
		t.Error("the station is not disabled after the dispatcher disabled it")
	}
	if ps := jsProblems(); len(ps) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(ps, "\n"))
	}
}
