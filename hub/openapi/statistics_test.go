package openapi_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"cunyou/hub/auth"
	"cunyou/hub/openapi"
	"cunyou/syncproto"
)

// statsParcels: two zto parcels and a yto one through the centre to
// ST-V0101 today (14 March, county time), one of the zto ones picked up.
func statsParcels(e *env) {
	for _, p := range []struct{ wb, carrier string }{{"73100000000001", "zto"}, {"73100000000002", "zto"}, {"YT0000000000003", "yto"}} {
		e.apply("CENTRE", syncproto.KindParcelAtCentre, syncproto.ParcelAtCentre{Waybill: p.wb, Carrier: p.carrier})
		e.apply("ST-V0101", syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: p.wb, Carrier: p.carrier,
			ReceiverPhone: "13912345678", Shelf: 1, Layer: 1, Code: "1-1-" + p.wb[len(p.wb)-4:]})
	}
	e.apply("ST-V0101", syncproto.KindParcelsPickedUp, syncproto.ParcelsPickedUp{Waybills: []string{"73100000000001"},
		Collector: syncproto.Collector{Kind: "receiver"}})
}

func TestStatistics(t *testing.T) {
	e := newEnv(t)
	statsParcels(e)

	all := decode[openapi.Statistics](t, e.get("/api/v1/statistics?from=2026-03-14&to=2026-03-14", "county"), http.StatusOK)
	assert.Equal(t, "2026-03-14", all.From)
	assert.Equal(t, 3, all.OverdueDays)
	assert.Equal(t, 3, all.Total.In)
	assert.Equal(t, 1, all.Total.PickedUp)
	assert.Equal(t, 1, all.Total.Waited)
	assert.Equal(t, []openapi.StatsDay{{Day: "2026-03-14", StatsFigures: all.Total}}, all.Days)
	require.Len(t, all.Stations, 1)
	assert.Equal(t, "ST-V0101", all.Stations[0].Station)
	assert.Equal(t, "南岗村驿站", all.Stations[0].Name)
	require.Len(t, all.StationDays, 1)
	require.Len(t, all.Carriers, 2)
	assert.Equal(t, openapi.StatsCarrier{Carrier: "yto", Name: "yto", StatsFigures: openapi.StatsFigures{In: 1}}, all.Carriers[0])
	assert.Equal(t, 2, all.Carriers[1].In)
	assert.Len(t, all.WaitBuckets, 7)
	assert.Equal(t, openapi.StatsBucket{UpToHours: 12, Count: 1}, all.WaitBuckets[0])

	// The default range: the 30 days to today, county time.
	month := decode[openapi.Statistics](t, e.get("/api/v1/statistics", "county"), http.StatusOK)
	assert.Equal(t, "2026-02-13", month.From)
	assert.Equal(t, "2026-03-14", month.To)
	assert.Len(t, month.Days, 30)
	assert.Equal(t, all.Total, month.Total)

	// A carrier's client sees its own parcels, never another's.
	zto := decode[openapi.Statistics](t, e.get("/api/v1/statistics?from=2026-03-14&to=2026-03-14", "zto-app"), http.StatusOK)
	assert.Equal(t, "zto", zto.Carrier)
	assert.Equal(t, 2, zto.Total.In)
	require.Len(t, zto.Carriers, 1)
	problem(t, e.get("/api/v1/statistics?carrier=yto", "zto-app"), http.StatusForbidden, openapi.CodeCarrierScope)
	yto := decode[openapi.Statistics](t, e.get("/api/v1/statistics?from=2026-03-14&to=2026-03-14&carrier=yto&station=ST-V0101", "county"), http.StatusOK)
	assert.Equal(t, 1, yto.Total.In)
	problem(t, e.get("/api/v1/statistics", "reader"), http.StatusForbidden, openapi.CodeInsufficientScope)
}

func TestStatisticsBadQuery(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		query  string
		status int
		code   string
	}{
		{"from=2026-3-1", http.StatusBadRequest, openapi.CodeBadParameter},
		{"to=yesterday", http.StatusBadRequest, openapi.CodeBadParameter},
		{"from=2026-03-14&to=2026-03-01", http.StatusBadRequest, openapi.CodeBadParameter},
		{"from=2025-12-01&to=2026-03-14", http.StatusBadRequest, openapi.CodeBadParameter},
		{"overdue_days=0", http.StatusBadRequest, openapi.CodeBadParameter},
		{"overdue_days=three", http.StatusBadRequest, openapi.CodeBadParameter},
		{"format=pdf", http.StatusBadRequest, openapi.CodeBadParameter},
		{"carrier=nobody", http.StatusBadRequest, openapi.CodeBadParameter},
		{"station=ST-NOWHERE", http.StatusUnprocessableEntity, openapi.CodeUnknownStation},
		{"station=CENTRE", http.StatusUnprocessableEntity, openapi.CodeNotAStation},
	} {
		t.Run(tt.query, func(t *testing.T) {
			problem(t, e.get("/api/v1/statistics?"+tt.query, "county"), tt.status, tt.code)
		})
	}
	// 92 days is the most.
	r := e.get("/api/v1/statistics?from=2025-12-13&to=2026-03-14", "county")
	assert.Equal(t, http.StatusOK, r.status, "%s", r.body)
}

// The government's viewer, the dispatcher and the admin read the
// statistics; the carrier viewer, the centre's staff and the technician
// do not.
func TestStatisticsByRole(t *testing.T) {
	e := newEnv(t)
	statsParcels(e)
	tokens := e.people()
	for _, role := range auth.Roles {
		t.Run(role, func(t *testing.T) {
			r := e.get("/api/v1/statistics?from=2026-03-14&to=2026-03-14", tokens[role])
			switch role {
			case auth.Government, auth.Dispatcher, auth.Admin:
				got := decode[openapi.Statistics](t, r, http.StatusOK)
				assert.Equal(t, 3, got.Total.In)
			default:
				problem(t, r, http.StatusForbidden, openapi.CodeInsufficientScope)
			}
		})
	}
}

func TestStatisticsWorkbook(t *testing.T) {
	e := newEnv(t)
	statsParcels(e)
	r := e.get("/api/v1/statistics?from=2026-03-13&to=2026-03-14&format=xlsx", "county")
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", r.header.Get("Content-Type"))
	assert.Contains(t, r.header.Get("Content-Disposition"), `filename="cunyou-statistics-2026-03-13-2026-03-14.xlsx"`)
	f, err := excelize.OpenReader(bytes.NewReader(r.body))
	require.NoError(t, err)
	defer f.Close()
	assert.Equal(t, []string{"每日 days", "驿站 stations", "驿站每日 station days", "快递公司 carriers"}, f.GetSheetList())
	days, err := f.GetRows("每日 days")
	require.NoError(t, err)
	require.Len(t, days, 3)
	assert.Equal(t, []string{"日期 day", "入库 in", "取件 picked_up"}, days[0][:3])
	assert.Equal(t, []string{"2026-03-13", "0", "0"}, days[1][:3])
	assert.Equal(t, []string{"2026-03-14", "3", "1"}, days[2][:3])
	stations, err := f.GetRows("驿站 stations")
	require.NoError(t, err)
	require.Len(t, stations, 2)
	assert.Equal(t, []string{"ST-V0101", "南岗村驿站", "0", "3"}, stations[1][:4])
}

// At most two statistics are computed at once; a third caller is told to
// come back.
func TestStatisticsBusy(t *testing.T) {
	e := newEnv(t)
	release := openapi.HoldStatistics(e.srv)
	r := e.get("/api/v1/statistics", "county")
	p := problem(t, r, http.StatusServiceUnavailable, openapi.CodeBusy)
	assert.Equal(t, 5, p.RetryAfter)
	assert.Equal(t, "5", r.header.Get("Retry-After"))
	release()
	decode[openapi.Statistics](t, e.get("/api/v1/statistics", "county"), http.StatusOK)
}
