package devices

import (
	"context"

	"cunyou/drivers/scanner"
	"cunyou/edge/config"
)

// scannerDevice runs a serial scan gun.
type scannerDevice struct {
	cfg    config.Device
	env    *Env
	suffix scanner.Suffix
}

func newScanner(cfg config.Device, env *Env) (Device, error) {
	d := &scannerDevice{cfg: cfg, env: env, suffix: scanner.CR}
	if cfg.Suffix != "" {
		s, err := scanner.ParseSuffix(cfg.Suffix)
		if err != nil {
			return nil, err
		}
		d.suffix = s
	}
	return d, nil
}

func (d *scannerDevice) Run(ctx context.Context, r *Reporter) {
	b := d.env.backoff()
	for ctx.Err() == nil {
		port, ok := d.env.portOrWait(ctx, d.cfg, r, &b)
		if !ok {
			continue
		}
		sctx, cancel := context.WithCancel(ctx)
		sink := func(e scanner.Event) {
			switch e := e.(type) {
			case scanner.Code:
				r.Scanned(e.Text, e.At)
			case scanner.StateChange:
				switch e.State {
				case scanner.StateOpen:
					b.reset()
					r.Set(StateReady, "", "")
				case scanner.StateAbsent:
					m := scanner.MessageOf(e.Err)
					r.Set(StateAbsent, m.Code, m.ZH)
					if d.cfg.Port == "" {
						cancel()
					}
				default:
					m := scanner.MessageOf(e.Err)
					r.Set(StateError, m.Code, m.ZH)
				}
			}
		}
		s, err := scanner.New(scanner.Options{Port: port, Name: d.cfg.Name, Baud: d.cfg.Baud, Suffix: d.suffix, Prefix: d.cfg.Prefix,
			RetryMin: d.env.RetryMin, RetryMax: d.env.RetryMax, Sink: sink, Log: d.env.Log})
		if err != nil {
			m := scanner.MessageOf(err)
			r.Set(StateError, m.Code, m.ZH)
			cancel()
			sleep(ctx, b.next())
			continue
		}
		s.Run(sctx)
		cancel()
		sleep(ctx, b.next()) // a port looked up again: give it time to settle
	}
}
