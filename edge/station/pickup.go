package station

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"cunyou/edge/store"
	"cunyou/idnum"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// Receiver groups one receiver's parcels waiting at the station.
type Receiver struct {
	Name    string   `json:"name"`
	Phone   string   `json:"phone"` // masked
	Parcels []Parcel `json:"parcels"`
}

// Search is the answer to a pickup lookup.
type Search struct {
	Query     string     `json:"query"`
	MatchedBy []string   `json:"matched_by"` // code, phone_tail, phone, waybill
	Receivers []Receiver `json:"receivers"`
	// Problems are matching parcels held as problem parcels: not handed
	// out, shown so the operator can tell the villager why.
	Problems []Parcel `json:"problems,omitempty"`
	// IDPolicy is the station's ID-card rule, for the page to ask for the
	// card before the hand-out; the server enforces it (Pickup).
	IDPolicy IDPolicy `json:"id_policy"`
}

// IDPolicy is when a pickup needs the collector's ID card read on the
// reader: for a proxy, and for a parcel declared at ValueYuan or more
// (ValueYuan 0: no such rule).
type IDPolicy struct {
	Proxy     bool `json:"proxy"`
	ValueYuan int  `json:"value_yuan,omitempty"`
}

func policyOf(st Settings) IDPolicy {
	p := IDPolicy{Proxy: st.IDForProxy}
	if st.IDHighValue {
		p.ValueYuan = st.IDValueYuan
	}
	return p
}

// highValue reports whether p falls under the policy's value rule.
func (pol IDPolicy) highValue(p Parcel) bool {
	return pol.ValueYuan > 0 && p.ValueFen >= pol.ValueYuan*100
}

// Codes of a pickup refused for want of the collector's ID card read.
const (
	CodeIDCardRequiredProxy Code = "idcard_required_proxy"
	CodeIDCardRequiredValue Code = "idcard_required_value"
)

var (
	codeRe  = regexp.MustCompile(`^(\d{1,2})-(\d)-(\d{4})$`)
	digits4 = regexp.MustCompile(`^\d{4}$`)
)

// FindForPickup finds the parcels to hand out for what the villager says or
// shows: a pickup code (5-2-3001, or just 3001), the last four digits of the
// phone, the full phone, or a scanned waybill. Every parcel of each matching
// receiver is listed, so all can be handed out at once.
func (s *Station) FindForPickup(ctx context.Context, raw string) (Search, error) {
	q := strings.TrimSpace(raw)
	res := Search{Query: q, MatchedBy: []string{}, Receivers: []Receiver{}}
	st, err := s.Settings(ctx)
	if err != nil {
		return res, err
	}
	res.IDPolicy = policyOf(st)
	db := s.st.DB()
	phones := map[string]bool{}
	addPhones := func(by, where string, args ...any) error {
		ps, err := queryParcels(ctx, db, where+" AND shelf IS NOT NULL", args...)
		if err != nil {
			return err
		}
		if len(ps) > 0 {
			res.MatchedBy = append(res.MatchedBy, by)
		}
		for _, p := range ps {
			phones[p.phone] = true
		}
		return nil
	}
	switch {
	case codeRe.MatchString(q):
		n, _ := strconv.Atoi(codeRe.FindStringSubmatch(q)[3])
		err = addPhones("code", "code_num = ?", n)
	case digits4.MatchString(q):
		n, _ := strconv.Atoi(q)
		if err = addPhones("code", "code_num = ?", n); err == nil {
			err = addPhones("phone_tail", "phone_tail = ?", q)
		}
	default:
		// A number can be both a phone (8613912345678 with its country
		// code) and a waybill (EMS 13 digits): look for both.
		phone, isPhone := normalizePhone(q)
		wb, werr := waybill.Normalize(q)
		if !isPhone && werr != nil {
			return res, fail(CodeQueryInvalid)
		}
		if isPhone {
			err = addPhones("phone", "receiver_phone = ?", phone)
		}
		if err == nil && werr == nil {
			err = addPhones("waybill", "waybill = ? AND direction = 'in'", wb)
		}
	}
	if err != nil {
		return res, err
	}
	for phone := range phones {
		ps, err := queryParcels(ctx, db, "receiver_phone = ? AND shelf IS NOT NULL ORDER BY in_at", phone)
		if err != nil {
			return res, err
		}
		r := Receiver{Phone: MaskPhone(phone)}
		for _, p := range ps {
			if p.Status == StatusProblem {
				res.Problems = append(res.Problems, p)
				continue
			}
			if r.Name == "" {
				r.Name = p.Receiver
			}
			p.HighValue = res.IDPolicy.highValue(p)
			r.Parcels = append(r.Parcels, p)
		}
		if len(r.Parcels) > 0 {
			res.Receivers = append(res.Receivers, r)
		}
	}
	sort.Slice(res.Receivers, func(i, j int) bool { return res.Receivers[i].Phone < res.Receivers[j].Phone })
	return res, nil
}

// CollectorInput says who takes the parcels: the receiver, or a proxy
// with name and phone. The ID number is optional and kept only hashed.
type CollectorInput struct {
	Kind     string `json:"kind"` // receiver | proxy
	Name     string `json:"name,omitempty"`
	Phone    string `json:"phone,omitempty"`
	IDNumber string `json:"id_number,omitempty"`
}

// PickupInput hands out one or several parcels at once.
type PickupInput struct {
	Waybills    []string       `json:"waybills"`
	Collector   CollectorInput `json:"collector"`
	PhotoSHA256 string         `json:"photo_sha256,omitempty"`

	cardRead bool // the collector's identity is the card on the reader (PickupWithCard)
}

// PickupWithCard is Pickup with the collector's identity read from the
// ID-card reader: the collector's name is the card's unless one is given,
// and the op records that the card was read (id_source "card"), which the
// station's ID-card rule asks for.
func (s *Station) PickupWithCard(ctx context.Context, actor string, in PickupInput, card CardIdentity) ([]Parcel, error) {
	if card.Number.IsZero() {
		return nil, fail(CodeIDCardNone)
	}
	if card.expired(s.st.Now().In(s.loc)) {
		return nil, fail(CodeIDCardExpired, "valid_to", card.ValidTo.Format(time.DateOnly))
	}
	if strings.TrimSpace(in.Collector.Name) == "" {
		in.Collector.Name = card.Name
	}
	in.Collector.IDNumber = card.Number.Full()
	in.cardRead = true
	return s.Pickup(ctx, actor, in)
}

var sha256Re = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Pickup hands parcels out: all or none. A parcel already picked up is
// refused, naming when and by whom. The station's ID-card rule (Settings)
// is kept here: a proxy, or the collector of a parcel declared at the
// rule's value or more, must have had their card read (PickupWithCard).
func (s *Station) Pickup(ctx context.Context, actor string, in PickupInput) ([]Parcel, error) {
	if len(in.Waybills) == 0 {
		return nil, fail(CodeBadRequest)
	}
	c := syncproto.Collector{Kind: in.Collector.Kind, Name: strings.TrimSpace(in.Collector.Name)}
	switch c.Kind {
	case "", "receiver":
		c.Kind = "receiver"
	case "proxy":
		if c.Name == "" || in.Collector.Phone == "" {
			return nil, fail(CodeCollectorRequired)
		}
	default:
		return nil, fail(CodeBadRequest)
	}
	if in.Collector.Phone != "" {
		phone, ok := normalizePhone(in.Collector.Phone)
		if !ok {
			return nil, fail(CodePhoneInvalid)
		}
		c.Phone = phone
	}
	if in.Collector.IDNumber != "" {
		id, err := idnum.Parse(in.Collector.IDNumber)
		if err != nil {
			return nil, &Error{Code: CodeIDInvalid, Err: err}
		}
		c.IDHash, c.IDLast4 = s.hashID(id.Full()), id.Last4()
	}
	photo := strings.ToLower(in.PhotoSHA256)
	if photo != "" && !sha256Re.MatchString(photo) {
		return nil, fail(CodeBadRequest)
	}
	if in.cardRead {
		c.IDSource = IDSourceCard
	}
	st, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	pol := policyOf(st)
	if c.Kind == "proxy" && pol.Proxy && !in.cardRead {
		return nil, fail(CodeIDCardRequiredProxy)
	}
	var out []Parcel
	err = s.st.Write(ctx, actor, func(tx *store.Tx) error {
		if photo != "" {
			// The op refers to the photo by hash: it must be a stored blob,
			// or the hub would wait for a photo that never comes.
			var one int
			err := tx.QueryRowContext(ctx, "SELECT 1 FROM blobs WHERE sha256 = ?", photo).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fail(CodeBadRequest, "field", "photo_sha256")
			}
			if err != nil {
				return err
			}
		}
		ps, err := s.parcelsFor(ctx, tx, in.Waybills, evPickedUp)
		if err != nil {
			return err
		}
		for _, p := range ps {
			// Parcels of another receiver, or a collector whose phone is
			// not the receiver's: a proxy, whatever the page called them.
			if c.Kind == "receiver" && pol.Proxy && !in.cardRead && (p.phone != ps[0].phone || c.Phone != "" && c.Phone != p.phone) {
				return fail(CodeIDCardRequiredProxy, "waybill", p.Waybill)
			}
			if pol.highValue(p) && !in.cardRead {
				return fail(CodeIDCardRequiredValue, "waybill", p.Waybill, "value", strconv.Itoa(p.ValueFen/100),
					"limit", strconv.Itoa(pol.ValueYuan))
			}
		}
		ev := syncproto.ParcelsPickedUp{Collector: c, PhotoSHA256: photo}
		for _, p := range ps {
			ev.Waybills = append(ev.Waybills, p.Waybill)
		}
		op, err := tx.Append(syncproto.KindParcelsPickedUp, ev)
		if err != nil {
			return err
		}
		out, err = takeOffShelf(ctx, tx, ps, StatusPickedUp, evPickedUp, "", op.Seq, func(p Parcel) string {
			return collectorText(c, p.Receiver, p.phone)
		})
		return err
	})
	return out, err
}

// collectorText is how a collector is shown later: masked name and phone,
// and of an ID number only its last four characters.
func collectorText(c syncproto.Collector, receiverName, receiverPhone string) string {
	name, phone := c.Name, c.Phone
	if c.Kind == "receiver" {
		if name == "" {
			name = receiverName
		}
		if phone == "" {
			phone = receiverPhone
		}
	}
	var parts []string
	if name != "" {
		parts = append(parts, MaskName(name))
	}
	if phone != "" {
		parts = append(parts, MaskPhone(phone))
	}
	if c.IDLast4 != "" {
		parts = append(parts, "ID …"+c.IDLast4)
	}
	return strings.Join(parts, " ")
}
