package idcard

// The simulator: an ID-card reader on a pseudo-terminal that speaks the
// SAM frames as a real reader does. It is a test and demo aid, never the
// product: the driver opens its terminal like a reader's USB serial port,
// the test places and removes cards and injects faults.

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"cunyou/drivers/pty"
)

// SimOptions tunes a Simulator. The zero value is a healthy reader with
// no card, answering at once.
type SimOptions struct {
	// Latency delays every answer (see SetLatency).
	Latency time.Duration
	// HaltAfterRead makes a card that was read stop answering find until
	// it is removed and placed again, as a real card in the field does.
	// Otherwise find keeps finding a card that lies on the reader.
	HaltAfterRead bool
	// Link, when set, is a symbolic link the simulator keeps pointing at
	// its terminal, as udev keeps /dev/serial/by-id/…: the port name
	// stays the same across Unplug and Replug.
	Link string
	// Log receives what the simulator does; nothing when nil.
	Log *slog.Logger
}

// Simulator is an ID-card reader on a pseudo-terminal.
type Simulator struct {
	opt SimOptions
	log *slog.Logger

	mu        sync.Mutex
	master    *os.File
	keep      *os.File // a slave descriptor kept open, so the pair lives between the driver's opens
	path      string
	done      chan struct{}
	plugged   bool
	closed    bool
	card      []byte // the answer to read base info of the card in the field; nil when none
	cardName  string // the card, masked, for the log
	found     bool   // find succeeded since the card came or was reset
	selected  bool
	halted    bool
	gap       bool // a card was swapped for another: the next find misses, as the old one leaves the field
	latency   time.Duration
	silent    bool
	faults    []simFault
	commands  []Command
	samIDData []byte
}

type simFault struct {
	on      *Command // nil: the next command, whichever
	sw3     byte     // answer with this status
	drop    bool     // answer nothing
	corrupt bool     // answer with a bad checksum
}

// NewSimulator opens a pseudo-terminal pair and starts answering on it.
// On platforms without pseudo-terminals it returns an error wrapping
// ErrNoPTY.
func NewSimulator(opt SimOptions) (*Simulator, error) {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	s := &Simulator{opt: opt, log: opt.Log, latency: opt.Latency,
		samIDData: []byte{0x05, 0x00, 0x01, 0x00, 0x5F, 0xB8, 0x32, 0x01, 0x39, 0x30, 0x00, 0x00, 0x15, 0xCD, 0x5B, 0x07}}
	if err := s.Replug(); err != nil {
		return nil, err
	}
	return s, nil
}

// Path is the port to open: Link when set, else the terminal's path.
func (s *Simulator) Path() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opt.Link != "" {
		return s.opt.Link
	}
	return s.path
}

// Close unplugs the reader for good.
func (s *Simulator) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.Unplug()
	return nil
}

// Unplug pulls the reader's cable: the terminal goes away, so the driver
// reading it gets an error, and Link is removed.
func (s *Simulator) Unplug() {
	s.mu.Lock()
	if !s.plugged {
		s.mu.Unlock()
		return
	}
	s.plugged = false
	master, keep, done := s.master, s.keep, s.done
	if s.opt.Link != "" {
		os.Remove(s.opt.Link)
	}
	s.found, s.selected = false, false
	s.mu.Unlock()
	master.Close()
	keep.Close()
	<-done
	s.log.Debug("idcard simulator: unplugged")
}

// Replug plugs the reader in again (NewSimulator does it first): a new
// terminal, its path behind Link. The card in the field stays.
func (s *Simulator) Replug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("replug simulator: closed")
	}
	if s.plugged {
		return nil
	}
	master, path, keep, err := pty.OpenPair()
	if err != nil {
		return err
	}
	if s.opt.Link != "" {
		os.Remove(s.opt.Link)
		if err := os.Symlink(path, s.opt.Link); err != nil {
			master.Close()
			keep.Close()
			return fmt.Errorf("make link %s: %w", s.opt.Link, err)
		}
	}
	s.master, s.keep, s.path, s.done, s.plugged = master, keep, path, make(chan struct{}), true
	go s.loop(master, s.done)
	s.log.Debug("idcard simulator: plugged", "path", path)
	return nil
}

// PlaceCard lays a card on the reader. A card already there is taken
// away first: the next find misses, as it does while a hand swaps cards.
func (s *Simulator) PlaceCard(c Card) error {
	frame, err := c.BaseInfo()
	if err != nil {
		return fmt.Errorf("place card: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gap = s.card != nil
	s.card, s.cardName = frame, c.String()
	s.found, s.selected, s.halted = false, false, false
	s.log.Debug("idcard simulator: card placed", "card", s.cardName)
	return nil
}

// RemoveCard takes the card away.
func (s *Simulator) RemoveCard() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.card, s.cardName = nil, ""
	s.found, s.selected, s.halted, s.gap = false, false, false, false
}

// FailNext answers the next command with status sw3 (e.g. 0x41, read
// failed) and no data.
func (s *Simulator) FailNext(sw3 byte) { s.fault(simFault{sw3: sw3}) }

// FailOn answers the next cmd, whenever it comes, with status sw3.
func (s *Simulator) FailOn(cmd Command, sw3 byte) { s.fault(simFault{on: &cmd, sw3: sw3}) }

// CorruptNext spoils the checksum of the next answer.
func (s *Simulator) CorruptNext() { s.fault(simFault{corrupt: true}) }

// DropNext answers nothing to the next command, so the driver times out.
func (s *Simulator) DropNext() { s.fault(simFault{drop: true}) }

func (s *Simulator) fault(f simFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// SetLatency delays every answer by d.
func (s *Simulator) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Silence makes the reader answer nothing (on) or answer again (off), as
// a wedged reader that is still plugged in.
func (s *Simulator) Silence(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.silent = on
}

// Commands returns the commands received with a good checksum, in order.
func (s *Simulator) Commands() []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands)
}

// loop answers the frames that arrive on master until it closes.
func (s *Simulator) loop(master *os.File, done chan struct{}) {
	defer close(done)
	var sc scanner
	buf := make([]byte, 1024)
	for {
		n, err := master.Read(buf)
		sc.feed(buf[:n])
		for f := sc.next(); f != nil; f = sc.next() {
			answer, delay := s.answer(f)
			if answer == nil {
				continue
			}
			if delay > 0 {
				time.Sleep(delay)
			}
			master.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := master.Write(answer); err != nil && !errors.Is(err, os.ErrClosed) {
				s.log.Debug("idcard simulator: write", "err", err)
			}
		}
		if err != nil {
			return
		}
	}
}

// answer works out the answer to one frame: nil for none.
func (s *Simulator) answer(frame []byte) ([]byte, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd, _, err := ParseCommand(frame)
	if err != nil {
		s.log.Debug("idcard simulator: bad frame", "err", err)
		if s.silent {
			return nil, 0
		}
		sw3 := byte(0x11) // ErrHostLength
		if errors.Is(err, ErrChecksum) {
			sw3 = 0x10 // ErrHostChecksum
		}
		return Response{SW3: sw3}.Frame(), s.latency
	}
	s.commands = append(s.commands, cmd)
	if s.silent {
		return nil, 0
	}
	var f simFault
	for i, q := range s.faults {
		if q.on == nil || *q.on == cmd {
			f = q
			s.faults = slices.Delete(s.faults, i, i+1)
			break
		}
	}
	var out []byte
	switch {
	case f.drop:
		return nil, 0
	case f.sw3 != 0:
		out = Response{SW3: f.sw3}.Frame()
	default:
		out = s.execute(cmd)
	}
	if f.corrupt {
		out[len(out)-1] ^= 0xFF
	}
	return out, s.latency
}

// execute runs a command on the simulated SAM and card; the caller
// holds mu.
func (s *Simulator) execute(cmd Command) []byte {
	ok := func(data ...byte) []byte { return Response{SW3: SW3OK, Data: data}.Frame() }
	fail := func(sw3 byte) []byte { return Response{SW3: sw3}.Frame() }
	switch cmd {
	case CmdReset:
		s.found, s.selected = false, false
		return ok()
	case CmdSAMStatus:
		return ok()
	case CmdSAMID:
		return ok(s.samIDData...)
	case CmdFindCard:
		s.selected = false
		if s.card == nil || s.halted || s.gap {
			s.found, s.gap = false, false
			return fail(0x80)
		}
		s.found = true
		return Response{SW3: SW3Found, Data: []byte{0, 0, 0, 0}}.Frame()
	case CmdSelectCard:
		if !s.found {
			return fail(0x81)
		}
		s.selected = true
		return ok(0, 0, 0, 0, 0, 0, 0, 0)
	case CmdReadBaseInfo:
		if !s.selected {
			return fail(0x41)
		}
		s.found, s.selected = false, false
		s.halted = s.opt.HaltAfterRead
		s.log.Debug("idcard simulator: card read", "card", s.cardName)
		return slices.Clone(s.card)
	}
	return fail(0x21)
}
