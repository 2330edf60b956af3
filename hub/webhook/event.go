package webhook

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// Event is a parcel event for one carrier.
type Event struct {
	// ID identifies the event for good: the same fact enqueued again
	// (a merge retried, an op received twice) carries the same ID, e.g.
	// "at_station/<waybill>/<op ref>", and is delivered once. Receivers
	// dedupe by it. At most 200 bytes.
	ID string
	// Carrier is the carrier (or shop) the event is for; its endpoint
	// comes from Endpoints.
	Carrier string
	// Kind is the event's type: at_station, picked_up, problem, returned,
	// handed_over, … Lowercase letters, digits, '_' and '.'.
	Kind string
	// Waybill is the parcel's waybill number, for listing deliveries.
	Waybill string
	// OccurredAt is when the fact happened; the body's created_at.
	OccurredAt time.Time
	// Data is the event's payload, marshalled with encoding/json; it must
	// be a JSON object (nil sends {}). Masked personal data only.
	Data any
}

const maxEventID = 200

// envelope is the body of every delivery.
type envelope struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt string          `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// createdAtLayout is RFC 3339 in UTC with milliseconds.
const createdAtLayout = "2006-01-02T15:04:05.000Z07:00"

// Body returns the JSON bytes that a delivery of ev sends.
func (ev Event) Body() ([]byte, error) {
	if err := ev.validate(); err != nil {
		return nil, err
	}
	data := []byte("{}")
	if ev.Data != nil {
		var err error
		if data, err = marshal(ev.Data); err != nil {
			return nil, fmt.Errorf("%w: data: %v", ErrInvalid, err)
		}
		if len(data) == 0 || data[0] != '{' {
			return nil, fmt.Errorf("%w: data must be a JSON object", ErrInvalid)
		}
	}
	b, err := marshal(envelope{ID: ev.ID, Type: ev.Kind, CreatedAt: ev.OccurredAt.UTC().Format(createdAtLayout), Data: data})
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	return b, nil
}

// marshal is json.Marshal without escaping <, > and &: the body is no
// HTML, and receivers read it as it is.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func (ev Event) validate() error {
	switch {
	case ev.ID == "" || len(ev.ID) > maxEventID || !utf8.ValidString(ev.ID):
		return fmt.Errorf("%w: id must be 1..%d bytes of UTF-8", ErrInvalid, maxEventID)
	case ev.Carrier == "":
		return fmt.Errorf("%w: no carrier", ErrInvalid)
	case !validKind(ev.Kind):
		return fmt.Errorf("%w: kind %q", ErrInvalid, ev.Kind)
	case ev.OccurredAt.IsZero():
		return fmt.Errorf("%w: no time", ErrInvalid)
	}
	return nil
}

// validKind keeps the kind a plain word: it travels in a header.
func validKind(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, c := range []byte(k) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Enqueue queues ev for delivery to its carrier inside the caller's write
// transaction tx, so the delivery exists if and only if the fact that
// caused it commits. Call Notify after the commit to send it at once.
//
// A carrier with no endpoint gets nothing (nil is returned). An event
// already queued for the carrier (same ID) is left as it is. An error
// from Endpoints is returned, failing the caller's transaction: whether
// to queue cannot be decided, and the caller retries the whole
// transaction. Endpoints must not write through the store (Enqueue runs
// inside its one writer).
func (d *Dispatcher) Enqueue(ctx context.Context, tx *sql.Tx, ev Event) error {
	body, err := ev.Body()
	if err != nil {
		return err
	}
	_, _, ok, err := d.ep.Endpoint(ctx, ev.Carrier)
	if err != nil {
		return fmt.Errorf("look up endpoint of %s: %w", ev.Carrier, err)
	}
	if !ok {
		return nil
	}
	now := d.now().UnixMilli()
	_, err = tx.ExecContext(ctx, `INSERT INTO webhook_deliveries
		(carrier, event_id, kind, waybill, body, status, next_attempt_ms, created_ms, series_ms)
		VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)
		ON CONFLICT (carrier, event_id) DO NOTHING`,
		ev.Carrier, ev.ID, ev.Kind, ev.Waybill, body, now, now, now)
	if err != nil {
		return fmt.Errorf("queue webhook: %w", err)
	}
	return nil
}
