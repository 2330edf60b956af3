package station

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"cunyou/edge/store"
	"cunyou/waybill"
)

// Print job kinds and statuses. The printer driver (a later issue) takes
// queued jobs oldest first and finishes each as printed or failed.
const (
	PrintSortLabel = "sort_label"

	PrintQueued  = "queued"
	PrintPrinted = "printed"
	PrintFailed  = "failed"
)

// SortLabel is the payload of a sort_label print job: the fields of the
// label stuck on a parcel at the centre. It holds no receiver data.
type SortLabel struct {
	Waybill     string `json:"waybill"`
	Carrier     string `json:"carrier"`
	CarrierName string `json:"carrier_name"`
	Station     string `json:"station,omitempty"`
	StationName string `json:"station_name,omitempty"`
	Village     string `json:"village,omitempty"`
	Trip        string `json:"trip,omitempty"`
	Line        string `json:"line,omitempty"`
	LineName    string `json:"line_name,omitempty"`
	Date        string `json:"date,omitempty"`
	Departure   string `json:"departure,omitempty"`
	SortCode    string `json:"sort_code"`
	// Unresolved: no destination yet; the label says 待分配.
	Unresolved bool `json:"unresolved,omitempty"`
}

// PrintJob is one job of the print queue.
type PrintJob struct {
	ID        int64           `json:"id"`
	Kind      string          `json:"kind"`
	Waybill   string          `json:"waybill,omitempty"`
	Payload   json.RawMessage `json:"payload"`
	Status    string          `json:"status"`
	ReprintOf int64           `json:"reprint_of,omitempty"`
	Error     string          `json:"error,omitempty"`
	Created   time.Time       `json:"created"`
	Printed   *time.Time      `json:"printed,omitempty"` // when it was printed or failed
}

// queueSortLabel queues the sort label of a decision inside tx.
func queueSortLabel(ctx context.Context, tx *store.Tx, wb, carrier string, d SortDecision) (int64, error) {
	l := SortLabel{
		Waybill: wb, Carrier: carrier, CarrierName: carrierName(carrier),
		Station: d.Station, StationName: d.StationName, Village: d.Village,
		Trip: d.Trip, Line: d.Line, LineName: d.LineName, Date: d.Date, Departure: d.Departure,
		SortCode: d.SortCode, Unresolved: d.Outcome == SortUnresolved,
	}
	body, err := json.Marshal(l)
	if err != nil {
		return 0, fmt.Errorf("encode sort label: %w", err)
	}
	r, err := tx.ExecContext(ctx, "INSERT INTO print_jobs (kind, waybill, payload, created) VALUES (?, ?, ?, ?)",
		PrintSortLabel, wb, string(body), tx.Now().UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("queue sort label: %w", err)
	}
	return r.LastInsertId()
}

const printJobCols = "id, kind, waybill, payload, status, coalesce(reprint_of, 0), error, created, printed"

func scanPrintJob(r scanner) (PrintJob, error) {
	var j PrintJob
	var payload string
	var created int64
	var printed sql.NullInt64
	if err := r.Scan(&j.ID, &j.Kind, &j.Waybill, &payload, &j.Status, &j.ReprintOf, &j.Error, &created, &printed); err != nil {
		return j, err
	}
	j.Payload = json.RawMessage(payload)
	j.Created = time.UnixMilli(created)
	j.Printed = msTime(printed)
	return j, nil
}

func queryPrintJobs(ctx context.Context, q querier, where string, args ...any) ([]PrintJob, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+printJobCols+" FROM print_jobs WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	js := []PrintJob{}
	for rows.Next() {
		j, err := scanPrintJob(rows)
		if err != nil {
			return nil, err
		}
		js = append(js, j)
	}
	return js, rows.Err()
}

// PrintJobFilter selects print jobs: by status and waybill ("" for any),
// newest first, at most Limit (100 when ≤ 0).
type PrintJobFilter struct {
	Status  string
	Waybill string
	Limit   int
}

// PrintJobs lists print jobs, newest first.
func (s *Station) PrintJobs(ctx context.Context, f PrintJobFilter) ([]PrintJob, error) {
	if err := s.centreOnly(); err != nil {
		return nil, err
	}
	return s.printJobs(ctx, f)
}

// printJobs lists print jobs on a node of either kind.
func (s *Station) printJobs(ctx context.Context, f PrintJobFilter) ([]PrintJob, error) {
	var where []string
	var args []any
	switch f.Status {
	case "":
	case PrintQueued, PrintPrinted, PrintFailed:
		where, args = append(where, "status = ?"), append(args, f.Status)
	default:
		return nil, fail(CodeCentreStateInvalid, "status", f.Status)
	}
	if f.Waybill != "" {
		wb, err := normalizeWaybill(f.Waybill)
		if err != nil {
			return nil, err
		}
		where, args = append(where, "waybill = ?"), append(args, wb)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	cond := "1"
	if len(where) > 0 {
		cond = strings.Join(where, " AND ")
	}
	return queryPrintJobs(ctx, s.st.DB(), cond+" ORDER BY id DESC LIMIT ?", append(args, f.Limit)...)
}

// Reprint queues the job again: a new job with the same payload that
// refers to the one it repeats. The first job keeps its own status. A
// reprint is not a parcel fact: it records no op.
func (s *Station) Reprint(ctx context.Context, actor string, id int64) (PrintJob, error) {
	if err := s.centreOnly(); err != nil {
		return PrintJob{}, err
	}
	return s.reprint(ctx, actor, id)
}

// reprint queues a job again on a node of either kind.
func (s *Station) reprint(ctx context.Context, actor string, id int64) (PrintJob, error) {
	var j PrintJob
	err := s.st.Write(ctx, actor, func(tx *store.Tx) error {
		old, err := queryPrintJobs(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if len(old) == 0 {
			return fail(CodePrintJobNotFound, "id", fmt.Sprint(id))
		}
		r, err := tx.ExecContext(ctx, "INSERT INTO print_jobs (kind, waybill, payload, reprint_of, created) VALUES (?, ?, ?, ?, ?)",
			old[0].Kind, old[0].Waybill, string(old[0].Payload), id, tx.Now().UnixMilli())
		if err != nil {
			return err
		}
		nid, _ := r.LastInsertId()
		js, err := queryPrintJobs(ctx, tx, "id = ?", nid)
		if err == nil {
			j = js[0]
		}
		return err
	})
	return j, err
}

// NextPrintJobs returns up to limit queued jobs, oldest first: the printer
// driver's side of the queue.
func (s *Station) NextPrintJobs(ctx context.Context, limit int) ([]PrintJob, error) {
	if limit <= 0 {
		limit = 1
	}
	return queryPrintJobs(ctx, s.st.DB(), "status = 'queued' ORDER BY id LIMIT ?", limit)
}

// FinishPrintJob records a queued job's outcome: printed when failure is
// "", failed with that reason otherwise. A job that is not queued is left
// as it is (ErrPrintJobNotQueued).
func (s *Station) FinishPrintJob(ctx context.Context, id int64, failure string) error {
	status := PrintPrinted
	if failure != "" {
		status = PrintFailed
	}
	return s.st.Write(ctx, "printer", func(tx *store.Tx) error {
		r, err := tx.ExecContext(ctx, "UPDATE print_jobs SET status = ?, error = ?, printed = ? WHERE id = ? AND status = 'queued'",
			status, failure, tx.Now().UnixMilli(), id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			var one int
			err := tx.QueryRowContext(ctx, "SELECT 1 FROM print_jobs WHERE id = ?", id).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fail(CodePrintJobNotFound, "id", fmt.Sprint(id))
			}
			if err != nil {
				return err
			}
			return ErrPrintJobNotQueued
		}
		return nil
	})
}

// normalizeWaybill normalizes a waybill number or refuses it.
func normalizeWaybill(raw string) (string, error) {
	wb, err := waybill.Normalize(raw)
	if err != nil {
		return "", &Error{Code: CodeWaybillInvalid, Err: err}
	}
	return wb, nil
}
