package devices

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/drivers/camera"
	"cunyou/drivers/idcard"
	"cunyou/drivers/printer"
	"cunyou/drivers/scanner"
	"cunyou/edge/config"
	"cunyou/edge/diag"
	"cunyou/edge/station"
	"cunyou/edge/store"
	"cunyou/syncproto"
)

// eventually waits for cond, which a device makes true soon.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 15*time.Second, 20*time.Millisecond, msg)
}

func newStation(t *testing.T) *station.Station {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "edge.db"), store.Options{Node: "ST-T0001", Kind: syncproto.NodeStation})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	stn := station.New(st, time.UTC)
	require.NoError(t, stn.SetShelves(ctx, "boss", []syncproto.Shelf{{No: 1, Layers: 2, Capacity: 10}}))
	return stn
}

func startHost(t *testing.T, o Options) *Host {
	t.Helper()
	o.RetryMin, o.RetryMax, o.Poll = 20*time.Millisecond, 200*time.Millisecond, 200*time.Millisecond
	h, err := New(o)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

func status(h *Host, name string) Status {
	for _, s := range h.Statuses() {
		if s.Name == name {
			return s
		}
	}
	return Status{}
}

func TestRegistry(t *testing.T) {
	assert.Equal(t, []string{"camera_folder", "camera_http", "idcard", "printer", "scanner"}, Kinds())
	assert.Panics(t, func() { Register(config.DeviceIDCard, newIDCard) }, "a kind registered twice")
	_, err := New(Options{Devices: []config.Device{{Name: "x", Kind: "fax"}}})
	assert.ErrorContains(t, err, "fax")
}

func TestIDCardAbsentThenReplugged(t *testing.T) {
	sim, err := idcard.NewSimulator(idcard.SimOptions{Link: filepath.Join(t.TempDir(), "reader")})
	if err != nil {
		t.Skip(err)
	}
	defer sim.Close()
	sim.Unplug()
	h := startHost(t, Options{Devices: []config.Device{{Name: "reader", Kind: config.DeviceIDCard, Port: sim.Path()}}})
	eventually(t, func() bool { return status(h, "reader").State == StateAbsent }, "a reader missing at start is absent")
	assert.Equal(t, "idcard.not_found", status(h, "reader").Code)
	assert.NotEmpty(t, status(h, "reader").Message)

	require.NoError(t, sim.Replug())
	eventually(t, func() bool { return status(h, "reader").State == StateReady }, "plugged in: ready")
	card := idcard.DemoCards()[0]
	require.NoError(t, sim.PlaceCard(card))
	eventually(t, func() bool { _, _, ok := h.Identity(); return ok }, "the card is read")
	id, _, _ := h.Identity()
	assert.Equal(t, card.Number, id.Number.Full())
	assert.NotNil(t, status(h, "reader").LastSeen)

	sim.Unplug()
	eventually(t, func() bool { return status(h, "reader").State == StateAbsent }, "unplugged: absent")
	_, _, ok := h.Identity()
	assert.False(t, ok, "no reader, no identity")
	require.NoError(t, sim.Replug())
	eventually(t, func() bool { return status(h, "reader").State == StateReady }, "replugged: ready again")
}

func TestFindByUSB(t *testing.T) {
	sim, err := scanner.NewSimulator(scanner.SimOptions{})
	if err != nil {
		t.Skip(err)
	}
	defer sim.Close()
	var mu sync.Mutex
	ports := []Port{{Name: "/dev/ttyS0"}}
	h := startHost(t, Options{
		Devices: []config.Device{{Name: "gun", Kind: config.DeviceScanner, USB: "1EAB:8203"}},
		Ports: func() ([]Port, error) {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(ports), nil
		},
	})
	eventually(t, func() bool { return status(h, "gun").State == StateAbsent }, "no port with the ids")
	mu.Lock()
	ports = append(ports, Port{Name: sim.Path(), USB: true, VID: "1eab", PID: "8203"})
	mu.Unlock()
	eventually(t, func() bool { return status(h, "gun").State == StateReady }, "found by its USB ids")
	assert.Equal(t, sim.Path(), status(h, "gun").Port)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := h.SubscribeScans(ctx)
	require.NoError(t, sim.Scan("YT2412345678901"))
	got := <-sub
	assert.Equal(t, "YT2412345678901", got.Code)
	scans, last := h.Scans(0)
	require.Len(t, scans, 1)
	assert.Equal(t, got, scans[0])
	none, _ := h.Scans(last)
	assert.Empty(t, none)
}

func TestPrintQueue(t *testing.T) {
	sim, err := printer.NewSimulator(printer.SimOptions{})
	require.NoError(t, err)
	defer sim.Close()
	ctx := context.Background()
	stn := newStation(t)
	stn.PrintPickupStickers(true)
	sim.SetPaperOut(true)
	// Two stickers queued before the printer can print, as after a restart.
	for _, wb := range []string{"73100000000001", "73100000000002"} {
		_, err := stn.Inbound(ctx, "li", station.InboundInput{Waybill: wb, Carrier: "zto", ReceiverPhone: "13800001234"})
		require.NoError(t, err)
	}
	h := startHost(t, Options{Station: stn, Devices: []config.Device{{Name: "labels", Kind: config.DevicePrinter, Transport: "tcp:" + sim.Addr()}}})
	eventually(t, func() bool { return status(h, "labels").Code == string(printer.CodePaperOut) }, "paper out is shown")
	assert.Equal(t, printer.CodePaperOut.Chinese(), status(h, "labels").Message)
	queued, err := stn.NextPrintJobs(ctx, 10)
	require.NoError(t, err)
	assert.Len(t, queued, 2, "nothing printed while out of paper")

	sim.SetPaperOut(false)
	eventually(t, func() bool { js, _ := stn.NextPrintJobs(ctx, 10); return len(js) == 0 }, "the queue drains")
	labels := sim.Labels()
	require.Len(t, labels, 2)
	assert.Contains(t, labels[0].Barcodes(), "73100000000001", "oldest first")
	assert.Contains(t, labels[1].Barcodes(), "73100000000002")
	jobs, err := stn.LabelJobs(ctx, station.PrintJobFilter{Status: station.PrintPrinted})
	require.NoError(t, err)
	assert.Len(t, jobs, 2)
	assert.Equal(t, StateReady, status(h, "labels").State)
}

func TestCameraSnapshotStored(t *testing.T) {
	sim, err := camera.NewSimulator(camera.SimOptions{User: "admin", Password: "12345"})
	require.NoError(t, err)
	defer sim.Close()
	stn := newStation(t)
	h := startHost(t, Options{Station: stn, Devices: []config.Device{{Name: "cam", Kind: config.DeviceCameraHTTP, URL: sim.URL(), User: "admin", Password: "12345"}}})
	p, err := h.Snapshot(context.Background())
	require.NoError(t, err)
	has, err := stn.Store().HasBlob(context.Background(), p.SHA256)
	require.NoError(t, err)
	assert.True(t, has, "recorded as a blob, so it syncs")
	assert.Equal(t, 640, p.Width)
	assert.Equal(t, StateReady, status(h, "cam").State)
}

func TestChecks(t *testing.T) {
	rd, err := idcard.NewSimulator(idcard.SimOptions{})
	if err != nil {
		t.Skip(err)
	}
	defer rd.Close()
	pr, err := printer.NewSimulator(printer.SimOptions{})
	require.NoError(t, err)
	defer pr.Close()
	h, err := New(Options{Devices: []config.Device{
		{Name: "reader", Kind: config.DeviceIDCard, Port: rd.Path()},
		{Name: "labels", Kind: config.DevicePrinter, Transport: "tcp:" + pr.Addr()},
		{Name: "gone", Kind: config.DeviceIDCard, Port: filepath.Join(t.TempDir(), "ttyUSB9")},
	}})
	require.NoError(t, err)
	pr.SetPaperOut(true)
	rep := diag.Run(context.Background(), diag.Options{Config: config.Default(), Devices: h.Checks(), Timeout: time.Second})
	reader, ok := rep.Line("device.reader")
	require.True(t, ok)
	assert.Equal(t, diag.StatusOK, reader.Status)
	assert.Equal(t, "device.sam_id", reader.Detail.Key)
	labels, _ := rep.Line("device.labels")
	assert.Equal(t, diag.StatusFail, labels.Status)
	assert.Equal(t, "device.paper_out", labels.Detail.Key)
	gone, _ := rep.Line("device.gone")
	assert.Equal(t, diag.StatusFail, gone.Status)
	assert.Equal(t, "device.absent", gone.Detail.Key)

	// While serve runs, its states are reported instead.
	dir := t.TempDir()
	served := startHost(t, Options{StateFile: StateFile(dir), Devices: []config.Device{{Name: "reader", Kind: config.DeviceIDCard, Port: rd.Path()}}})
	eventually(t, func() bool { return status(served, "reader").State == StateReady }, "serve's reader")
	h2, err := New(Options{StateFile: StateFile(dir), Devices: []config.Device{{Name: "reader", Kind: config.DeviceIDCard, Port: "/nonexistent"}}})
	require.NoError(t, err)
	eventually(t, func() bool {
		r := h2.Checks()[0].Run(context.Background())
		return r.Status == diag.StatusOK && r.Detail.Key == "device.ok"
	}, "diag reads serve's state file")

	// The kiosk's diag runs in serve: its checks never open serve's
	// ports, even when the state file is gone (a full disk).
	require.NoError(t, os.Remove(StateFile(dir)))
	r := served.Checks()[0].Run(context.Background())
	assert.Equal(t, diag.StatusOK, r.Status)
	assert.Equal(t, "device.ok", r.Detail.Key, "serve's own state, not a probe of its port")
}

// A real card stops answering once read: it is kept for CardTTL, then
// forgotten.
func TestCardKeptForTTL(t *testing.T) {
	sim, err := idcard.NewSimulator(idcard.SimOptions{HaltAfterRead: true})
	if err != nil {
		t.Skip(err)
	}
	defer sim.Close()
	var ahead atomic.Int64 // how far the host's clock is ahead
	now := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	h := startHost(t, Options{Now: now, CardTTL: time.Minute,
		Devices: []config.Device{{Name: "reader", Kind: config.DeviceIDCard, Port: sim.Path()}}})
	require.NoError(t, sim.PlaceCard(idcard.DemoCards()[1]))
	eventually(t, func() bool { _, _, ok := h.Identity(); return ok }, "the card is read")
	reads := func() (finds int) {
		seen := false
		for _, c := range sim.Commands() {
			seen = seen || c == idcard.CmdReadBaseInfo
			if seen && c == idcard.CmdFindCard {
				finds++
			}
		}
		return finds
	}
	eventually(t, func() bool { return reads() >= 2 }, "the reader looked again and found no card answering")
	_, _, ok := h.Identity()
	assert.True(t, ok, "the card read is still the sender's")
	ahead.Store(int64(61 * time.Second))
	_, _, ok = h.Identity()
	assert.False(t, ok, "forgotten after CardTTL")
}

// The card is forgotten after CardTTL even when nobody asks for it: its
// full number and photo do not stay in memory.
func TestCardForgottenUnasked(t *testing.T) {
	h, err := New(Options{CardTTL: 20 * time.Millisecond})
	require.NoError(t, err)
	r := &Reporter{h: h}
	r.Card(&idcard.Identity{Name: "张三"})
	time.Sleep(200 * time.Millisecond)
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.Nil(t, h.card)
}

// noStatusConn is a printer connection without status replies.
type noStatusConn struct{ n atomic.Int64 }

func (c *noStatusConn) Read([]byte) (int, error)                   { return 0, printer.ErrNoStatus }
func (c *noStatusConn) Write(b []byte) (int, error)                { c.n.Add(1); return len(b), nil }
func (c *noStatusConn) Close() error                               { return nil }
func (c *noStatusConn) SetDeadline(time.Time) error                { return nil }
func (c *noStatusConn) Open(context.Context) (printer.Conn, error) { return c, nil }
func (c *noStatusConn) String() string                             { return "test:nostatus" }

// cancelOnReady cancels when a device is shown ready: the printer has just
// printed, and serve stops.
type cancelOnReady struct {
	slog.Handler
	cancel func()
}

func (cancelOnReady) Enabled(context.Context, slog.Level) bool { return true }

func (h cancelOnReady) Handle(ctx context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "state" && a.Value.String() == string(StateReady) {
			h.cancel()
		}
		return true
	})
	return nil
}

// A label the printer took is marked printed even when serve stops just
// after: it is not printed again at the next start.
func TestPrintJobMarkedWhenStopping(t *testing.T) {
	ctx := context.Background()
	stn := newStation(t)
	stn.PrintPickupStickers(true)
	_, err := stn.Inbound(ctx, "li", station.InboundInput{Waybill: "73100000000001", Carrier: "zto", ReceiverPhone: "13800001234"})
	require.NoError(t, err)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h, err := New(Options{Station: stn, Log: slog.New(cancelOnReady{Handler: slog.DiscardHandler, cancel: cancel})})
	require.NoError(t, err)
	conn := &noStatusConn{}
	p, err := printer.New(printer.Options{Language: printer.TSPL, Transport: conn})
	require.NoError(t, err)
	rn := &running{cfg: config.Device{Name: "labels", Kind: config.DevicePrinter}, dev: &printerDevice{env: h.env, lang: printer.TSPL, p: p, addr: conn.String()}}
	rn.r = &Reporter{h: h, st: Status{Name: "labels", Kind: config.DevicePrinter, State: StateStarting}}
	rn.dev.(*printerDevice).r = rn.r
	h.devices = append(h.devices, rn)
	jobs, err := stn.NextPrintJobs(ctx, 1)
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	perr := h.printJob(wctx, jobs[0])
	require.Positive(t, conn.n.Load(), "the label was written")
	require.Error(t, wctx.Err(), "serve stopped after the print")
	assert.NoError(t, perr)
	left, err := stn.NextPrintJobs(ctx, 1)
	require.NoError(t, err)
	assert.Empty(t, left, "marked printed, not printed again at the next start")
}
