package station

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"cunyou/edge/store"

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

// CardIdentity is a sender's identity as the ID-card reader read it. Of
// the number, only its hash and last four characters are stored; the
// photo is stored encrypted (sealCardPhoto).
type CardIdentity struct {
	Name     string
	Number   idnum.ID
	ValidTo  time.Time // the last day of validity; zero with LongTerm
	LongTerm bool
	// Photo is the card's photo as the reader gave it (WLT): stored with
	// the send, encrypted, for cardPhotoKeep.
	Photo []byte
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

// acceptedPayload is the op payload of a send.
func acceptedPayload(ev syncproto.ParcelAccepted, card *CardIdentity) syncproto.ParcelAccepted {
	if card != nil {
		ev.SenderIDSource = IDSourceCard
	}
	return ev
}

// cardPhotoKeep is how long the photo of a sender's card is kept: for the
// real-name record of a send (寄递实名), asked for by the authorities in the
// weeks after; then it is deleted (DESIGN §6: only as long as needed).
const cardPhotoKeep = 90 * 24 * time.Hour

// sealCardPhoto stores the photo of the sender's card (WLT, as the reader
// gave it) with a send, encrypted (AES-256-GCM under a key derived from
// the node's secret, the waybill as associated data), and deletes those
// past cardPhotoKeep.
func (s *Station) sealCardPhoto(ctx context.Context, tx *store.Tx, waybill string, photo []byte) error {
	now := tx.Now()
	if _, err := tx.ExecContext(ctx, "DELETE FROM sender_cards WHERE created_ms < ?", now.Add(-cardPhotoKeep).UnixMilli()); err != nil {
		return fmt.Errorf("expire card photos: %w", err)
	}
	if len(photo) == 0 {
		return nil
	}
	gcm, err := s.photoCipher()
	if err != nil {
		return err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	sealed := gcm.Seal(nonce, nonce, photo, []byte(waybill))
	_, err = tx.ExecContext(ctx, "INSERT INTO sender_cards (waybill, photo, created_ms) VALUES (?, ?, ?) ON CONFLICT (waybill) DO NOTHING",
		waybill, sealed, now.UnixMilli())
	return err
}

// SenderCardPhoto returns the photo of the card read for the send of
// waybill, decrypted (for the authorities' request); CodeParcelNotFound
// when none is kept, or it is past cardPhotoKeep (deleted at the next
// send with a card).
func (s *Station) SenderCardPhoto(ctx context.Context, waybill string) ([]byte, error) {
	var sealed []byte
	err := s.st.DB().QueryRowContext(ctx, "SELECT photo FROM sender_cards WHERE waybill = ? AND created_ms >= ?",
		waybill, s.st.Now().Add(-cardPhotoKeep).UnixMilli()).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail(CodeParcelNotFound, "waybill", waybill)
	}
	if err != nil {
		return nil, err
	}
	gcm, err := s.photoCipher()
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("card photo: too short")
	}
	return gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], []byte(waybill))
}

// photoCipher is the AES-256-GCM of the card photos, keyed by the node's
// secret (which never leaves the station).
func (s *Station) photoCipher() (cipher.AEAD, error) {
	m := hmac.New(sha256.New, s.st.Secret())
	m.Write([]byte("cunyou card photos v1"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
