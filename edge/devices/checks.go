package devices

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"cunyou/drivers/camera"
	"cunyou/drivers/idcard"
	"cunyou/drivers/printer"
	"cunyou/drivers/scanner"
	"cunyou/edge/diag"
)

// Checks returns diag's check of each configured device. While serve
// runs (its state file is fresh) a check reports what serve's Host knows,
// without opening ports serve holds; otherwise it opens the device and
// shakes hands: the reader's SAM id, the printer's status, the scan gun's
// port, a camera's snapshot (not stored). The checks of a Host that runs
// (serve's, asked by the kiosk's diag) report its own states: they never
// open a port it holds, whatever became of the state file.
func (h *Host) Checks() []diag.Check {
	var cs []diag.Check
	for _, rn := range h.devices {
		cs = append(cs, diag.Check{Name: "device." + rn.cfg.Name, Run: func(ctx context.Context) diag.Result {
			if h.running.Load() {
				return judgeStatus(rn.r.Status(), h.o.Now())
			}
			if h.o.StateFile != "" {
				if states, ok := readStates(h.o.StateFile, h.o.Now()); ok {
					if st, ok := states[rn.cfg.Name]; ok {
						return judgeStatus(st, h.o.Now())
					}
				}
			}
			return h.probe(ctx, rn)
		}})
	}
	return cs
}

// judgeStatus reports a device as serve's Host sees it.
func judgeStatus(st Status, now time.Time) diag.Result {
	switch st.State {
	case StateReady:
		if st.Kind == "scanner" {
			if st.LastSeen == nil {
				return diag.OK(diag.M("device.ok", st.Port))
			}
			return diag.OK(diag.M("device.scanner", now.Sub(*st.LastSeen).Round(time.Second).String()))
		}
		if st.Detail != "" {
			return diag.OK(diag.M("device.ok", st.Detail))
		}
		return diag.OK(diag.M("device.ok", st.Port))
	case StateStarting:
		return diag.Warn(diag.Plain(st.Message), diag.M("fix.device_cable"))
	case StateAbsent:
		return diag.Fail(diag.M("device.absent", st.Port), diag.M("fix.device_cable"))
	}
	fix := diag.M("fix.device_cable")
	switch printer.Code(st.Code) {
	case printer.CodePaperOut, printer.CodeHeadOpen, printer.CodeRibbonOut, printer.CodeCoverOpen:
		fix = diag.M("fix.device_paper")
	}
	return diag.Fail(diag.Plain(st.Message), fix)
}

// probe opens a device on its own and shakes hands.
func (h *Host) probe(ctx context.Context, rn *running) diag.Result {
	switch d := rn.dev.(type) {
	case *idCardDevice:
		port, err := h.env.findPort(rn.cfg)
		if err != nil {
			return diag.Fail(diag.M("device.absent", rn.cfg.USB), diag.M("fix.device_cable"))
		}
		r, err := idcard.Open(idcard.Options{Port: port, Baud: rn.cfg.Baud})
		if err != nil {
			return openFailed(port, err, errors.Is(err, idcard.ErrNotFound), errors.Is(err, idcard.ErrBusy))
		}
		defer r.Close()
		id, err := r.SAMID(ctx)
		if err != nil {
			return diag.Fail(diag.M("device.handshake", err), diag.M("fix.device_cable"))
		}
		return diag.OK(diag.M("device.sam_id", id))
	case *printerDevice:
		st, err := d.Status(ctx)
		switch {
		case errors.Is(err, printer.ErrNoStatus):
			return diag.OK(diag.M("device.ok", d.addr))
		case err != nil:
			code := printer.CodeOf(err)
			return openFailed(d.addr, err, code == printer.CodeNotFound, code == printer.CodeBusy)
		case st.PaperOut:
			return diag.Fail(diag.M("device.paper_out"), diag.M("fix.device_paper"))
		case st.HeadOpen || st.CoverOpen:
			return diag.Fail(diag.M("device.head_open"), diag.M("fix.device_paper"))
		case !st.Ready():
			return diag.Fail(diag.M("device.printer", st.String()), diag.M("fix.device_paper"))
		}
		return diag.OK(diag.M("device.printer", st.String()))
	case *scannerDevice:
		return probeScanner(ctx, d)
	case *httpCameraDevice:
		s, err := d.cam.Snapshot(ctx)
		if err != nil {
			return diag.Fail(diag.Plain(camera.MessageOf(err).ZH), diag.M("fix.device_cable"))
		}
		return diag.OK(diag.M("device.snapshot", s.Width, s.Height, fmt.Sprintf("%d KB", len(s.Data)/1024)))
	case *folderCameraDevice:
		if fi, err := os.Stat(rn.cfg.Folder); err != nil || !fi.IsDir() {
			return diag.Fail(diag.M("device.absent", rn.cfg.Folder), diag.M("fix.device_cable"))
		}
		return diag.OK(diag.M("device.ok", rn.cfg.Folder))
	}
	return diag.Fail(diag.M("device.no_check"), diag.M("fix.device_report"))
}

func openFailed(where string, err error, notFound, busy bool) diag.Result {
	switch {
	case notFound:
		return diag.Fail(diag.M("device.absent", where), diag.M("fix.device_cable"))
	case busy:
		return diag.Fail(diag.M("device.busy", where), diag.M("fix.device_busy"))
	}
	return diag.Fail(diag.M("device.open_failed", err), diag.M("fix.device_cable"))
}

// probeScanner opens the scan gun's port and reports whether it opened.
func probeScanner(ctx context.Context, d *scannerDevice) diag.Result {
	port, err := d.env.findPort(d.cfg)
	if err != nil {
		return diag.Fail(diag.M("device.absent", d.cfg.USB), diag.M("fix.device_cable"))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	states := make(chan scanner.StateChange, 4)
	s, err := scanner.New(scanner.Options{Port: port, Name: d.cfg.Name, Baud: d.cfg.Baud, Suffix: d.suffix, Sink: func(e scanner.Event) {
		if sc, ok := e.(scanner.StateChange); ok {
			select {
			case states <- sc:
			default:
			}
		}
	}})
	if err != nil {
		return diag.Fail(diag.M("device.open_failed", err), diag.M("fix.device_cable"))
	}
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	select {
	case sc := <-states:
		switch sc.State {
		case scanner.StateOpen:
			return diag.OK(diag.M("device.ok", port))
		case scanner.StateAbsent:
			return diag.Fail(diag.M("device.absent", port), diag.M("fix.device_cable"))
		}
		return diag.Fail(diag.Plain(scanner.MessageOf(sc.Err).ZH), diag.M("fix.device_busy"))
	case <-ctx.Done():
		return diag.Fail(diag.M("device.timeout", port), diag.M("fix.device_cable"))
	}
}
