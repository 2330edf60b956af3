package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// station add --village: the village must be the gazetteer's and served
// by no other station, as the console's PUT /api/v1/stations/{node}
// checks (both are store.CreateNode).
func TestStationAddVillage(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	mustRun(t, "county", "load", "--data", dir, filepath.Join("..", "..", "..", "testdata", "county.json"))
	assert.ErrorContains(t, run("station", "add", "--data", dir, "--id", "ST-NEW", "--name", "新驿站", "--village", "V0101").err,
		"served by ST-V0101")
	assert.ErrorContains(t, run("station", "add", "--data", dir, "--id", "ST-NEW", "--name", "新驿站", "--village", "V9999").err,
		"no such village")
	assert.ErrorContains(t, run("station", "add", "--data", dir, "--id", "CT-2", "--name", "二中心", "--kind", "centre", "--village", "V0101").err,
		"only a station serves a village")
	out := mustRun(t, "station", "add", "--data", dir, "--id", "ST-NEW", "--name", "新驿站")
	enrollCode(t, out)
	assert.Contains(t, mustRun(t, "station", "show", "--data", dir, "--id", "ST-NEW"), "ST-NEW 新驿站 (station)")
}
