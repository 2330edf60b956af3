package diag

import (
	"context"
	"errors"
	"strings"
	"time"

	"cunyou/drivers/modem"
)

// modemWeakCSQ is the +CSQ below which the signal is weak: under about
// -97 dBm an SMS often needs several tries and the data link drops.
const modemWeakCSQ = 8

// modemCheck checks the station's LTE modem (config modem.port): it opens
// the port, and asks the modem about its SIM, network and signal. While
// serve runs the modem is serve's: opening its port here would take the
// modem's answers away from serve (root may open a port held exclusively),
// so the modem is then left alone.
func modemCheck(f *facts) Check {
	m := f.o.Config.Modem
	return Check{Name: "device.modem", Run: func(ctx context.Context) Result {
		if f.serveRunning() {
			return OK(M("modem.in_use", m.Port))
		}
		// Each AT command gets a third of the check's time at most.
		g, err := modem.Open(modem.Options{Port: m.Port, Baud: m.Baud, Timeout: min(3*time.Second, f.o.DeviceTimeout/3)})
		if err != nil {
			return modemOpenFailed(m.Port, err)
		}
		defer g.Close()
		st, err := g.Status(ctx)
		if err != nil {
			return Fail(M("device.handshake", err), M("fix.device_cable"))
		}
		return judgeModem(st)
	}}
}

func modemOpenFailed(port string, err error) Result {
	switch {
	case errors.Is(err, modem.ErrNotFound):
		return Fail(M("device.absent", port), M("fix.device_cable"))
	case errors.Is(err, modem.ErrBusy):
		return Fail(M("device.busy", port), M("fix.device_busy"))
	case errors.Is(err, modem.ErrPermission):
		return Fail(M("modem.permission", port), M("fix.modem_permission"))
	case errors.Is(err, modem.ErrTimeout):
		return Fail(M("modem.silent", port), M("fix.device_cable"))
	}
	return Fail(M("device.open_failed", err), M("fix.device_cable"))
}

// judgeModem says whether the modem can send an SMS now, and if not, why.
func judgeModem(st modem.Status) Result {
	switch st.SIM {
	case "ready":
	case "absent":
		return Fail(M("modem.sim_absent"), M("fix.modem_sim"))
	case "PIN", "PUK":
		return Fail(M("modem.sim_locked", st.SIM), M("fix.modem_pin"))
	default:
		return Fail(M("modem.sim", Plain(st.SIM)), M("fix.modem_sim"))
	}
	switch st.Registration {
	case "home", "roaming":
	case "denied":
		return Fail(M("modem.denied"), M("fix.modem_operator"))
	default:
		return Warn(M("modem.unregistered", Plain(st.Registration)), M("fix.modem_antenna"))
	}
	name := Plain(strings.TrimSpace(st.Manufacturer + " " + st.Model))
	detail := M("modem.ok", name, Plain(st.Operator), Plain(st.Access), st.SignalDBm, st.CSQ)
	switch {
	case st.CSQ == 99:
		return Warn(M("modem.signal_unknown", name), M("fix.modem_antenna"))
	case st.CSQ < modemWeakCSQ:
		return Warn(join(M("modem.weak"), detail), M("fix.modem_antenna"))
	case !st.Ready:
		return Warn(join(M("modem.not_ready", Plain(st.Problem)), detail), M("fix.device_report"))
	}
	return OK(detail)
}
