package modem

// The simulator: a modem on a pseudo-terminal that answers AT commands as
// a Quectel or Huawei LTE module does. It is a test and demo aid, never
// the product: the gateway opens its terminal like a USB modem's serial
// port, and the test reads what arrived and makes the network answer.

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"cunyou/drivers/pty"
	"cunyou/sms"
)

// SimOptions tunes a Simulator. The zero value is a Quectel EC20 with a
// China Mobile SIM, registered at home with a fair signal.
type SimOptions struct {
	// Vendor is "quectel" (default) or "huawei": how the modem introduces
	// itself and which unsolicited codes it sends at start.
	Vendor string
	// SMSC is the service centre stored on the SIM; +8613800451500 when "".
	SMSC string
	// Operator is the network's name; CHINA MOBILE when "".
	Operator string
	// Latency delays every answer (see SetLatency).
	Latency time.Duration
	// Now stamps status reports; time.Now when nil.
	Now func() time.Time
	// Log receives what the simulator does; nothing when nil.
	Log *slog.Logger
}

// SIMState is the state of the simulated SIM card.
type SIMState int

const (
	SIMReady  SIMState = iota // inserted, no PIN asked
	SIMAbsent                 // no card: +CME ERROR: 10
	SIMPIN                    // the card asks for its PIN
	SIMPUK                    // locked: the card asks for its PUK
)

// SimMessage is a message as the simulated network received it, its parts
// put together.
type SimMessage struct {
	// Phone is the receiver as an 11-digit national number (an
	// international +86 number loses its country code).
	Phone string
	// To is the destination address exactly as submitted.
	To Address
	// Text is the whole text, parts joined in order.
	Text string
	// ProviderID is the message reference (TP-MR) the simulator answered
	// for the last part, in decimal: what the gateway reports.
	ProviderID string
	// MRs are the message references of all parts in order.
	MRs []byte
	// Parts is how many parts it came in; StatusReport whether a report
	// was asked for; DCS the data coding scheme.
	Parts        int
	StatusReport bool
	DCS          byte
}

// Simulator is a modem on a pseudo-terminal.
type Simulator struct {
	opt    SimOptions
	master *os.File
	keep   *os.File // a slave descriptor kept open, so the pair lives between the gateway's opens
	path   string
	log    *slog.Logger
	done   chan struct{}
	wmu    sync.Mutex // one write to the terminal at a time

	mu       sync.Mutex
	echo     bool
	cmee     int
	cmgf     int
	cnmiDS   int // 1: status reports shown as +CDS
	sim      SIMState
	reg      int // +CREG <stat>: 1 home, 5 roaming, 2 searching, 3 denied, 0 not registered
	csq      int
	hang     bool
	hangNext bool // hang once the next prompt is given
	latency  time.Duration
	noise    bool
	failNext []int
	mr       byte
	frags    map[string]map[int]fragment // phone/ref/total → parts by sequence number
	received []SimMessage
	commands []string
	held     []string // unsolicited codes waiting for the middle of the next answer
}

type fragment struct {
	sub *Submit
	mr  byte
}

// NewSimulator opens a pseudo-terminal pair and starts answering on it.
// On platforms without pseudo-terminals it returns an error wrapping
// ErrNoPTY.
func NewSimulator(opt SimOptions) (*Simulator, error) {
	if opt.Vendor == "" {
		opt.Vendor = "quectel"
	}
	if opt.SMSC == "" {
		opt.SMSC = "+8613800451500"
	}
	if opt.Operator == "" {
		opt.Operator = "CHINA MOBILE"
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	master, path, keep, err := pty.OpenPair()
	if err != nil {
		return nil, err
	}
	s := &Simulator{opt: opt, master: master, keep: keep, path: path, log: opt.Log, done: make(chan struct{}),
		echo: true, cmgf: 1, reg: 1, csq: 24, mr: 0x20, latency: opt.Latency, frags: map[string]map[int]fragment{}}
	go s.loop()
	s.Restart() // a module that has just booted says so
	return s, nil
}

// Path is the terminal to open as the modem's serial port.
func (s *Simulator) Path() string { return s.path }

// Close hangs the modem up.
func (s *Simulator) Close() error {
	err := s.master.Close()
	<-s.done
	s.keep.Close()
	return err
}

// Received lists the messages that arrived whole, oldest first.
func (s *Simulator) Received() []SimMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.received)
}

// Commands lists the commands the modem received, oldest first.
func (s *Simulator) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands)
}

// FailNext makes the next submission fail with +CMS ERROR: code (e.g. 38
// network out of order, 42 congestion, 21 short message transfer
// rejected).
func (s *Simulator) FailNext(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, code)
}

// SetSIM changes the SIM card.
func (s *Simulator) SetSIM(st SIMState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sim = st
}

// SetRegistration sets the network registration (+CREG <stat>: 0 not
// registered, 1 home, 2 searching, 3 denied, 5 roaming).
func (s *Simulator) SetRegistration(stat int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reg = stat
}

// SetSignal sets the +CSQ signal quality (0..31, 99 unknown).
func (s *Simulator) SetSignal(csq int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.csq = csq
}

// Hang makes the modem stop answering (it swallows what it is sent) or,
// with false, answer again.
func (s *Simulator) Hang(on bool) {
	s.mu.Lock()
	s.hang = on
	var held []string
	if !on && !s.noise {
		held, s.held = s.held, nil
	}
	s.mu.Unlock()
	s.write(strings.Join(held, ""))
}

// HangAfterPrompt makes the modem give the next AT+CMGS its prompt and
// then stop answering, until Hang(false).
func (s *Simulator) HangAfterPrompt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hangNext = true
}

// SetLatency delays every answer by d.
func (s *Simulator) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Restart reboots the modem: its settings return to the factory's (echo
// on, text mode, no status reports) and it announces itself.
func (s *Simulator) Restart() {
	s.mu.Lock()
	s.echo, s.cmee, s.cmgf, s.cnmiDS = true, 0, 1, 0
	s.mu.Unlock()
	if s.opt.Vendor == "huawei" {
		s.Unsolicited("^BOOT:12345678,0,0,0,75", "^SIMST: 1")
	} else {
		s.Unsolicited("RDY", "+CPIN: READY", "+QIND: SMS DONE")
	}
}

func (s *Simulator) delay() {
	s.mu.Lock()
	d := s.latency
	s.mu.Unlock()
	time.Sleep(d)
}

// Noise makes the line dirty: every answer comes in small pieces with
// garbage bytes, RING and +CMTI before it, and status reports are held
// back to arrive in the middle of the next answer, between its
// information lines and its final result code.
func (s *Simulator) Noise(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noise = on
}

// Unsolicited sends unsolicited result code lines now.
func (s *Simulator) Unsolicited(lines ...string) {
	var sb strings.Builder
	for _, l := range lines {
		sb.WriteString("\r\n" + l + "\r\n")
	}
	s.write(sb.String())
}

// Deliver makes the network report the fate of a message by the provider
// id the gateway was given (the last part's TP-MR): one +CDS status
// report for every part that asked for one. TP-ST: delivered 0x00,
// failed 0x41 (incompatible destination), expired 0x46, unknown 0x01
// (forwarded, delivery not confirmed).
func (s *Simulator) Deliver(providerID string, st sms.Status) error {
	code := map[sms.Status]byte{sms.Delivered: 0x00, sms.Failed: 0x41, sms.Expired: 0x46, sms.Unknown: 0x01}[st]
	var now []string
	defer func() { s.write(strings.Join(now, "")) }()
	s.mu.Lock()
	defer s.mu.Unlock()
	var m *SimMessage
	for i := len(s.received) - 1; i >= 0; i-- {
		if s.received[i].ProviderID == providerID {
			m = &s.received[i]
			break
		}
	}
	if m == nil {
		return fmt.Errorf("deliver %s: no such message", providerID)
	}
	if !m.StatusReport || s.cnmiDS != 1 {
		return nil // not asked for, or not to be shown: a real network's report would go unseen too
	}
	smsc, _ := ParseAddress(s.opt.SMSC)
	head, err := EncodeSMSC(smsc)
	if err != nil {
		return err
	}
	at := s.opt.Now()
	for _, mr := range m.MRs {
		tpdu, err := EncodeStatusReport(&StatusReport{MR: mr, Recipient: m.To, Time: at.Add(-time.Second), Discharge: at, Status: code})
		if err != nil {
			return err
		}
		u := fmt.Sprintf("\r\n+CDS: %d\r\n%X\r\n", len(tpdu), append(head, tpdu...))
		if s.noise || s.hang {
			s.held = append(s.held, u)
			continue
		}
		now = append(now, u)
	}
	return nil
}

// write sends bytes to the gateway; a gateway that reads nothing for a
// second loses them, as it would from a real modem's buffer.
func (s *Simulator) write(b string) {
	if b == "" {
		return
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.master.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := io.WriteString(s.master, b); err != nil && !errors.Is(err, os.ErrClosed) {
		s.log.Debug("simulator: write", "err", err)
	}
}

// loop reads what the gateway writes: command lines ended by CR, or after
// the prompt of AT+CMGS a PDU in hex ended by Ctrl-Z (send) or Esc
// (cancel).
func (s *Simulator) loop() {
	defer close(s.done)
	buf := make([]byte, 1024)
	var line []byte
	pduLen := -1 // ≥ 0 while a PDU is awaited: the TPDU length of AT+CMGS
	for {
		n, err := s.master.Read(buf)
		if err != nil {
			return
		}
		s.mu.Lock()
		hang, echo := s.hang, s.echo
		s.mu.Unlock()
		if hang {
			line, pduLen = line[:0], -1
			continue
		}
		if echo {
			s.write(string(buf[:n]))
		}
		for _, ch := range buf[:n] {
			switch {
			case pduLen >= 0 && ch == ctrlZ:
				s.answer(s.submit(string(line), pduLen))
				line, pduLen = line[:0], -1
			case pduLen >= 0 && ch == esc:
				s.answer(nil, "OK")
				line, pduLen = line[:0], -1
			case pduLen >= 0:
				if ch != '\r' && ch != '\n' {
					line = append(line, ch)
				}
			case ch == '\r':
				cmd := strings.TrimSpace(string(line))
				line = line[:0]
				if len(cmd) < 2 || !strings.EqualFold(cmd[:2], "AT") {
					continue // a modem ignores what does not start with AT
				}
				if n, ok := strings.CutPrefix(strings.ToUpper(cmd), "AT+CMGS="); ok {
					if l, err := s.prompt(n); err != "" {
						s.answer(nil, err)
					} else {
						pduLen = l
						s.delay()
						s.mu.Lock()
						noise := s.noise
						if s.hangNext {
							s.hang, s.hangNext = true, false
						}
						s.mu.Unlock()
						if noise {
							s.write("\r\nRING\r\n")
						}
						s.write("\r\n> ")
					}
					continue
				}
				info, final := s.command(cmd)
				s.answer(info, final)
			case ch == '\n' || ch == esc:
			default:
				if len(line) < maxLine {
					line = append(line, ch)
				}
			}
		}
	}
}

// answer writes information lines and a final result code.
func (s *Simulator) answer(info []string, final string) {
	s.mu.Lock()
	noise := s.noise
	var held []string
	if noise {
		held, s.held = s.held, nil
	}
	s.mu.Unlock()
	s.delay()
	var sb strings.Builder
	if noise {
		sb.WriteString("\r\n\x00\xff\xfe\r\nRING\r\n\r\n+CMTI: \"SM\",3\r\n")
	}
	for _, l := range info {
		sb.WriteString("\r\n" + l + "\r\n")
	}
	for _, u := range held {
		sb.WriteString(u)
	}
	sb.WriteString("\r\n" + final + "\r\n")
	if !noise {
		s.write(sb.String())
		return
	}
	out := sb.String()
	for len(out) > 0 { // in pieces, as a slow UART delivers them
		n := min(3, len(out))
		s.write(out[:n])
		out = out[n:]
		time.Sleep(100 * time.Microsecond)
	}
}

func (s *Simulator) cmeError(code int, text string) string {
	switch s.cmee {
	case 1:
		return fmt.Sprintf("+CME ERROR: %d", code)
	case 2:
		return "+CME ERROR: " + text
	}
	return "ERROR"
}

// simError is the error for a command that needs the SIM, "" when it is
// ready.
func (s *Simulator) simError(cms bool) string {
	switch s.sim {
	case SIMAbsent:
		if cms {
			return "+CMS ERROR: 310"
		}
		return s.cmeError(10, "SIM not inserted")
	case SIMPIN:
		if cms {
			return "+CMS ERROR: 311"
		}
		return s.cmeError(11, "SIM PIN required")
	case SIMPUK:
		if cms {
			return "+CMS ERROR: 316"
		}
		return s.cmeError(12, "SIM PUK required")
	}
	return ""
}

// registration is the +CREG stat the network gives the modem now.
func (s *Simulator) registration() int {
	if s.sim != SIMReady {
		return 0
	}
	return s.reg
}

// command answers one command line (other than AT+CMGS).
func (s *Simulator) command(cmd string) (info []string, final string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands = append(s.commands, cmd)
	up := strings.ToUpper(cmd)
	huawei := s.opt.Vendor == "huawei"
	maker, model, rev, imei := "Quectel", "EC20F", "EC20CEFAGR06A05M4G", "866758041234561"
	if huawei {
		maker, model, rev, imei = "huawei", "ME909s-821", "11.617.04.00.00", "867223021234569"
	}
	set := func(prefix string) (int, bool) {
		v, ok := strings.CutPrefix(up, prefix)
		if !ok {
			return 0, false
		}
		n, err := strconv.Atoi(strings.SplitN(v, ",", 2)[0])
		return n, err == nil
	}
	switch {
	case up == "AT":
	case up == "ATE0" || up == "ATE":
		s.echo = false
	case up == "ATE1":
		s.echo = true
	case up == "ATI":
		if huawei {
			info = []string{"Manufacturer: " + maker, "Model: " + model, "Revision: " + rev, "IMEI: " + imei, "+GCAP: +CGSM,+DS,+ES"}
		} else {
			info = []string{maker, model, "Revision: " + rev}
		}
	case up == "AT+CGMI" || up == "AT+GMI":
		info = []string{maker}
	case up == "AT+CGMM" || up == "AT+GMM":
		info = []string{model}
	case up == "AT+CGMR" || up == "AT+GMR":
		info = []string{rev}
	case up == "AT+CGSN" || up == "AT+GSN":
		info = []string{imei}
	case strings.HasPrefix(up, "AT+CMEE="):
		n, ok := set("AT+CMEE=")
		if !ok || n < 0 || n > 2 {
			return nil, "ERROR"
		}
		s.cmee = n
	case strings.HasPrefix(up, "AT+CMGF="):
		n, ok := set("AT+CMGF=")
		if !ok || n < 0 || n > 1 {
			return nil, "ERROR"
		}
		s.cmgf = n
	case up == "AT+CMGF?":
		info = []string{fmt.Sprintf("+CMGF: %d", s.cmgf)}
	case strings.HasPrefix(up, "AT+CSMS="):
		info = []string{"+CSMS: 1,1,1"}
	case strings.HasPrefix(up, "AT+CPMS"):
		if e := s.simError(true); e != "" {
			return nil, e
		}
		info = []string{"+CPMS: 0,50,0,50,0,50"}
	case strings.HasPrefix(up, "AT+CNMI="):
		parts := strings.Split(strings.TrimPrefix(up, "AT+CNMI="), ",")
		if len(parts) < 4 {
			return nil, "+CMS ERROR: 303"
		}
		ds, err := strconv.Atoi(strings.TrimSpace(parts[3]))
		if err != nil || ds < 0 || ds > 2 {
			return nil, "+CMS ERROR: 303"
		}
		s.cnmiDS = ds
	case up == "AT+CNMA":
		return nil, "+CMS ERROR: 340"
	case up == "AT+CPIN?":
		switch s.sim {
		case SIMAbsent:
			return nil, s.simError(false)
		case SIMPIN:
			info = []string{"+CPIN: SIM PIN"}
		case SIMPUK:
			info = []string{"+CPIN: SIM PUK"}
		default:
			info = []string{"+CPIN: READY"}
		}
	case strings.HasPrefix(up, "AT+CREG=") || strings.HasPrefix(up, "AT+CEREG=") || strings.HasPrefix(up, "AT+CGREG="):
	case up == "AT+CREG?":
		info = []string{fmt.Sprintf("+CREG: 0,%d", s.registration())}
	case up == "AT+CGREG?":
		info = []string{fmt.Sprintf("+CGREG: 0,%d", s.registration())}
	case up == "AT+CEREG?":
		info = []string{fmt.Sprintf("+CEREG: 0,%d", s.registration())}
	case up == "AT+CSQ":
		info = []string{fmt.Sprintf("+CSQ: %d,99", s.csq)}
	case strings.HasPrefix(up, "AT+COPS="):
	case up == "AT+COPS?":
		if r := s.registration(); r == 1 || r == 5 {
			info = []string{fmt.Sprintf("+COPS: 0,0,%q,7", s.opt.Operator)}
		} else {
			info = []string{"+COPS: 0"}
		}
	case up == "AT+CSCA?":
		if e := s.simError(true); e != "" {
			return nil, e
		}
		info = []string{fmt.Sprintf("+CSCA: %q,145", s.opt.SMSC)}
	case up == "AT+CFUN?":
		info = []string{"+CFUN: 1"}
	default:
		return nil, "ERROR"
	}
	return info, "OK"
}

// prompt starts AT+CMGS=<length>: the length, or the error to answer.
func (s *Simulator) prompt(arg string) (int, string) {
	s.mu.Lock()
	s.commands = append(s.commands, "AT+CMGS="+arg)
	defer s.mu.Unlock()
	n, err := strconv.Atoi(strings.TrimSpace(arg))
	switch {
	case s.cmgf != 0:
		return 0, "+CMS ERROR: 302" // text mode: the simulator speaks PDU mode only
	case err != nil || n < 7 || n > 164:
		return 0, "+CMS ERROR: 304"
	case s.simError(true) != "":
		return 0, s.simError(true)
	case s.registration() != 1 && s.registration() != 5:
		return 0, "+CMS ERROR: 331"
	}
	return n, ""
}

// submit takes the PDU after the prompt and answers +CMGS: <mr>.
func (s *Simulator) submit(pduHex string, tpduLen int) ([]string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failNext) > 0 {
		code := s.failNext[0]
		s.failNext = s.failNext[1:]
		return nil, fmt.Sprintf("+CMS ERROR: %d", code)
	}
	raw, err := hex.DecodeString(pduHex)
	if err != nil {
		return nil, "+CMS ERROR: 304"
	}
	_, tpdu, err := SplitSMSC(raw)
	if err != nil || len(tpdu) != tpduLen {
		return nil, "+CMS ERROR: 304"
	}
	sub, err := DecodeSubmit(tpdu)
	if err != nil {
		return nil, "+CMS ERROR: 304"
	}
	mr := s.mr
	s.mr++
	s.arrive(sub, mr)
	return []string{fmt.Sprintf("+CMGS: %d", mr)}, "OK"
}

// arrive files a submitted part and, once all parts are in, the message.
func (s *Simulator) arrive(sub *Submit, mr byte) {
	phone := sub.To.Number
	if sub.To.Type == TOAInternational {
		phone = strings.TrimPrefix(phone, "86")
	}
	parts := map[int]fragment{1: {sub, mr}}
	if c := sub.Concat; c != nil && c.Total > 1 {
		key := fmt.Sprintf("%s/%d/%d", sub.To.Number, c.Ref, c.Total)
		if s.frags[key] == nil {
			s.frags[key] = map[int]fragment{}
		}
		s.frags[key][c.Seq] = fragment{sub, mr}
		if len(s.frags[key]) < c.Total {
			return
		}
		parts = s.frags[key]
		delete(s.frags, key)
	}
	m := SimMessage{Phone: phone, To: sub.To, Parts: len(parts), DCS: sub.DCS}
	var text strings.Builder
	for seq := 1; seq <= len(parts); seq++ {
		f, ok := parts[seq]
		if !ok {
			s.log.Warn("simulator: part missing", "seq", seq)
			return
		}
		text.WriteString(f.sub.Text)
		m.MRs = append(m.MRs, f.mr)
		m.StatusReport = m.StatusReport || f.sub.StatusReport
	}
	m.Text = text.String()
	m.ProviderID = strconv.Itoa(int(m.MRs[len(m.MRs)-1]))
	s.received = append(s.received, m)
	s.log.Debug("simulator: message received", "phone", sms.Mask(phone), "parts", m.Parts, "mr", m.ProviderID)
}
