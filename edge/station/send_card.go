package station

import (
	"context"
	"strings"
	"time"

	"cunyou/idnum"
	"cunyou/syncproto"
)

// Codes of a send whose sender is read from the ID-card reader.
const (
	CodeIDCardNone    Code = "idcard_none"
	CodeIDCardExpired Code = "idcard_expired"
)

// IDSourceCard marks, in a parcel_accepted op, a sender whose identity the
// station's ID-card reader read (its SAM checked the card), not one typed.
const IDSourceCard = "card"

// CardIdentity is a sender's identity as the ID-card reader read it. It
// stays in memory: of the number, only its hash and last four characters
// are stored.
type CardIdentity struct {
	Name     string
	Number   idnum.ID
	ValidTo  time.Time // the last day of validity; zero with LongTerm
	LongTerm bool
}

// expired reports whether the card's validity ended before today.
func (c CardIdentity) expired(today time.Time) bool {
	if c.LongTerm {
		return false
	}
	y, m, d := c.ValidTo.Date()
	ty, tm, td := today.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Before(time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC))
}

// SendWithCard is Send with the sender's identity read from the ID-card
// reader instead of typed: the card must be valid today; the sender's name
// is the card's unless one is given. The op records that the identity came
// from a card (sender_id_source "card").
func (s *Station) SendWithCard(ctx context.Context, actor string, in SendInput, card CardIdentity) (Parcel, error) {
	if card.Number.IsZero() {
		return Parcel{}, fail(CodeIDCardNone)
	}
	if card.expired(s.st.Now().In(s.loc)) {
		return Parcel{}, fail(CodeIDCardExpired, "valid_to", card.ValidTo.Format(time.DateOnly))
	}
	if strings.TrimSpace(in.Sender.Name) == "" {
		in.Sender.Name = card.Name
	}
	in.Sender.IDNumber = ""
	in.card = &card
	return s.Send(ctx, actor, in)
}

// senderID is the sender's ID number: the card's, or the one typed.
func (s *Station) senderID(in SendInput) (idnum.ID, error) {
	if in.card != nil {
		return in.card.Number, nil
	}
	if strings.TrimSpace(in.Sender.IDNumber) == "" {
		return idnum.ID{}, fail(CodeSenderIDRequired)
	}
	id, err := idnum.Parse(in.Sender.IDNumber)
	if err != nil {
		return id, &Error{Code: CodeIDInvalid, Err: err}
	}
	return id, nil
}

// acceptedByCard is a parcel_accepted payload with the source of the
// sender's identity; the hub reads the ParcelAccepted fields and keeps
// the rest as sent.
type acceptedByCard struct {
	syncproto.ParcelAccepted
	SenderIDSource string `json:"sender_id_source"`
}

// acceptedPayload is the op payload of a send.
func acceptedPayload(ev syncproto.ParcelAccepted, card *CardIdentity) any {
	if card == nil {
		return ev
	}
	return acceptedByCard{ParcelAccepted: ev, SenderIDSource: IDSourceCard}
}
