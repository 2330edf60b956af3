package devices

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"cunyou/drivers/printer"
	"cunyou/edge/station"
)

// printer returns the first configured label printer, or nil.
func (h *Host) printer() *printerDevice {
	for _, rn := range h.devices {
		if p, ok := rn.dev.(*printerDevice); ok {
			return p
		}
	}
	return nil
}

// Print prints a label on the label printer; ErrNoDevice when none is
// configured. Its errors are the printer driver's (printer.CodeOf,
// printer.Retryable).
func (h *Host) Print(ctx context.Context, l printer.Label) error {
	p := h.printer()
	if p == nil {
		return fmt.Errorf("print: %w", ErrNoDevice)
	}
	return p.Print(ctx, l)
}

// Snapshot takes a picture with the first camera (a network camera's
// snapshot, or the next picture a document camera saves) and stores it in
// the blob folder.
func (h *Host) Snapshot(ctx context.Context) (Picture, error) {
	for _, rn := range h.devices {
		if c, ok := rn.dev.(interface {
			Snapshot(context.Context) (Picture, error)
		}); ok {
			return c.Snapshot(ctx)
		}
	}
	return Picture{}, fmt.Errorf("snapshot: %w", ErrNoDevice)
}

// LabelOf lays out the label of a print job: a station's pickup sticker
// or a centre's sort label. Its error wraps printer.ErrBadLabel for a job
// it cannot print.
func LabelOf(j station.PrintJob) (printer.Label, error) {
	switch j.Kind {
	case station.PrintPickup:
		var s station.PickupSticker
		if err := json.Unmarshal(j.Payload, &s); err != nil {
			return printer.Label{}, fmt.Errorf("print job %d: %w: %v", j.ID, printer.ErrBadLabel, err)
		}
		return printer.PickupLabel(printer.Pickup{Code: s.Code, PhoneTail: s.PhoneTail, Waybill: s.Waybill, Date: s.Date}), nil
	case station.PrintSortLabel:
		var s station.SortLabel
		if err := json.Unmarshal(j.Payload, &s); err != nil {
			return printer.Label{}, fmt.Errorf("print job %d: %w: %v", j.ID, printer.ErrBadLabel, err)
		}
		return printer.SortLabel(printer.Sort{Station: s.StationName, Village: s.Village, RouteCode: s.SortCode, Trip: s.Trip,
			Line: s.LineName, Departure: s.Departure, Date: s.Date, Waybill: s.Waybill, Carrier: s.CarrierName,
			Unresolved: s.Unresolved}), nil
	}
	return printer.Label{}, fmt.Errorf("print job %d kind %q: %w", j.ID, j.Kind, printer.ErrBadLabel)
}

// queueIdle is how often an empty print queue is looked at: a job queued
// by an inbound prints within it, and Kick wakes the worker at once.
const queueIdle = time.Second

// runQueue drains the station's print queue, oldest job first, until ctx
// ends. A job printed is finished as printed; one that can never print (a
// bad label) as failed with its code; one that failed for a reason an
// operator can fix stays at the head of the queue and is tried again with
// backoff, since the jobs behind it would fail the same way.
func (h *Host) runQueue(ctx context.Context) {
	stn := h.o.Station
	b := h.env.backoff()
	for {
		wait := queueIdle
		jobs, err := stn.NextPrintJobs(ctx, 1)
		if err != nil && ctx.Err() == nil {
			h.o.Log.Error("print queue: cannot read the queue", "err", err)
		}
		if len(jobs) == 1 {
			switch err := h.printJob(ctx, jobs[0]); {
			case err == nil:
				b.reset()
				wait = 0
			case ctx.Err() != nil:
				return
			default:
				h.o.Log.Warn("print queue: job waits", "job", jobs[0].ID, "code", printer.CodeOf(err), "err", err)
				wait = b.next()
			}
		}
		if wait == 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-h.kick:
		case <-time.After(wait):
		}
	}
}

// printJob prints one job and finishes it; an error means it stays queued.
func (h *Host) printJob(ctx context.Context, j station.PrintJob) error {
	stn := h.o.Station
	l, err := LabelOf(j)
	if err == nil {
		err = h.Print(ctx, l)
	}
	if err != nil && (printer.Retryable(err) || ctx.Err() != nil) {
		return err
	}
	failure := ""
	if err != nil {
		if failure = string(printer.CodeOf(err)); failure == "" {
			failure = "print_failed"
		}
		h.o.Log.Error("print queue: job cannot print", "job", j.ID, "kind", j.Kind, "code", failure, "err", err)
	}
	// The printer has the label: its mark must not be lost to serve
	// stopping now, or the label prints again at the next start.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if ferr := stn.FinishPrintJob(fctx, j.ID, failure); ferr != nil {
		return ferr
	}
	return nil
}

// finishTimeout bounds the marking of a job the printer took.
const finishTimeout = 10 * time.Second
