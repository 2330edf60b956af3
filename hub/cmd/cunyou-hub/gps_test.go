package main

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/gps"
)

func TestGPSConfig(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	t.Setenv("CUNYOU_HUB_GPS_LISTEN", "0.0.0.0:5015")
	assert.ErrorContains(t, run("gps", "terminals", "--data", dir).err, "gps.listen")
	t.Setenv("CUNYOU_HUB_GPS_ALLOW_REMOTE", "true")
	mustRun(t, "gps", "terminals", "--data", dir)
	t.Setenv("CUNYOU_HUB_GPS_IDLE_TIMEOUT", "1s")
	assert.ErrorContains(t, run("gps", "terminals", "--data", dir).err, "gps.idle_timeout")
}

// serveGPS starts serve with the GPS server on a free loopback port and
// returns its address; the hub stops with the test.
func serveGPS(t *testing.T, dir string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("CUNYOU_HUB_GPS_ENABLED", "true")
	t.Setenv("CUNYOU_HUB_GPS_LISTEN", addr)
	serve(t, "--data", dir) // the GPS server listens before the sync API
	return addr
}

func TestGPSCommands(t *testing.T) {
	clearEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	mustRun(t, "county", "load", "--data", dir, filepath.Join("..", "..", "..", "testdata", "county.json"))
	mustRun(t, "vehicle", "add", "--data", dir, "--plate", "黑M12345", "--terminal", "13912345678")
	mustRun(t, "trips", "plan", "--data", dir, "--date", "2026-11-27")
	mustRun(t, "trips", "set", "--data", dir, "--id", "L1-20261127-0700", "--vehicle", "黑M12345", "--status", "departed")

	addr := serveGPS(t, dir)
	term, err := gps.Dial(ctx, addr, "13912345678", true)
	require.NoError(t, err)
	defer term.Close()
	require.NoError(t, term.Login(ctx, "黑M12345"))
	// From the centre (46.8335, 126.481) north-east, fixes stamped from now.
	route := gps.Route{{Lat: 46.8335, Lon: 126.481}, {Lat: 46.86743, Lon: 126.50914}}
	n, err := term.Run(ctx, gps.Drive{Route: route, SpeedKmH: 50, Step: 10 * time.Second, Batch: 10})
	require.NoError(t, err)
	require.Positive(t, n)
	res, err := term.Heartbeat(ctx)
	require.NoError(t, err)
	assert.Equal(t, gps.ResultOK, res)

	out := mustRun(t, "gps", "positions", "--data", dir, "--vehicle", "黑M12345", "--limit", "3")
	assert.Regexp(t, `TIME\s+LAT\s+LON\s+KM/H`, out)
	assert.Contains(t, out, "50.0")
	assert.Contains(t, mustRun(t, "gps", "positions", "--data", dir, "--vehicle", "黑M00000"), "no positions")
	assert.ErrorContains(t, run("gps", "positions", "--data", dir).err, "--vehicle is required")

	out = mustRun(t, "gps", "terminals", "--data", dir)
	assert.Regexp(t, `13912345678\s+黑M12345\s+SIM-808`, out)

	out = mustRun(t, "gps", "track", "--data", dir, "--trip", "L1-20261127-0700")
	assert.Contains(t, out, "vehicle 黑M12345 departed")
	assert.Regexp(t, `departure\s+CENTRE`, out)
	assert.Regexp(t, `arrival\s+ST-V0101`, out)
	assert.ErrorContains(t, run("gps", "track", "--data", dir).err, "--trip is required")
	assert.ErrorContains(t, run("gps", "track", "--data", dir, "--trip", "NOPE").err, "not found")
	assert.ErrorContains(t, run("gps").err, "give one of positions")
}
