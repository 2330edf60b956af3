package devices

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"cunyou/drivers/printer"
	"cunyou/edge/config"
)

// printerDevice is a label printer. Printer opens its connection when it
// prints, so Run only asks for the status now and then to show it.
type printerDevice struct {
	cfg  config.Device
	env  *Env
	lang printer.Language
	p    *printer.Printer
	addr string

	mu sync.Mutex
	r  *Reporter
}

func newPrinter(cfg config.Device, env *Env) (Device, error) {
	lang := printer.TSPL
	if cfg.Language != "" {
		l, err := printer.ParseLanguage(cfg.Language)
		if err != nil {
			return nil, err
		}
		lang = l
	}
	var tr printer.Transport
	if cfg.Transport != "" {
		t, err := printer.ParseTransport(cfg.Transport)
		if err != nil {
			return nil, err
		}
		tr = t
	} else {
		tr = &usbSerial{cfg: cfg, env: env}
	}
	p, err := printer.New(printer.Options{Language: lang, Transport: tr, Log: env.Log})
	if err != nil {
		return nil, err
	}
	return &printerDevice{cfg: cfg, env: env, lang: lang, p: p, addr: tr.String()}, nil
}

// usbSerial is a serial printer whose port is looked up at each
// connection: by its port, or by its USB ids.
type usbSerial struct {
	cfg config.Device
	env *Env
}

func (u *usbSerial) Open(ctx context.Context) (printer.Conn, error) {
	port, err := u.env.findPort(u.cfg)
	if err != nil {
		return nil, &printer.Error{Code: printer.CodeNotFound, Op: "find " + u.String(), Err: err}
	}
	return printer.Serial(port, u.cfg.Baud).Open(ctx)
}

func (u *usbSerial) String() string {
	if u.cfg.Port != "" {
		return "serial:" + u.cfg.Port
	}
	return "usb-serial:" + u.cfg.USB
}

func (d *printerDevice) Run(ctx context.Context, r *Reporter) {
	d.mu.Lock()
	d.r = r
	d.mu.Unlock()
	r.SetPort(d.addr)
	defer d.p.Close()
	b := d.env.backoff()
	for {
		wait := d.env.Poll
		if !d.status(ctx) {
			wait = min(wait, b.next())
		} else {
			b.reset()
		}
		if !sleep(ctx, wait) {
			return
		}
	}
}

// status asks the printer for its status and shows it; false when the
// printer cannot print.
func (d *printerDevice) status(ctx context.Context) bool {
	st, err := d.p.Status(ctx)
	switch {
	case errors.Is(err, printer.ErrNoStatus):
		d.report(nil, "no status")
		return true
	case err != nil:
		d.report(err, "")
		return false
	}
	d.report(st.Err(), st.String())
	return st.Ready()
}

// report shows the outcome of a status query or a print.
func (d *printerDevice) report(err error, detail string) {
	d.mu.Lock()
	r := d.r
	d.mu.Unlock()
	if r == nil {
		return
	}
	if detail != "" {
		r.SetDetail(detail)
	}
	if err == nil {
		r.Set(StateReady, "", "")
		return
	}
	code := printer.CodeOf(err)
	state := StateError
	switch code {
	case printer.CodeNotFound, printer.CodeDisconnected, printer.CodeTimeout, printer.CodeNoReply:
		state = StateAbsent
	}
	r.Set(state, string(code), code.Chinese())
}

// Print prints a label and shows the outcome.
func (d *printerDevice) Print(ctx context.Context, l printer.Label) error {
	err := d.p.Print(ctx, l)
	d.report(err, "")
	if err == nil {
		d.mu.Lock()
		if d.r != nil {
			d.r.Seen()
		}
		d.mu.Unlock()
	}
	return err
}

// Status asks the printer for its status.
func (d *printerDevice) Status(ctx context.Context) (printer.Status, error) { return d.p.Status(ctx) }

func (d *printerDevice) String() string { return fmt.Sprintf("%s %s", d.lang, d.addr) }
