package public_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/public"
	"cunyou/hub/store"
	"cunyou/syncproto"
)

type trackBody struct {
	Parcels []struct {
		Waybill    string `json:"waybill"`
		Direction  string `json:"direction"`
		Status     string `json:"status"`
		StatusText string `json:"status_text"`
		Carrier    struct {
			Code, Name string
		} `json:"carrier"`
		Progress struct {
			Step    int      `json:"step"`
			Steps   []string `json:"steps"`
			Stopped bool     `json:"stopped"`
		} `json:"progress"`
		Receiver struct {
			Name, Phone string
		} `json:"receiver"`
		Station *station `json:"station"`
		Events  []struct {
			At, Kind, Text string
		} `json:"events"`
	} `json:"parcels"`
}

type station struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Town      string `json:"town"`
	Village   string `json:"village"`
	Address   string `json:"address"`
	Hours     string `json:"hours"`
	Contact   string `json:"contact"`
	State     string `json:"state"`
	OpenNow   bool   `json:"open_now"`
	StateText string `json:"state_text"`
}

func setContact(t *testing.T, e *env, node, phone string) {
	t.Helper()
	require.NoError(t, e.st.UpdateSite(context.Background(), node, store.SiteUpdate{Contact: &phone}))
}

// Anyone with the waybill number sees where the parcel is, in sentences,
// with the station's hours and phone; the receiver masked; never the
// pickup code nor anyone's full phone.
func TestTrack(t *testing.T) {
	e := newEnv(t, public.Limits{})
	setContact(t, e, stFuxing, "0455-6221234")
	e.journey(t)

	r := e.get(t, "/q/api/track?waybill="+wbArrived)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
	assert.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
	for _, secret := range []string{codeWang, "0417", phoneWang, "王秀英", "13700000000", "王小明", "黑M12345"} {
		assert.NotContains(t, r.body, secret)
	}
	var b trackBody
	b = zero(b)
	r.json(t, &b)
	require.Len(t, b.Parcels, 1)
	p := b.Parcels[0]
	assert.Equal(t, "at_station", p.Status)
	assert.Equal(t, "已到驿站，待取件", p.StatusText)
	assert.Equal(t, "中通快递", p.Carrier.Name)
	assert.Equal(t, "王*英", p.Receiver.Name)
	assert.Equal(t, "139****5678", p.Receiver.Phone)
	assert.Equal(t, 3, p.Progress.Step)
	assert.Equal(t, []string{"已发货", "到县城", "在路上", "到驿站", "已取件"}, p.Progress.Steps)
	require.NotNil(t, p.Station)
	assert.Equal(t, "福兴村驿站", p.Station.Name)
	assert.Equal(t, "09:00-21:00", p.Station.Hours)
	assert.Equal(t, "0455-6221234", p.Station.Contact, "the station's business number is shown")
	assert.Equal(t, "通江镇福兴村", p.Station.Address)
	assert.Equal(t, "closed", p.Station.State, "08:00, it opens at 09:00")
	assert.Equal(t, "已关门，今天 09:00 开门", p.Station.StateText)

	lines, err := e.st.Lines(context.Background())
	require.NoError(t, err)
	var eta string
	for _, st := range lines[0].Stops[1:] {
		if st.Node == stFuxing {
			eta = at("07:02").Add(time.Duration(st.Minutes) * time.Minute).Format("15:04")
		}
	}
	require.NotEmpty(t, eta, "L1 stops at 福兴村")
	var texts []string
	for _, ev := range p.Events {
		texts = append(texts, ev.At[11:16]+" "+ev.Text)
	}
	assert.Equal(t, []string{
		"07:40 已到达福兴村驿站，取件码请见短信",
		"07:02 已从分拨中心发出，班车 L1 07:00，预计 " + eta + " 到福兴村驿站",
		"06:40 已装上班车 L1 07:00，等待发车",
		"06:10 已在望奎县农村物流分拨中心分拣，将送往福兴村驿站",
	}, texts[:4])
	assert.Contains(t, texts[4], "已收到中通快递的发货信息，将送往福兴村驿站")
	assert.Equal(t, "2026-03-14T07:40:00+08:00", p.Events[0].At, "county time")

	// Collected by a proxy: said so, without who.
	r = e.get(t, "/q/api/track?waybill="+wbTaken)
	require.Equal(t, http.StatusOK, r.status)
	b = zero(b)
	r.json(t, &b)
	assert.Equal(t, "picked_up", b.Parcels[0].Status)
	assert.Equal(t, 4, b.Parcels[0].Progress.Step)
	assert.Equal(t, "包裹已在福兴村驿站由他人代取", b.Parcels[0].Events[0].Text)
	assert.NotContains(t, r.body, "1-1-0001")

	// On the way: the destination station, no code yet.
	r = e.get(t, "/q/api/track?waybill="+wbComing)
	b = zero(b)
	r.json(t, &b)
	assert.Equal(t, "manifested", b.Parcels[0].Status)
	assert.Equal(t, "福兴村驿站", b.Parcels[0].Station.Name)

	// In English.
	r = e.get(t, "/q/api/track?waybill="+wbArrived, "Accept-Language", "en-GB,en;q=0.9,zh;q=0.5")
	b = zero(b)
	r.json(t, &b)
	assert.Equal(t, "At the station, ready to collect", b.Parcels[0].StatusText)
	assert.Equal(t, "Arrived at 福兴村驿站; the pickup code is in the SMS", b.Parcels[0].Events[0].Text)
	assert.Contains(t, r.header.Values("Vary"), "Accept-Language")
	r = e.get(t, "/q/api/track?lang=en&waybill="+wbArrived)
	b = zero(b)
	r.json(t, &b)
	assert.Equal(t, "Collected", b.Parcels[0].Progress.Steps[4])

	// A number typed with spaces and lowercase letters is found.
	r = e.get(t, "/q/api/track?waybill=7310+0000+0000+01")
	assert.Equal(t, http.StatusOK, r.status)

	for _, tc := range []struct {
		waybill, code string
		status        int
	}{
		{"", public.CodeBadWaybill, http.StatusBadRequest},
		{"abc", public.CodeBadWaybill, http.StatusBadRequest},
		{"79999999999999", public.CodeWaybillNotFound, http.StatusNotFound},
	} {
		r := e.get(t, "/q/api/track?waybill="+tc.waybill)
		assert.Equal(t, tc.status, r.status, tc.waybill)
		er := r.errCode(t)
		assert.Equal(t, tc.code, er.Error.Code, tc.waybill)
		assert.NotEmpty(t, er.Error.Message)
		assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
	}
	er := e.get(t, "/q/api/track?waybill=79999999999999").errCode(t)
	assert.Equal(t, "没有查到这个运单。包裹可能还没送到县里，请过几个小时再查，或核对单号。", er.Error.Message)
}

// A problem parcel and an outbound parcel say what happened in words.
func TestTrackProblemAndOutbound(t *testing.T) {
	e := newEnv(t, public.Limits{})
	e.journey(t)
	e.apply(t, stFuxing, at("08:10"), syncproto.KindParcelProblem, syncproto.ParcelProblem{Waybill: wbLi,
		Reason: syncproto.ReasonDamaged, Text: "箱子压坏，联系 13912340000"})
	var b trackBody
	r := e.get(t, "/q/api/track?waybill="+wbLi)
	b = zero(b)
	r.json(t, &b)
	assert.Equal(t, "problem", b.Parcels[0].Status)
	assert.True(t, b.Parcels[0].Progress.Stopped)
	assert.Equal(t, "福兴村驿站登记了问题：包装破损，正在处理", b.Parcels[0].Events[0].Text)
	assert.NotContains(t, r.body, "13912340000", "the operator's note stays inside")

	const out = "75500000000001"
	e.apply(t, stFuxing, at("09:30"), syncproto.KindParcelAccepted, syncproto.ParcelAccepted{Waybill: out, Carrier: "zto",
		WaybillSource: "entered", Sender: syncproto.Party{Name: "赵大山", Phone: "13600000000", IDLast4: "1234"},
		Receiver:    syncproto.Party{Name: "钱小红", Phone: "13500000000", Province: "浙江省", Address: "杭州市"},
		WeightGrams: 1500, PriceFen: 1500})
	r = e.get(t, "/q/api/track?waybill="+out)
	require.Equal(t, http.StatusOK, r.status, r.body)
	b = zero(b)
	r.json(t, &b)
	assert.Equal(t, "out", b.Parcels[0].Direction)
	assert.Equal(t, "accepted", b.Parcels[0].Status)
	assert.Equal(t, []string{"已收寄", "到县城", "交快递"}, b.Parcels[0].Progress.Steps)
	assert.Equal(t, "福兴村驿站已收寄，寄往浙江省", b.Parcels[0].Events[0].Text)
	assert.Equal(t, "钱*红", b.Parcels[0].Receiver.Name)
	for _, secret := range []string{"13600000000", "13500000000", "赵大山", "钱小红", "1234"} {
		assert.NotContains(t, r.body, secret)
	}
}

type mineBody struct {
	Phone   string `json:"phone"`
	Waiting []struct {
		Waybill string   `json:"waybill"`
		Code    string   `json:"code"`
		Days    int      `json:"days"`
		Since   string   `json:"since"`
		Station *station `json:"station"`
	} `json:"waiting"`
	OnTheWay []struct {
		Waybill    string `json:"waybill"`
		StatusText string `json:"status_text"`
		Latest     *struct{ At, Text string }
	} `json:"on_the_way"`
	Recent []struct {
		Waybill, Status string
	} `json:"recent"`
}

// The pickup code shows only to someone who proves the phone's parcels
// are theirs: the phone and the end of one of its waybills.
func TestMine(t *testing.T) {
	e := newEnv(t, public.Limits{})
	e.journey(t)

	// The end of the parcel still on its way proves it as well as any.
	r := e.mine(t, "192.0.2.10", "139 1234 5678", wbComing[len(wbComing)-4:])
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
	var b mineBody
	b = zero(b)
	r.json(t, &b)
	assert.Equal(t, "139****5678", b.Phone)
	require.Len(t, b.Waiting, 1)
	assert.Equal(t, wbArrived, b.Waiting[0].Waybill)
	assert.Equal(t, codeWang, b.Waiting[0].Code)
	assert.Equal(t, 0, b.Waiting[0].Days)
	assert.Equal(t, "2026-03-14T07:40:00+08:00", b.Waiting[0].Since, "when the station scanned it in")
	require.NotNil(t, b.Waiting[0].Station)
	assert.Equal(t, "福兴村驿站", b.Waiting[0].Station.Name)
	assert.Equal(t, "09:00-21:00", b.Waiting[0].Station.Hours)
	require.Len(t, b.OnTheWay, 1)
	assert.Equal(t, wbComing, b.OnTheWay[0].Waybill)
	require.NotNil(t, b.OnTheWay[0].Latest)
	assert.Contains(t, b.OnTheWay[0].Latest.Text, "已收到中通快递的发货信息")
	require.Len(t, b.Recent, 1)
	assert.Equal(t, wbTaken, b.Recent[0].Waybill)
	assert.Equal(t, "picked_up", b.Recent[0].Status)
	assert.NotContains(t, r.body, codeLi, "another receiver's parcel at the same station")
	assert.NotContains(t, r.body, wbLi)
	assert.NotContains(t, r.body, "1-1-0001", "a collected parcel's code is spent: not shown")

	// Two days later the parcel has waited two days.
	e.clk.add(49 * time.Hour)
	r = e.mine(t, "192.0.2.10", phoneWang, wbArrived[len(wbArrived)-4:])
	b = zero(b)
	r.json(t, &b)
	assert.Equal(t, 2, b.Waiting[0].Days)

	// Wrong proofs: one answer, whether or not the phone has parcels.
	wrong := e.mine(t, "192.0.2.11", phoneWang, "9999")
	none := e.mine(t, "192.0.2.11", "13300000000", "9999")
	other := e.mine(t, "192.0.2.11", phoneWang, wbLi[len(wbLi)-4:])
	for _, r := range []response{wrong, none, other} {
		assert.Equal(t, http.StatusForbidden, r.status)
		assert.Equal(t, wrong.body, r.body)
		assert.Equal(t, public.CodeNoMatch, r.errCode(t).Error.Code)
		assert.NotContains(t, r.body, codeWang)
	}

	// The log names the phone masked, never in full, and never the tail.
	logs := e.logs.String()
	assert.Contains(t, logs, "139****5678")
	assert.Contains(t, logs, "outcome=no_match")
	assert.NotContains(t, logs, phoneWang)
	assert.NotContains(t, logs, "13300000000")
}

func TestMineRequestChecks(t *testing.T) {
	e := newEnv(t, public.Limits{})
	for _, tc := range []struct {
		name   string
		req    func() response
		status int
		code   string
	}{
		{"bad phone", func() response { return e.mine(t, "", "1391234", "0001") }, http.StatusBadRequest, public.CodeBadPhone},
		{"landline", func() response { return e.mine(t, "", "04556221234", "0001") }, http.StatusBadRequest, public.CodeBadPhone},
		{"bad tail", func() response { return e.mine(t, "", phoneWang, "01") }, http.StatusBadRequest, public.CodeBadTail},
		{"tail with signs", func() response { return e.mine(t, "", phoneWang, "00-1") }, http.StatusBadRequest, public.CodeBadTail},
		{"not JSON", func() response {
			return e.do(t, http.MethodPost, "/q/api/mine", `{"phone":`, "")
		}, http.StatusBadRequest, public.CodeBadRequest},
		{"form post", func() response {
			return e.do(t, http.MethodPost, "/q/api/mine", `{"phone":"13912345678","tail":"0001"}`, "", "Content-Type", "text/plain")
		}, http.StatusUnsupportedMediaType, public.CodeUnsupportedMedia},
		{"another site's page", func() response {
			return e.do(t, http.MethodPost, "/q/api/mine", `{"phone":"13912345678","tail":"0001"}`, "", "Sec-Fetch-Site", "cross-site")
		}, http.StatusForbidden, public.CodeCrossSite},
		{"huge body", func() response {
			return e.do(t, http.MethodPost, "/q/api/mine", `{"phone":"`+strings.Repeat("1", 2000)+`"}`, "")
		}, http.StatusRequestEntityTooLarge, public.CodeTooLarge},
		{"GET", func() response { return e.get(t, "/q/api/mine") }, http.StatusMethodNotAllowed, public.CodeMethodNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req()
			assert.Equal(t, tc.status, r.status, r.body)
			assert.Equal(t, tc.code, r.errCode(t).Error.Code)
		})
	}
	// Checks of the request's form are no tries: they cost nothing.
	r := e.mine(t, "", phoneWang, "0001")
	assert.Equal(t, public.CodeNoMatch, r.errCode(t).Error.Code)
}

// Guessing is slow: 10 tries per address per 10 minutes, 5 wrong tries
// per phone per hour from anywhere, then the phone is locked for an hour
// — a phone with parcels and one without alike.
func TestMineRateLimits(t *testing.T) {
	e := newEnv(t, public.Limits{})
	e.journey(t)
	tail := wbArrived[len(wbArrived)-4:]

	// One address, ten phones: the eleventh try waits.
	for i := range 10 {
		r := e.mine(t, "198.51.100.7", fmt.Sprintf("1370000%04d", i), "1234")
		require.Equal(t, public.CodeNoMatch, r.errCode(t).Error.Code, i)
	}
	r := e.mine(t, "198.51.100.7", phoneWang, tail)
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	er := r.errCode(t)
	assert.Equal(t, public.CodeTooManyTries, er.Error.Code)
	assert.Equal(t, "查询太频繁，请 10 分钟后再试。", er.Error.Message)
	assert.Equal(t, "600", r.header.Get("Retry-After"))
	assert.Equal(t, 600, er.Error.RetryAfterS)
	assert.Equal(t, http.StatusOK, e.mine(t, "198.51.100.8", phoneWang, tail).status, "another address may")
	e.clk.add(10 * time.Minute)
	assert.Equal(t, http.StatusOK, e.mine(t, "198.51.100.7", phoneWang, tail).status, "after ten minutes")

	// Five wrong tails for one phone, from five addresses, lock it: even
	// the right tail is refused for an hour, from anywhere.
	for _, phone := range []string{phoneWang, "13300000000"} { // with parcels, without
		for i := range 5 {
			r := e.mine(t, fmt.Sprintf("203.0.113.%d", i), phone, "0000")
			if i < 4 {
				require.Equal(t, public.CodeNoMatch, r.errCode(t).Error.Code, i)
			} else {
				require.Equal(t, public.CodePhoneLocked, r.errCode(t).Error.Code, "the fifth wrong try locks")
			}
		}
		r := e.mine(t, "203.0.113.99", phone, tail)
		assert.Equal(t, http.StatusTooManyRequests, r.status)
		er := r.errCode(t)
		assert.Equal(t, public.CodePhoneLocked, er.Error.Code)
		assert.Contains(t, er.Error.Message, "60 分钟后再试")
		assert.Equal(t, "3600", r.header.Get("Retry-After"))
	}
	assert.Contains(t, e.logs.String(), "phone locked after wrong tries")
	assert.NotContains(t, e.logs.String(), phoneWang)

	e.clk.add(59 * time.Minute)
	assert.Equal(t, public.CodePhoneLocked, e.mine(t, "203.0.113.98", phoneWang, tail).errCode(t).Error.Code)
	e.clk.add(2 * time.Minute)
	r = e.mine(t, "203.0.113.98", phoneWang, tail)
	require.Equal(t, http.StatusOK, r.status, "unlocked after the hour: %s", r.body)

	// Wrong tries spread over more than an hour never lock.
	for range 3 {
		for i := range 4 {
			e.mine(t, fmt.Sprintf("192.0.2.%d", 100+i), phoneLi, "0000")
		}
		e.clk.add(61 * time.Minute)
	}
	assert.Equal(t, http.StatusOK, e.mine(t, "192.0.2.200", phoneLi, wbLi[len(wbLi)-4:]).status)

	// Waybill lookups have their own, larger budget.
	for range 120 {
		e.do(t, http.MethodGet, "/q/api/track?waybill="+wbArrived, "", "198.51.100.50")
	}
	r = e.do(t, http.MethodGet, "/q/api/track?waybill="+wbArrived, "", "198.51.100.50")
	assert.Equal(t, public.CodeTooManyTries, r.errCode(t).Error.Code)
}

// Behind a trusted proxy the client is the forwarded address, and every
// address of one IPv6 /64 is one client.
func TestMineClientAddress(t *testing.T) {
	e := newEnv(t, public.Limits{MineTries: 2})
	for i := range 2 {
		e.mine(t, fmt.Sprintf("2001:db8:1:2::%d", i+1), phoneWang, "0000")
	}
	r := e.mine(t, "2001:db8:1:2::99", "13300000000", "0000")
	assert.Equal(t, public.CodeTooManyTries, r.errCode(t).Error.Code, "one /64, one client")
	r = e.mine(t, "2001:db8:1:3::1", "13300000000", "0000")
	assert.Equal(t, public.CodeNoMatch, r.errCode(t).Error.Code)
}

func TestStations(t *testing.T) {
	e := newEnv(t, public.Limits{})
	ctx := context.Background()
	setContact(t, e, "ST-V0101", "13604551234")
	suspended, closed := "suspended", "closed"
	require.NoError(t, e.st.UpdateSite(ctx, "ST-V0103", store.SiteUpdate{Status: &suspended}))
	require.NoError(t, e.st.UpdateSite(ctx, "ST-V0104", store.SiteUpdate{Status: &closed}))

	r := e.get(t, "/q/api/stations", "Accept-Encoding", "gzip")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "gzip", r.header.Get("Content-Encoding"), "a county is worth compressing")
	assert.Equal(t, "public, max-age=60", r.header.Get("Cache-Control"))

	r = e.get(t, "/q/api/stations")
	var b struct {
		County string `json:"county"`
		Centre string `json:"centre"`
		Towns  []struct {
			Code, Name string
			Villages   []struct {
				Code, Name string
				Stations   []string
				Nearest    *struct {
					Station string
					KM      float64
				}
			}
		} `json:"towns"`
		Stations map[string]station `json:"stations"`
	}
	r.json(t, &b)
	assert.Equal(t, "望奎县", b.County)
	assert.Equal(t, "望奎县农村物流分拨中心", b.Centre)
	require.Len(t, b.Towns, 15)
	assert.Equal(t, "望奎镇", b.Towns[0].Name)
	v := b.Towns[0].Villages
	require.Len(t, v, 6)
	assert.Equal(t, "南岗村", v[0].Name)
	assert.Equal(t, []string{"ST-V0101"}, v[0].Stations)

	nangang := b.Stations["ST-V0101"]
	assert.Equal(t, station{ID: "ST-V0101", Name: "南岗村驿站", Town: "望奎镇", Village: "南岗村", Address: "望奎镇南岗村",
		Hours: "07:30-19:30", Contact: "13604551234", State: "open", OpenNow: true, StateText: "营业中，19:30 关门"}, nangang)
	assert.Equal(t, "已关门，今天 09:00 开门", b.Stations["ST-V0102"].StateText)
	assert.Equal(t, "suspended", b.Stations["ST-V0103"].State)
	assert.Equal(t, "暂停营业", b.Stations["ST-V0103"].StateText)

	// A closed station is not listed; its village is told the nearest.
	_, listed := b.Stations["ST-V0104"]
	assert.Equal(t, "V0104", v[3].Code)
	assert.Empty(t, v[3].Stations)
	require.NotNil(t, v[3].Nearest)
	assert.NotEqual(t, "ST-V0104", v[3].Nearest.Station)
	assert.Greater(t, v[3].Nearest.KM, 0.0)
	assert.Less(t, v[3].Nearest.KM, 10.0)
	assert.True(t, listed == (v[3].Nearest.Station == "ST-V0104"), "only as someone's nearest")
	assert.Contains(t, b.Stations, v[3].Nearest.Station)

	// One station; evening: closed till tomorrow.
	e.clk.set(at("20:00"))
	var one station
	r = e.get(t, "/q/api/stations/ST-V0101")
	require.Equal(t, http.StatusOK, r.status)
	r.json(t, &one)
	assert.Equal(t, "已关门，明天 07:30 开门", one.StateText)
	r = e.get(t, "/q/api/stations/ST-V0104")
	assert.Equal(t, public.CodeUnknownStation, r.errCode(t).Error.Code)
	r = e.get(t, "/q/api/stations/CENTRE")
	assert.Equal(t, public.CodeUnknownStation, r.errCode(t).Error.Code, "the centre is no station")
}

func TestNoCountyYet(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), store.Options{})
	require.NoError(t, err)
	defer st.Close()
	h := public.New(public.Options{Store: st}).Handler()
	for _, target := range []string{"/q/api/stations", "/q/api/trips?village=V0101"} {
		rec := httptestDo(h, http.MethodGet, target)
		assert.Equal(t, http.StatusServiceUnavailable, rec.status, target)
		assert.Contains(t, rec.body, public.CodeNoCounty)
	}
}

func TestPrice(t *testing.T) {
	e := newEnv(t, public.Limits{})
	require.NoError(t, e.st.SetTariffs(context.Background(), []syncproto.Tariff{
		{Carrier: "zto", Province: "*", FirstGrams: 1000, FirstFen: 1000, StepGrams: 1000, StepFen: 500},
		{Carrier: "zto", Province: "黑龙江省", FirstGrams: 1000, FirstFen: 600, StepGrams: 1000, StepFen: 200},
		{Carrier: "ems", Province: "*", FirstGrams: 500, FirstFen: 1200, StepGrams: 500, StepFen: 400},
		{Carrier: "sf", Province: "北京市", FirstGrams: 1000, FirstFen: 2300, StepGrams: 1000, StepFen: 1300},
	}))

	var opts struct {
		Carriers  []struct{ Code, Name string } `json:"carriers"`
		Provinces []struct{ Code, Name string } `json:"provinces"`
	}
	r := e.get(t, "/q/api/price/options")
	require.Equal(t, http.StatusOK, r.status)
	r.json(t, &opts)
	assert.Len(t, opts.Carriers, 3)
	assert.Equal(t, "中国邮政速递物流", opts.Carriers[0].Name)
	assert.Len(t, opts.Provinces, 34)

	type priceBody struct {
		PriceFen   int    `json:"price_fen"`
		PriceText  string `json:"price_text"`
		Province   string `json:"province"`
		RuleText   string `json:"rule_text"`
		IsFallback bool   `json:"default_rate"`
		Tariff     syncproto.Tariff
	}
	for _, tc := range []struct {
		query    string
		fen      int
		text     string
		fallback bool
	}{
		{"carrier=zto&province=黑龙江省&weight_g=800", 600, "6.00 元", false},
		{"carrier=zto&province=hl&weight_g=1000", 600, "6.00 元", false},
		{"carrier=zto&province=hl&weight_g=1001", 800, "8.00 元", false},
		{"carrier=zto&province=hl&weight_g=2500", 1000, "10.00 元", false},
		{"carrier=zto&province=浙江省&weight_g=2500", 2000, "20.00 元", true},
		{"carrier=ZTO&province=zj&weight_g=100000", 1000 + 99*500, "505.00 元", true},
		{"carrier=ems&province=gd&weight_g=1200", 1200 + 2*400, "20.00 元", true},
	} {
		r := e.get(t, "/q/api/price?"+tc.query)
		require.Equal(t, http.StatusOK, r.status, "%s: %s", tc.query, r.body)
		var b priceBody
		r.json(t, &b)
		assert.Equal(t, tc.fen, b.PriceFen, tc.query)
		assert.Equal(t, tc.text, b.PriceText, tc.query)
		assert.Equal(t, tc.fallback, b.IsFallback, tc.query)
		assert.NotEmpty(t, b.RuleText)
	}
	var b priceBody
	e.get(t, "/q/api/price?carrier=zto&province=hl&weight_g=2500").json(t, &b)
	assert.Equal(t, "首重 1 公斤 以内 6.00 元，超出后每 1 公斤 加 2.00 元", b.RuleText)
	e.get(t, "/q/api/price?carrier=ems&province=hl&weight_g=100&lang=en").json(t, &b)
	assert.Equal(t, "Up to 500 g: ¥12.00; each further 500 g: ¥4.00", b.RuleText)

	for _, tc := range []struct {
		query, code string
	}{
		{"province=hl&weight_g=100", public.CodeBadCarrier},
		{"carrier=yto&province=hl&weight_g=100", public.CodeBadCarrier},
		{"carrier=zto&province=火星&weight_g=100", public.CodeBadProvince},
		{"carrier=zto&weight_g=100", public.CodeBadProvince},
		{"carrier=zto&province=hl&weight_g=0", public.CodeBadWeight},
		{"carrier=zto&province=hl&weight_g=100001", public.CodeBadWeight},
		{"carrier=zto&province=hl&weight_g=1.5", public.CodeBadWeight},
		{"carrier=sf&province=hl&weight_g=100", public.CodeNoTariff},
	} {
		r := e.get(t, "/q/api/price?"+tc.query)
		er := r.errCode(t)
		assert.Equal(t, tc.code, er.Error.Code, tc.query)
	}
	er := e.get(t, "/q/api/price?carrier=sf&province=hl&weight_g=100").errCode(t)
	assert.Equal(t, "顺丰速运暂时没有寄往黑龙江省的价格，请到驿站询问。", er.Error.Message)
}

func TestPriceRule(t *testing.T) {
	tf := syncproto.Tariff{FirstGrams: 1000, FirstFen: 1000, StepGrams: 500, StepFen: 300}
	for _, tc := range []struct{ grams, fen int }{
		{1, 1000}, {1000, 1000}, {1001, 1300}, {1500, 1300}, {1501, 1600}, {3000, 2200},
	} {
		assert.Equal(t, tc.fen, public.Price(tf, tc.grams), tc.grams)
	}
}

type tripsBody struct {
	Date    string `json:"date"`
	Village struct {
		Code, Name, Town string
	} `json:"village"`
	Station *station `json:"station"`
	From    string   `json:"from"`
	Trips   []struct {
		ID         string `json:"id"`
		Line       string `json:"line"`
		LineName   string `json:"line_name"`
		Departure  string `json:"departure"`
		Arrive     string `json:"arrive"`
		Status     string `json:"status"`
		StatusText string `json:"status_text"`
		Minutes    int    `json:"minutes"`
		Next       bool   `json:"next"`
	} `json:"trips"`
	Timetable bool   `json:"timetable"`
	Note      string `json:"note"`
}

func TestTrips(t *testing.T) {
	e := newEnv(t, public.Limits{})
	ctx := context.Background()
	lines, err := e.st.Lines(ctx)
	require.NoError(t, err)
	var minutes int
	for _, st := range lines[0].Stops[1:] {
		if st.Node == stFuxing {
			minutes = st.Minutes
		}
	}
	require.Positive(t, minutes)
	arrive := func(dep string) string { return at(dep).Add(time.Duration(minutes) * time.Minute).Format("15:04") }

	// No trips planned yet: the timetable.
	var b tripsBody
	r := e.get(t, "/q/api/trips?village=V0201")
	require.Equal(t, http.StatusOK, r.status, r.body)
	r.json(t, &b)
	assert.True(t, b.Timetable)
	assert.Equal(t, "2026-03-14", b.Date)
	assert.Equal(t, "福兴村", b.Village.Name)
	assert.Equal(t, "通江镇", b.Village.Town)
	assert.Equal(t, "福兴村驿站", b.Station.Name)
	assert.Equal(t, "望奎县农村物流分拨中心", b.From)
	require.Len(t, b.Trips, 2)
	assert.Equal(t, "13:30", b.Trips[1].Departure)
	assert.Equal(t, "timetable", b.Trips[1].Status)
	assert.Equal(t, "按时刻表 13:30 发车，预计 "+arrive("13:30")+" 到", b.Trips[1].StatusText)

	// Planned; at 06:00 both are still to come, the first is next.
	_, err = e.st.PlanTrips(ctx, "2026-03-14")
	require.NoError(t, err)
	e.clk.set(at("06:00"))
	b = e.trips(t, "V0201")
	assert.False(t, b.Timetable)
	require.Len(t, b.Trips, 2)
	first := b.Trips[0]
	assert.Equal(t, tripL1, first.ID)
	assert.Equal(t, "L1", first.Line)
	assert.Equal(t, "望奎1路农村客运班线", first.LineName)
	assert.Equal(t, "07:00", first.Departure)
	assert.Equal(t, arrive("07:00"), first.Arrive)
	assert.Equal(t, minutes, first.Minutes)
	assert.Equal(t, "planned", first.Status)
	assert.Equal(t, "07:00 发车，预计 "+arrive("07:00")+" 到", first.StatusText)
	assert.True(t, first.Next)
	assert.False(t, b.Trips[1].Next)

	// 07:01, not reported as left: due. Left late at 07:20: expected
	// later. After the stop's time: passed, the 13:30 is next.
	e.clk.set(at("07:01"))
	b = e.trips(t, "V0201")
	assert.Equal(t, "due", b.Trips[0].Status)
	e.clk.set(at("07:20"))
	departed := "departed"
	require.NoError(t, e.st.UpdateTrip(ctx, tripL1, store.TripUpdate{Status: &departed}))
	b = e.trips(t, "V0201")
	assert.Equal(t, "on_the_way", b.Trips[0].Status)
	assert.Equal(t, arrive("07:20"), b.Trips[0].Arrive)
	assert.Equal(t, "已发车，预计 "+arrive("07:20")+" 到", b.Trips[0].StatusText)
	e.clk.set(at("07:20").Add(time.Duration(minutes) * time.Minute))
	b = e.trips(t, "V0201")
	assert.Equal(t, "passed", b.Trips[0].Status)
	assert.True(t, b.Trips[1].Next)
	assert.Empty(t, b.Note)

	// Cancelled, and nothing left today.
	cancelled := "cancelled"
	require.NoError(t, e.st.UpdateTrip(ctx, "L1-20260314-1330", store.TripUpdate{Status: &cancelled}))
	b = e.trips(t, "V0201")
	assert.Equal(t, "cancelled", b.Trips[1].Status)
	assert.Equal(t, "今天这趟取消了", b.Trips[1].StatusText)
	assert.Equal(t, "今天没有停福兴村的班车了。", b.Note)

	// A village off every line; a village without a station; no village.
	b = e.trips(t, "V0101")
	assert.Empty(t, b.Trips)
	assert.NotNil(t, b.Station)
	closed := "closed"
	require.NoError(t, e.st.UpdateSite(ctx, "ST-V0202", store.SiteUpdate{Status: &closed}))
	e.srvForget()
	b = e.trips(t, "V0202")
	assert.Nil(t, b.Station)
	assert.Equal(t, "永久村还没有驿站，班车不在这里停。", b.Note)
	r = e.get(t, "/q/api/trips?village=V9999")
	assert.Equal(t, public.CodeUnknownVillage, r.errCode(t).Error.Code)
}

func (e *env) trips(t *testing.T, village string) tripsBody {
	t.Helper()
	r := e.get(t, "/q/api/trips?village="+village)
	require.Equal(t, http.StatusOK, r.status, r.body)
	var b tripsBody
	r.json(t, &b)
	return b
}

// srvForget replaces the server so that registries changed in the test
// are read again (the server keeps them 30 s).
func (e *env) srvForget() {
	e.srv = public.New(public.Options{Store: e.st, Now: e.clk.now, Location: cst})
	e.h = e.srv.Handler()
}

// The page: versioned assets cached for a year, the page itself
// revalidated; strict security headers on every answer.
func TestPageAndHeaders(t *testing.T) {
	e := newEnv(t, public.Limits{})
	r := e.get(t, "/q/")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "text/html; charset=utf-8", r.header.Get("Content-Type"))
	assert.Equal(t, "no-cache", r.header.Get("Cache-Control"))
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "connect-src 'self'"} {
		assert.Contains(t, csp, want)
	}
	assert.NotContains(t, csp, "unsafe-inline")
	assert.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"))
	assert.Equal(t, "no-referrer", r.header.Get("Referrer-Policy"))
	assert.Equal(t, "DENY", r.header.Get("X-Frame-Options"))

	m := regexpFind(t, `src="app.js\?v=([0-9a-f]+)"`, r.body)
	js := e.get(t, "/q/app.js?v="+m)
	require.Equal(t, http.StatusOK, js.status)
	assert.Equal(t, "public, max-age=31536000, immutable", js.header.Get("Cache-Control"))
	assert.Equal(t, "text/javascript; charset=utf-8", js.header.Get("Content-Type"))
	assert.Equal(t, "no-cache", e.get(t, "/q/app.js?v=old").header.Get("Cache-Control"), "a stale version is revalidated")
	gz := e.get(t, "/q/app.js?v="+m, "Accept-Encoding", "gzip, deflate")
	assert.Equal(t, "gzip", gz.header.Get("Content-Encoding"))
	assert.Less(t, len(gz.body), len(js.body)/2)
	etag := js.header.Get("ETag")
	require.NotEmpty(t, etag)
	assert.Equal(t, http.StatusNotModified, e.get(t, "/q/app.js", "If-None-Match", etag).status)
	assert.Equal(t, http.StatusOK, e.get(t, "/q/app.css").status)

	head := e.do(t, http.MethodHead, "/q/", "", "")
	assert.Equal(t, http.StatusOK, head.status)
	assert.Empty(t, head.body)

	assert.Equal(t, http.StatusNotFound, e.get(t, "/q/secret.txt").status)
	assert.Equal(t, http.StatusNotFound, e.get(t, "/q/..%2fui.go").status)
	r = e.get(t, "/q/api/nothing")
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, public.CodeNotFound, r.errCode(t).Error.Code)
	assert.NotEmpty(t, r.header.Get("Content-Security-Policy"))
}

// zero is v's zero value: JSON decodes into what a variable holds.
func zero[T any](T) T {
	var z T
	return z
}
