package station

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"cunyou/edge/store"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// CollectInput is a parcel received at the centre from a trip: an
// outbound parcel sent from a village (寄件) or an inbound one coming back.
// Carrier is needed only when neither the manifest, an earlier scan nor
// the number tells it; From (the station it came from) and Trip (the
// trip it came on) are optional.
type CollectInput struct {
	Waybill   string `json:"waybill"`
	Direction string `json:"direction"` // out | return
	Carrier   string `json:"carrier,omitempty"`
	From      string `json:"from,omitempty"`
	Trip      string `json:"trip,omitempty"`
}

// CollectResult is the parcel as received.
type CollectResult struct {
	Parcel CentreParcel `json:"parcel"`
	// Repeat: it was already received and waits for its carrier; nothing
	// changed.
	Repeat bool                `json:"repeat"`
	Hints  []waybill.Candidate `json:"carrier_hints,omitempty"`
}

// Collect receives an outbound or returned parcel at the centre
// (parcel.collected); it then waits for its carrier's handover list.
func (s *Station) Collect(ctx context.Context, actor string, in CollectInput) (CollectResult, error) {
	var res CollectResult
	if err := s.centreOnly(); err != nil {
		return res, err
	}
	wb, err := normalizeWaybill(in.Waybill)
	if err != nil {
		return res, err
	}
	if in.Direction != syncproto.CollectedOutbound && in.Direction != syncproto.CollectedReturn {
		return res, fail(CodeDirectionInvalid)
	}
	in.From, in.Trip = strings.TrimSpace(in.From), strings.TrimSpace(in.Trip)
	if in.From != "" && !store.ValidNodeID(in.From) {
		return res, fail(CodeStationInvalid)
	}
	if in.Trip != "" && !validRef(in.Trip) {
		return res, fail(CodeCentreTripIDInvalid)
	}
	res.Hints = waybill.Detect(wb)
	err = s.st.Write(ctx, actor, func(tx *store.Tx) error {
		p, found, err := findCentreParcel(ctx, tx, wb, FlowBack)
		if err != nil {
			return err
		}
		if found {
			if p.Status == StatusHandedOver {
				return s.refuseHandedOver(p)
			}
			res.Parcel, res.Repeat = p, true
			return errRepeat
		}
		ev := syncproto.ParcelCollected{Waybill: wb, Direction: in.Direction, From: in.From, Trip: in.Trip}
		switch {
		case in.Carrier != "":
			ev.Carrier = in.Carrier
		default:
			m, err := centreManifest(ctx, tx, wb)
			if err != nil {
				return err
			}
			inbound, seen, err := findCentreParcel(ctx, tx, wb, FlowIn)
			if err != nil {
				return err
			}
			switch {
			case m != nil && m.Carrier != "":
				ev.Carrier = m.Carrier
			case seen:
				ev.Carrier = inbound.Carrier
			case len(res.Hints) > 0:
				ev.Carrier = res.Hints[0].Code
			}
		}
		c, ok := waybill.Lookup(ev.Carrier)
		if !ok {
			return fail(CodeCarrierUnknown)
		}
		ev.Carrier = c.Code
		op, err := tx.Append(syncproto.KindParcelCollected, ev)
		if err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO centre_parcels (waybill, flow, carrier, status, trip, direction, from_station, scanned_at)
			VALUES (?, 'back', ?, ?, ?, ?, ?, ?)`, wb, ev.Carrier, StatusCollected, ev.Trip, ev.Direction, ev.From, tx.Now().UnixMilli())
		if err != nil {
			return fmt.Errorf("insert collected parcel: %w", err)
		}
		id, _ := r.LastInsertId()
		detail := ev.Direction
		if ev.From != "" {
			detail += " from " + ev.From
		}
		if ev.Trip != "" {
			detail += " trip " + ev.Trip
		}
		if err := addCentreEvent(ctx, tx, id, cevCollected, op.Seq, detail); err != nil {
			return err
		}
		res.Parcel, _, err = findCentreParcel(ctx, tx, wb, FlowBack)
		return err
	})
	if errors.Is(err, errRepeat) {
		return res, nil
	}
	return res, err
}

func (s *Station) refuseHandedOver(p CentreParcel) error {
	return fail(CodeParcelHandedOver, "waybill", p.Waybill, "when", formatTime(*p.HandedAt, s.loc),
		"carrier", p.CarrierName, "list", p.Handover)
}

// CarrierPending is how many collected parcels wait for one carrier.
type CarrierPending struct {
	Carrier     string `json:"carrier"`
	CarrierName string `json:"carrier_name"`
	Parcels     int    `json:"parcels"`
}

// PendingHandovers counts the collected parcels waiting for each carrier.
func (s *Station) PendingHandovers(ctx context.Context) ([]CarrierPending, error) {
	if err := s.centreOnly(); err != nil {
		return nil, err
	}
	rows, err := s.st.DB().QueryContext(ctx, "SELECT carrier, count(*) FROM centre_parcels WHERE status = 'collected' GROUP BY carrier ORDER BY carrier")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []CarrierPending{}
	for rows.Next() {
		var c CarrierPending
		if err := rows.Scan(&c.Carrier, &c.Parcels); err != nil {
			return nil, err
		}
		c.CarrierName = carrierName(c.Carrier)
		out = append(out, c)
	}
	return out, rows.Err()
}

// HandoverLine is one parcel of a handover list.
type HandoverLine struct {
	No          int       `json:"no"`
	Waybill     string    `json:"waybill"`
	Direction   string    `json:"direction"` // out | return
	From        string    `json:"from,omitempty"`
	CollectedAt time.Time `json:"collected_at"`
}

// Handover is a handover list (交接单): parcels given to one carrier's
// courier. A draft has no number yet.
type Handover struct {
	List        string         `json:"list,omitempty"` // HO-20250310-zto-001
	Carrier     string         `json:"carrier"`
	CarrierName string         `json:"carrier_name"`
	Date        string         `json:"date,omitempty"`
	Courier     string         `json:"courier,omitempty"`
	CreatedAt   *time.Time     `json:"created_at,omitempty"`
	Actor       string         `json:"actor,omitempty"`
	Count       int            `json:"count"`
	Lines       []HandoverLine `json:"lines"`
}

func handoverLines(ps []CentreParcel) []HandoverLine {
	lines := make([]HandoverLine, 0, len(ps))
	for i, p := range ps {
		lines = append(lines, HandoverLine{No: i + 1, Waybill: p.Waybill, Direction: p.Direction, From: p.From, CollectedAt: p.ScannedAt})
	}
	return lines
}

// HandoverDraft builds the list of one carrier's collected parcels not
// handed over yet, oldest first: what the courier counts before the list
// is confirmed. It records nothing.
func (s *Station) HandoverDraft(ctx context.Context, carrier string) (Handover, error) {
	var h Handover
	if err := s.centreOnly(); err != nil {
		return h, err
	}
	c, ok := waybill.Lookup(carrier)
	if !ok {
		return h, fail(CodeCarrierUnknown)
	}
	ps, err := queryCentreParcels(ctx, s.st.DB(), "status = 'collected' AND carrier = ? ORDER BY scanned_at, id", c.Code)
	if err != nil {
		return h, err
	}
	h.Carrier, h.CarrierName, h.Lines, h.Count = c.Code, c.Short, handoverLines(ps), len(ps)
	return h, nil
}

// HandoverInput confirms a handover list: the waybills the courier took
// (as counted from the draft) and, optionally, the courier's name.
type HandoverInput struct {
	Carrier  string   `json:"carrier"`
	Courier  string   `json:"courier,omitempty"`
	Waybills []string `json:"waybills"`
}

// ConfirmHandover hands parcels to their carrier on a new handover list
// (parcel.handed_over): one op with every waybill, and a list number
// unique at the centre, HO-YYYYMMDD-carrier-NNN. Every parcel must have
// been collected, not handed over yet, and be the carrier's: all or none.
func (s *Station) ConfirmHandover(ctx context.Context, actor string, in HandoverInput) (Handover, error) {
	var h Handover
	if err := s.centreOnly(); err != nil {
		return h, err
	}
	c, ok := waybill.Lookup(in.Carrier)
	if !ok {
		return h, fail(CodeCarrierUnknown)
	}
	courier, ok := cleanText(in.Courier, 32)
	if !ok {
		return h, fail(CodeCourierInvalid)
	}
	var wbs []string
	for _, raw := range in.Waybills {
		wb, err := normalizeWaybill(raw)
		if err != nil {
			return h, err
		}
		if !slices.Contains(wbs, wb) {
			wbs = append(wbs, wb)
		}
	}
	if len(wbs) == 0 {
		return h, fail(CodeHandoverEmpty)
	}
	date := s.Today()
	var list string
	err := s.st.Write(ctx, actor, func(tx *store.Tx) error {
		ps := make([]CentreParcel, 0, len(wbs))
		for _, wb := range wbs {
			p, found, err := findCentreParcel(ctx, tx, wb, FlowBack)
			if err != nil {
				return err
			}
			switch {
			case !found:
				return fail(CodeParcelNotCollected, "waybill", wb)
			case p.Status == StatusHandedOver:
				return s.refuseHandedOver(p)
			case p.Carrier != c.Code:
				return fail(CodeHandoverCarrier, "waybill", wb, "carrier", p.CarrierName)
			}
			ps = append(ps, p)
		}
		var no int
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(no), 0) + 1 FROM handovers WHERE date = ? AND carrier = ?", date, c.Code).Scan(&no); err != nil {
			return err
		}
		list = fmt.Sprintf("HO-%s-%s-%03d", strings.ReplaceAll(date, "-", ""), c.Code, no)
		op, err := tx.Append(syncproto.KindParcelsHandedOver, syncproto.ParcelsHandedOver{Carrier: c.Code, List: list, Courier: courier, Waybills: wbs})
		if err != nil {
			return err
		}
		now := tx.Now().UnixMilli()
		if _, err := tx.ExecContext(ctx, `INSERT INTO handovers (list, carrier, date, no, courier, parcels, created_at, actor, seq)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, list, c.Code, date, no, courier, len(ps), now, tx.Actor(), op.Seq); err != nil {
			return fmt.Errorf("insert handover: %w", err)
		}
		for _, p := range ps {
			if _, err := tx.ExecContext(ctx, "UPDATE centre_parcels SET status = ?, handover = ?, handed_at = ? WHERE id = ?",
				StatusHandedOver, list, now, p.id); err != nil {
				return err
			}
			if err := addCentreEvent(ctx, tx, p.id, cevHandedOver, op.Seq, list); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return h, err
	}
	return s.HandoverList(ctx, list)
}

const handoverCols = "list, carrier, date, courier, created_at, actor, parcels"

func scanHandover(r scanner) (Handover, error) {
	var h Handover
	var created int64
	if err := r.Scan(&h.List, &h.Carrier, &h.Date, &h.Courier, &created, &h.Actor, &h.Count); err != nil {
		return h, err
	}
	t := time.UnixMilli(created)
	h.CreatedAt, h.CarrierName = &t, carrierName(h.Carrier)
	return h, nil
}

// HandoverList returns a confirmed handover list with its lines, as
// printed.
func (s *Station) HandoverList(ctx context.Context, list string) (Handover, error) {
	if err := s.centreOnly(); err != nil {
		return Handover{}, err
	}
	db := s.st.DB()
	h, err := scanHandover(db.QueryRowContext(ctx, "SELECT "+handoverCols+" FROM handovers WHERE list = ?", list))
	if isNoRows(err) {
		return h, fail(CodeHandoverNotFound, "list", list)
	}
	if err != nil {
		return h, err
	}
	ps, err := queryCentreParcels(ctx, db, "handover = ? ORDER BY scanned_at, id", list)
	if err != nil {
		return h, err
	}
	h.Lines = handoverLines(ps)
	return h, nil
}

// Handovers lists the handover lists of a day (today when date is ""),
// without their lines.
func (s *Station) Handovers(ctx context.Context, date string) ([]Handover, error) {
	if err := s.centreOnly(); err != nil {
		return nil, err
	}
	if date == "" {
		date = s.Today()
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return nil, fail(CodeDateInvalid)
	}
	rows, err := s.st.DB().QueryContext(ctx, "SELECT "+handoverCols+" FROM handovers WHERE date = ? ORDER BY created_at, rowid", date)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Handover{}
	for rows.Next() {
		h, err := scanHandover(rows)
		if err != nil {
			return nil, err
		}
		h.Lines = []HandoverLine{}
		out = append(out, h)
	}
	return out, rows.Err()
}
