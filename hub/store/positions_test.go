package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/gazetteer"
)

func gpsCounty(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s := open(t, t.TempDir())
	c, err := gazetteer.LoadFile("../../testdata/county.json")
	require.NoError(t, err)
	_, err = s.LoadCounty(ctx, c)
	require.NoError(t, err)
	require.NoError(t, s.PutVehicle(ctx, Vehicle{Plate: "黑M12345", Terminal: "13912345678", Active: true}))
	require.NoError(t, s.PutVehicle(ctx, Vehicle{Plate: "黑M67890", Terminal: "013800000002", Active: true}))
	return s
}

func TestTerminalRegisterAuth(t *testing.T) {
	ctx := context.Background()
	s := gpsCounty(t)
	_, _, err := s.RegisterTerminal(ctx, TerminalInfo{Phone: "13900000000"})
	assert.ErrorIs(t, err, ErrNotFound, "no vehicle names this terminal")
	_, _, err = s.RegisterTerminal(ctx, TerminalInfo{})
	assert.ErrorIs(t, err, ErrInvalid)

	code, plate, err := s.RegisterTerminal(ctx, TerminalInfo{Phone: "13912345678", Maker: "70111", Model: "JT-808", TerminalID: "T1"})
	require.NoError(t, err)
	assert.Equal(t, "黑M12345", plate)
	assert.Len(t, code, 8)
	_, err = s.AuthenticateTerminal(ctx, "13912345678", "WRONG", "", "")
	assert.ErrorIs(t, err, ErrUnauthorized)
	_, err = s.AuthenticateTerminal(ctx, "13900000000", code, "", "")
	assert.ErrorIs(t, err, ErrUnauthorized)
	plate, err = s.AuthenticateTerminal(ctx, "13912345678", code, "861234567890123", "V1")
	require.NoError(t, err)
	assert.Equal(t, "黑M12345", plate)

	code2, _, err := s.RegisterTerminal(ctx, TerminalInfo{Phone: "13912345678"})
	require.NoError(t, err)
	_, err = s.AuthenticateTerminal(ctx, "13912345678", code, "", "")
	assert.ErrorIs(t, err, ErrUnauthorized, "registering again replaces the code")
	_, err = s.AuthenticateTerminal(ctx, "13912345678", code2, "", "")
	require.NoError(t, err)

	_, plate, err = s.RegisterTerminal(ctx, TerminalInfo{Phone: "13800000002"})
	require.NoError(t, err)
	assert.Equal(t, "黑M67890", plate, "the vehicle's number with the BCD's leading zero")

	ts, err := s.Terminals(ctx)
	require.NoError(t, err)
	require.Len(t, ts, 2)
	assert.Equal(t, "861234567890123", ts[1].IMEI, "a later authentication without IMEI keeps it")
	assert.Equal(t, t0, ts[1].Authenticated.UTC())

	require.NoError(t, s.UnregisterTerminal(ctx, "13912345678"))
	_, err = s.AuthenticateTerminal(ctx, "13912345678", code2, "", "")
	assert.ErrorIs(t, err, ErrUnauthorized, "a logout voids the code")
	code2, _, err = s.RegisterTerminal(ctx, TerminalInfo{Phone: "13912345678"})
	require.NoError(t, err)

	require.NoError(t, s.PutVehicle(ctx, Vehicle{Plate: "黑M12345", Terminal: "", Active: true}))
	_, err = s.AuthenticateTerminal(ctx, "13912345678", code2, "", "")
	assert.ErrorIs(t, err, ErrUnauthorized, "a terminal taken off its vehicle")
}

func TestSaveGPSAndTrack(t *testing.T) {
	ctx := context.Background()
	s := gpsCounty(t)
	_, _, err := s.RegisterTerminal(ctx, TerminalInfo{Phone: "13912345678"})
	require.NoError(t, err)
	trips, err := s.PlanTrips(ctx, "2026-03-14")
	require.NoError(t, err)
	trip := trips[0].ID
	vehicle, departed := "黑M12345", "departed"
	require.NoError(t, s.UpdateTrip(ctx, trip, TripUpdate{Vehicle: &vehicle, Status: &departed}))
	active, err := s.ActiveTrips(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{vehicle: trip}, active)

	var ps []Position
	for i := range 150 { // more than one INSERT's rows
		ps = append(ps, Position{Terminal: "13912345678", Plate: vehicle, Time: t0.Add(time.Duration(i) * time.Second),
			Lat: 46.8335 + float64(i)*1e-4, Lon: 126.481, Speed: 35.5, Heading: 90, Altitude: 150, Status: 3, Received: t0})
	}
	added, err := s.SaveGPS(ctx, GPSBatch{Positions: ps[:100], Seen: []TerminalSeen{{"13912345678", t0.Add(time.Minute), 100}}})
	require.NoError(t, err)
	assert.Equal(t, 100, added)
	// A resend of 50 positions already stored, and 50 new ones.
	added, err = s.SaveGPS(ctx, GPSBatch{Positions: ps[50:], Events: []GeofenceEvent{
		{Trip: trip, Plate: vehicle, Node: "CENTRE", Kind: "departure", Time: t0.Add(10 * time.Second), Lat: 46.8345, Lon: 126.481},
		{Trip: trip, Plate: vehicle, Node: "CENTRE", Kind: "arrival", Time: t0.Add(120 * time.Second), Lat: 46.8455, Lon: 126.481},
	}, Seen: []TerminalSeen{{"13912345678", t0.Add(2 * time.Minute), 100}}})
	require.NoError(t, err)
	assert.Equal(t, 50, added, "a resent report is stored once")

	got, err := s.Positions(ctx, vehicle, 3)
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, t0.Add(149*time.Second), got[0].Time.UTC(), "newest first")
	assert.InDelta(t, 46.8335+149e-4, got[0].Lat, 1e-9)
	latest, err := s.LatestPosition(ctx, vehicle)
	require.NoError(t, err)
	assert.Equal(t, got[0].Time, latest.Time)
	_, err = s.SaveGPS(ctx, GPSBatch{Positions: []Position{{Terminal: "13912345678", Plate: vehicle, Time: t0, Received: t0}}})
	require.NoError(t, err)
	latest, err = s.LatestPosition(ctx, vehicle)
	require.NoError(t, err)
	assert.Equal(t, got[0].Time, latest.Time, "an older report does not move the latest position")
	_, err = s.LatestPosition(ctx, "黑M00000")
	assert.ErrorIs(t, err, ErrNotFound)
	all, err := s.LatestPositions(ctx)
	require.NoError(t, err)
	assert.Len(t, all, 1)

	ts, err := s.Terminals(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(200), ts[0].Reports)
	assert.Equal(t, t0.Add(2*time.Minute), ts[0].LastSeen.UTC())

	tr, err := s.TripTrack(ctx, trip, time.UTC)
	require.NoError(t, err)
	assert.Equal(t, t0, tr.From.UTC(), "departed when the store's clock said")
	assert.Equal(t, t0.Add(120*time.Second), tr.To.UTC(), "the arrival at the last stop ends the trip")
	assert.Len(t, tr.Positions, 121)
	require.Len(t, tr.Events, 2)
	assert.Equal(t, "departure", tr.Events[0].Kind)
	_, err = s.TripTrack(ctx, "NOPE", time.UTC)
	assert.ErrorIs(t, err, ErrNotFound)

	// A planned trip without a vehicle: its timetable, no positions.
	tr, err = s.TripTrack(ctx, trips[1].ID, time.UTC)
	require.NoError(t, err)
	assert.Empty(t, tr.Positions)
	assert.Equal(t, fmt.Sprintf("2026-03-14 %s", trips[1].Departure), tr.From.Format("2006-01-02 15:04"))
}
