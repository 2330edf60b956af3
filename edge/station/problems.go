package station

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"cunyou/edge/store"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// MarkProblem marks a parcel as a problem parcel with a reason code; it
// leaves the pickup lists until it is returned. "other" needs a text.
func (s *Station) MarkProblem(ctx context.Context, actor, rawWaybill, reason, text string) (Parcel, error) {
	var p Parcel
	wb, err := waybill.Normalize(rawWaybill)
	if err != nil {
		return p, &Error{Code: CodeWaybillInvalid, Err: err}
	}
	if !slices.Contains(syncproto.ProblemReasons, reason) {
		return p, fail(CodeReasonInvalid)
	}
	text = strings.TrimSpace(text)
	if reason == syncproto.ReasonOther && text == "" {
		return p, fail(CodeReasonText)
	}
	err = s.st.Write(ctx, actor, func(tx *store.Tx) error {
		cur, found, err := findParcel(ctx, tx, wb, "in")
		if err != nil {
			return err
		}
		if !found {
			if cur, found, err = findParcel(ctx, tx, wb, "out"); err != nil {
				return err
			}
		}
		if !found {
			return fail(CodeParcelNotFound, "waybill", wb)
		}
		next, ok := transition(cur.Status, evProblem)
		if !ok {
			return s.refuseNotHere(cur)
		}
		op, err := tx.Append(syncproto.KindParcelProblem, syncproto.ParcelProblem{Waybill: wb, Reason: reason, Text: text})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE parcels SET status = ?, problem = ? WHERE id = ?", next, reason, cur.id); err != nil {
			return err
		}
		detail := reason
		if text != "" {
			detail += ": " + text
		}
		if err := addEvent(ctx, tx, cur.id, evProblem, op.Seq, detail); err != nil {
			return err
		}
		p, _, err = findParcel(ctx, tx, wb, cur.Direction)
		return err
	})
	return p, err
}

// refuseNotHere explains why a parcel cannot be acted on.
func (s *Station) refuseNotHere(p Parcel) error {
	switch p.Status {
	case StatusPickedUp:
		return fail(CodeParcelPickedUp, "waybill", p.Waybill, "when", formatTime(*p.OutAt, s.loc), "by", p.OutBy)
	case StatusReturning:
		return fail(CodeParcelReturning, "waybill", p.Waybill, "when", formatTime(*p.OutAt, s.loc))
	case StatusProblem:
		return fail(CodeParcelProblem, "waybill", p.Waybill, "reason", p.Problem)
	}
	return fail(CodeParcelNotOnShelf, "waybill", p.Waybill)
}

// Problems lists the problem parcels still at the station.
func (s *Station) Problems(ctx context.Context) ([]Parcel, error) {
	return queryParcels(ctx, s.st.DB(), "status = ? ORDER BY in_at", StatusProblem)
}

// Settings are the station's rules for overdue parcels and for the ID
// card at pickup.
type Settings struct {
	OverdueDays int `json:"overdue_days"` // a reminder is due after this many days
	ReturnDays  int `json:"return_days"`  // the parcel is due back after this many
	// IDForProxy: a proxy (someone collecting another's parcels) must have
	// their ID card read on the reader.
	IDForProxy bool `json:"id_for_proxy"`
	// IDHighValue: whoever collects a parcel declared at IDValueYuan or
	// more must have their ID card read.
	IDHighValue bool `json:"id_high_value"`
	IDValueYuan int  `json:"id_value_yuan"`
}

// DefaultSettings apply until the owner changes them.
var DefaultSettings = Settings{OverdueDays: 3, ReturnDays: 7, IDForProxy: true, IDValueYuan: 1000}

// maxIDValueYuan bounds the value rule's threshold.
const maxIDValueYuan = 1000000

// Settings returns the station's settings.
func (s *Station) Settings(ctx context.Context) (Settings, error) {
	st := DefaultSettings
	rows, err := s.st.DB().QueryContext(ctx, "SELECT key, value FROM settings")
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return st, err
		}
		n, _ := strconv.Atoi(v)
		switch k {
		case "overdue_days":
			st.OverdueDays = n
		case "return_days":
			st.ReturnDays = n
		case "id_for_proxy":
			st.IDForProxy = n != 0
		case "id_high_value":
			st.IDHighValue = n != 0
		case "id_value_yuan":
			st.IDValueYuan = n
		}
	}
	return st, rows.Err()
}

// SetSettings changes the station's settings.
func (s *Station) SetSettings(ctx context.Context, actor string, st Settings) error {
	if st.IDValueYuan == 0 && !st.IDHighValue {
		st.IDValueYuan = DefaultSettings.IDValueYuan
	}
	if st.OverdueDays < 1 || st.ReturnDays < st.OverdueDays || st.ReturnDays > 90 || st.IDValueYuan < 1 || st.IDValueYuan > maxIDValueYuan {
		return fail(CodeSettingsInvalid)
	}
	return s.st.Write(ctx, actor, func(tx *store.Tx) error {
		for k, v := range map[string]int{"overdue_days": st.OverdueDays, "return_days": st.ReturnDays,
			"id_for_proxy": b2i(st.IDForProxy), "id_high_value": b2i(st.IDHighValue), "id_value_yuan": st.IDValueYuan} {
			if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", k, strconv.Itoa(v)); err != nil {
				return err
			}
		}
		_, err := tx.Append(syncproto.KindSettingsSet, syncproto.SettingsSet{OverdueDays: st.OverdueDays, ReturnDays: st.ReturnDays,
			IDForProxy: st.IDForProxy, IDHighValue: st.IDHighValue, IDValueYuan: st.IDValueYuan})
		return err
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// OverdueParcel is a parcel waiting longer than the overdue limit.
type OverdueParcel struct {
	Parcel
	Days        int       `json:"days"`
	ReminderDue time.Time `json:"reminder_due"`
	ReturnDue   time.Time `json:"return_due"`
	ReturnNow   bool      `json:"return_now"` // the return date has passed
}

// Overdue lists parcels on the shelves for more than the overdue limit,
// oldest first, with their reminder and return dates.
func (s *Station) Overdue(ctx context.Context) ([]OverdueParcel, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	now := s.st.Now()
	day := 24 * time.Hour
	cutoff := now.Add(-time.Duration(st.OverdueDays) * day).UnixMilli()
	ps, err := queryParcels(ctx, s.st.DB(), "shelf IS NOT NULL AND in_at <= ? ORDER BY in_at", cutoff)
	if err != nil {
		return nil, err
	}
	out := make([]OverdueParcel, 0, len(ps))
	for _, p := range ps {
		o := OverdueParcel{
			Parcel:      p,
			Days:        int(now.Sub(p.InAt) / day),
			ReminderDue: p.InAt.Add(time.Duration(st.OverdueDays) * day),
			ReturnDue:   p.InAt.Add(time.Duration(st.ReturnDays) * day),
		}
		o.ReturnNow = !now.Before(o.ReturnDue)
		out = append(out, o)
	}
	return out, nil
}

// Return marks parcels to go back to the centre, freeing their slots. All
// or none.
func (s *Station) Return(ctx context.Context, actor string, waybills []string, reason string) ([]Parcel, error) {
	if len(waybills) == 0 {
		return nil, fail(CodeBadRequest)
	}
	if reason == "" {
		reason = "overdue"
	}
	if reason != "overdue" && !slices.Contains(syncproto.ProblemReasons, reason) {
		return nil, fail(CodeReasonInvalid)
	}
	var out []Parcel
	err := s.st.Write(ctx, actor, func(tx *store.Tx) error {
		ps, err := s.parcelsFor(ctx, tx, waybills, evReturning)
		if err != nil {
			return err
		}
		ev := syncproto.ParcelsReturned{Reason: reason}
		for _, p := range ps {
			ev.Waybills = append(ev.Waybills, p.Waybill)
		}
		op, err := tx.Append(syncproto.KindParcelsReturned, ev)
		if err != nil {
			return err
		}
		out, err = takeOffShelf(ctx, tx, ps, StatusReturning, evReturning, reason, op.Seq, func(Parcel) string { return "" })
		return err
	})
	return out, err
}

// parcelsFor loads the inbound parcels named by raw waybill numbers, once
// each, and checks that every one can take event ev; the first that cannot
// refuses the whole action.
func (s *Station) parcelsFor(ctx context.Context, tx *store.Tx, raws []string, ev string) ([]Parcel, error) {
	var ps []Parcel
	seen := map[string]bool{}
	for _, raw := range raws {
		wb, err := waybill.Normalize(raw)
		if err != nil {
			return nil, &Error{Code: CodeWaybillInvalid, Err: err}
		}
		if seen[wb] {
			continue
		}
		seen[wb] = true
		p, found, err := findParcel(ctx, tx, wb, "in")
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, fail(CodeParcelNotFound, "waybill", wb)
		}
		if _, ok := transition(p.Status, ev); !ok {
			return nil, s.refuseNotHere(p)
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// takeOffShelf records event ev for each parcel leaving the shelves, frees
// its slot and returns the parcels as they now are. by describes who took
// each one ("" when nobody did: the event then notes reason).
func takeOffShelf(ctx context.Context, tx *store.Tx, ps []Parcel, status, ev, reason string, seq uint64, by func(Parcel) string) ([]Parcel, error) {
	now := tx.Now().UnixMilli()
	out := make([]Parcel, 0, len(ps))
	for _, p := range ps {
		who := by(p)
		if _, err := tx.ExecContext(ctx, `UPDATE parcels SET status = ?, shelf = NULL, layer = NULL, out_at = ?, out_by = nullif(?, ''),
			out_operator = ? WHERE id = ?`, status, now, who, tx.Actor(), p.id); err != nil {
			return nil, err
		}
		if err := freeSlot(ctx, tx, p.Shelf, p.Layer); err != nil {
			return nil, err
		}
		detail := who
		if detail == "" {
			detail = reason
		}
		if err := addEvent(ctx, tx, p.id, ev, seq, detail); err != nil {
			return nil, err
		}
		p2, _, err := findParcel(ctx, tx, p.Waybill, "in")
		if err != nil {
			return nil, err
		}
		out = append(out, p2)
	}
	return out, nil
}
