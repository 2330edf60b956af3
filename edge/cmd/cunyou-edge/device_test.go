package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/drivers/camera"
	"cunyou/drivers/idcard"
	"cunyou/drivers/printer"
	"cunyou/drivers/scanner"
)

func TestDeviceTestIDCard(t *testing.T) {
	clearEnv(t)
	sim, err := idcard.NewSimulator(idcard.SimOptions{})
	if err != nil {
		t.Skip(err)
	}
	defer sim.Close()
	card := idcard.DemoCards()[0]
	require.NoError(t, sim.PlaceCard(card))

	out := mustRun(t, "device", "test", "idcard", "--port", sim.Path(), "--json", "--timeout", "10s")
	var got IDCardTestJSON
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.Equal(t, "231221********0139", got.Number)
	assert.Equal(t, "ok", got.CheckDigit)
	assert.Equal(t, "2035-06-10", got.ValidTo)
	assert.False(t, got.Expired)
	assert.NotEmpty(t, got.SAMID)
	assert.NotContains(t, out, card.Number, "never the full number")

	require.NoError(t, sim.PlaceCard(card))
	text := mustRun(t, "device", "test", "idcard", "--port", sim.Path(), "--timeout", "10s")
	assert.Contains(t, text, "check digit: ok")
	assert.Contains(t, text, "231221********0139")

	sim.RemoveCard()
	r := run(t, "", "device", "test", "idcard", "--port", sim.Path(), "--timeout", "300ms")
	assert.ErrorContains(t, r.err, "no card")
	r = run(t, "", "device", "test", "idcard", "--port", filepath.Join(t.TempDir(), "ttyUSB7"))
	assert.ErrorContains(t, r.err, "idcard.not_found")
}

func TestDeviceTestPrinter(t *testing.T) {
	clearEnv(t)
	sim, err := printer.NewSimulator(printer.SimOptions{})
	require.NoError(t, err)
	defer sim.Close()
	if sim.Path() == "" {
		t.Skip("no pseudo-terminals")
	}
	out := mustRun(t, "device", "test", "printer", "--port", sim.Path(), "--json")
	var got PrinterTestJSON
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.True(t, got.Printed)
	assert.Equal(t, "serial:"+sim.Path(), got.Transport)
	labels, err := sim.Wait(context.Background(), 1)
	require.NoError(t, err)
	assert.Contains(t, labels[0].Texts(), "0-0-TEST")

	sim.SetPaperOut(true)
	r := run(t, "", "device", "test", "printer", "--port", "tcp:"+sim.Addr())
	require.Error(t, r.err)
	assert.Contains(t, r.stdout, "printer.paper_out")
	assert.Contains(t, r.stdout, printer.CodePaperOut.Chinese())
}

func TestDeviceTestScanner(t *testing.T) {
	clearEnv(t)
	sim, err := scanner.NewSimulator(scanner.SimOptions{})
	if err != nil {
		t.Skip(err)
	}
	defer sim.Close()
	done := make(chan runResult)
	go func() {
		done <- run(t, "", "device", "test", "scanner", "--port", sim.Path(), "--json", "--count", "1", "--timeout", "20s")
	}()
	// Codes scanned before the port is open are lost, as with a real gun:
	// scan until the command has one.
	var r runResult
	for r.stdout == "" && r.err == nil {
		require.NoError(t, sim.Scan("YT2412345678901"))
		select {
		case r = <-done:
		case <-time.After(100 * time.Millisecond):
		}
	}
	require.NoError(t, r.err, r.stderr)
	var got ScanTestJSON
	require.NoError(t, json.Unmarshal([]byte(strings.SplitN(r.stdout, "\n", 2)[0]), &got), r.stdout)
	assert.Equal(t, "YT2412345678901", got.Code)
}

func TestDeviceTestCamera(t *testing.T) {
	clearEnv(t)
	sim, err := camera.NewSimulator(camera.SimOptions{})
	require.NoError(t, err)
	defer sim.Close()
	file := filepath.Join(t.TempDir(), "snap.jpg")
	out := mustRun(t, "device", "test", "camera", "--port", sim.URL(), "--out", file, "--json")
	var got CameraTestJSON
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.Equal(t, 640, got.Width)
	fi, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, int64(got.Size), fi.Size())
}

func TestDeviceList(t *testing.T) {
	clearEnv(t)
	sim, err := idcard.NewSimulator(idcard.SimOptions{})
	if err != nil {
		t.Skip(err)
	}
	defer sim.Close()
	cfg := filepath.Join(t.TempDir(), "edge.json")
	require.NoError(t, os.WriteFile(cfg, []byte(`{"version":1,"devices":[
		{"name":"reader","kind":"idcard","port":"`+sim.Path()+`"},
		{"name":"gun","kind":"scanner","usb":"1eab:8203"}]}`), 0o600))
	out := mustRun(t, "device", "list", "--config", cfg, "--json")
	var got struct {
		Ports   []PortJSON       `json:"ports"`
		Devices []ConfiguredJSON `json:"devices"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.Equal(t, []ConfiguredJSON{
		{Name: "reader", Kind: "idcard", Where: sim.Path(), Found: true},
		{Name: "gun", Kind: "scanner", Where: "usb 1eab:8203", Found: false},
	}, got.Devices)
	text := mustRun(t, "device", "list", "--config", cfg)
	assert.Contains(t, text, "serial ports:")
	assert.Contains(t, text, "NOT FOUND")

	r := run(t, "", "device", "test", "idcard", "--config", cfg, "--name", "nosuch")
	assert.ErrorContains(t, r.err, "no idcard device nosuch")
}
