package gps

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"cunyou/hub/store"
)

// errStopped answers reports that arrive while the server stops.
var errStopped = errors.New("gps: server stopping")

// ingester buffers positions in memory and writes them in one transaction
// every flush interval or every batch of rows (group commit), then calls
// each report's done with the outcome: a terminal hears "ok" only once its
// report is durable.
type ingester struct {
	st     *store.Store
	every  time.Duration
	rows   int
	radius float64
	log    *slog.Logger

	mu      sync.Mutex
	room    *sync.Cond // producers wait here while the buffer is full
	buf     []store.Position
	dones   []func(error)
	seen    map[string]store.TerminalSeen
	stopped bool
	kick    chan struct{}

	fences       *Geofencer
	trips        map[string]string
	refresh      time.Time
	refreshEvery time.Duration
	onEvents     func(context.Context, []store.GeofenceEvent)

	stored  atomic.Int64 // positions written (new ones)
	flushes atomic.Int64
	failed  atomic.Int64 // flushes that failed
}

func newIngester(st *store.Store, every time.Duration, rows int, radius float64, log *slog.Logger) *ingester {
	in := &ingester{st: st, every: every, rows: rows, radius: radius, log: log, seen: map[string]store.TerminalSeen{},
		kick: make(chan struct{}, 1), fences: NewGeofencer(nil)}
	in.room = sync.NewCond(&in.mu)
	return in
}

// add queues positions of one terminal's message; done runs once they are
// stored (or failed). It waits while the buffer holds 8 batches.
func (in *ingester) add(phone string, ps []store.Position, done func(error)) {
	in.mu.Lock()
	for !in.stopped && len(in.buf) >= 8*in.rows {
		in.room.Wait()
	}
	if in.stopped {
		in.mu.Unlock()
		done(errStopped)
		return
	}
	in.buf = append(in.buf, ps...)
	in.dones = append(in.dones, done)
	in.see(phone, len(ps))
	full := len(in.buf) >= in.rows
	in.mu.Unlock()
	if full {
		select {
		case in.kick <- struct{}{}:
		default:
		}
	}
}

// touch records a sign of life of a terminal (a heartbeat) for the next
// flush.
func (in *ingester) touch(phone string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.see(phone, 0)
}

// see counts reports of a terminal and moves its last contact; in.mu is
// held.
func (in *ingester) see(phone string, reports int) {
	s := in.seen[phone]
	s.Phone, s.Reports = phone, s.Reports+reports
	if at := time.Now(); at.After(s.At) {
		s.At = at
	}
	in.seen[phone] = s
}

// run flushes until ctx ends, then flushes what is left and refuses more.
func (in *ingester) run(ctx context.Context) {
	t := time.NewTicker(in.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			in.mu.Lock()
			in.stopped = true
			in.room.Broadcast()
			in.mu.Unlock()
			in.flush(context.WithoutCancel(ctx))
			return
		case <-t.C:
		case <-in.kick:
		}
		in.flush(ctx)
	}
}

func (in *ingester) flush(ctx context.Context) {
	in.mu.Lock()
	ps, dones, seen := in.buf, in.dones, in.seen
	in.buf, in.dones, in.seen = make([]store.Position, 0, in.rows), nil, map[string]store.TerminalSeen{}
	in.room.Broadcast()
	in.mu.Unlock()
	if len(dones) == 0 && len(seen) == 0 {
		return
	}
	in.refreshFences(ctx)
	b := store.GPSBatch{Positions: ps, Events: in.fences.Events(ps, in.trips)}
	for _, s := range seen {
		b.Seen = append(b.Seen, s)
	}
	added, err := in.st.SaveGPS(ctx, b)
	in.flushes.Add(1)
	if err != nil {
		in.failed.Add(1)
		in.log.Error("store positions", "positions", len(ps), "err", err)
	} else {
		in.stored.Add(int64(added))
	}
	for _, done := range dones {
		done(err)
	}
	if err == nil && in.onEvents != nil {
		var trips []store.GeofenceEvent
		for _, ev := range b.Events {
			if ev.Trip != "" {
				trips = append(trips, ev)
			}
		}
		if len(trips) > 0 {
			in.onEvents(ctx, trips)
		}
	}
}

// refreshFences reads the sites and the departed trips again every few
// seconds.
func (in *ingester) refreshFences(ctx context.Context) {
	if time.Since(in.refresh) < in.refreshEvery {
		return
	}
	in.refresh = time.Now()
	sites, err := in.st.Sites(ctx)
	if err != nil {
		in.log.Warn("read sites for geofences", "err", err)
		return
	}
	trips, err := in.st.ActiveTrips(ctx)
	if err != nil {
		in.log.Warn("read departed trips for geofences", "err", err)
		return
	}
	in.fences.SetFences(FencesOf(sites, in.radius))
	if in.trips == nil {
		latest, err := in.st.LatestPositions(ctx)
		if err != nil {
			in.log.Warn("read latest positions for geofences", "err", err)
		}
		in.fences.Seed(latest)
	}
	in.trips = trips
}
