package devices

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"cunyou/drivers"
	"cunyou/drivers/idcard"
	"cunyou/edge/config"
	"cunyou/edge/messages"
	"cunyou/edge/station"
)

// State is a device's state.
type State string

const (
	StateStarting State = "starting" // not yet opened
	StateReady    State = "ready"    // open and answering
	StateAbsent   State = "absent"   // not plugged in or not reachable: looked for again
	StateError    State = "error"    // there but failing: tried again
)

// Status is what the Host knows of one device. It holds nothing personal.
type Status struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	State State  `json:"state"`
	// Code is the stable code of the state or of the last error
	// (device_ready, idcard.not_found, printer.paper_out …); Message is
	// the operator's sentence for it in Chinese.
	Code    string `json:"code"`
	Message string `json:"message"`
	// Port is the serial port in use or last tried, or the address.
	Port string `json:"port,omitempty"`
	// Detail is what the device said of itself: the SAM id, the
	// printer's status.
	Detail   string     `json:"detail,omitempty"`
	Since    time.Time  `json:"since"`
	LastSeen *time.Time `json:"last_seen,omitempty"` // last card, scan, label or picture
}

// Scan is a code a serial scan gun read.
type Scan struct {
	Seq    int64     `json:"seq"`
	Device string    `json:"device"`
	Code   string    `json:"code"`
	At     time.Time `json:"at"`
}

// Options configure a Host.
type Options struct {
	Devices []config.Device
	// Station gives the print queue and the blob store; nil runs the
	// devices without them (cunyou-edge device test).
	Station *station.Station
	// StateFile, when set, is where Run writes the devices' states for
	// diag: DATA_DIR/devices.json.
	StateFile string
	Log       *slog.Logger
	// RetryMin and RetryMax bound the backoff of devices and of the
	// print queue; 500 ms and 30 s when 0.
	RetryMin, RetryMax time.Duration
	// Poll is how often an idle printer is asked for its status; 10 s
	// when 0.
	Poll time.Duration
	// CardTTL is how long the identity of the card last read is kept for
	// a send; 2 min when 0. A real card stops answering once read, so its
	// leaving the reader cannot be told from its lying there.
	CardTTL time.Duration
	// Ports lists the serial ports; ListPorts when nil.
	Ports func() ([]Port, error)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Env is what a driver gets from its Host.
type Env struct {
	Log                *slog.Logger
	RetryMin, RetryMax time.Duration
	Poll               time.Duration
	Ports              func() ([]Port, error)
	Now                func() time.Time
	// BlobDir is where pictures go; "" without a station.
	BlobDir string
	// PutBlob records a stored picture so it syncs; nil without a station.
	PutBlob func(ctx context.Context, data []byte) (string, error)
}

// sleep waits d or until ctx ends; false when ctx ended.
var sleep = drivers.Sleep

// backoff doubles a wait from RetryMin up to RetryMax, with jitter.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	}
	d := b.cur/2 + rand.N(b.cur/2+1)
	b.cur = min(2*b.cur, b.max)
	return d
}

func (b *backoff) reset() { b.cur = 0 }

func (e *Env) backoff() backoff { return backoff{min: e.RetryMin, max: e.RetryMax} }

// Host runs the configured devices.
type Host struct {
	o       Options
	env     *Env
	devices []*running
	kick    chan struct{}
	running atomic.Bool // Run is running: its devices hold their ports

	mu       sync.Mutex
	card     *idcard.Identity // on the reader now; memory only
	cardAt   time.Time
	scans    []Scan // the last maxScans
	scanSeq  int64
	scanSubs map[chan Scan]struct{}
}

type running struct {
	cfg config.Device
	dev Device
	r   *Reporter
}

// maxScans bounds the codes kept for the kiosk page.
const maxScans = 100

// New makes the Host of the configured devices, each by the driver of its
// kind. It opens nothing: Run does.
func New(o Options) (*Host, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.RetryMin <= 0 {
		o.RetryMin = 500 * time.Millisecond
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 30 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 10 * time.Second
	}
	if o.CardTTL <= 0 {
		o.CardTTL = 2 * time.Minute
	}
	if o.Ports == nil {
		o.Ports = ListPorts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &Host{o: o, kick: make(chan struct{}, 1), scanSubs: map[chan Scan]struct{}{}}
	h.env = &Env{Log: o.Log, RetryMin: o.RetryMin, RetryMax: o.RetryMax, Poll: o.Poll, Ports: o.Ports, Now: o.Now}
	if o.Station != nil {
		st := o.Station.Store()
		h.env.BlobDir = st.BlobDir()
		h.env.PutBlob = func(ctx context.Context, data []byte) (string, error) {
			sha, _, err := st.PutBlob(ctx, bytes.NewReader(data))
			return sha, err
		}
	}
	for _, d := range o.Devices {
		f, ok := factory(d.Kind)
		if !ok {
			return nil, fmt.Errorf("device %s: no driver for kind %q", d.Name, d.Kind)
		}
		dev, err := f(d, h.env)
		if err != nil {
			return nil, fmt.Errorf("device %s: %w", d.Name, err)
		}
		rn := &running{cfg: d, dev: dev}
		rn.r = &Reporter{h: h, st: Status{Name: d.Name, Kind: d.Kind, State: StateStarting, Code: codeStarting,
			Message: zh(codeStarting), Port: d.Port, Since: o.Now()}}
		h.devices = append(h.devices, rn)
	}
	return h, nil
}

func zh(code string) string { return messages.Text(messages.ZH, code, nil) }

// Run runs every device, the print queue (when a printer and a station
// are there) and the state file until ctx ends.
func (h *Host) Run(ctx context.Context) {
	h.running.Store(true)
	defer h.running.Store(false)
	var wg sync.WaitGroup
	for _, rn := range h.devices {
		wg.Go(func() { rn.dev.Run(ctx, rn.r) })
	}
	if h.o.Station != nil && h.printer() != nil {
		wg.Go(func() { h.runQueue(ctx) })
	}
	if h.o.StateFile != "" {
		wg.Go(func() { h.writeStates(ctx) })
	}
	wg.Wait()
}

// HasPrinter reports whether a label printer is configured.
func (h *Host) HasPrinter() bool { return h.printer() != nil }

// Statuses returns every device's status, in the order configured.
func (h *Host) Statuses() []Status {
	out := make([]Status, 0, len(h.devices))
	for _, rn := range h.devices {
		out = append(out, rn.r.Status())
	}
	return out
}

// Identity returns the identity of the card last read, and when, if it
// was read within CardTTL and the reader is still there; false otherwise.
// It is held in memory only, and forgotten after CardTTL; show it masked.
func (h *Host) Identity() (idcard.Identity, time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.card != nil && h.o.Now().Sub(h.cardAt) > h.o.CardTTL {
		h.card = nil // forget it
	}
	if h.card == nil {
		return idcard.Identity{}, time.Time{}, false
	}
	return *h.card, h.cardAt, true
}

// UsedIdentity forgets the card read at at, once a send or a pickup took
// it: one reading serves one customer, so the next one's send cannot take
// the last one's identity. A card read since is kept.
func (h *Host) UsedIdentity(at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.card != nil && h.cardAt.Equal(at) {
		h.card = nil
	}
}

// Scans returns the codes scanned with a number above after, oldest first,
// and the number of the last.
func (h *Host) Scans(after int64) ([]Scan, int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := []Scan{}
	for _, s := range h.scans {
		if s.Seq > after {
			out = append(out, s)
		}
	}
	return out, h.scanSeq
}

// SubscribeScans returns a channel of the codes scanned from now on until
// ctx ends. A subscriber that does not keep up misses codes.
func (h *Host) SubscribeScans(ctx context.Context) <-chan Scan {
	ch := make(chan Scan, 16)
	h.mu.Lock()
	h.scanSubs[ch] = struct{}{}
	h.mu.Unlock()
	context.AfterFunc(ctx, func() {
		h.mu.Lock()
		delete(h.scanSubs, ch)
		h.mu.Unlock()
	})
	return ch
}

// Kick wakes the print worker: a job was queued.
func (h *Host) Kick() {
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// Reporter is how a running device tells the Host what happens.
type Reporter struct {
	h  *Host
	mu sync.Mutex
	st Status
}

// Status returns the device's status.
func (r *Reporter) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st
}

// Set records the device's state with a code and its Chinese sentence
// ("" for the state's own).
func (r *Reporter) Set(state State, code, message string) {
	if code == "" {
		code = map[State]string{StateReady: codeReady, StateAbsent: codeAbsent, StateError: codeError, StateStarting: codeStarting}[state]
	}
	if message == "" {
		message = zh(code)
	}
	r.mu.Lock()
	changed := r.st.State != state || r.st.Code != code
	if r.st.State != state {
		r.st.Since = r.h.o.Now()
	}
	r.st.State, r.st.Code, r.st.Message = state, code, message
	st := r.st
	r.mu.Unlock()
	if changed {
		r.h.o.Log.Info("device state", "device", st.Name, "kind", st.Kind, "state", st.State, "code", st.Code)
	}
}

// SetPort records the port in use.
func (r *Reporter) SetPort(port string) {
	r.mu.Lock()
	r.st.Port = port
	r.mu.Unlock()
}

// SetDetail records what the device said of itself.
func (r *Reporter) SetDetail(d string) {
	r.mu.Lock()
	r.st.Detail = d
	r.mu.Unlock()
}

// Seen records that the device just did something.
func (r *Reporter) Seen() {
	now := r.h.o.Now()
	r.mu.Lock()
	r.st.LastSeen = &now
	r.mu.Unlock()
}

// Card records the card just read; nil forgets it (the reader has gone).
// A card is forgotten CardTTL after it was read even when nobody asks for
// it: the full number and the photo are not kept in memory longer.
func (r *Reporter) Card(id *idcard.Identity) {
	if id != nil {
		r.Seen()
	}
	h := r.h
	h.mu.Lock()
	defer h.mu.Unlock()
	h.card, h.cardAt = id, h.o.Now()
	if id != nil {
		time.AfterFunc(h.o.CardTTL, func() { h.forgetCard(id) })
	}
}

// forgetCard forgets the card id when it is still the one held and its
// CardTTL is over.
func (h *Host) forgetCard(id *idcard.Identity) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.card == id && !h.o.Now().Before(h.cardAt.Add(h.o.CardTTL)) {
		h.card = nil
	}
}

// Scanned records a code a scan gun read. The code is not logged.
func (r *Reporter) Scanned(code string, at time.Time) {
	r.Seen()
	h := r.h
	h.mu.Lock()
	defer h.mu.Unlock()
	h.scanSeq++
	s := Scan{Seq: h.scanSeq, Device: r.st.Name, Code: code, At: at}
	h.scans = append(h.scans, s)
	if len(h.scans) > maxScans {
		h.scans = h.scans[len(h.scans)-maxScans:]
	}
	for ch := range h.scanSubs {
		select {
		case ch <- s:
		default:
		}
	}
}

// stateFile is the file the Host writes for diag.
type stateFile struct {
	PID     int       `json:"pid"`
	Updated time.Time `json:"updated"`
	Devices []Status  `json:"devices"`
}

// stateEvery is how often the state file is written; diag trusts a file
// written within three times that.
const stateEvery = 10 * time.Second

// StateFile is where serve's Host keeps its devices' states for diag.
func StateFile(dataDir string) string { return filepath.Join(dataDir, "devices.json") }

func (h *Host) writeStates(ctx context.Context) {
	for {
		b, err := json.MarshalIndent(stateFile{PID: os.Getpid(), Updated: h.o.Now(), Devices: h.Statuses()}, "", "  ")
		if err == nil {
			tmp := h.o.StateFile + ".tmp"
			if err = os.WriteFile(tmp, b, 0o600); err == nil {
				err = os.Rename(tmp, h.o.StateFile)
			}
		}
		if err != nil {
			h.o.Log.Warn("devices: cannot write the state file", "err", err)
		}
		if !sleep(ctx, stateEvery) {
			os.Remove(h.o.StateFile) // serve stopped: diag opens the devices itself
			return
		}
	}
}

// readStates reads the states serve wrote, when they are fresh.
func readStates(path string, now time.Time) (map[string]Status, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var f stateFile
	if json.Unmarshal(b, &f) != nil || now.Sub(f.Updated) > 3*stateEvery {
		return nil, false
	}
	m := map[string]Status{}
	for _, s := range f.Devices {
		m[s.Name] = s
	}
	return m, true
}
