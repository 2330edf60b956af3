package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Statistics for managers and the county government (GET
// /api/v1/statistics): per station and day, the parcels scanned in,
// picked up, sent and sent back; how long parcels took from the centre's
// scan-in to their pickup; how many left the shelf after waiting longer
// than the overdue limit; per carrier.
//
// They are computed from the facts of the tracking index, each counted
// on the county day it happened (its HLC: the node's clock, kept within
// the hub's skew bound), not the day the hub heard of it, so a station
// that was offline for three days still shows its three days. The facts
// have no index by time: their ids follow the hub's receipt, so the
// facts of a range are read as one range of ids, from those received at
// its start (less an hour for the hub's clock) to those received
// StatsLateness after its end. A fact that reaches the hub later than
// that is not counted; DESIGN §4 plans for 30 days offline.

// Bounds of a statistics query.
const (
	MaxStatsDays  = 92
	StatsLateness = 30 * 24 * time.Hour
	statsSlack    = time.Hour
)

// StatsWaitBounds are the upper bounds of the centre-to-pickup histogram
// (Statistics.WaitBuckets); the last bucket holds the longer waits.
var StatsWaitBounds = []time.Duration{12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 72 * time.Hour, 5 * 24 * time.Hour,
	7 * 24 * time.Hour}

// StatsQuery selects the statistics of a range of county days.
type StatsQuery struct {
	// From is the first day's midnight and To the midnight after the last
	// day, in the county's time zone Loc.
	From, To time.Time
	Loc      *time.Location
	// Station keeps to one station, Carrier to one carrier's parcels
	// ("" for all).
	Station, Carrier string
	// OverdueAfter is the overdue limit: a parcel that waited longer on a
	// shelf is overdue.
	OverdueAfter time.Duration
}

// StatsFigures are the figures of a day, a station, a carrier or the
// whole range.
type StatsFigures struct {
	In       int // scanned in at a station (入库)
	PickedUp int // picked up by the receiver or a proxy (取件)
	Sent     int // accepted at a station to send (寄件)
	Returned int // marked at a station to go back (退回)
	// Overdue counts the parcels that left the shelf (picked up or sent
	// back) after waiting longer than the overdue limit, or sent back as
	// overdue.
	Overdue int
	// Waited counts the pickups of parcels the centre scanned in, and
	// WaitMedian and WaitP90 are their times from that scan to the
	// pickup (nearest rank).
	Waited              int
	WaitMedian, WaitP90 time.Duration
}

// Left is how many parcels left the shelf: picked up or sent back.
func (f StatsFigures) Left() int { return f.PickedUp + f.Returned }

// StatsRow are the figures of one day (Day, YYYY-MM-DD) or one station
// (Station), or both.
type StatsRow struct {
	Day     string
	Station string
	StatsFigures
}

// StatsCarrier are one carrier's figures.
type StatsCarrier struct {
	Carrier string
	StatsFigures
}

// Statistics are the figures of a StatsQuery.
type Statistics struct {
	Total StatsFigures
	// Days has every day of the range, in order, all stations together.
	Days []StatsRow
	// Stations has every station with a figure in the range, by id, with
	// OverdueNow.
	Stations []StatsRow
	// StationDays has a row for each station and day with a figure, by
	// day then station.
	StationDays []StatsRow
	Carriers    []StatsCarrier // by code
	// WaitBuckets count the centre-to-pickup times up to each of
	// StatsWaitBounds, then the longer ones.
	WaitBuckets []int
	// OverdueNow counts, per station, the parcels on its shelves now that
	// arrived longer ago than the overdue limit (the hub's time of the
	// parcel's last change).
	OverdueNow map[string]int
}

// statsAcc adds up one group's figures.
type statsAcc struct {
	f     StatsFigures
	waits []time.Duration
}

func (a *statsAcc) done() StatsFigures {
	f := a.f
	f.Waited = len(a.waits)
	if len(a.waits) > 0 {
		slices.Sort(a.waits)
		f.WaitMedian, f.WaitP90 = nearestRank(a.waits, 0.5), nearestRank(a.waits, 0.9)
	}
	return f
}

// nearestRank is the q-quantile of sorted durations.
func nearestRank(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

const (
	kindInbound   = "parcel.inbound"
	kindPickedUp  = "parcel.picked_up"
	kindAccepted  = "parcel.accepted"
	kindReturning = "parcel.returning"
	kindAtCentre  = "parcel.at_centre"
	kindUndone    = "parcel.inbound_undone"
)

// statsFacts reads the facts the statistics count, the centre's scans
// and the stations' scan-ins before them, and the undos of scan-ins after
// them (a scan-in of the last evening undone after midnight), in the
// order of receipt.
const statsFacts = `SELECT kind, stream, hlc, waybill, direction, detail FROM facts
	WHERE id >= ? AND id < ? AND kind IN ('parcel.inbound', 'parcel.picked_up', 'parcel.accepted', 'parcel.returning', 'parcel.at_centre',
		'parcel.inbound_undone') AND (hlc < ?3 OR kind = 'parcel.inbound_undone')
		AND (hlc >= ?4 OR kind IN ('parcel.at_centre', 'parcel.inbound'))`

// statsParcel finds what a fact's parcel needs from further back than the
// statistics read: its carrier, its latest centre scan and station
// scan-in before hlc (from the facts' covering index).
const statsParcel = `SELECT coalesce((SELECT carrier FROM parcels WHERE waybill = ?1 AND direction = ?2), ''),
	(SELECT max(hlc) FROM facts WHERE waybill = ?1 AND waybill <> '' AND kind = 'parcel.at_centre' AND hlc <= ?3),
	(SELECT max(hlc) FROM facts WHERE waybill = ?1 AND waybill <> '' AND kind = 'parcel.inbound' AND hlc <= ?3)`

// statsLookback is how far before a range the statistics read the centre's
// scans, the stations' scan-ins and the parcels' carriers: most parcels
// are picked up within days, and an unclaimed one goes back after a week
// (edge/station DefaultSettings); the rest are looked up one by one.
const statsLookback = 8 * 24 * time.Hour

// statsKind returns the kind constant of a fact's kind.
func statsKind(b []byte) string {
	for _, k := range [...]string{kindInbound, kindPickedUp, kindAccepted, kindReturning, kindAtCentre, kindUndone} {
		if string(b) == k {
			return k
		}
	}
	return string(b)
}

// statsEvent is a fact the statistics count.
type statsEvent struct {
	kind, node, waybill, direction string
	hlc                            int64
	overdueReason                  bool // sent back as overdue
}

// Statistics computes the figures of q.
func (s *Store) Statistics(ctx context.Context, q StatsQuery) (*Statistics, error) {
	if q.Loc == nil || !q.From.Before(q.To) || q.To.Sub(q.From) > (MaxStatsDays+1)*24*time.Hour || q.OverdueAfter <= 0 {
		return nil, fmt.Errorf("statistics %s to %s: %w", q.From, q.To, ErrInvalid)
	}
	// Which node each stream is, and which nodes are stations.
	nodeOf, stations, err := s.statsNodes(ctx)
	if err != nil {
		return nil, err
	}
	back := q.From.Add(-statsLookback)
	lo, err := s.bound(ctx, "facts", "received_ms", back.Add(-statsSlack).UnixMilli())
	if err != nil {
		return nil, err
	}
	hi, err := s.bound(ctx, "facts", "received_ms", q.To.Add(StatsLateness).UnixMilli())
	if err != nil {
		return nil, err
	}
	from, to := q.From.UnixMilli()<<16, q.To.UnixMilli()<<16

	// One pass over the facts of the range and the lookback before it:
	// the events to count, and the latest centre scan and scan-in of each
	// parcel (by HLC). An event older than its parcel's latest (a parcel
	// back at the centre after it was sent back) looks the parcel up.
	var events []statsEvent
	// About one fact in eight of the range is a centre's scan, as many
	// a scan-in.
	centreAt, inboundAt := make(map[string]int64, (hi-lo)/8), make(map[string]int64, (hi-lo)/8)
	// A scan-in is counted once for its parcel and node (a restored PC
	// scans its shelves again).
	type once struct{ waybill, kind, node string }
	seen := map[once]int{} // the event's index in events
	// The parcels' carriers are read meanwhile.
	type carriers struct {
		m   map[[2]string]string
		err error
	}
	carried := make(chan carriers, 1)
	go func() {
		m, err := s.statsCarriers(ctx, back, q.To.Add(StatsLateness))
		carried <- carriers{m, err}
	}()
	defer func() { <-carried }()
	rows, err := s.r.QueryContext(ctx, statsFacts, lo, hi, to, from)
	if err != nil {
		return nil, fmt.Errorf("read statistics: %w", classify(err))
	}
	defer rows.Close()
	for rows.Next() {
		var e statsEvent
		var stream int64
		var kind, direction, detail sql.RawBytes
		if err := rows.Scan(&kind, &stream, &e.hlc, &e.waybill, &direction, &detail); err != nil {
			return nil, fmt.Errorf("read statistics: %w", classify(err))
		}
		e.kind = statsKind(kind)
		switch e.kind {
		case kindAtCentre:
			centreAt[e.waybill] = max(centreAt[e.waybill], e.hlc)
			continue
		case kindInbound:
			inboundAt[e.waybill] = max(inboundAt[e.waybill], e.hlc)
		}
		e.node = nodeOf[stream]
		if e.kind == kindUndone {
			// An operator undid a scan-in: it is not counted (and a
			// scan-in after it is).
			key := once{e.waybill, kindInbound, e.node}
			if i, ok := seen[key]; ok {
				events[i].kind = ""
				delete(seen, key)
			}
			continue
		}
		if e.hlc < from || e.hlc >= to || !stations[e.node] || q.Station != "" && e.node != q.Station {
			continue
		}
		if e.kind == kindInbound {
			key := once{e.waybill, e.kind, e.node}
			if _, ok := seen[key]; ok {
				continue
			}
			seen[key] = len(events)
		}
		e.direction = "in"
		if string(direction) == "out" {
			e.direction = "out"
		}
		e.overdueReason = e.kind == kindReturning && string(detail) == "overdue"
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read statistics: %w", classify(err))
	}
	rows.Close()
	c := <-carried
	carried <- c // for the deferred receive
	if c.err != nil {
		return nil, c.err
	}
	carrierOf := c.m

	// The county days of the range: their midnights, and the figures of
	// each day, station, station's day and carrier.
	var midnights []int64
	var dayNames []string
	for d := q.From; d.Before(q.To); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, q.Loc) {
		midnights = append(midnights, d.UnixMilli())
		dayNames = append(dayNames, d.In(q.Loc).Format(time.DateOnly))
	}
	var total statsAcc
	days := make([]statsAcc, len(midnights))
	byStation := map[string][]*statsAcc{} // the station's figures, then each day's
	byCarrier := map[string]*statsAcc{}
	buckets := make([]int, len(StatsWaitBounds)+1)
	get := func(m map[string]*statsAcc, k string) *statsAcc {
		a := m[k]
		if a == nil {
			a = &statsAcc{}
			m[k] = a
		}
		return a
	}
	for _, e := range events {
		if e.kind == "" {
			continue // undone
		}
		carrier, known := carrierOf[[2]string{e.waybill, e.direction}]
		centre, hasCentre := centreAt[e.waybill]
		inbound, hasInbound := inboundAt[e.waybill]
		leaving := e.kind == kindPickedUp || e.kind == kindReturning
		if !known || leaving && (!hasCentre || centre > e.hlc || !hasInbound || inbound > e.hlc) {
			// Further back than the lookback, or received after this
			// fact: look the parcel up.
			var c, in sql.NullInt64
			err := s.r.QueryRowContext(ctx, statsParcel, e.waybill, e.direction, e.hlc).Scan(&carrier, &c, &in)
			if err != nil {
				return nil, fmt.Errorf("read statistics: %w", classify(err))
			}
			centre, hasCentre = c.Int64, c.Valid
			inbound, hasInbound = in.Int64, in.Valid
		}
		if q.Carrier != "" && carrier != q.Carrier {
			continue
		}
		at := time.UnixMilli(e.hlc >> 16)
		day, _ := slices.BinarySearch(midnights, at.UnixMilli()+1)
		day-- // the last midnight at or before it
		st := byStation[e.node]
		if st == nil {
			st = make([]*statsAcc, len(midnights)+1)
			st[0] = &statsAcc{}
			byStation[e.node] = st
		}
		if st[day+1] == nil {
			st[day+1] = &statsAcc{}
		}
		accs := [...]*statsAcc{&total, &days[day], st[0], st[day+1], get(byCarrier, carrier)}
		var wait time.Duration
		waited := e.kind == kindPickedUp && hasCentre
		if waited {
			wait = max(0, at.Sub(time.UnixMilli(centre>>16)))
			i, _ := slices.BinarySearch(StatsWaitBounds, wait)
			buckets[i]++
		}
		overdue := e.overdueReason || leaving && hasInbound && at.Sub(time.UnixMilli(inbound>>16)) > q.OverdueAfter
		for _, a := range accs {
			switch e.kind {
			case kindInbound:
				a.f.In++
			case kindAccepted:
				a.f.Sent++
			case kindPickedUp:
				a.f.PickedUp++
			case kindReturning:
				a.f.Returned++
			}
			if overdue {
				a.f.Overdue++
			}
			if waited {
				a.waits = append(a.waits, wait)
			}
		}
	}

	out := &Statistics{Total: total.done(), WaitBuckets: buckets, OverdueNow: map[string]int{}}
	for i := range days {
		out.Days = append(out.Days, StatsRow{Day: dayNames[i], StatsFigures: days[i].done()})
	}
	for node, st := range byStation {
		out.Stations = append(out.Stations, StatsRow{Station: node, StatsFigures: st[0].done()})
		for i, a := range st[1:] {
			if a != nil {
				out.StationDays = append(out.StationDays, StatsRow{Day: dayNames[i], Station: node, StatsFigures: a.done()})
			}
		}
	}
	slices.SortFunc(out.Stations, func(a, b StatsRow) int { return strings.Compare(a.Station, b.Station) })
	slices.SortFunc(out.StationDays, func(a, b StatsRow) int {
		return cmp.Or(strings.Compare(a.Day, b.Day), strings.Compare(a.Station, b.Station))
	})
	for c, a := range byCarrier {
		out.Carriers = append(out.Carriers, StatsCarrier{Carrier: c, StatsFigures: a.done()})
	}
	slices.SortFunc(out.Carriers, func(a, b StatsCarrier) int { return strings.Compare(a.Carrier, b.Carrier) })
	if err := s.overdueNow(ctx, q, stations, out.OverdueNow); err != nil {
		return nil, err
	}
	return out, nil
}

// statsCarriers returns the carrier of every parcel the hub learnt of
// from since until before until, by waybill and direction (the parcels
// are in the order the hub learnt of them).
func (s *Store) statsCarriers(ctx context.Context, since, until time.Time) (map[[2]string]string, error) {
	lo, err := s.bound(ctx, "parcels", "created_ms", since.Add(-statsSlack).UnixMilli())
	if err != nil {
		return nil, err
	}
	hi, err := s.bound(ctx, "parcels", "created_ms", until.Add(statsSlack).UnixMilli())
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, "SELECT waybill, direction, carrier FROM parcels WHERE id >= ? AND id < ?", lo, hi)
	if err != nil {
		return nil, fmt.Errorf("read statistics: %w", classify(err))
	}
	defer rows.Close()
	out := map[[2]string]string{}
	carriers := map[string]string{} // one string of each carrier's code
	for rows.Next() {
		var waybill, direction string
		var carrier sql.RawBytes
		if err := rows.Scan(&waybill, &direction, &carrier); err != nil {
			return nil, fmt.Errorf("read statistics: %w", classify(err))
		}
		c, ok := carriers[string(carrier)]
		if !ok {
			c = string(carrier)
			carriers[c] = c
		}
		out[[2]string{waybill, direction}] = c
	}
	return out, classify(rows.Err())
}

// statsNodes returns the node of every stream and the set of stations.
func (s *Store) statsNodes(ctx context.Context) (map[int64]string, map[string]bool, error) {
	nodeOf := map[int64]string{}
	stations := map[string]bool{}
	rows, err := s.r.QueryContext(ctx, `SELECT c.stream, n.node_id, n.kind FROM nodes n LEFT JOIN cursors c ON c.node = n.node_id`)
	if err != nil {
		return nil, nil, fmt.Errorf("read nodes: %w", classify(err))
	}
	defer rows.Close()
	for rows.Next() {
		var stream *int64
		var node, kind string
		if err := rows.Scan(&stream, &node, &kind); err != nil {
			return nil, nil, fmt.Errorf("read nodes: %w", classify(err))
		}
		if stream != nil {
			nodeOf[*stream] = node
		}
		stations[node] = kind == "station"
	}
	return nodeOf, stations, classify(rows.Err())
}

// bound returns an id b such that the rows of table (facts or parcels)
// with id >= b are those whose column (a time in ms) is ms or later: the
// rows are in the order of that time, so b is found by bisection over
// the ids.
func (s *Store) bound(ctx context.Context, table, column string, ms int64) (int64, error) {
	var last int64
	if err := s.r.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM "+table).Scan(&last); err != nil {
		return 0, fmt.Errorf("find %s: %w", table, classify(err))
	}
	probe := "SELECT id, " + column + " FROM " + table + " WHERE id >= ? ORDER BY id LIMIT 1"
	lo, hi := int64(0), last+1
	for lo < hi {
		mid := lo + (hi-lo)/2
		var id, at int64
		err := s.r.QueryRowContext(ctx, probe, mid).Scan(&id, &at)
		switch {
		case err == nil && at < ms:
			lo = id + 1
		case err == nil || errors.Is(err, sql.ErrNoRows):
			hi = mid
		default:
			return 0, fmt.Errorf("find %s: %w", table, classify(err))
		}
	}
	return lo, nil
}

// overdueNow counts per station the parcels on its shelves that arrived
// longer than the overdue limit ago (by the parcels' index of holder,
// status and time).
func (s *Store) overdueNow(ctx context.Context, q StatsQuery, stations map[string]bool, out map[string]int) error {
	cutoff := s.now().Add(-q.OverdueAfter).UnixMilli()
	query := "SELECT count(*) FROM parcels WHERE node = ? AND status = 'at_station' AND updated_ms < ?"
	if q.Carrier != "" {
		query += " AND carrier = ?"
	}
	for node, station := range stations {
		if !station || q.Station != "" && node != q.Station {
			continue
		}
		args := []any{node, cutoff}
		if q.Carrier != "" {
			args = append(args, q.Carrier)
		}
		var n int
		if err := s.r.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
			return fmt.Errorf("count overdue parcels: %w", classify(err))
		}
		if n > 0 {
			out[node] = n
		}
	}
	return nil
}
