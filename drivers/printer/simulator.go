package printer

// The simulator: a label printer on a pseudo-terminal (as a USB-serial
// printer is on /dev/ttyUSB0) and on a TCP port (as a network printer
// is on 9100). It reads the real command language, keeps the labels it
// printed, answers status queries, and can run out of paper or have its
// head opened on demand. It is a test and demo aid, never the product.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	"cunyou/drivers/pty"
)

// ErrNoPTY is returned where the platform has no pseudo-terminals; the
// simulator then listens on TCP only.
var ErrNoPTY = pty.ErrNoPTY

// SimOptions tunes a Simulator.
type SimOptions struct {
	// Language is what the printer speaks; TSPL when "".
	Language Language
	// DPI is the printer's resolution; 203 when 0.
	DPI int
	// NoPTY listens on TCP only.
	NoPTY bool
	// Log receives what the simulator does; nothing when nil.
	Log *slog.Logger
}

// PrintedLabel is a label as the simulator read and printed it.
type PrintedLabel struct {
	// Label is the label read back from the commands: its size, copies
	// and elements, text decoded from GB18030 to UTF-8.
	Label Label
	// Via is "pty" or "tcp".
	Via string
}

// Texts lists the label's text fields in order.
func (p PrintedLabel) Texts() []string {
	var out []string
	for _, t := range elementsOf[Text](p.Label) {
		out = append(out, t.Text)
	}
	return out
}

// Barcodes lists the data of the label's barcodes in order.
func (p PrintedLabel) Barcodes() []string {
	var out []string
	for _, b := range elementsOf[Barcode](p.Label) {
		out = append(out, b.Data)
	}
	return out
}

// PNG draws the label as the printer printed it (see Preview).
func (p PrintedLabel) PNG(f *Font) ([]byte, error) {
	var b bytes.Buffer
	if err := PreviewPNG(&b, p.Label, f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Simulator is a label printer on a pseudo-terminal and a TCP port.
type Simulator struct {
	opt SimOptions
	d   dialect
	log *slog.Logger
	ln  net.Listener
	wg  sync.WaitGroup

	master *os.File
	keep   *os.File // a slave descriptor kept open, so the pair lives between the host's opens
	path   string
	wmu    sync.Mutex // one write to the terminal at a time

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced when a label prints
	st       Status
	silent   bool
	runOut   int // labels left before the paper runs out; -1 never
	printed  []PrintedLabel
	held     []PrintedLabel
	commands []string
	conns    map[net.Conn]bool
	closed   bool
}

// NewSimulator starts a printer listening on a new pseudo-terminal (Path)
// and on 127.0.0.1 at a free port (Addr). Where there are no
// pseudo-terminals it listens on TCP only and Path is "".
func NewSimulator(opt SimOptions) (*Simulator, error) {
	if opt.Language == "" {
		opt.Language = TSPL
	}
	if opt.DPI <= 0 {
		opt.DPI = 203
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	d, ok := dialects[opt.Language]
	if !ok {
		return nil, fmt.Errorf("printer simulator: unknown language %q", opt.Language)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("printer simulator: listen: %w", err)
	}
	s := &Simulator{opt: opt, d: d, log: opt.Log.With("simulator", string(opt.Language)), ln: ln,
		changed: make(chan struct{}), runOut: -1, conns: map[net.Conn]bool{}}
	if !opt.NoPTY {
		if err := s.openPTY(); err != nil && !errors.Is(err, ErrNoPTY) {
			ln.Close()
			return nil, err
		} else if err != nil {
			s.log.Info("simulator: TCP only", "err", err)
		}
	}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *Simulator) openPTY() error {
	master, path, keep, err := pty.OpenPair()
	if err != nil {
		return err
	}
	s.master, s.keep, s.path = master, keep, path
	s.wg.Add(1)
	go s.serve("pty", master, s.writeTerminal)
	return nil
}

// Path is the terminal to open as the printer's serial port; "" without
// pseudo-terminals.
func (s *Simulator) Path() string { return s.path }

// Addr is the TCP address to connect to, like a printer's port 9100.
func (s *Simulator) Addr() string { return s.ln.Addr().String() }

// Language is what the simulator speaks.
func (s *Simulator) Language() Language { return s.opt.Language }

// Close stops the printer.
func (s *Simulator) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	if s.master != nil {
		s.master.Close()
	}
	s.wg.Wait()
	if s.keep != nil {
		s.keep.Close()
	}
	return err
}

func (s *Simulator) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			s.serve("tcp", c, func(b []byte) {
				c.SetWriteDeadline(time.Now().Add(time.Second))
				c.Write(b)
			})
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

// writeTerminal answers on the terminal; a host that reads nothing for a
// second loses the answer, as from a real printer's buffer.
func (s *Simulator) writeTerminal(b []byte) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.master.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := s.master.Write(b); err != nil && !errors.Is(err, os.ErrClosed) {
		s.log.Debug("simulator: write", "err", err)
	}
}

// serve reads one stream of commands: the terminal, or one TCP
// connection.
func (s *Simulator) serve(via string, r io.Reader, reply func([]byte)) {
	defer s.wg.Done()
	p := s.d.parser(s.opt)
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		for _, ev := range p.feed(buf[:n]) {
			s.handle(via, ev, reply)
		}
		if err != nil {
			return
		}
	}
}

func (s *Simulator) handle(via string, ev simEvent, reply func([]byte)) {
	s.mu.Lock()
	if ev.command != "" && len(s.commands) < 100000 {
		s.commands = append(s.commands, ev.command)
	}
	var answer []byte
	if ev.query != nil && !s.silent {
		answer = s.answer(ev.query)
	}
	if ev.label != nil {
		s.print(PrintedLabel{Label: *ev.label, Via: via})
	}
	s.mu.Unlock()
	if len(answer) > 0 {
		reply(answer)
	}
}

// print prints a label, or holds it while the printer cannot print.
// Called with s.mu held.
func (s *Simulator) print(l PrintedLabel) {
	if s.runOut == 0 {
		s.st.PaperOut, s.runOut = true, -1
	}
	if !s.st.Ready() {
		s.log.Info("simulator: label held", "status", s.st.String())
		s.held = append(s.held, l)
		return
	}
	s.printed = append(s.printed, l)
	if s.runOut > 0 {
		s.runOut--
	}
	s.log.Debug("simulator: printed", "texts", len(l.Texts()), "via", l.Via)
	close(s.changed)
	s.changed = make(chan struct{})
}

// release prints the held labels once the printer can print. Called with
// s.mu held.
func (s *Simulator) release() {
	held := s.held
	s.held = nil
	for i, l := range held {
		if !s.st.Ready() {
			s.held = append(s.held, held[i:]...)
			return
		}
		s.print(l)
	}
}

// answer is the printer's reply to a status query; nil for none (a ZPL
// printer keeps silent in an error state). Called with s.mu held.
func (s *Simulator) answer(q []byte) []byte {
	st := s.st
	switch s.opt.Language {
	case TSPL:
		if q[2] != '?' {
			return nil
		}
		var b byte
		for i, on := range []bool{st.HeadOpen, st.PaperJam, st.PaperOut, st.RibbonOut, st.Paused, st.Printing, st.CoverOpen, st.OverTemp} {
			if on {
				b |= 1 << i
			}
		}
		return []byte{b}
	case ZPL:
		if st.PaperOut || st.RibbonOut || st.HeadOpen || st.OverTemp || st.PaperJam || st.CoverOpen {
			return nil // PROTOCOLS §3.3: no ~HS reply in these states
		}
		return fmt.Appendf(nil, "\x02030,0,%d,1040,%03d,0,0,0,000,0,0,%d\x03\r\n\x02000,0,0,0,0,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n",
			b2i(st.Paused), len(s.held), b2i(st.Fault))
	case ESCPOS:
		faulty := !st.Ready()
		switch q[2] {
		case escposPrinterStatus:
			return []byte{0x12 | byte(b2i(faulty))<<3}
		case escposOfflineCause:
			return []byte{0x12 | byte(b2i(st.HeadOpen || st.CoverOpen))<<2 | byte(b2i(st.PaperOut))<<5 | byte(b2i(st.Fault || st.PaperJam))<<6}
		case escposErrorCause:
			return []byte{0x12}
		case escposPaperSensor:
			return []byte{0x12 | byte(b2i(st.PaperOut))*0x60}
		}
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Labels lists the labels printed, oldest first.
func (s *Simulator) Labels() []PrintedLabel {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.printed)
}

// Held lists the labels received while the printer could not print,
// waiting for the fault to clear.
func (s *Simulator) Held() []PrintedLabel {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.held)
}

// Commands lists the commands received, oldest first.
func (s *Simulator) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands)
}

// Wait waits until n labels have been printed in all, and returns them.
func (s *Simulator) Wait(ctx context.Context, n int) ([]PrintedLabel, error) {
	for {
		s.mu.Lock()
		if len(s.printed) >= n {
			out := slices.Clone(s.printed)
			s.mu.Unlock()
			return out, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return s.Labels(), fmt.Errorf("wait for %d labels: %w", n, ctx.Err())
		}
	}
}

// Status is the printer's state now.
func (s *Simulator) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

// SetStatus sets the printer's state: any fault makes it hold what it is
// sent (and a ZPL printer stop answering ~HS, PROTOCOLS §3.3); clearing
// the faults prints what it held.
func (s *Simulator) SetStatus(st Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.Raw = ""
	s.st = st
	s.release()
}

func (s *Simulator) set(f func(*Status)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.st)
	s.release()
}

// SetPaperOut runs the printer out of labels, or loads a new roll.
func (s *Simulator) SetPaperOut(on bool) { s.set(func(st *Status) { st.PaperOut = on }) }

// SetHeadOpen opens or closes the print head.
func (s *Simulator) SetHeadOpen(on bool) { s.set(func(st *Status) { st.HeadOpen = on }) }

// SetPaused pauses the printer (its pause button), or resumes.
func (s *Simulator) SetPaused(on bool) { s.set(func(st *Status) { st.Paused = on }) }

// RunOutAfter makes the paper run out once n more labels have printed:
// the n+1st is held and the status says paper out.
func (s *Simulator) RunOutAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runOut = max(n, 0)
}

// Silent makes the printer ignore status queries (a printer that is off,
// or a clone without status), or answer again.
func (s *Simulator) Silent(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.silent = on
}

// Disconnect drops the TCP connections, as a printer that is switched
// off and on again does; the host must connect again.
func (s *Simulator) Disconnect() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}
