package diag

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/drivers/modem"
	"cunyou/edge/messages"
)

// newModem starts the modem simulator on a pseudo-terminal.
func newModem(t *testing.T) *modem.Simulator {
	t.Helper()
	s, err := modem.NewSimulator(modem.SimOptions{})
	if errors.Is(err, modem.ErrNoPTY) {
		if os.Getenv("CUNYOU_TEST_STRICT") == "1" {
			t.Fatalf("CUNYOU_TEST_STRICT: %v", err)
		}
		t.Skipf("the modem simulator needs a pseudo-terminal: %v", err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// The LTE modem of config modem.port is checked as a device, through the
// real driver talking AT to the simulator.
func TestModemCheck(t *testing.T) {
	tests := []struct {
		name   string
		set    func(s *modem.Simulator)
		want   Status
		detail string
		fix    string
	}{
		{"ready", func(s *modem.Simulator) {}, StatusOK, "CHINA MOBILE", ""},
		{"no SIM", func(s *modem.Simulator) { s.SetSIM(modem.SIMAbsent) }, StatusFail, "no SIM card in the modem", "seat the SIM card"},
		{"PIN", func(s *modem.Simulator) { s.SetSIM(modem.SIMPIN) }, StatusFail, "locked by its PIN", "turn its PIN off"},
		{"refused by the operator", func(s *modem.Simulator) { s.SetRegistration(3) }, StatusFail, "refuses to register", "call the operator"},
		{"searching", func(s *modem.Simulator) { s.SetRegistration(2) }, StatusWarn, "not registered with a network (searching)", "antenna"},
		{"weak signal", func(s *modem.Simulator) { s.SetSignal(4) }, StatusWarn, "weak signal; ", "antenna"},
		{"no signal", func(s *modem.Simulator) { s.SetSignal(99) }, StatusWarn, "measures no signal", "antenna"},
		{"silent", func(s *modem.Simulator) { s.Hang(true) }, StatusFail, "answers AT commands", "unplug and replug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newModem(t)
			tt.set(sim)
			e := newEnv(t)
			e.cfg.Modem.Port = sim.Path()
			o := e.options()
			o.DeviceTimeout = 1500 * time.Millisecond
			rep := Run(e.ctx, o)
			got := line(t, rep, "device.modem")
			assert.Equal(t, tt.want, got.Status, got.Detail.Text(messages.EN))
			assert.Contains(t, got.Detail.Text(messages.EN), tt.detail)
			assert.Contains(t, got.Fix.Text(messages.EN), tt.fix)
			_, none := rep.Line("devices")
			assert.False(t, none, "a configured modem is a device")
		})
	}
}

func TestModemMissing(t *testing.T) {
	e := newEnv(t)
	e.cfg.Modem.Port = filepath.Join(t.TempDir(), "ttyUSB2")
	got := line(t, e.run(t), "device.modem")
	assert.Equal(t, StatusFail, got.Status)
	assert.Equal(t, "device not found ("+e.cfg.Modem.Port+")", got.Detail.Text(messages.EN))
	assert.Contains(t, got.Fix.Text(messages.ZH), "USB 线")
}

// While serve runs, the modem is serve's: diag does not open its port.
func TestModemLeftToServe(t *testing.T) {
	sim := newModem(t)
	e := newEnv(t)
	kiosk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"ok":true,"node":"` + testNode + `"}`))
	}))
	defer kiosk.Close()
	e.cfg.Listen = strings.TrimPrefix(kiosk.URL, "http://")
	e.cfg.Modem.Port = sim.Path()
	rep := e.run(t)
	assert.Equal(t, StatusOK, line(t, rep, "serve").Status)
	got := line(t, rep, "device.modem")
	assert.Equal(t, StatusOK, got.Status)
	assert.Contains(t, got.Detail.Text(messages.EN), "in use by the running service; not opened")
	assert.Empty(t, sim.Commands(), "not a byte to the modem")
}
