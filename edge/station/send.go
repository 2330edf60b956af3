package station

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"cunyou/edge/store"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// Tariff prices one carrier's parcels to one province (or "*" for any):
// the first FirstGrams cost FirstFen, each further StepGrams or part of it
// StepFen.
type Tariff = syncproto.Tariff

// Price returns the price in fen of a parcel of weight grams under t.
func Price(t Tariff, grams int) int {
	if grams <= t.FirstGrams {
		return t.FirstFen
	}
	steps := (grams - t.FirstGrams + t.StepGrams - 1) / t.StepGrams
	return t.FirstFen + steps*t.StepFen
}

// WaybillRange is a block of waybill numbers a carrier gave the station:
// Prefix followed by Next..Last zero-padded to Width digits.
type WaybillRange = syncproto.WaybillRange

// ApplyTariffs replaces the tariff table (downstream from the hub; no op).
func (s *Station) ApplyTariffs(ctx context.Context, ts []Tariff) error {
	if err := checkTariffs(ts); err != nil {
		return err
	}
	return s.st.Write(ctx, "hub", func(tx *store.Tx) error { return replaceTariffs(ctx, tx, ts) })
}

func checkTariffs(ts []Tariff) error {
	seen := map[[2]string]bool{}
	for _, t := range ts {
		if t.StepGrams <= 0 || t.FirstGrams < 0 || t.FirstFen < 0 || t.StepFen < 0 || t.Carrier == "" || t.Province == "" {
			return fmt.Errorf("tariff %s/%s: invalid", t.Carrier, t.Province)
		}
		k := [2]string{t.Carrier, t.Province}
		if seen[k] {
			return fmt.Errorf("tariff %s/%s: given twice", t.Carrier, t.Province)
		}
		seen[k] = true
	}
	return nil
}

// replaceTariffs replaces the tariff table with checked tariffs inside tx.
func replaceTariffs(ctx context.Context, tx *store.Tx, ts []Tariff) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM tariffs"); err != nil {
		return err
	}
	for _, t := range ts {
		if _, err := tx.ExecContext(ctx, "INSERT INTO tariffs (carrier, province, first_g, first_fen, step_g, step_fen) VALUES (?, ?, ?, ?, ?, ?)",
			t.Carrier, t.Province, t.FirstGrams, t.FirstFen, t.StepGrams, t.StepFen); err != nil {
			return err
		}
	}
	return nil
}

// ApplyWaybillRange adds a block of waybill numbers or updates its end
// (downstream from the hub; no op). Numbers already taken from the block
// are never handed out again.
func (s *Station) ApplyWaybillRange(ctx context.Context, r WaybillRange) error {
	if err := checkWaybillRange(r); err != nil {
		return err
	}
	return s.st.Write(ctx, "hub", func(tx *store.Tx) error { return upsertWaybillRange(ctx, tx, r) })
}

func checkWaybillRange(r WaybillRange) error {
	if r.Next > r.Last || r.Width < len(strconv.FormatInt(r.Last, 10)) || r.Carrier == "" {
		return fmt.Errorf("waybill range %s%d-%d: invalid", r.Prefix, r.Next, r.Last)
	}
	return nil
}

// upsertWaybillRange stores a checked block inside tx. A block sent again
// keeps the numbers already taken from it: its next number never goes
// back, so applying the same block twice hands out no number twice.
func upsertWaybillRange(ctx context.Context, tx *store.Tx, r WaybillRange) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO waybill_ranges (carrier, prefix, next, last, width) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (carrier, prefix) DO UPDATE SET next = max(next, excluded.next), last = excluded.last, width = excluded.width`,
		r.Carrier, r.Prefix, r.Next, r.Last, r.Width)
	return err
}

// Quote prices a parcel to send.
func (s *Station) Quote(ctx context.Context, carrier, province string, grams int) (int, error) {
	if grams <= 0 || grams > 100_000 {
		return 0, fail(CodeWeightInvalid)
	}
	t, err := findTariff(ctx, s.st.DB(), carrier, province)
	if err != nil {
		return 0, err
	}
	return Price(t, grams), nil
}

func findTariff(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, carrier, province string) (Tariff, error) {
	t := Tariff{Carrier: carrier}
	err := q.QueryRowContext(ctx, `SELECT province, first_g, first_fen, step_g, step_fen FROM tariffs
		WHERE carrier = ? AND province IN (?, '*') ORDER BY province = '*' LIMIT 1`, carrier, province).
		Scan(&t.Province, &t.FirstGrams, &t.FirstFen, &t.StepGrams, &t.StepFen)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fail(CodeNoTariff, "carrier", carrier, "province", province)
	}
	return t, err
}

// SendInput is a parcel accepted to send (寄件).
type SendInput struct {
	Carrier     string     `json:"carrier"`
	Waybill     string     `json:"waybill,omitempty"` // empty: take the next from the carrier's range
	Sender      PartyInput `json:"sender"`
	Receiver    PartyInput `json:"receiver"`
	WeightGrams int        `json:"weight_g"`

	// card is the sender's identity as the ID-card reader read it
	// (SendWithCard); Sender.IDNumber is then not used.
	card *CardIdentity
}

// PartyInput is a sender or receiver as entered.
type PartyInput struct {
	Name     string `json:"name"`
	Phone    string `json:"phone"`
	IDNumber string `json:"id_number,omitempty"` // sender only: required by real-name rules
	Province string `json:"province,omitempty"`
	Address  string `json:"address,omitempty"`
}

// Send accepts a parcel to send: the sender's real-name check, the price
// from the tariff table and a waybill number, committed with its op.
func (s *Station) Send(ctx context.Context, actor string, in SendInput) (Parcel, error) {
	var p Parcel
	c, ok := waybill.Lookup(in.Carrier)
	if !ok {
		return p, fail(CodeCarrierUnknown)
	}
	in.Carrier = c.Code
	id, err := s.senderID(in)
	if err != nil {
		return p, err
	}
	ev := syncproto.ParcelAccepted{Carrier: in.Carrier, WeightGrams: in.WeightGrams}
	for _, pair := range []struct {
		in  PartyInput
		out *syncproto.Party
	}{{in.Sender, &ev.Sender}, {in.Receiver, &ev.Receiver}} {
		name := strings.TrimSpace(pair.in.Name)
		if name == "" {
			return p, fail(CodeNameRequired)
		}
		phone, ok := normalizePhone(pair.in.Phone)
		if !ok {
			return p, fail(CodePhoneInvalid)
		}
		*pair.out = syncproto.Party{Name: name, Phone: phone, Province: strings.TrimSpace(pair.in.Province), Address: strings.TrimSpace(pair.in.Address)}
	}
	ev.Sender.IDHash, ev.Sender.IDLast4 = s.hashID(id.Full()), id.Last4()
	if ev.Receiver.Province == "" || ev.Receiver.Address == "" {
		return p, fail(CodeBadRequest, "field", "receiver.address")
	}
	if in.WeightGrams <= 0 || in.WeightGrams > 100_000 {
		return p, fail(CodeWeightInvalid)
	}
	err = s.st.Write(ctx, actor, func(tx *store.Tx) error {
		t, err := findTariff(ctx, tx, in.Carrier, ev.Receiver.Province)
		if err != nil {
			return err
		}
		ev.PriceFen = Price(t, in.WeightGrams)
		if in.Waybill != "" {
			wb, err := waybill.Normalize(in.Waybill)
			if err != nil {
				return &Error{Code: CodeWaybillInvalid, Err: err}
			}
			if !waybill.Valid(in.Carrier, wb) {
				return fail(CodeCarrierMismatch)
			}
			ev.Waybill, ev.WaybillSource = wb, "entered"
			if _, found, err := findParcel(ctx, tx, wb, "out"); err != nil || found {
				if found {
					return fail(CodeWaybillExists, "waybill", wb)
				}
				return err
			}
		} else {
			// Numbers of the range entered by hand earlier are skipped.
			for {
				if ev.Waybill, err = takeWaybill(ctx, tx, in.Carrier); err != nil {
					return err
				}
				_, used, err := findParcel(ctx, tx, ev.Waybill, "out")
				if err != nil {
					return err
				}
				if !used {
					break
				}
			}
			ev.WaybillSource = "range"
		}
		op, err := tx.Append(syncproto.KindParcelAccepted, acceptedPayload(ev, in.card))
		if err != nil {
			return err
		}
		if in.card != nil {
			if err := s.sealCardPhoto(ctx, tx, ev.Waybill, in.card.Photo); err != nil {
				return err
			}
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO parcels (waybill, direction, carrier, status, receiver_name, receiver_phone, phone_tail, in_at, weight_g, price_fen)
			VALUES (?, 'out', ?, ?, ?, ?, ?, ?, ?, ?)`, ev.Waybill, ev.Carrier, StatusAccepted, ev.Receiver.Name, ev.Receiver.Phone,
			ev.Receiver.Phone[7:], tx.Now().UnixMilli(), ev.WeightGrams, ev.PriceFen)
		if err != nil {
			return err
		}
		pid, _ := r.LastInsertId()
		if err := addEvent(ctx, tx, pid, evAccepted, op.Seq, ""); err != nil {
			return err
		}
		p, _, err = findParcel(ctx, tx, ev.Waybill, "out")
		return err
	})
	return p, err
}

// takeWaybill allocates the next number from the carrier's ranges.
func takeWaybill(ctx context.Context, tx *store.Tx, carrier string) (string, error) {
	var prefix string
	var n int64
	var width int
	err := tx.QueryRowContext(ctx, `UPDATE waybill_ranges SET next = next + 1 WHERE (carrier, prefix) =
		(SELECT carrier, prefix FROM waybill_ranges WHERE carrier = ? AND next <= last ORDER BY prefix LIMIT 1)
		RETURNING prefix, next - 1, width`, carrier).Scan(&prefix, &n, &width)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fail(CodeNoWaybillRange, "carrier", carrier)
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%0*d", prefix, width, n), nil
}
