package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"cunyou/drivers/camera"
	"cunyou/drivers/idcard"
	"cunyou/drivers/printer"
	"cunyou/edge/config"
	"cunyou/edge/devices"
	"cunyou/edge/diag"
	"cunyou/edge/station"
	"cunyou/mask"
	"cunyou/syncproto"
)

// newDevices makes the host of the configured devices for serve: the
// kiosk shows them, and a station with a label printer prints a pickup
// sticker at every inbound.
func newDevices(c config.Config, stn *station.Station, log *slog.Logger) (*devices.Host, error) {
	o := devices.Options{Devices: c.Devices, Station: stn, Log: log}
	if len(c.Devices) > 0 {
		o.StateFile = devices.StateFile(c.DataDir)
	}
	h, err := devices.New(o)
	if err != nil {
		return nil, err
	}
	if h.HasPrinter() && stn.Store().Identity().Kind == syncproto.NodeStation {
		stn.PrintPickupStickers(true)
	}
	return h, nil
}

// devicesHealth reports the devices' states in every hello, for the
// dispatchers' view of the station.
func devicesHealth(h *devices.Host) func(context.Context) *syncproto.Health {
	return func(context.Context) *syncproto.Health {
		var out syncproto.Health
		for _, s := range h.Statuses() {
			out.Devices = append(out.Devices, syncproto.DeviceHealth{Name: s.Name, Kind: s.Kind, State: string(s.State), Code: s.Code})
		}
		return &out
	}
}

// deviceChecks are diag's checks of the configured devices.
func deviceChecks(c config.Config) []diag.Check {
	h, err := devices.New(devices.Options{Devices: c.Devices, StateFile: devices.StateFile(c.DataDir)})
	if err != nil {
		return nil // diag reports the config's error
	}
	return h.Checks()
}

// device lists the ports and USB devices, or tests one device outside the
// kiosk: cunyou-edge device list | device test KIND.
func (m *Main) device(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("device: list, or test idcard|printer|scanner|camera")
	}
	switch sub := args[0]; sub {
	case "list":
		return m.deviceList(args[1:])
	case "test":
		return m.deviceTest(ctx, args[1:])
	default:
		return fmt.Errorf("device: unknown subcommand %q", sub)
	}
}

// PortJSON is a serial port in `device list --json`, with the configured
// device it is.
type PortJSON struct {
	devices.Port
	Device string `json:"device,omitempty"`
}

// USBJSON is a USB device in `device list --json`.
type USBJSON struct {
	devices.USBDevice
	Device string `json:"device,omitempty"`
}

// ConfiguredJSON is a configured device in `device list --json`.
type ConfiguredJSON struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Where string `json:"where"` // port, usb ids, address, url or folder
	Found bool   `json:"found"`
}

func (m *Main) deviceList(args []string) error {
	fs, parse := m.flags("device list")
	asJSON := fs.Bool("json", false, "print {ports, usb, devices} as JSON")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	ports, err := devices.ListPorts()
	if err != nil {
		return err
	}
	var out struct {
		Ports   []PortJSON       `json:"ports"`
		USB     []USBJSON        `json:"usb"`
		Devices []ConfiguredJSON `json:"devices"`
	}
	out.Ports, out.USB, out.Devices = []PortJSON{}, []USBJSON{}, []ConfiguredJSON{}
	found := map[string]bool{}
	for _, p := range ports {
		j := PortJSON{Port: p}
		for _, d := range c.Devices {
			if devices.Matches(d, p) {
				j.Device, found[d.Name] = d.Name, true
				break
			}
		}
		out.Ports = append(out.Ports, j)
	}
	for _, u := range devices.ListUSB() {
		j := USBJSON{USBDevice: u}
		for _, d := range c.Devices {
			if vid, pid, ok := strings.Cut(strings.ToLower(d.USB), ":"); ok && vid == u.VID && pid == u.PID {
				j.Device = d.Name
				break
			}
		}
		out.USB = append(out.USB, j)
	}
	for _, d := range c.Devices {
		j := ConfiguredJSON{Name: d.Name, Kind: d.Kind, Where: deviceWhere(d), Found: found[d.Name]}
		if !j.Found {
			j.Found = deviceThere(d)
		}
		out.Devices = append(out.Devices, j)
	}
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	}
	fmt.Fprintln(m.Stdout, "serial ports:")
	if len(out.Ports) == 0 {
		fmt.Fprintln(m.Stdout, "  (none)")
	}
	for _, p := range out.Ports {
		ids := "-"
		if p.USB {
			ids = "usb " + p.VID + ":" + p.PID
		}
		fmt.Fprintf(m.Stdout, "  %-20s %-14s %-24s %s\n", p.Name, ids, p.Product, arrow(p.Device))
	}
	fmt.Fprintln(m.Stdout, "usb devices:")
	if len(out.USB) == 0 {
		fmt.Fprintln(m.Stdout, "  (none)")
	}
	for _, u := range out.USB {
		fmt.Fprintf(m.Stdout, "  %-10s %s:%s %-40s %s\n", u.Bus, u.VID, u.PID, strings.TrimSpace(u.Maker+" "+u.Product), arrow(u.Device))
	}
	fmt.Fprintln(m.Stdout, "configured devices:")
	if len(out.Devices) == 0 {
		fmt.Fprintln(m.Stdout, "  (none: add them under devices in the config file)")
	}
	for _, d := range out.Devices {
		state := "found"
		if !d.Found {
			state = "NOT FOUND"
		}
		fmt.Fprintf(m.Stdout, "  %-12s %-14s %-40s %s\n", d.Name, d.Kind, d.Where, state)
	}
	return nil
}

func arrow(name string) string {
	if name == "" {
		return ""
	}
	return "→ " + name
}

// deviceWhere says where a configured device is looked for.
func deviceWhere(d config.Device) string {
	switch {
	case d.Transport != "":
		return d.Transport
	case d.Port != "":
		return d.Port
	case d.USB != "":
		return "usb " + d.USB
	case d.URL != "":
		return d.URL
	}
	return d.Folder
}

// deviceThere reports whether a device not among the enumerated ports is
// there: its port or folder exists, or a network device takes a connection.
func deviceThere(d config.Device) bool {
	path := d.Port
	switch {
	case strings.HasPrefix(d.Transport, "tcp:") || d.URL != "":
		addr := strings.TrimPrefix(d.Transport, "tcp:")
		if u, err := url.Parse(d.URL); err == nil && d.URL != "" {
			port := u.Port()
			if port == "" {
				port = "80"
				if u.Scheme == "https" {
					port = "443"
				}
			}
			addr = net.JoinHostPort(u.Hostname(), port)
		} else if _, _, err := net.SplitHostPort(addr); err != nil {
			addr = net.JoinHostPort(addr, "9100")
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	case d.Kind == config.DeviceCameraFolder:
		path = d.Folder
	case strings.HasPrefix(d.Transport, "serial:"), strings.HasPrefix(d.Transport, "usb:"), strings.HasPrefix(d.Transport, "file:"):
		_, path, _ = strings.Cut(d.Transport, ":")
		path, _, _ = strings.Cut(path, "@")
	}
	if path == "" {
		return false
	}
	_, err := os.Stat(path)
	return err == nil
}

// deviceTestFlags are the flags of `device test KIND`.
type deviceTestFlags struct {
	port, name, out string
	asJSON          bool
	timeout         time.Duration
	count           int
}

func (m *Main) deviceTest(ctx context.Context, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("device test: give the kind: idcard, printer, scanner or camera")
	}
	kind, args := args[0], args[1:]
	fs, parse := m.flags("device test")
	var f deviceTestFlags
	fs.StringVar(&f.port, "port", "", "the device's port (or a printer's address tcp:HOST:9100, a camera's URL or folder) instead of the config's")
	fs.StringVar(&f.name, "name", "", "which configured device of the kind (default the first)")
	fs.BoolVar(&f.asJSON, "json", false, "print the outcome as JSON, for remote support")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "how long to wait for a card, a scan or a picture")
	fs.IntVar(&f.count, "count", 0, "scanner: stop after this many codes (0: at the timeout)")
	fs.StringVar(&f.out, "out", "", "camera: file to save the snapshot in (default snapshot-TIME.jpg here)")
	c, err := parse(args)
	if err != nil {
		return err
	}
	d, err := pickDevice(c, kind, f)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	switch d.Kind {
	case config.DeviceIDCard:
		return m.testIDCard(ctx, d, f)
	case config.DevicePrinter:
		return m.testPrinter(ctx, d, f)
	case config.DeviceScanner:
		return m.testScanner(ctx, d, f)
	case config.DeviceCameraHTTP, config.DeviceCameraFolder:
		return m.testCamera(ctx, d, f)
	}
	return fmt.Errorf("device test: unknown kind %q: use idcard, printer, scanner or camera", kind)
}

// pickDevice chooses the configured device to test, with --port over its
// address; with none configured, --port alone describes it.
func pickDevice(c config.Config, kind string, f deviceTestFlags) (config.Device, error) {
	kinds := []string{kind}
	if kind == "camera" {
		kinds = []string{config.DeviceCameraHTTP, config.DeviceCameraFolder}
	}
	var d config.Device
	ok := false
	for _, cd := range c.Devices {
		if (f.name == "" || cd.Name == f.name) && slices.Contains(kinds, cd.Kind) {
			d, ok = cd, true
			break
		}
	}
	if !ok {
		if f.name != "" || f.port == "" {
			return d, fmt.Errorf("device test: no %s device %s configured; give --port", kind, f.name)
		}
		d = config.Device{Name: kind, Kind: kinds[0]}
	}
	if f.port != "" {
		switch d.Kind {
		case config.DevicePrinter:
			d.Port, d.USB, d.Transport = "", "", "serial:"+f.port
			for _, scheme := range []string{"tcp:", "serial:", "usb:", "file:"} {
				if strings.HasPrefix(f.port, scheme) {
					d.Transport = f.port
				}
			}
		case config.DeviceCameraHTTP, config.DeviceCameraFolder:
			d.Kind, d.URL, d.Folder = config.DeviceCameraFolder, "", f.port
			if strings.HasPrefix(f.port, "http://") || strings.HasPrefix(f.port, "https://") {
				d.Kind, d.URL, d.Folder = config.DeviceCameraHTTP, f.port, ""
			}
		default:
			d.Port, d.USB = f.port, ""
		}
	}
	return d, nil
}

// emit prints v as one JSON line, or text as it is.
func (m *Main) emit(f deviceTestFlags, v any, text string) {
	if f.asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetEscapeHTML(false)
		enc.Encode(v)
		return
	}
	fmt.Fprintln(m.Stdout, text)
}

// IDCardTestJSON is what `device test idcard --json` prints: the identity
// read, masked, with the reader's verdicts.
type IDCardTestJSON struct {
	Device     string `json:"device"`
	Port       string `json:"port"`
	SAMID      string `json:"sam_id,omitempty"`
	Name       string `json:"name"`
	Sex        string `json:"sex"`
	Nation     string `json:"nation,omitempty"`
	Number     string `json:"number"` // masked
	CheckDigit string `json:"check_digit"`
	ValidFrom  string `json:"valid_from"`
	ValidTo    string `json:"valid_to"` // 长期 when valid for ever
	Expired    bool   `json:"expired"`
	Code       string `json:"code,omitempty"`
	Message    string `json:"message,omitempty"`
}

func (m *Main) testIDCard(ctx context.Context, d config.Device, f deviceTestFlags) error {
	port, err := devices.FindPort(d)
	if err != nil {
		return fmt.Errorf("device test idcard: %w", err)
	}
	r, err := idcard.Open(idcard.Options{Port: port, Baud: d.Baud})
	if err != nil {
		zh, _ := idcard.Sentence(err)
		return fmt.Errorf("device test idcard: %s: %s (%w)", idcard.Code(err), zh, err)
	}
	defer r.Close()
	out := IDCardTestJSON{Device: d.Name, Port: port}
	out.SAMID, _ = r.SAMID(ctx)
	if !f.asJSON {
		fmt.Fprintf(m.Stdout, "reader %s ready (SAM %s); lay a card on it…\n", port, out.SAMID)
	}
	for {
		id, err := r.ReadCard(ctx)
		switch {
		case err == nil:
			out.Name, out.Sex, out.Nation, out.Number = mask.Name(id.Name), id.Sex.String(), id.Nation(), id.Number.String()
			out.CheckDigit, out.ValidFrom, out.ValidTo = "ok", id.ValidFrom.Format(time.DateOnly), "长期"
			if !id.LongTerm {
				out.ValidTo = id.ValidTo.Format(time.DateOnly)
			}
			out.Expired = id.Expired(time.Now())
			validity := "valid"
			if out.Expired {
				validity = "EXPIRED"
			}
			m.emit(f, out, fmt.Sprintf("card: %s %s %s %s\ncheck digit: ok\nvalidity: %s – %s (%s)",
				out.Name, out.Sex, out.Nation, out.Number, out.ValidFrom, out.ValidTo, validity))
			return nil
		case ctx.Err() != nil:
			return errors.New("device test idcard: no card was laid on the reader in time")
		case errors.Is(err, idcard.ErrNoCard):
			select {
			case <-ctx.Done():
				return errors.New("device test idcard: no card was laid on the reader in time")
			case <-time.After(300 * time.Millisecond):
			}
		default:
			out.Code = idcard.Code(err)
			out.Message, _ = idcard.Sentence(err)
			if errors.Is(err, idcard.ErrIDNumber) {
				out.CheckDigit = "bad"
			}
			m.emit(f, out, fmt.Sprintf("%s: %s", out.Code, out.Message))
			return fmt.Errorf("device test idcard: %w", err)
		}
	}
}

// PrinterTestJSON is what `device test printer --json` prints.
type PrinterTestJSON struct {
	Device    string `json:"device"`
	Transport string `json:"transport"`
	Printed   bool   `json:"printed"`
	Status    string `json:"status,omitempty"`
	Code      string `json:"code,omitempty"`
	Message   string `json:"message,omitempty"`
}

func (m *Main) testPrinter(ctx context.Context, d config.Device, f deviceTestFlags) error {
	h, err := devices.New(devices.Options{Devices: []config.Device{d}})
	if err != nil {
		return fmt.Errorf("device test printer: %w", err)
	}
	out := PrinterTestJSON{Device: d.Name, Transport: deviceWhere(d)}
	label := printer.PickupLabel(printer.Pickup{Code: "0-0-TEST", PhoneTail: "0000", Waybill: "TEST00000001", Date: time.Now().Format("01-02")})
	err = h.Print(ctx, label)
	out.Printed = err == nil
	if st := h.Statuses()[0]; st.Detail != "" {
		out.Status = st.Detail
	}
	if err != nil {
		code := printer.CodeOf(err)
		out.Code, out.Message = string(code), code.Chinese()
		m.emit(f, out, fmt.Sprintf("not printed on %s: %s: %s", out.Transport, out.Code, out.Message))
		return fmt.Errorf("device test printer: %w", err)
	}
	m.emit(f, out, fmt.Sprintf("printed a test label on %s; status: %s", out.Transport, cmp.Or(out.Status, "ready")))
	return nil
}

// ScanTestJSON is one line of `device test scanner --json`.
type ScanTestJSON struct {
	Device string    `json:"device"`
	Code   string    `json:"code"`
	At     time.Time `json:"at"`
}

func (m *Main) testScanner(ctx context.Context, d config.Device, f deviceTestFlags) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h, err := devices.New(devices.Options{Devices: []config.Device{d}})
	if err != nil {
		return fmt.Errorf("device test scanner: %w", err)
	}
	scans := h.SubscribeScans(ctx)
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	if !f.asJSON {
		fmt.Fprintf(m.Stdout, "scan codes with %s (until %s)…\n", deviceWhere(d), f.timeout)
	}
	n := 0
	for {
		select {
		case s := <-scans:
			n++
			m.emit(f, ScanTestJSON{Device: s.Device, Code: s.Code, At: s.At}, s.Code)
			if f.count > 0 && n >= f.count {
				return nil
			}
		case <-ctx.Done():
			if n > 0 {
				return nil
			}
			st := h.Statuses()[0]
			return fmt.Errorf("device test scanner: no code scanned (%s: %s)", st.Code, st.Message)
		}
	}
}

// CameraTestJSON is what `device test camera --json` prints.
type CameraTestJSON struct {
	Device string `json:"device"`
	File   string `json:"file"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Size   int    `json:"size"`
}

func (m *Main) testCamera(ctx context.Context, d config.Device, f deviceTestFlags) error {
	var data []byte
	var w, hgt int
	if d.Kind == config.DeviceCameraHTTP {
		cam, err := camera.NewHTTP(camera.HTTPOptions{URL: d.URL, Name: d.Name, User: d.User, Password: d.Password, Auth: d.Auth})
		if err != nil {
			return fmt.Errorf("device test camera: %w", err)
		}
		s, err := cam.Snapshot(ctx)
		if err != nil {
			msg := camera.MessageOf(err)
			return fmt.Errorf("device test camera: %s: %s (%w)", msg.Code, msg.ZH, err)
		}
		data, w, hgt = s.Data, s.Width, s.Height
	} else {
		if !f.asJSON {
			fmt.Fprintf(m.Stdout, "save a picture into %s with the document camera…\n", d.Folder)
		}
		files := make(chan camera.File, 1)
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		fo, err := camera.NewFolder(camera.FolderOptions{Dir: d.Folder, Name: d.Name, Sink: func(e camera.Event) {
			if fe, ok := e.(camera.File); ok {
				select {
				case files <- fe:
				default:
				}
			}
		}})
		if err != nil {
			return fmt.Errorf("device test camera: %w", err)
		}
		go fo.Run(cctx)
		select {
		case fe := <-files:
			if data, err = os.ReadFile(fe.Path); err != nil {
				return fmt.Errorf("device test camera: %w", err)
			}
			w, hgt = fe.Width, fe.Height
		case <-ctx.Done():
			return errors.New("device test camera: no picture was saved in time")
		}
	}
	name := f.out
	if name == "" {
		name = "snapshot-" + time.Now().Format("20060102-150405") + ".jpg"
	}
	if err := os.WriteFile(name, data, 0o600); err != nil {
		return fmt.Errorf("device test camera: %w", err)
	}
	out := CameraTestJSON{Device: d.Name, File: name, Width: w, Height: hgt, Size: len(data)}
	m.emit(f, out, fmt.Sprintf("saved a %d×%d picture (%d bytes) in %s", w, hgt, len(data), name))
	return nil
}
