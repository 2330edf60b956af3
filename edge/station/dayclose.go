package station

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"cunyou/edge/store"
	"cunyou/syncproto"
)

// DayReport is a day's figures by carrier, with the reconciliation
// opening + in − out − returns = closing. A mismatch is reported, never
// hidden.
type DayReport struct {
	Date           string                         `json:"date"`
	ByCarrier      map[string]syncproto.DayCounts `json:"by_carrier"`
	Total          syncproto.DayCounts            `json:"total"`
	OpeningOnShelf int                            `json:"opening_on_shelf"`
	// OpeningSource is "recorded" when the previous day was closed and its
	// figure is used, "computed" otherwise.
	OpeningSource   string `json:"opening_source"`
	ExpectedOnShelf int    `json:"expected_on_shelf"`
	Mismatch        int    `json:"mismatch"` // closing − expected
	// Undone counts the inbound scans undone in the day: In is net of them.
	Undone int `json:"undone,omitempty"`
	// StocktakeMissing are the parcels on the books that the day's last
	// count of their shelf did not find, and that have not turned up
	// since: the books and the shelves differ by as many.
	StocktakeMissing []Parcel `json:"stocktake_missing,omitempty"`
	// From and To bound the activity counted: from the end of the
	// previous closed day (or midnight) to midnight, or to now for today.
	From     time.Time  `json:"from"`
	To       time.Time  `json:"to"`
	Closed   bool       `json:"closed"`
	ClosedAt *time.Time `json:"closed_at,omitempty"`
	ClosedBy string     `json:"closed_by,omitempty"`
}

// Today returns the station's current local date.
func (s *Station) Today() string { return s.st.Now().In(s.loc).Format(time.DateOnly) }

func (s *Station) dayBounds(date string) (time.Time, time.Time, error) {
	start, err := time.ParseInLocation(time.DateOnly, date, s.loc)
	if err != nil {
		return start, start, fail(CodeDateInvalid)
	}
	end := start.AddDate(0, 0, 1)
	if start.After(s.st.Now()) {
		return start, end, fail(CodeDateInvalid)
	}
	return start, end, nil
}

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// DayReport computes a day's figures; a closed day returns what was
// recorded when it was closed.
func (s *Station) DayReport(ctx context.Context, date string) (DayReport, error) {
	if rep, ok, err := closedReport(ctx, s.st.DB(), date); ok || err != nil {
		return rep, err
	}
	start, end, err := s.dayBounds(date)
	if err != nil {
		return DayReport{}, err
	}
	return s.computeDay(ctx, s.st.DB(), date, start, end)
}

func closedReport(ctx context.Context, q querier, date string) (DayReport, bool, error) {
	var body string
	err := q.QueryRowContext(ctx, "SELECT report FROM day_closes WHERE date = ?", date).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return DayReport{}, false, nil
	}
	if err != nil {
		return DayReport{}, false, err
	}
	var rep DayReport
	return rep, true, json.Unmarshal([]byte(body), &rep)
}

func (s *Station) computeDay(ctx context.Context, q querier, date string, start, end time.Time) (DayReport, error) {
	// Times are kept in UTC without a monotonic reading, as a closed
	// report reads back from its JSON.
	rep := DayReport{Date: date, ByCarrier: map[string]syncproto.DayCounts{}, From: start.UTC(), To: end.UTC()}
	if now := s.st.Now(); now.Before(end) {
		rep.To = now.UTC().Round(0)
	}
	// A day closed before midnight counted up to its closing time: what
	// happened after that belongs to the next day.
	prevRep, prevClosed, err := closedReport(ctx, q, start.AddDate(0, 0, -1).Format(time.DateOnly))
	if err != nil {
		return rep, err
	}
	if prevClosed && !prevRep.To.IsZero() {
		rep.From = prevRep.To
	}
	s0, s1 := rep.From.UnixMilli(), rep.To.UnixMilli()
	add := func(carrier string, f func(*syncproto.DayCounts)) {
		c := rep.ByCarrier[carrier]
		f(&c)
		rep.ByCarrier[carrier] = c
		f(&rep.Total)
	}
	rows, err := q.QueryContext(ctx, `SELECT p.carrier, e.kind, count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id
		WHERE e.at >= ? AND e.at < ? AND e.kind IN (?, ?, ?, ?, ?, ?) GROUP BY p.carrier, e.kind`,
		s0, s1, evInbound, evPickedUp, evAccepted, evProblem, evReturning, evUndone)
	if err != nil {
		return rep, err
	}
	for rows.Next() {
		var carrier, kind string
		var n int
		if err := rows.Scan(&carrier, &kind, &n); err != nil {
			rows.Close()
			return rep, err
		}
		add(carrier, func(c *syncproto.DayCounts) {
			switch kind {
			case evInbound:
				c.In += n
			case evPickedUp:
				c.Out += n
			case evAccepted:
				c.Sent += n
			case evProblem:
				c.Problems += n
			case evReturning:
				c.Returns += n
			case evUndone:
				// The parcel never was in: the scan undone takes its
				// inbound back.
				c.In -= n
			}
		})
		if kind == evUndone {
			rep.Undone += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, err
	}
	onShelfAt := func(at int64, f func(carrier string, n int)) error {
		rows, err := q.QueryContext(ctx, `SELECT carrier, count(*) FROM parcels WHERE direction = 'in' AND in_at < ?
			AND (out_at IS NULL OR out_at >= ?) GROUP BY carrier`, at, at)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var carrier string
			var n int
			if err := rows.Scan(&carrier, &n); err != nil {
				return err
			}
			f(carrier, n)
		}
		return rows.Err()
	}
	if err := onShelfAt(s1, func(carrier string, n int) { add(carrier, func(c *syncproto.DayCounts) { c.OnShelf += n }) }); err != nil {
		return rep, err
	}
	if prevClosed {
		rep.OpeningOnShelf, rep.OpeningSource = prevRep.Total.OnShelf, "recorded"
	} else {
		rep.OpeningSource = "computed"
		if err := onShelfAt(s0, func(_ string, n int) { rep.OpeningOnShelf += n }); err != nil {
			return rep, err
		}
	}
	rep.ExpectedOnShelf = rep.OpeningOnShelf + rep.Total.In - rep.Total.Out - rep.Total.Returns
	rep.Mismatch = rep.Total.OnShelf - rep.ExpectedOnShelf
	rep.StocktakeMissing, err = stocktakeMissing(ctx, q, s0, s1)
	return rep, err
}

// stocktakeMissing lists the parcels that the last count in [from, to) of
// their shelf did not find, still on that shelf by the books and not
// moved by a later count.
func stocktakeMissing(ctx context.Context, q querier, from, to int64) ([]Parcel, error) {
	ps, err := queryParcels(ctx, q, `id IN (SELECT m.parcel_id FROM stocktake_missing m JOIN stocktakes t ON t.id = m.stocktake
		WHERE t.at >= ? AND t.at < ? AND t.id = (SELECT max(id) FROM stocktakes WHERE shelf = t.shelf AND at >= ? AND at < ?)
		AND NOT EXISTS (SELECT 1 FROM events e WHERE e.parcel_id = m.parcel_id AND e.at >= t.at AND e.kind IN (?, ?)))
		AND shelf IS NOT NULL ORDER BY shelf, layer, code_num`, from, to, from, to, evRelocated, evInbound)
	return ps, err
}

// CloseDay closes a day: its figures are recorded, with an op, and shown
// as recorded from then on. A day is closed once.
func (s *Station) CloseDay(ctx context.Context, actor, date string) (DayReport, error) {
	start, end, err := s.dayBounds(date)
	if err != nil {
		return DayReport{}, err
	}
	var rep DayReport
	err = s.st.Write(ctx, actor, func(tx *store.Tx) error {
		if _, closed, err := closedReport(ctx, tx, date); err != nil || closed {
			if closed {
				return fail(CodeDayClosed, "date", date)
			}
			return err
		}
		if rep, err = s.computeDay(ctx, tx, date, start, end); err != nil {
			return err
		}
		now := tx.Now()
		rep.Closed, rep.ClosedAt, rep.ClosedBy = true, &now, actor
		if _, err := tx.Append(syncproto.KindDayClosed, syncproto.DayClosed{Date: date, FromMs: rep.From.UnixMilli(), ToMs: rep.To.UnixMilli(), ByCarrier: rep.ByCarrier,
			Total: rep.Total, OpeningOnShelf: rep.OpeningOnShelf, Mismatch: rep.Mismatch, StocktakeMissing: len(rep.StocktakeMissing)}); err != nil {
			return err
		}
		body, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO day_closes (date, closed_at, actor, on_shelf, mismatch, report) VALUES (?, ?, ?, ?, ?, ?)",
			date, now.UnixMilli(), actor, rep.Total.OnShelf, rep.Mismatch, string(body))
		return err
	})
	return rep, err
}
