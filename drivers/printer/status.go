package printer

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Status is what a printer said about itself.
type Status struct {
	HeadOpen  bool
	PaperOut  bool
	PaperJam  bool
	RibbonOut bool
	CoverOpen bool
	Paused    bool
	OverTemp  bool
	Offline   bool
	Fault     bool // another error the printer reports
	// Printing: busy with a label; no fault.
	Printing bool
	// Raw is the reply, in hex.
	Raw string
}

// faultOrder is the order in which a status's faults are reported: what
// the operator must fix first comes first.
var faultOrder = []struct {
	code Code
	set  func(Status) bool
}{
	{CodeHeadOpen, func(s Status) bool { return s.HeadOpen }},
	{CodeCoverOpen, func(s Status) bool { return s.CoverOpen }},
	{CodePaperJam, func(s Status) bool { return s.PaperJam }},
	{CodePaperOut, func(s Status) bool { return s.PaperOut }},
	{CodeRibbonOut, func(s Status) bool { return s.RibbonOut }},
	{CodeOverTemp, func(s Status) bool { return s.OverTemp }},
	{CodeFault, func(s Status) bool { return s.Fault }},
	{CodePaused, func(s Status) bool { return s.Paused }},
	{CodeOffline, func(s Status) bool { return s.Offline }},
}

// Faults lists the codes of everything that stops printing, the most
// pressing first; none when the printer is ready.
func (s Status) Faults() []Code {
	var out []Code
	for _, f := range faultOrder {
		if f.set(s) {
			out = append(out, f.code)
		}
	}
	return out
}

// Ready tells whether the printer can print.
func (s Status) Ready() bool { return len(s.Faults()) == 0 }

// Err is the *Error of the most pressing fault, nil when ready.
func (s Status) Err() error {
	f := s.Faults()
	if len(f) == 0 {
		return nil
	}
	st := s
	return &Error{Code: f[0], Status: &st}
}

func (s Status) String() string {
	var words []string
	for _, c := range s.Faults() {
		words = append(words, strings.TrimPrefix(string(c), "printer."))
	}
	if s.Printing {
		words = append(words, "printing")
	}
	if len(words) == 0 {
		return "ready"
	}
	return strings.Join(words, ",")
}

// ParseTSPLStatus reads the byte a TSPL printer answers to <ESC>!? (bits
// of PROTOCOLS §3.2: 0 head open, 1 paper jam, 2 out of paper, 3 out of
// ribbon, 4 pause, 5 printing, 6 cover open, 7 temperature). Every byte
// is a status.
func ParseTSPLStatus(b byte) Status {
	return Status{
		HeadOpen:  b&0x01 != 0,
		PaperJam:  b&0x02 != 0,
		PaperOut:  b&0x04 != 0,
		RibbonOut: b&0x08 != 0,
		Paused:    b&0x10 != 0,
		Printing:  b&0x20 != 0,
		CoverOpen: b&0x40 != 0,
		OverTemp:  b&0x80 != 0,
		Raw:       hex.EncodeToString([]byte{b}),
	}
}

// zplComplete tells whether a ~HS reply has all its three strings.
func zplComplete(b []byte) bool { return bytes.Count(b, []byte{etx}) >= 3 }

const (
	stx = 0x02
	etx = 0x03
)

// ParseZPLStatus reads a ZPL printer's answer to ~HS: three
// <STX>…<ETX><CR><LF> strings (PROTOCOLS §3.3). String 1
// "aaa,b,c,dddd,eee,f,g,h,iii,j,k,l": b paper out, c pause, eee formats
// in the buffer, j corrupt RAM, k under temperature, l over temperature.
// String 2 "mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www": o head up, p ribbon out,
// uuuuuuuu labels left in the batch. Bytes before the first STX are
// skipped; a reply without the flags is an ErrProtocol.
func ParseZPLStatus(reply []byte) (Status, error) {
	st := Status{Raw: hex.EncodeToString(reply)}
	var strs [][]string
	rest := reply
	for len(strs) < 3 {
		i := bytes.IndexByte(rest, stx)
		if i < 0 {
			break
		}
		rest = rest[i+1:]
		j := bytes.IndexByte(rest, etx)
		if j < 0 {
			break
		}
		strs = append(strs, strings.Split(string(rest[:j]), ","))
		rest = rest[j+1:]
	}
	bad := func(format string, args ...any) (Status, error) {
		return st, &Error{Code: CodeProtocol, Op: "read ~HS", Err: fmt.Errorf(format, args...)}
	}
	if len(strs) < 2 {
		return bad("%d of 3 status strings", len(strs))
	}
	s1, s2 := strs[0], strs[1]
	if len(s1) < 3 || len(s2) < 4 {
		return bad("status strings of %d and %d fields", len(s1), len(s2))
	}
	flag := func(f []string, i int) (bool, bool) {
		if i >= len(f) {
			return false, true
		}
		switch strings.TrimSpace(f[i]) {
		case "0":
			return false, true
		case "1":
			return true, true
		}
		return false, false
	}
	num := func(f []string, i int) int {
		if i >= len(f) {
			return 0
		}
		n, err := strconv.Atoi(strings.TrimSpace(f[i]))
		if err != nil || n < 0 {
			return 0
		}
		return n
	}
	var ok [7]bool
	st.PaperOut, ok[0] = flag(s1, 1)
	st.Paused, ok[1] = flag(s1, 2)
	st.Fault, ok[2] = flag(s1, 9)
	under, ok3 := flag(s1, 10)
	over, ok4 := flag(s1, 11)
	ok[3], ok[4] = ok3, ok4
	st.OverTemp = under || over
	st.HeadOpen, ok[5] = flag(s2, 2)
	st.RibbonOut, ok[6] = flag(s2, 3)
	for i, good := range ok {
		if !good {
			return bad("flag %d is not 0 or 1", i)
		}
	}
	st.Printing = num(s1, 4) > 0 || num(s2, 8) > 0
	return st, nil
}

// The ESC/POS real-time status requests, DLE EOT n (PROTOCOLS §3.4).
const (
	escposPrinterStatus = 1
	escposOfflineCause  = 2
	escposErrorCause    = 3
	escposPaperSensor   = 4
)

// ParseESCPOSStatus reads the one-byte answers to DLE EOT 1 (printer),
// DLE EOT 2 (offline cause) and DLE EOT 4 (roll paper sensor), as Epson
// defines them: bit 3 of printer is offline; bits 2, 5 and 6 of offline
// are cover open, stopped for paper end and error; bits 5 and 6 of paper
// are paper end. Every such byte has bits 1 and 4 set and bits 0 and 7
// clear; another byte is an ErrProtocol.
func ParseESCPOSStatus(printer, offline, paper byte) (Status, error) {
	st := Status{Raw: hex.EncodeToString([]byte{printer, offline, paper})}
	for _, b := range []byte{printer, offline, paper} {
		if b&0x93 != 0x12 {
			return st, &Error{Code: CodeProtocol, Op: "read DLE EOT", Err: fmt.Errorf("status byte %#02x", b)}
		}
	}
	st.Offline = printer&0x08 != 0
	st.CoverOpen = offline&0x04 != 0
	st.PaperOut = offline&0x20 != 0 || paper&0x60 != 0
	st.Fault = offline&0x40 != 0
	if st.Offline && !st.CoverOpen && !st.PaperOut && !st.Fault && offline&0x08 != 0 {
		st.Paused = true // the feed button is held
	}
	return st, nil
}
