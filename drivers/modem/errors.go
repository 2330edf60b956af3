package modem

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"cunyou/drivers/pty"
	"cunyou/sms"
)

// Errors of the port and the AT dialogue. Open and Status wrap them;
// Send and Receipts translate them into *sms.Error.
var (
	ErrNotFound   = errors.New("modem port not found")
	ErrBusy       = errors.New("modem port busy")
	ErrPermission = errors.New("no permission to open the modem port")
	ErrTimeout    = errors.New("modem did not answer")
	ErrClosed     = errors.New("modem port closed")
	ErrProtocol   = errors.New("modem answered something unexpected")
	ErrNoPTY      = pty.ErrNoPTY
)

// ATError is a final result code other than OK: ERROR, +CME ERROR: n
// (3GPP TS 27.007 §9.2) or +CMS ERROR: n (TS 27.005 §3.2.5).
type ATError struct {
	Command string // the command, e.g. AT+CMGS=23
	Kind    string // "ERROR", "CME", "CMS", or another final code (NO CARRIER …)
	Code    int    // -1 when the modem gave text instead of a number
	Text    string // the modem's text, when verbose
}

func (e *ATError) Error() string {
	switch {
	case e.Kind != "CME" && e.Kind != "CMS":
		return fmt.Sprintf("%s: %s", e.Command, e.Kind)
	case e.Code < 0:
		return fmt.Sprintf("%s: +%s ERROR: %s", e.Command, e.Kind, e.Text)
	}
	return fmt.Sprintf("%s: +%s ERROR: %d", e.Command, e.Kind, e.Code)
}

// parseFinal reads a final result code; final is false for other lines.
func parseFinal(line string) (err *ATError, final bool) {
	switch line {
	case "OK":
		return nil, true
	case "ERROR", "NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE", "COMMAND NOT SUPPORT", "TOO MANY PARAMETERS":
		return &ATError{Kind: line, Code: -1}, true
	}
	for _, k := range []string{"CME", "CMS"} {
		if rest, ok := strings.CutPrefix(line, "+"+k+" ERROR:"); ok {
			rest = strings.TrimSpace(rest)
			if n, err := strconv.Atoi(rest); err == nil {
				return &ATError{Kind: k, Code: n}, true
			}
			return &ATError{Kind: k, Code: cmeByText(rest), Text: rest}, true
		}
	}
	return nil, false
}

// cmeByText reads the verbose form of the codes that matter (+CMEE=2).
func cmeByText(s string) int {
	s = strings.ToLower(s)
	switch {
	case strings.Contains(s, "not inserted"):
		return 10
	case strings.Contains(s, "puk"):
		return 12
	case strings.Contains(s, "pin"):
		return 11
	case strings.Contains(s, "sim busy"):
		return 14
	case strings.Contains(s, "sim failure"):
		return 13
	}
	return -1
}

// cmsKinds sorts +CMS ERROR codes: the RP causes of TS 24.011 Annex E
// (1..127), the TP-FCS values of TS 23.040 §9.2.3.22 (128..255) and the
// ME/TA errors of TS 27.005 §3.2.5 (300..). Unlisted codes are Temporary.
var cmsKinds = map[int]struct {
	kind sms.Kind
	what string
}{
	1:   {sms.Permanent, "unassigned number"},
	8:   {sms.Misconfigured, "operator determined barring"},
	10:  {sms.Misconfigured, "call barred"},
	21:  {sms.Permanent, "short message transfer rejected"},
	27:  {sms.Temporary, "destination out of service"},
	28:  {sms.Permanent, "unidentified subscriber"},
	29:  {sms.Permanent, "facility rejected"},
	30:  {sms.Permanent, "unknown subscriber"},
	38:  {sms.Temporary, "network out of order"},
	41:  {sms.Temporary, "temporary failure"},
	42:  {sms.Throttled, "congestion"},
	47:  {sms.Temporary, "resources unavailable"},
	50:  {sms.Misconfigured, "requested facility not subscribed"},
	69:  {sms.Misconfigured, "requested facility not implemented"},
	81:  {sms.Temporary, "invalid short message transfer reference value"},
	95:  {sms.Permanent, "invalid message"},
	96:  {sms.Permanent, "invalid mandatory information"},
	97:  {sms.Permanent, "message type non-existent"},
	98:  {sms.Permanent, "message not compatible with protocol state"},
	99:  {sms.Permanent, "information element non-existent"},
	111: {sms.Temporary, "protocol error"},
	127: {sms.Temporary, "interworking"},
	128: {sms.Permanent, "telematic interworking not supported"},
	143: {sms.Permanent, "unspecified TP-PID error"},
	144: {sms.Permanent, "data coding scheme not supported"},
	159: {sms.Permanent, "unspecified TP-DCS error"},
	176: {sms.Permanent, "TPDU not supported"},
	192: {sms.Throttled, "SC busy"},
	193: {sms.Misconfigured, "no SC subscription"},
	194: {sms.Temporary, "SC system failure"},
	195: {sms.Permanent, "invalid SME address"},
	196: {sms.Permanent, "destination SME barred"},
	197: {sms.Permanent, "SM rejected, duplicate"},
	198: {sms.Permanent, "TP-VPF not supported"},
	199: {sms.Permanent, "TP-VP not supported"},
	212: {sms.Temporary, "SIM application toolkit busy"},
	255: {sms.Temporary, "unspecified error"},
	300: {sms.Temporary, "ME failure"},
	301: {sms.Temporary, "SMS service of ME reserved"},
	302: {sms.Temporary, "operation not allowed"},
	303: {sms.Misconfigured, "operation not supported"},
	304: {sms.Permanent, "invalid PDU mode parameter"},
	305: {sms.Permanent, "invalid text mode parameter"},
	310: {sms.Misconfigured, "SIM not inserted"},
	311: {sms.Misconfigured, "SIM PIN required"},
	312: {sms.Misconfigured, "PH-SIM PIN required"},
	313: {sms.Misconfigured, "SIM failure"},
	314: {sms.Temporary, "SIM busy"},
	315: {sms.Misconfigured, "SIM wrong"},
	316: {sms.Misconfigured, "SIM PUK required"},
	317: {sms.Misconfigured, "SIM PIN2 required"},
	318: {sms.Misconfigured, "SIM PUK2 required"},
	320: {sms.Temporary, "memory failure"},
	322: {sms.Temporary, "memory full"},
	330: {sms.Misconfigured, "SMSC address unknown"},
	331: {sms.Temporary, "no network service"},
	332: {sms.Temporary, "network timeout"},
	340: {sms.Temporary, "no +CNMA acknowledgement expected"},
	500: {sms.Temporary, "unknown error"},
}

// cmeKinds sorts the +CME ERROR codes of TS 27.007 §9.2 that a send can
// meet; unlisted codes are Temporary.
var cmeKinds = map[int]struct {
	kind sms.Kind
	what string
}{
	3:   {sms.Temporary, "operation not allowed"},
	4:   {sms.Misconfigured, "operation not supported"},
	10:  {sms.Misconfigured, "SIM not inserted"},
	11:  {sms.Misconfigured, "SIM PIN required"},
	12:  {sms.Misconfigured, "SIM PUK required"},
	13:  {sms.Misconfigured, "SIM failure"},
	14:  {sms.Temporary, "SIM busy"},
	15:  {sms.Misconfigured, "SIM wrong"},
	16:  {sms.Misconfigured, "incorrect password"},
	17:  {sms.Misconfigured, "SIM PIN2 required"},
	18:  {sms.Misconfigured, "SIM PUK2 required"},
	30:  {sms.Temporary, "no network service"},
	31:  {sms.Temporary, "network timeout"},
	100: {sms.Temporary, "unknown"},
}

// smsError translates an error of the AT dialogue into the gateway
// contract's *sms.Error.
func smsError(err error) *sms.Error {
	var se *sms.Error
	var ae *ATError
	switch {
	case errors.As(err, &se):
		return se
	case errors.As(err, &ae):
		e := &sms.Error{Kind: sms.Temporary, Msg: ae.Error()}
		var table map[int]struct {
			kind sms.Kind
			what string
		}
		switch ae.Kind {
		case "CMS":
			table = cmsKinds
		case "CME":
			table = cmeKinds
		default:
			return &sms.Error{Kind: sms.Temporary, Code: strings.ToLower(ae.Kind), Msg: ae.Error()}
		}
		if ae.Code >= 0 {
			e.Code = fmt.Sprintf("%s %d", ae.Kind, ae.Code)
		} else {
			e.Code = ae.Kind
		}
		if k, ok := table[ae.Code]; ok {
			e.Kind = k.kind
			e.Msg = ae.Command + ": " + k.what
		}
		return e
	case errors.Is(err, ErrTimeout):
		return &sms.Error{Kind: sms.Temporary, Code: "timeout", Msg: err.Error()}
	case errors.Is(err, ErrClosed):
		return &sms.Error{Kind: sms.Temporary, Code: "closed", Msg: err.Error()}
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrPermission):
		// Unplugged or not ours: a person has to look.
		return &sms.Error{Kind: sms.Misconfigured, Code: "port", Msg: err.Error()}
	case errors.Is(err, ErrBusy):
		return &sms.Error{Kind: sms.Temporary, Code: "port", Msg: err.Error()}
	}
	return &sms.Error{Kind: sms.Temporary, Msg: err.Error()}
}
