package station

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"cunyou/edge/store"
	"cunyou/syncproto"
)

// The arrival SMS a station sends itself. The hub sends every arrival SMS
// once a parcel's inbound op reaches it. A station whose link is down, but
// whose LTE modem still sends SMS, sends them itself for the parcels whose
// inbound op the hub has not acknowledged within a while (edge/notify),
// and records that in a parcel.notified op, so the hub sends none of its
// own. These are the station's side: which parcels are owed one, and the
// record of sending, before and after the modem has the message.

// Arrival is a parcel on the shelves whose arrival SMS the hub may not
// have sent.
type Arrival struct {
	Waybill string
	Carrier string
	Phone   string
	Code    string
	InAt    time.Time
}

// UnsentArrivals lists the parcels on the shelves, scanned in before
// before, with a receiver's phone, whose inbound op the hub has not
// acknowledged and whose SMS the station has not sent: by phone, oldest
// first. An event's seq is that of its incarnation's op: after a restore
// the same numbers are issued again, so the op is looked up in the outbox
// of every incarnation (an op the hub has not acknowledged is never
// pruned), and checked against that incarnation's acknowledgement.
func (s *Station) UnsentArrivals(ctx context.Context, before time.Time) ([]Arrival, error) {
	rows, err := s.st.DB().QueryContext(ctx, `SELECT p.waybill, p.carrier, p.receiver_phone, p.code, p.in_at
		FROM parcels p JOIN events e ON e.parcel_id = p.id AND e.kind = ?
		WHERE p.direction = 'in' AND p.shelf IS NOT NULL AND p.receiver_phone <> '' AND p.in_at <= ?
		AND EXISTS (SELECT 1 FROM incarnations i
			CROSS JOIN outbox o ON o.incarnation = i.incarnation AND o.seq = e.seq
			LEFT JOIN sync_acks a ON a.incarnation = i.incarnation
			WHERE o.seq > coalesce(a.acked_seq, 0) AND o.kind = ?
			AND json_extract(CAST(o.payload AS TEXT), '$.waybill') = p.waybill)
		AND NOT EXISTS (SELECT 1 FROM station_sms m WHERE m.waybill = p.waybill)
		ORDER BY p.receiver_phone, p.in_at, p.id`, evInbound, before.UnixMilli(), string(syncproto.KindParcelInbound))
	if err != nil {
		return nil, fmt.Errorf("read unsent arrivals: %w", err)
	}
	defer rows.Close()
	var out []Arrival
	seen := map[string]bool{} // a waybill scanned in again has two inbound events
	for rows.Next() {
		var a Arrival
		var in int64
		if err := rows.Scan(&a.Waybill, &a.Carrier, &a.Phone, &a.Code, &in); err != nil {
			return nil, err
		}
		if seen[a.Waybill] {
			continue
		}
		seen[a.Waybill] = true
		a.InAt = time.UnixMilli(in)
		out = append(out, a)
	}
	return out, rows.Err()
}

// ErrArrivalGone: a parcel of a message about to go is no longer on the
// shelves (its inbound was undone, or it was handed out meanwhile); the
// message is not sent, and the next pass lists what is still owed.
var ErrArrivalGone = errors.New("parcel no longer on the shelves")

// SendingSMS records, before the modem gets it, that one message with
// text goes to phone for waybills, each still on the shelves
// (ErrArrivalGone otherwise).
func (s *Station) SendingSMS(ctx context.Context, phone, text string, waybills []string) error {
	return s.st.Write(ctx, "station", func(tx *store.Tx) error {
		var on int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM parcels WHERE direction = 'in' AND shelf IS NOT NULL AND waybill IN (?"+
			strings.Repeat(", ?", len(waybills)-1)+")", anySlice(waybills)...).Scan(&on); err != nil {
			return err
		}
		if on != len(waybills) {
			return ErrArrivalGone
		}
		for _, wb := range waybills {
			if _, err := tx.ExecContext(ctx, `INSERT INTO station_sms (waybill, phone, state, message, text, at_ms)
				VALUES (?, ?, 'sending', ?, ?, ?)`, wb, phone, waybills[0], text, tx.Now().UnixMilli()); err != nil {
				return fmt.Errorf("record sms: %w", err)
			}
		}
		return nil
	})
}

// SentSMS records that the message of waybills went (uncertain: a stop
// caught it mid-send), with the parcel.notified op, in one transaction.
func (s *Station) SentSMS(ctx context.Context, waybills []string, parts int, uncertain bool) error {
	return s.st.Write(ctx, "station", func(tx *store.Tx) error {
		for _, wb := range waybills {
			if _, err := tx.ExecContext(ctx, "UPDATE station_sms SET state = 'sent', at_ms = ? WHERE waybill = ?", tx.Now().UnixMilli(), wb); err != nil {
				return fmt.Errorf("record sms: %w", err)
			}
		}
		_, err := tx.Append(syncproto.KindParcelsNotified, syncproto.ParcelsNotified{Waybills: waybills, Via: "modem", Parts: parts,
			Uncertain: uncertain})
		return err
	})
}

// FailedSMS records that the modem refused the message of waybills: for
// now (it is tried again) or, when permanent (a bad number), for good (no
// op: the hub sends its own once the link is back).
func (s *Station) FailedSMS(ctx context.Context, waybills []string, permanent bool) error {
	q := "DELETE FROM station_sms"
	if permanent {
		q = "UPDATE station_sms SET state = 'failed'"
	}
	return s.st.Write(ctx, "station", func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, q+" WHERE state = 'sending' AND waybill IN (?"+strings.Repeat(", ?", len(waybills)-1)+")",
			anySlice(waybills)...)
		return err
	})
}

// InterruptedSMS lists the messages a stop caught mid-send: each message's
// waybills, by its first.
func (s *Station) InterruptedSMS(ctx context.Context) (map[string][]string, error) {
	rows, err := s.st.DB().QueryContext(ctx, "SELECT message, waybill FROM station_sms WHERE state = 'sending' ORDER BY message, waybill")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var m, wb string
		if err := rows.Scan(&m, &wb); err != nil {
			return nil, err
		}
		out[m] = append(out[m], wb)
	}
	return out, rows.Err()
}

// SentSMSCount is how many parcels' arrival SMS the station sent itself.
func (s *Station) SentSMSCount(ctx context.Context) (int, error) {
	var n int
	err := s.st.DB().QueryRowContext(ctx, "SELECT count(*) FROM station_sms WHERE state = 'sent'").Scan(&n)
	if err == sql.ErrNoRows {
		err = nil
	}
	return n, err
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
