package devices

import (
	"context"
	"errors"

	"cunyou/drivers/idcard"
	"cunyou/edge/config"
)

// idCardDevice runs an ID-card reader with idcard.Watch.
type idCardDevice struct {
	cfg config.Device
	env *Env
}

func newIDCard(cfg config.Device, env *Env) (Device, error) {
	return &idCardDevice{cfg: cfg, env: env}, nil
}

// Run finds the reader's port and watches it. A reader found by its USB
// ids is looked for again once it went absent: after a replug it may be
// another port.
func (d *idCardDevice) Run(ctx context.Context, r *Reporter) {
	b := d.env.backoff()
	for ctx.Err() == nil {
		port, ok := d.env.portOrWait(ctx, d.cfg, r, &b)
		if !ok {
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		opt := idcard.Options{Port: port, Baud: d.cfg.Baud, Log: d.env.Log, RetryMin: d.env.RetryMin, RetryMax: d.env.RetryMax}
		idcard.Watch(wctx, opt, func(e idcard.Event) {
			switch e.Kind {
			case idcard.EventReady:
				b.reset()
				r.SetDetail(e.SAMID)
				r.Set(StateReady, "", "")
			case idcard.EventCard:
				r.Card(e.Identity)
				r.Set(StateReady, "", "")
			case idcard.EventRemoved:
				// A card just read stops answering, as if removed, while
				// it still lies on a real reader: the card read stays
				// the sender's for CardTTL.
			case idcard.EventError:
				if !errors.Is(e.Err, idcard.ErrNoCard) {
					zh, _ := idcard.Sentence(e.Err)
					r.Set(StateError, idcard.Code(e.Err), zh)
				}
			case idcard.EventAbsent:
				r.Card(nil)
				zh, _ := idcard.Sentence(e.Err)
				r.Set(StateAbsent, idcard.Code(e.Err), zh)
				if d.cfg.Port == "" {
					cancel() // look the port up again
				}
			}
		})
		cancel()
		sleep(ctx, b.next()) // a port looked up again: give it time to settle
	}
}
