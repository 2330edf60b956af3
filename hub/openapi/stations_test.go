package openapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/auth"
	"cunyou/hub/gazetteer"
	"cunyou/hub/openapi"
	"cunyou/syncproto"
)

// newVillage is a village the test county gains, with no station yet.
const newVillage = "V0107"

// addVillage loads the test county again with a new village in 望奎镇:
// one a new station can serve.
func (e *env) addVillage() {
	e.t.Helper()
	c, err := gazetteer.LoadFile("../../testdata/county.json")
	require.NoError(e.t, err)
	v := c.Towns[0].Villages[0]
	c.Towns[0].Villages = append(c.Towns[0].Villages, gazetteer.Village{Code: newVillage, Name: "红光村", Lat: v.Lat + 0.02, Lon: v.Lon + 0.02})
	_, err = e.st.LoadCounty(e.ctx, c)
	require.NoError(e.t, err)
}

func (e *env) put(path, as string, v any) response {
	e.t.Helper()
	return e.do(http.MethodPut, path, as, jsonBody(v), nil)
}

// Each station permission, role by role: adding, disabling and enabling
// are the dispatchers' and the admin's; a new code is theirs and the
// technicians'; reading a station and its day closes needs
// stations.read. No API client writes, whatever its scopes; the admin
// token does.
func TestStationPermissions(t *testing.T) {
	e := newEnv(t)
	tokens := e.people()
	for _, role := range auth.Roles {
		as := tokens[role]
		node := "ST-NEW-" + strings.ToUpper(role[:3])
		r := e.put("/api/v1/stations/"+node, as, openapi.NewStation{Name: "新驿站 " + role})
		if auth.Allows(role, auth.StationsManage) {
			got := decode[openapi.StationEnrollment](t, r, http.StatusCreated)
			assert.Equal(t, node, got.Node, role)
		} else {
			problem(t, r, http.StatusForbidden, openapi.CodeInsufficientScope)
		}
		for _, op := range []string{"disable", "enable"} {
			r := e.post("/api/v1/stations/ST-V0101/"+op, as, nil)
			if auth.Allows(role, auth.StationsManage) {
				assert.Equal(t, http.StatusOK, r.status, "%s %s: %s", role, op, r.body)
			} else {
				problem(t, r, http.StatusForbidden, openapi.CodeInsufficientScope)
			}
		}
		r = e.post("/api/v1/stations/ST-V0102/code", as, nil)
		if auth.Allows(role, auth.StationsEnroll) {
			decode[openapi.StationEnrollment](t, r, http.StatusOK)
		} else {
			problem(t, r, http.StatusForbidden, openapi.CodeInsufficientScope)
		}
		for _, path := range []string{"/api/v1/stations/ST-V0101", "/api/v1/stations/ST-V0101/dayclosures"} {
			r := e.get(path, as)
			if auth.Allows(role, auth.StationsRead) {
				assert.Equal(t, http.StatusOK, r.status, "%s %s: %s", role, path, r.body)
			} else {
				problem(t, r, http.StatusForbidden, openapi.CodeInsufficientScope)
			}
		}
		r = e.get("/api/v1/villages", as)
		if auth.Allows(role, auth.RegistryRead) {
			assert.Equal(t, http.StatusOK, r.status, "%s villages: %s", role, r.body)
		} else {
			problem(t, r, http.StatusForbidden, openapi.CodeInsufficientScope)
		}
	}
	assert.True(t, auth.Allows(auth.Technician, auth.StationsEnroll), "a technician replacing a PC issues its code")
	assert.False(t, auth.Allows(auth.Technician, auth.StationsManage))

	// The county's dispatch client reads, never writes; the admin token
	// writes.
	assert.Equal(t, http.StatusOK, e.get("/api/v1/stations/ST-V0101/dayclosures", "county").status)
	problem(t, e.put("/api/v1/stations/ST-API", "county", openapi.NewStation{Name: "接口驿站"}), http.StatusForbidden, openapi.CodeInsufficientScope)
	problem(t, e.post("/api/v1/stations/ST-V0101/code", "county", nil), http.StatusForbidden, openapi.CodeInsufficientScope)
	problem(t, e.post("/api/v1/stations/ST-V0101/disable", "zto-app", nil), http.StatusForbidden, openapi.CodeInsufficientScope)
	problem(t, e.get("/api/v1/stations/ST-V0101", "reader"), http.StatusForbidden, openapi.CodeInsufficientScope)
	decode[openapi.StationEnrollment](t, e.put("/api/v1/stations/ST-ADMIN", "admin", openapi.NewStation{Name: "管理员加的驿站"}), http.StatusCreated)
}

// A dispatcher adds a station for a village nobody served: its code is
// shown once with the command to type, its SMS texts are queued, the
// village's parcels go to it, the code enrolls it once — and the code is
// in no audit row.
func TestAddStation(t *testing.T) {
	e := newEnv(t)
	e.addVillage()
	tokens := e.people()
	as := tokens[auth.Dispatcher]
	const node = "ST-V0107"

	vs := decode[openapi.VillageList](t, e.get("/api/v1/villages", as), http.StatusOK)
	free := map[string]string{}
	for _, v := range vs.Villages {
		free[v.Code] = v.Station
	}
	require.Contains(t, free, newVillage)
	assert.Empty(t, free[newVillage], "nobody serves the new village yet")
	assert.Equal(t, "ST-V0101", free["V0101"])

	r := e.do(http.MethodPut, "/api/v1/stations/"+node, as, jsonBody(openapi.NewStation{Name: " 红光村驿站 ", Village: newVillage}),
		map[string]string{openapi.IdempotencyHeader: "add-1"})
	got := decode[openapi.StationEnrollment](t, r, http.StatusCreated)
	assert.Equal(t, node, got.Node)
	assert.Equal(t, "红光村驿站", got.Name)
	assert.Equal(t, "station", got.Kind)
	assert.Regexp(t, `^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$`, got.Code)
	assert.Equal(t, e.clk.now().Add(7*24*time.Hour).UTC(), got.Expires)
	assert.Equal(t, "cunyou-edge enroll --hub "+e.ts.URL+" --code "+got.Code, got.Command)
	require.NotNil(t, got.SMSPushed)
	assert.True(t, *got.SMSPushed)
	changes, err := e.st.ChangesSeq(e.ctx, node)
	require.NoError(t, err)
	assert.Positive(t, changes, "its arrival SMS texts wait for it")

	site := decode[openapi.StationDetail](t, e.get("/api/v1/stations/"+node, as), http.StatusOK)
	assert.Equal(t, "望奎镇红光村", site.Site.Address)
	assert.Equal(t, "红光村", site.Site.VillageName)
	assert.True(t, site.CodePending)
	assert.False(t, site.Enrolled)

	// The village's parcels resolve to the new station at once.
	rs := e.announce(entry("73100000000777", "zto", "13912345678", "黑龙江省绥化市望奎县望奎镇红光村五组"))
	assert.Equal(t, node, rs[0].Station, "%+v", rs[0])

	// Rules broken, each with its code.
	for _, c := range []struct {
		node string
		body openapi.NewStation
		code string
	}{
		{node, openapi.NewStation{Name: "again"}, openapi.CodeExists},
		{"ST-OTHER", openapi.NewStation{Name: "同村第二个", Village: newVillage}, openapi.CodeExists},
		{"ST-X", openapi.NewStation{Name: "无此村", Village: "V9999"}, openapi.CodeInvalid},
		{"ST-X", openapi.NewStation{Name: "中心不服务村", Kind: "centre", Village: "V0107"}, openapi.CodeInvalid},
		{"ST-X", openapi.NewStation{Name: " "}, openapi.CodeInvalid},
		{"ST-X", openapi.NewStation{Name: "x", Kind: "depot"}, openapi.CodeInvalid},
		{"ST%20X", openapi.NewStation{Name: "x"}, openapi.CodeInvalid},
	} {
		status := http.StatusUnprocessableEntity
		if c.code == openapi.CodeExists {
			status = http.StatusConflict
		}
		problem(t, e.put("/api/v1/stations/"+c.node, as, c.body), status, c.code)
	}
	problem(t, e.do(http.MethodPut, "/api/v1/stations/ST-X", as, []byte(`{"name":"x","site":"V0107"}`), nil), http.StatusBadRequest,
		openapi.CodeBadRequest)

	// The code enrolls the station once.
	n, token, err := e.st.Enroll(e.ctx, got.Code, node, "cunyou-edge/test")
	require.NoError(t, err)
	assert.Equal(t, syncproto.NodeStation, n.Kind)
	_, err = e.st.Authenticate(e.ctx, token)
	require.NoError(t, err)
	_, _, err = e.st.Enroll(e.ctx, got.Code, node, "cunyou-edge/test")
	assert.Error(t, err, "a code enrolls once")

	// A new code (the PC was replaced) revokes the token.
	again := decode[openapi.StationEnrollment](t, e.post("/api/v1/stations/"+node+"/code", tokens[auth.Technician], nil), http.StatusOK)
	assert.NotEqual(t, got.Code, again.Code)
	assert.Equal(t, newVillage, again.Village)
	_, err = e.st.Authenticate(e.ctx, token)
	assert.Error(t, err, "the old PC's token is revoked")

	// Disabled, it gets no code; enabled, it does.
	assert.Equal(t, openapi.StationState{Node: node, Disabled: true},
		decode[openapi.StationState](t, e.post("/api/v1/stations/"+node+"/disable", as, nil), http.StatusOK))
	problem(t, e.post("/api/v1/stations/"+node+"/code", as, nil), http.StatusConflict, openapi.CodeStationDisabled)
	rs = e.announce(entry("73100000000778", "zto", "13700001111", "黑龙江省绥化市望奎县望奎镇红光村五组"))
	assert.Empty(t, rs[0].Station, "a disabled station takes no parcels")
	decode[openapi.StationState](t, e.post("/api/v1/stations/"+node+"/enable", as, nil), http.StatusOK)
	last := decode[openapi.StationEnrollment](t, e.post("/api/v1/stations/"+node+"/code", as, nil), http.StatusOK)
	problem(t, e.post("/api/v1/stations/ST-NONE/code", as, nil), http.StatusNotFound, openapi.CodeNotFound)
	problem(t, e.post("/api/v1/stations/ST-NONE/disable", as, nil), http.StatusNotFound, openapi.CodeNotFound)

	// Every change is audited with its node; no code is in any row.
	var actions []string
	for _, row := range e.auditRows() {
		all := strings.Join([]string{row.Actor, row.Action, row.Target, row.Detail, row.Result}, "|")
		for _, code := range []string{got.Code, again.Code, last.Code} {
			assert.NotContains(t, all, code)
			assert.NotContains(t, all, strings.ReplaceAll(code, "-", ""))
		}
		if strings.HasPrefix(row.Action, "station.") && row.Result == "ok" {
			actions = append(actions, row.Actor+" "+row.Action+" "+row.Target)
		}
	}
	assert.Contains(t, actions, "user:u-dispatcher station.add node="+node)
	assert.Contains(t, actions, "user:u-technician station.code node="+node)
	assert.Contains(t, actions, "user:u-dispatcher station.disable node="+node)
}

// A station's day closes, as it uploaded them, the latest day first.
func TestDayClosures(t *testing.T) {
	e := newEnv(t)
	tokens := e.people()
	const node = "ST-V0101"
	e.apply(node, syncproto.KindDayClosed, syncproto.DayClosed{Date: "2026-03-12", FromMs: 1, ToMs: 2,
		ByCarrier: map[string]syncproto.DayCounts{"zto": {In: 3, Out: 1, OnShelf: 2}},
		Total:     syncproto.DayCounts{In: 3, Out: 1, OnShelf: 2}})
	e.apply(node, syncproto.KindDayClosed, syncproto.DayClosed{Date: "2026-03-13", FromMs: 2, ToMs: 3,
		ByCarrier: map[string]syncproto.DayCounts{"zto": {In: 5, Out: 4, OnShelf: 2}, "yto": {In: 2, Sent: 1, Problems: 1, Returns: 1, OnShelf: 1}},
		Total:     syncproto.DayCounts{In: 7, Out: 4, Sent: 1, Problems: 1, Returns: 1, OnShelf: 3}, OpeningOnShelf: 2, Mismatch: -1})
	e.apply("ST-V0102", syncproto.KindDayClosed, syncproto.DayClosed{Date: "2026-03-13", Total: syncproto.DayCounts{In: 99}})
	e.apply(node, syncproto.KindStocktake, syncproto.Stocktake{Shelf: 1, Expected: 1, Scanned: 1})

	got := decode[openapi.DayCloseList](t, e.get("/api/v1/stations/"+node+"/dayclosures", tokens[auth.Technician]), http.StatusOK)
	require.Len(t, got.DayClosures, 2, "%+v", got)
	d := got.DayClosures[0]
	assert.Equal(t, "2026-03-13", d.Date)
	assert.Equal(t, openapi.DayFigures{In: 7, Out: 4, Sent: 1, Problems: 1, Returns: 1, OnShelf: 3}, d.Total)
	assert.Equal(t, openapi.DayFigures{In: 2, Sent: 1, Problems: 1, Returns: 1, OnShelf: 1}, d.ByCarrier["yto"])
	assert.Equal(t, 2, d.OpeningOnShelf)
	assert.Equal(t, -1, d.Mismatch)
	assert.Equal(t, "clerk", d.ClosedBy)
	assert.Equal(t, node+"/inc-1/2", d.Op)
	assert.Equal(t, t0, d.ReceivedAt)
	assert.Equal(t, "2026-03-12", got.DayClosures[1].Date)

	one := decode[openapi.DayCloseList](t, e.get("/api/v1/stations/"+node+"/dayclosures?limit=1", "admin"), http.StatusOK)
	require.Len(t, one.DayClosures, 1)
	assert.Equal(t, "2026-03-13", one.DayClosures[0].Date)
	none := decode[openapi.DayCloseList](t, e.get("/api/v1/stations/ST-V0103/dayclosures", "admin"), http.StatusOK)
	assert.Empty(t, none.DayClosures)
	assert.NotNil(t, none.DayClosures, "an empty list, not null")
	problem(t, e.get("/api/v1/stations/ST-NONE/dayclosures", "admin"), http.StatusNotFound, openapi.CodeNotFound)
	problem(t, e.get("/api/v1/stations/ST-NONE", "admin"), http.StatusNotFound, openapi.CodeNotFound)
	problem(t, e.get("/api/v1/stations/"+node+"/dayclosures?limit=0", "admin"), http.StatusBadRequest, openapi.CodeBadParameter)

	// A carrier's client sees no other carrier's figures: the day
	// closes, with every carrier's counts and the station's totals, are
	// the county's.
	r := e.get("/api/v1/stations/"+node+"/dayclosures", "zto-app")
	assert.NotContains(t, string(r.body), "yto")
	problem(t, r, http.StatusForbidden, openapi.CodeInsufficientScope)
}
