package station

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"cunyou/edge/store"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// InboundInput is one scan at inbound. Carrier, ReceiverPhone and
// ReceiverName are needed only when the hub's manifest lacks the parcel;
// given, they override it.
type InboundInput struct {
	Waybill       string `json:"waybill"`
	Carrier       string `json:"carrier,omitempty"`
	ReceiverPhone string `json:"receiver_phone,omitempty"`
	ReceiverName  string `json:"receiver_name,omitempty"`
}

// InboundResult is the parcel as shelved.
type InboundResult struct {
	Parcel    Parcel              `json:"parcel"`
	Repeat    bool                `json:"repeat"`    // it was already in: nothing changed
	Prefilled bool                `json:"prefilled"` // receiver came from the manifest
	Hints     []waybill.Candidate `json:"carrier_hints,omitempty"`
}

// ManifestEntry is a parcel the hub announced for this station.
type ManifestEntry = syncproto.ManifestEntry

// ApplyManifest stores parcels announced by the hub, replacing earlier
// announcements of the same waybills: all or none. It records no op: the
// facts are the hub's, arriving by downstream sync.
func (s *Station) ApplyManifest(ctx context.Context, entries []ManifestEntry) error {
	clean := make([]ManifestEntry, len(entries))
	for i, e := range entries {
		var err error
		if clean[i], err = checkManifest(e); err != nil {
			return err
		}
	}
	return s.st.Write(ctx, "hub", func(tx *store.Tx) error {
		for _, e := range clean {
			if err := upsertManifest(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkManifest normalizes an announced parcel's waybill and phone.
func checkManifest(e ManifestEntry) (ManifestEntry, error) {
	wb, err := waybill.Normalize(e.Waybill)
	if err != nil {
		return e, fmt.Errorf("manifest waybill %q: %w", e.Waybill, err)
	}
	phone, ok := normalizePhone(e.ReceiverPhone)
	if !ok {
		return e, fmt.Errorf("manifest %s: bad receiver phone", wb)
	}
	e.Waybill, e.ReceiverPhone = wb, phone
	return e, nil
}

// upsertManifest stores a checked entry inside tx.
func upsertManifest(ctx context.Context, tx *store.Tx, e ManifestEntry) error {
	_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO manifest (waybill, carrier, receiver_name, receiver_phone, address, weight_g, value_fen, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.Waybill, e.Carrier, e.ReceiverName, e.ReceiverPhone, e.Address, e.WeightGrams, max(e.ValueFen, 0),
		tx.Now().UnixMilli())
	if err != nil || e.ValueFen <= 0 {
		return err
	}
	// A parcel scanned in before its manifest came (the link was down)
	// takes the declared value now: the ID-card rule at pickup reads it.
	_, err = tx.ExecContext(ctx, "UPDATE parcels SET value_fen = ? WHERE waybill = ? AND direction = 'in' AND shelf IS NOT NULL",
		e.ValueFen, e.Waybill)
	return err
}

// DetectCarrier returns carrier hints for a scanned number, with whether
// the hub's manifest already knows it.
func (s *Station) DetectCarrier(ctx context.Context, raw string) (string, []waybill.Candidate, *ManifestEntry, error) {
	wb, err := waybill.Normalize(raw)
	if err != nil {
		return "", nil, nil, &Error{Code: CodeWaybillInvalid, Err: err}
	}
	m, err := lookupManifest(ctx, s.st.DB(), wb)
	if err != nil {
		return "", nil, nil, err
	}
	if m != nil {
		m.ReceiverPhone = MaskPhone(m.ReceiverPhone)
	}
	return wb, waybill.Detect(wb), m, nil
}

func lookupManifest(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, wb string) (*ManifestEntry, error) {
	var m ManifestEntry
	err := q.QueryRowContext(ctx, "SELECT waybill, carrier, receiver_name, receiver_phone, address, weight_g, value_fen FROM manifest WHERE waybill = ?", wb).
		Scan(&m.Waybill, &m.Carrier, &m.ReceiverName, &m.ReceiverPhone, &m.Address, &m.WeightGrams, &m.ValueFen)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// Inbound shelves one scanned parcel: slot and pickup code assigned, the
// parcel, its event and its op committed together. Scanning a parcel that
// is already in changes nothing and says so; one whose inbound was undone
// is shelved again.
func (s *Station) Inbound(ctx context.Context, actor string, in InboundInput) (InboundResult, error) {
	var res InboundResult
	wb, err := waybill.Normalize(in.Waybill)
	if err != nil {
		return res, &Error{Code: CodeWaybillInvalid, Err: err}
	}
	res.Hints = waybill.Detect(wb)
	err = s.st.Write(ctx, actor, func(tx *store.Tx) error {
		p, found, err := findParcel(ctx, tx, wb, "in")
		if err != nil {
			return err
		}
		if found && p.Status != StatusUndone {
			return s.refuseKnown(p, &res)
		}
		m, err := lookupManifest(ctx, tx, wb)
		if err != nil {
			return err
		}
		ev := syncproto.ParcelInbound{Waybill: wb}
		var valueFen int
		if m != nil {
			valueFen = m.ValueFen
			ev.Carrier, ev.ReceiverName, ev.ReceiverPhone, ev.Manifested = m.Carrier, m.ReceiverName, m.ReceiverPhone, true
			res.Prefilled = true
		}
		if in.ReceiverPhone != "" {
			phone, ok := normalizePhone(in.ReceiverPhone)
			if !ok {
				return fail(CodePhoneInvalid)
			}
			ev.ReceiverPhone, ev.ReceiverName, ev.Manifested, res.Prefilled = phone, strings.TrimSpace(in.ReceiverName), false, false
		} else if name := strings.TrimSpace(in.ReceiverName); name != "" {
			ev.ReceiverName = name
		}
		if ev.ReceiverPhone == "" {
			return fail(CodeReceiverRequired)
		}
		if in.Carrier != "" {
			ev.Carrier = in.Carrier
		}
		if ev.Carrier == "" && len(res.Hints) > 0 {
			ev.Carrier = res.Hints[0].Code
		}
		c, ok := waybill.Lookup(ev.Carrier)
		if !ok {
			return fail(CodeCarrierUnknown)
		}
		ev.Carrier = c.Code
		if ev.Shelf, ev.Layer, err = takeSlot(ctx, tx); err != nil {
			return err
		}
		var codeNum int
		if ev.Code, codeNum, err = newCode(ctx, tx, ev.Shelf, ev.Layer); err != nil {
			return err
		}
		op, err := tx.Append(syncproto.KindParcelInbound, ev)
		if err != nil {
			return err
		}
		id := p.id
		if found {
			// Undone before: the same row takes the new scan.
			_, err = tx.ExecContext(ctx, `UPDATE parcels SET carrier = ?, status = ?, receiver_name = ?, receiver_phone = ?, phone_tail = ?,
				shelf = ?, layer = ?, code = ?, code_num = ?, in_at = ?, out_at = NULL, out_by = NULL, out_operator = NULL, problem = '',
				value_fen = ? WHERE id = ?`,
				ev.Carrier, StatusAtStation, ev.ReceiverName, ev.ReceiverPhone, ev.ReceiverPhone[len(ev.ReceiverPhone)-4:],
				ev.Shelf, ev.Layer, ev.Code, codeNum, tx.Now().UnixMilli(), valueFen, id)
			if err != nil {
				return fmt.Errorf("shelve parcel again: %w", err)
			}
		} else {
			r, err := tx.ExecContext(ctx, `INSERT INTO parcels (waybill, direction, carrier, status, receiver_name, receiver_phone, phone_tail,
				shelf, layer, code, code_num, in_at, value_fen) VALUES (?, 'in', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				wb, ev.Carrier, StatusAtStation, ev.ReceiverName, ev.ReceiverPhone, ev.ReceiverPhone[len(ev.ReceiverPhone)-4:],
				ev.Shelf, ev.Layer, ev.Code, codeNum, tx.Now().UnixMilli(), valueFen)
			if err != nil {
				return fmt.Errorf("insert parcel: %w", err)
			}
			id, _ = r.LastInsertId()
		}
		if err := addEvent(ctx, tx, id, evInbound, op.Seq, ev.Code); err != nil {
			return err
		}
		if err := s.queuePickupSticker(ctx, tx, ev); err != nil {
			return err
		}
		res.Parcel, _, err = findParcel(ctx, tx, wb, "in")
		return err
	})
	if errors.Is(err, errRepeat) {
		return res, nil
	}
	return res, err
}

var errRepeat = errors.New("repeat scan")

// refuseKnown answers a scan of a parcel the station already has: a repeat
// when it is still here, a refusal naming what happened otherwise.
func (s *Station) refuseKnown(p Parcel, res *InboundResult) error {
	switch p.Status {
	case StatusAtStation, StatusProblem:
		res.Parcel, res.Repeat = p, true
		return errRepeat
	case StatusPickedUp:
		return fail(CodeParcelPickedUp, "when", formatTime(*p.OutAt, s.loc), "by", p.OutBy)
	default:
		return fail(CodeParcelReturning, "when", formatTime(*p.OutAt, s.loc))
	}
}

// BatchItem is one parcel's outcome in a batch inbound.
type BatchItem struct {
	Waybill string            `json:"waybill"`
	Result  *InboundResult    `json:"result,omitempty"`
	Code    Code              `json:"code,omitempty"`
	Args    map[string]string `json:"args,omitempty"`
	Err     error             `json:"-"`
}

// InboundBatch shelves a whole bag, each parcel in its own transaction so
// that one bad waybill stops nothing else.
func (s *Station) InboundBatch(ctx context.Context, actor string, items []InboundInput) []BatchItem {
	out := make([]BatchItem, len(items))
	for i, in := range items {
		out[i].Waybill = in.Waybill
		res, err := s.Inbound(ctx, actor, in)
		if err != nil {
			out[i].Code, out[i].Args, out[i].Err = CodeOf(err), ArgsOf(err), err
			continue
		}
		out[i].Result = &res
	}
	return out
}
