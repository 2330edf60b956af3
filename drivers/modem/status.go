package modem

import (
	"context"
	"errors"
	"strconv"
	"strings"
)

// Status is what `cunyou-edge diag` shows of the modem.
type Status struct {
	Port         string
	Manufacturer string
	Model        string
	Revision     string
	IMEI         string
	// SIM is "ready", "absent", "PIN", "PUK", or the modem's word.
	SIM string
	// Registration is "home", "roaming", "searching", "denied", "not
	// registered" or "unknown".
	Registration string
	Operator     string
	// Access is the radio technology of the registration: GSM, UMTS, LTE …
	Access string
	// CSQ is the raw +CSQ signal quality, 0..31, 99 unknown; SignalDBm
	// the received power it stands for (-113..-51), 0 when unknown.
	CSQ       int
	SignalDBm int
	// SMSC is the service centre on the SIM.
	SMSC string
	// StatusReports tells whether the modem shows status reports (+CDS).
	StatusReports bool
	// Ready tells whether a message can go now; Problem says why not.
	Ready   bool
	Problem string
}

// SignalDBm converts a +CSQ <rssi> (27.007 §8.5) to dBm: 0 is -113 dBm or
// less, 31 is -51 dBm or more, 2 dBm a step; ok is false for 99 (not
// known) and out-of-range values.
func SignalDBm(csq int) (dbm int, ok bool) {
	if csq < 0 || csq > 31 {
		return 0, false
	}
	return -113 + 2*csq, true
}

// accessTech names the <AcT> of +COPS (27.007 §7.3).
var accessTech = map[string]string{"0": "GSM", "1": "GSM compact", "2": "UMTS", "3": "GSM/EGPRS", "4": "HSDPA",
	"5": "HSUPA", "6": "HSPA", "7": "LTE", "8": "EC-GSM-IoT", "9": "NB-IoT", "10": "5G/LTE", "11": "5G NR", "12": "5G NG-RAN", "13": "5G/LTE dual"}

var regNames = map[int]string{regNot: "not registered", regHome: "home", regSearching: "searching", regDenied: "denied",
	regUnknown: "unknown", regRoaming: "roaming"}

// Status asks the modem about itself: identity, SIM, network, signal. It
// fails only when the modem cannot be reached; what it cannot learn stays
// empty, and Problem says what stops sending.
func (g *Gateway) Status(ctx context.Context) (Status, error) {
	st := Status{Port: g.opt.Port, CSQ: 99}
	if err := g.acquire(ctx); err != nil {
		return st, err
	}
	defer g.release()
	c, err := g.conn()
	if err != nil {
		st.Problem = err.Error()
		return st, err
	}
	if _, err := g.ensure(ctx); err != nil {
		if errors.Is(err, ErrTimeout) || errors.Is(err, ErrClosed) {
			st.Problem = err.Error()
			return st, err
		}
		st.Problem = smsError(err).Msg
	} else {
		st.Ready = true
	}
	g.mu.Lock()
	st.StatusReports = g.reports
	g.mu.Unlock()

	one := func(cmd, prefix string) string {
		lines, err := g.exec(ctx, c, cmd, prefix)
		if err != nil || len(lines) == 0 {
			return ""
		}
		if prefix != "" {
			return strings.TrimSpace(strings.TrimPrefix(lines[0], prefix))
		}
		return lines[0]
	}
	st.Manufacturer = one("AT+CGMI", "")
	st.Model = one("AT+CGMM", "")
	st.Revision = strings.TrimPrefix(one("AT+CGMR", ""), "Revision: ")
	st.IMEI = one("AT+CGSN", "")

	lines, err := g.exec(ctx, c, "AT+CPIN?", "+CPIN:")
	var ae *ATError
	switch {
	case err == nil:
		if f, ok := field(lines, "+CPIN:"); ok && len(f) > 0 {
			st.SIM = map[string]string{"READY": "ready", "SIM PIN": "PIN", "SIM PUK": "PUK"}[strings.ToUpper(f[0])]
			if st.SIM == "" {
				st.SIM = f[0]
			}
		}
	case errors.As(err, &ae) && ae.Kind == "CME" && ae.Code == 10:
		st.SIM = "absent"
	case errors.As(err, &ae):
		st.SIM = ae.Error()
	}

	if stat, err := g.registration(ctx, c); err == nil {
		st.Registration = regNames[stat]
		if st.Registration == "" {
			st.Registration = "unknown"
		}
	}
	g.exec(ctx, c, "AT+COPS=3,0", "") // names in long alphanumeric form, where the modem lets us choose
	if lines, err := g.exec(ctx, c, "AT+COPS?", "+COPS:"); err == nil {
		if f, ok := field(lines, "+COPS:"); ok && len(f) >= 3 {
			st.Operator = f[2]
			if len(f) >= 4 {
				st.Access = accessTech[f[3]]
			}
		}
	}
	if lines, err := g.exec(ctx, c, "AT+CSQ", "+CSQ:"); err == nil {
		if f, ok := field(lines, "+CSQ:"); ok && len(f) > 0 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				st.CSQ = n
				st.SignalDBm, _ = SignalDBm(n)
			}
		}
	}
	if lines, err := g.exec(ctx, c, "AT+CSCA?", "+CSCA:"); err == nil {
		if f, ok := field(lines, "+CSCA:"); ok && len(f) > 0 {
			st.SMSC = f[0]
		}
	}
	if st.Ready && st.CSQ == 99 {
		st.Problem = "signal unknown (no antenna?)"
	}
	return st, nil
}
