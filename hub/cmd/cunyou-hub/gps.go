package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"text/tabwriter"
	"time"

	"cunyou/hub/config"
	"cunyou/hub/gps"
	"cunyou/hub/merge"
	"cunyou/hub/store"
	"cunyou/syncproto"
)

// startGPS serves JT/T 808 terminals when the config enables it; stop
// closes their connections and writes the buffered positions. A trip's
// vehicle at, leaving or near a stop becomes a trip.at_stop fact of the
// hub, which the parcels on the trip show (and a station told its
// vehicle is near).
func (m *Main) startGPS(ctx context.Context, c config.Config, st *store.Store, mg *merge.Merger, log *slog.Logger) (stop func(), err error) {
	if !c.GPS.Enabled {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", c.GPS.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen for GPS terminals: %w", err)
	}
	onEvents := func(ctx context.Context, evs []store.GeofenceEvent) {
		facts := make([]merge.Fact, 0, len(evs))
		for _, ev := range evs {
			p := syncproto.TripAtStop{Trip: ev.Trip, Vehicle: ev.Plate, Node: ev.Node, Event: syncproto.TripArrived, AtMs: ev.Time.UnixMilli()}
			switch ev.Kind {
			case "departure":
				p.Event = syncproto.TripLeft
			case store.Approach:
				p.Event, p.EtaMs = syncproto.TripNear, gps.ETA(ev).UnixMilli()
			}
			facts = append(facts, merge.Fact{Kind: syncproto.KindTripAtStop, Actor: "gps", Payload: p})
		}
		if err := mg.Record(ctx, facts); err != nil {
			log.Warn("record a trip's vehicle at its stops", "part", "gps", "events", len(facts), "err", err)
		}
	}
	srv := gps.New(gps.Options{Store: st, IdleTimeout: time.Duration(c.GPS.IdleTimeout), Log: log.With("part", "gps"), OnEvents: onEvents})
	gctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(gctx, ln) }()
	log.Info("serving JT/T 808 terminals", "addr", ln.Addr().String(), "idle_timeout", time.Duration(c.GPS.IdleTimeout))
	fmt.Fprintf(m.Stdout, "gps: jt808://%s\n", ln.Addr())
	return func() {
		cancel()
		if err := <-done; err != nil {
			log.Error("GPS server", "err", err)
		}
	}, nil
}

func (m *Main) gps(ctx context.Context, args []string) error {
	name, args, err := sub("gps", args, "positions", "track", "terminals")
	if err != nil {
		return err
	}
	fs, parse := m.flags("gps " + name)
	plate := fs.String("vehicle", "", "the vehicle's plate")
	limit := fs.Int("limit", 20, "positions to show, newest first")
	trip := fs.String("trip", "", "trip id, e.g. L1-20261127-0700")
	c, err := parse(args)
	if err != nil {
		return err
	}
	switch {
	case name == "positions" && *plate == "":
		return errors.New("gps positions: --vehicle is required")
	case name == "track" && *trip == "":
		return errors.New("gps track: --trip is required")
	}
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	loc := c.Location()
	switch name {
	case "positions":
		ps, err := st.Positions(ctx, *plate, *limit)
		if err != nil {
			return err
		}
		if len(ps) == 0 {
			fmt.Fprintf(m.Stdout, "no positions of vehicle %s\n", *plate)
			return nil
		}
		return writePositions(m.Stdout, ps, loc)
	case "track":
		tr, err := st.TripTrack(ctx, *trip, loc)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "trip %s (%s) vehicle %s %s\n", tr.Trip.ID, tr.Trip.LineName, orDash(tr.Trip.Vehicle), tr.Trip.Status)
		fmt.Fprintf(m.Stdout, "from %s to %s: %d positions\n", tr.From.In(loc).Format(time.DateTime), tr.To.In(loc).Format(time.DateTime),
			len(tr.Positions))
		if len(tr.Events) > 0 {
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tEVENT\tSITE")
			for _, e := range tr.Events {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Time.In(loc).Format("15:04:05"), e.Kind, e.Node)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
		if len(tr.Positions) == 0 {
			return nil
		}
		return writePositions(m.Stdout, tr.Positions, loc)
	}
	ts, err := st.Terminals(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TERMINAL\tVEHICLE\tMODEL\tREGISTERED\tAUTHENTICATED\tLAST SEEN\tREPORTS")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", t.Phone, orDash(t.Plate), orDash(t.Model), when(t.Registered, loc),
			when(t.Authenticated, loc), when(t.LastSeen, loc), t.Reports)
	}
	return tw.Flush()
}

func when(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "never"
	}
	return t.In(loc).Format(time.DateTime)
}

func writePositions(w io.Writer, ps []store.Position, loc *time.Location) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tLAT\tLON\tKM/H\tHEADING\tALT\tALARM\tSTATUS")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%.6f\t%.6f\t%.1f\t%d\t%d\t%#x\t%#x\n", p.Time.In(loc).Format(time.DateTime), p.Lat, p.Lon, p.Speed,
			p.Heading, p.Altitude, p.Alarm, p.Status)
	}
	return tw.Flush()
}
