package scanner

// The simulator: a serial scan gun on a pseudo-terminal. It is a test
// and demo aid, never the product: the scanner opens its terminal as it
// would open /dev/ttyACM0, through the real serial library, and reads
// the bytes a scan gun sends.

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"cunyou/drivers/pty"
)

// SimOptions tunes a Simulator.
type SimOptions struct {
	// Suffix ends each code; CR when "".
	Suffix Suffix
	// Prefix goes before each code.
	Prefix string
	// Log receives what the simulator does; nothing when nil.
	Log *slog.Logger
}

// Simulator is a serial scan gun on a pseudo-terminal. Its Path is a
// link that stays the same across Unplug and Replug, as a udev rule's
// /dev/scanner would, while the terminal behind it changes.
type Simulator struct {
	log  *slog.Logger
	dir  string
	link string

	mu      sync.Mutex
	master  *os.File // nil while unplugged
	keep    *os.File // a slave descriptor kept open, so the pair lives between the scanner's opens
	suffix  []byte
	prefix  []byte
	noise   []byte
	split   int
	pause   time.Duration
	scanned int
}

// NewSimulator plugs a simulated scan gun in. On platforms without
// pseudo-terminals it returns an error wrapping ErrNoPTY.
func NewSimulator(opt SimOptions) (*Simulator, error) {
	if opt.Suffix == "" {
		opt.Suffix = CR
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	dir, err := os.MkdirTemp("", "scansim-")
	if err != nil {
		return nil, fmt.Errorf("scanner simulator: %w", err)
	}
	s := &Simulator{log: opt.Log, dir: dir, link: filepath.Join(dir, "ttyACM0"),
		suffix: []byte(opt.Suffix), prefix: []byte(opt.Prefix)}
	if err := s.Replug(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// Path is the port to open as the scan gun's.
func (s *Simulator) Path() string { return s.link }

// Close unplugs the scan gun for good.
func (s *Simulator) Close() error {
	err := s.Unplug()
	os.RemoveAll(s.dir)
	return err
}

// Unplug pulls the cable: the scanner's reads fail and its Path is gone
// until Replug.
func (s *Simulator) Unplug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.master == nil {
		return nil
	}
	os.Remove(s.link)
	err := s.master.Close()
	s.keep.Close()
	s.master, s.keep = nil, nil
	s.log.Debug("scanner simulator: unplugged")
	return err
}

// Replug plugs the cable back in: a new terminal behind the same Path.
func (s *Simulator) Replug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.master != nil {
		return nil
	}
	master, path, keep, err := pty.OpenPair()
	if err != nil {
		return err
	}
	tmp := s.link + ".new"
	os.Remove(tmp)
	if err := os.Symlink(path, tmp); err == nil {
		err = os.Rename(tmp, s.link)
	}
	if err != nil {
		master.Close()
		keep.Close()
		return fmt.Errorf("link %s: %w", s.link, err)
	}
	s.master, s.keep = master, keep
	s.log.Debug("scanner simulator: plugged in", "tty", path)
	return nil
}

// SetSuffix changes the suffix sent after each code, as scanning a
// configuration barcode would.
func (s *Simulator) SetSuffix(suffix Suffix) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.suffix = []byte(suffix)
}

// SetPrefix changes the prefix sent before each code.
func (s *Simulator) SetPrefix(prefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prefix = []byte(prefix)
}

// SetNoise sends b before each code's prefix: line noise, as a cable
// that was just plugged in or a long RS-232 run gives. nil stops it.
func (s *Simulator) SetNoise(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noise = append([]byte(nil), b...)
}

// SetSplit makes every write trickle in pieces of n bytes with pause
// between them, as a slow UART or a USB adapter's small packets deliver
// them. n ≤ 0 writes whole.
func (s *Simulator) SetSplit(n int, pause time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.split, s.pause = n, pause
}

// Scan reads a label: it sends noise, prefix, code and suffix.
func (s *Simulator) Scan(code string) error {
	s.mu.Lock()
	b := make([]byte, 0, len(s.noise)+len(s.prefix)+len(code)+len(s.suffix))
	b = append(append(append(append(b, s.noise...), s.prefix...), code...), s.suffix...)
	s.scanned++
	s.mu.Unlock()
	return s.WriteRaw(b)
}

// Garbage sends n bytes that never hold a suffix and are not printable,
// as a scan gun set to the wrong baud rate does.
func (s *Simulator) Garbage(n int) error {
	b := make([]byte, n)
	for i := range b {
		b[i] = 0x80 | byte(i)
	}
	return s.WriteRaw(b)
}

// Scanned counts the calls of Scan.
func (s *Simulator) Scanned() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scanned
}

// WriteRaw sends b as it is, split as SetSplit says. A scanner that reads
// nothing for a second loses the rest, as it would from a real device.
func (s *Simulator) WriteRaw(b []byte) error {
	s.mu.Lock()
	m, n, pause := s.master, s.split, s.pause
	s.mu.Unlock()
	if m == nil {
		return fmt.Errorf("scanner simulator: %w", ErrLost)
	}
	if n <= 0 {
		n = len(b)
	}
	for len(b) > 0 {
		k := min(n, len(b))
		m.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := m.Write(b[:k]); err != nil {
			if errors.Is(err, os.ErrClosed) {
				err = ErrLost
			}
			return fmt.Errorf("scanner simulator: write: %w", err)
		}
		b = b[k:]
		if len(b) > 0 && pause > 0 {
			time.Sleep(pause)
		}
	}
	return nil
}
