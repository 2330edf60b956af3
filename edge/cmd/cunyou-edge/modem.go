package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"cunyou/drivers/modem"
	"cunyou/edge/config"
	"cunyou/edge/notify"
	"cunyou/edge/station"
)

// runModem sends the station's own arrival SMS through its LTE modem
// (config modem.port) until ctx ends. A modem missing or failing at start
// is looked for again every minute: the station works on without it.
func runModem(ctx context.Context, c config.Config, stn *station.Station, log *slog.Logger) {
	if c.Modem.Port == "" {
		return
	}
	log = log.With("modem", c.Modem.Port)
	for {
		g, err := modem.Open(modem.Options{Port: c.Modem.Port, Baud: c.Modem.Baud, Log: log})
		if err == nil {
			log.Info("station sms: modem ready; arrival SMS the hub has not had within the wait go through it",
				"after", time.Duration(c.Modem.After))
			after := time.Duration(c.Modem.After)
			n := notify.New(notify.Options{Station: stn, Modem: g, After: after, Interval: min(30*time.Second, after/4),
				Location: c.Location(), Log: log})
			n.Run(ctx)
			g.Close()
			return
		}
		if errors.Is(err, modem.ErrNotFound) {
			log.Warn("station sms: no modem on the port; looking again in a minute", "err", err)
		} else {
			log.Error("station sms: cannot open the modem; trying again in a minute", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Minute):
		}
	}
}
