package openapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/openapi"
	"cunyou/hub/store"
)

func TestVehiclePositionsAndTripTrack(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const plate, terminal = "黑M12345", "013900000001"
	require.NoError(t, e.st.PutVehicle(ctx, store.Vehicle{Plate: plate, Kind: "bus", Capacity: 300, Terminal: terminal, Active: true}))
	_, err := e.st.PlanTrips(ctx, "2026-03-14")
	require.NoError(t, err)
	const trip = "L1-20260314-0700"
	e.clk.ms.Store(time.Date(2026, 3, 13, 23, 2, 0, 0, time.UTC).UnixMilli()) // 07:02 in the county: the bus leaves
	r := e.do(http.MethodPatch, "/api/v1/trips/"+trip, "county", []byte(`{"vehicle":"`+plate+`","status":"departed"}`), nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	e.clk.ms.Store(t0.UnixMilli())

	empty := decode[openapi.PositionList](t, e.get("/api/v1/vehicles/positions", "county"), http.StatusOK)
	assert.Empty(t, empty.Positions)

	at := func(hhmm string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", "2026-03-14 "+hhmm, shanghai)
		require.NoError(t, err)
		return tm
	}
	pos := func(hhmm string, lat, lon float64) store.Position {
		return store.Position{Terminal: terminal, Plate: plate, Time: at(hhmm), Lat: lat, Lon: lon, Speed: 40, Heading: 90, Received: at(hhmm)}
	}
	_, err = e.st.SaveGPS(ctx, store.GPSBatch{Positions: []store.Position{
		pos("06:30", 47.0, 126.0), // before the trip
		pos("07:10", 47.01, 126.01),
		pos("07:20", 47.02, 126.03),
	}})
	require.NoError(t, err)

	got := decode[openapi.PositionList](t, e.get("/api/v1/vehicles/positions", "county"), http.StatusOK)
	require.Len(t, got.Positions, 1)
	p := got.Positions[0]
	assert.Equal(t, plate, p.Plate)
	assert.InDelta(t, 47.02, p.Lat, 1e-9)
	assert.InDelta(t, 126.03, p.Lon, 1e-9)
	assert.InDelta(t, 40.0, p.SpeedKmh, 1e-9)
	assert.Equal(t, trip, p.Trip)
	assert.True(t, p.Time.Equal(at("07:20")), "time %v", p.Time)

	track := decode[openapi.TripTrack](t, e.get("/api/v1/trips/"+trip+"/track", "county"), http.StatusOK)
	assert.Equal(t, trip, track.Trip.ID)
	require.Len(t, track.Positions, 2, "the positions since the departure")
	assert.True(t, track.Positions[0].Time.Equal(at("07:10")))
	assert.NotNil(t, track.Events)

	problem(t, e.get("/api/v1/trips/L9-20260314-0700/track", "county"), http.StatusNotFound, openapi.CodeNotFound)
	for _, path := range []string{"/api/v1/vehicles/positions", "/api/v1/trips/" + trip + "/track"} {
		assert.Equal(t, http.StatusForbidden, e.get(path, "reader").status, path)
		assert.Equal(t, http.StatusUnauthorized, e.get(path, "").status, path)
	}
}
