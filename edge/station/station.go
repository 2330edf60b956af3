// Package station is the village station's day: inbound, pickup, send,
// problem and overdue parcels, returns, stocktake, day close and operators.
// Every action commits its state change and its op in one local
// transaction; no action waits on the network.
package station

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"cunyou/edge/store"
	"cunyou/waybill"
)

// Parcel statuses, derived from the parcel's events (DESIGN §2).
const (
	StatusAtStation = "at_station"
	StatusPickedUp  = "picked_up"
	StatusProblem   = "problem"
	StatusReturning = "returning"
	StatusAccepted  = "accepted"
)

// Station runs one station's operations on its store.
type Station struct {
	st  *store.Store
	loc *time.Location
	// stickers: inbound queues a pickup sticker (labels.go).
	stickers atomic.Bool
}

// New returns the station backed by st; days are counted in loc.
func New(st *store.Store, loc *time.Location) *Station {
	if loc == nil {
		loc = time.Local
	}
	return &Station{st: st, loc: loc}
}

// Store returns the station's store.
func (s *Station) Store() *store.Store { return s.st }

// Location returns the time zone days are counted in.
func (s *Station) Location() *time.Location { return s.loc }

// Parcel is a parcel as operators see it. Phone numbers are masked.
type Parcel struct {
	Waybill     string     `json:"waybill"`
	Direction   string     `json:"direction"` // in | out
	Carrier     string     `json:"carrier"`
	CarrierName string     `json:"carrier_name"`
	Status      string     `json:"status"`
	Receiver    string     `json:"receiver_name,omitempty"`
	Phone       string     `json:"receiver_phone"` // masked
	Shelf       int        `json:"shelf,omitempty"`
	Layer       int        `json:"layer,omitempty"`
	Code        string     `json:"code,omitempty"`
	Problem     string     `json:"problem,omitempty"`
	InAt        time.Time  `json:"in_at"`
	OutAt       *time.Time `json:"out_at,omitempty"`
	OutBy       string     `json:"out_by,omitempty"`
	WeightGrams int        `json:"weight_g,omitempty"`
	PriceFen    int        `json:"price_fen,omitempty"`
	// ValueFen is the declared value from the hub's manifest (0: none);
	// HighValue, in a pickup search, says the station's ID-card rule for
	// valuable parcels applies to it.
	ValueFen  int  `json:"value_fen,omitempty"`
	HighValue bool `json:"high_value,omitempty"`

	id    int64
	phone string
}

const parcelCols = `id, waybill, direction, carrier, status, receiver_name, receiver_phone, coalesce(shelf, 0), coalesce(layer, 0),
	coalesce(code, ''), problem, in_at, out_at, coalesce(out_by, ''), weight_g, price_fen, value_fen`

type scanner interface{ Scan(...any) error }

func scanParcel(r scanner) (Parcel, error) {
	var p Parcel
	var inAt int64
	var outAt sql.NullInt64
	err := r.Scan(&p.id, &p.Waybill, &p.Direction, &p.Carrier, &p.Status, &p.Receiver, &p.phone, &p.Shelf, &p.Layer,
		&p.Code, &p.Problem, &inAt, &outAt, &p.OutBy, &p.WeightGrams, &p.PriceFen, &p.ValueFen)
	if err != nil {
		return p, err
	}
	p.Phone = MaskPhone(p.phone)
	p.InAt = time.UnixMilli(inAt)
	if outAt.Valid {
		t := time.UnixMilli(outAt.Int64)
		p.OutAt = &t
	}
	if c, ok := waybill.Lookup(p.Carrier); ok {
		p.CarrierName = c.Short
	} else {
		p.CarrierName = p.Carrier
	}
	return p, nil
}

func queryParcels(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, where string, args ...any) ([]Parcel, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+parcelCols+" FROM parcels WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []Parcel
	for rows.Next() {
		p, err := scanParcel(rows)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// MaskPhone shows a phone number as 138****5678.
func MaskPhone(phone string) string {
	if len(phone) <= 7 { // too short to show both ends safely
		return strings.Repeat("*", len(phone))
	}
	return phone[:3] + strings.Repeat("*", len(phone)-7) + phone[len(phone)-4:]
}

// MaskName keeps a name's first character: 张**.
func MaskName(name string) string {
	n := utf8.RuneCountInString(name)
	if n <= 1 {
		return name
	}
	r, _ := utf8.DecodeRuneInString(name)
	return string(r) + strings.Repeat("*", n-1)
}

// normalizePhone accepts a mainland mobile number with optional +86, spaces
// or dashes and returns its 11 digits.
func normalizePhone(raw string) (string, bool) {
	var b strings.Builder
	for _, r := range raw {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + r - '０')
		case r == ' ' || r == '-' || r == '+':
		default:
			return "", false
		}
	}
	p := b.String()
	if len(p) == 13 && strings.HasPrefix(p, "86") {
		p = p[2:]
	}
	if len(p) != 11 || p[0] != '1' || p[1] < '3' {
		return "", false
	}
	return p, true
}

// hashID returns the station-keyed hash of an ID number: comparable within
// the station, useless without its key.
func (s *Station) hashID(full string) string {
	m := hmac.New(sha256.New, s.st.Secret())
	m.Write([]byte("idnum:" + full))
	return hex.EncodeToString(m.Sum(nil))
}

func randomInt(n int64) int64 {
	v, err := rand.Int(rand.Reader, big.NewInt(n))
	if err != nil {
		panic(err)
	}
	return v.Int64()
}

// findParcel reads one parcel by waybill and direction inside tx.
func findParcel(ctx context.Context, tx *store.Tx, wb, dir string) (Parcel, bool, error) {
	p, err := scanParcel(tx.QueryRowContext(ctx, "SELECT "+parcelCols+" FROM parcels WHERE waybill = ? AND direction = ?", wb, dir))
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	return p, err == nil, err
}

// addEvent appends a fact to the parcel's local timeline.
func addEvent(ctx context.Context, tx *store.Tx, parcelID int64, kind string, seq uint64, detail string) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO events (parcel_id, kind, at, actor, seq, detail) VALUES (?, ?, ?, ?, ?, ?)",
		parcelID, kind, tx.Now().UnixMilli(), tx.Actor(), seq, detail)
	if err != nil {
		return fmt.Errorf("add event: %w", err)
	}
	return nil
}

func formatTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("01-02 15:04")
}
