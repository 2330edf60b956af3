package station

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/store"
	"cunyou/idnum"
	"cunyou/syncproto"
)

func TestPickupStickerQueuedWithInbound(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 2, Capacity: 5})
	e.in(t, zto(1), phone(1), "王五")
	jobs, err := e.s.LabelJobs(e.ctx, PrintJobFilter{})
	require.NoError(t, err)
	assert.Empty(t, jobs, "no printer, no sticker")

	e.s.PrintPickupStickers(true)
	p := e.in(t, zto(2), phone(2), "赵六")
	_, err = e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: zto(2)})
	require.NoError(t, err)
	next, err := e.s.NextPrintJobs(e.ctx, 10)
	require.NoError(t, err)
	require.Len(t, next, 1, "one sticker; a repeat scan queues none")
	assert.Equal(t, PrintPickup, next[0].Kind)
	var got PickupSticker
	require.NoError(t, json.Unmarshal(next[0].Payload, &got))
	assert.Equal(t, PickupSticker{Code: p.Code, PhoneTail: phone(2)[7:], Waybill: zto(2), Date: "03-10"}, got)

	require.NoError(t, e.s.FinishPrintJob(e.ctx, next[0].ID, ""))
	re, err := e.s.ReprintLabel(e.ctx, clerk, next[0].ID)
	require.NoError(t, err, "a station reprints its stickers")
	assert.Equal(t, next[0].ID, re.ReprintOf)
	e.refused(t, CodePrintJobNotFound, func() error { _, err := e.s.ReprintLabel(e.ctx, clerk, 999); return err })
	e.refused(t, CodeNotCentre, func() error { _, err := e.s.Reprint(e.ctx, clerk, next[0].ID); return err })
}

func TestSendWithCard(t *testing.T) {
	e := newSendEnv(t)
	id, err := idnum.Parse(validID)
	require.NoError(t, err)
	photo := append([]byte("WLT photo of the card "), make([]byte, 1000)...)
	card := CardIdentity{Name: "张三", Number: id, ValidTo: t0.AddDate(1, 0, 0), Photo: photo}
	in := sendInput("sf", 2500)
	in.Sender.IDNumber, in.Sender.Name = "", ""
	var p Parcel
	op := e.oneOp(t, syncproto.KindParcelAccepted, func() {
		var err error
		p, err = e.s.SendWithCard(e.ctx, clerk, in, card)
		require.NoError(t, err)
	})
	ev := payload[syncproto.ParcelAccepted](t, op)
	assert.Equal(t, syncproto.Party{Name: "张三", Phone: phone(1), Address: "前进村", IDHash: e.s.hashID(validID), IDLast4: "002X"}, ev.Sender)
	assert.Equal(t, IDSourceCard, ev.SenderIDSource)
	assert.Empty(t, e.whereStored(t, validID), "the number is kept only hashed")
	assert.Empty(t, e.whereStored(t, "WLT photo of the card"), "the photo is kept only encrypted")
	got, err := e.s.SenderCardPhoto(e.ctx, p.Waybill)
	require.NoError(t, err)
	assert.Equal(t, photo, got)
	_, err = e.s.SenderCardPhoto(e.ctx, "SF0000000000")
	assert.Equal(t, CodeParcelNotFound, CodeOf(err))
	// Sealed to its waybill: moved to another row, it does not open.
	require.NoError(t, e.st.Write(e.ctx, "test", func(tx *store.Tx) error {
		_, err := tx.Exec("UPDATE sender_cards SET waybill = 'SF9999' WHERE waybill = ?", p.Waybill)
		return err
	}))
	_, err = e.s.SenderCardPhoto(e.ctx, "SF9999")
	assert.Error(t, err)

	typed := e.oneOp(t, syncproto.KindParcelAccepted, func() {
		_, err := e.s.Send(e.ctx, clerk, sendInput("sf", 100))
		require.NoError(t, err)
	})
	assert.NotContains(t, string(typed.Payload), "sender_id_source", "a typed number is not marked")

	expired := card
	expired.ValidTo = t0.Add(-24 * time.Hour)
	e.refused(t, CodeIDCardExpired, func() error { _, err := e.s.SendWithCard(e.ctx, clerk, in, expired); return err })
	e.refused(t, CodeIDCardNone, func() error { _, err := e.s.SendWithCard(e.ctx, clerk, in, CardIdentity{}); return err })
	forever := CardIdentity{Number: id, LongTerm: true}
	assert.False(t, forever.expired(t0))
}

// A card photo past cardPhotoKeep is not given out, even when no send
// with a card has come since to delete it.
func TestSenderCardPhotoExpires(t *testing.T) {
	e := newSendEnv(t)
	id, err := idnum.Parse(validID)
	require.NoError(t, err)
	card := CardIdentity{Name: "张三", Number: id, ValidTo: t0.AddDate(1, 0, 0), Photo: []byte("WLT")}
	in := sendInput("sf", 2500)
	in.Sender.IDNumber = ""
	p, err := e.s.SendWithCard(e.ctx, clerk, in, card)
	require.NoError(t, err)
	e.clock.Advance(cardPhotoKeep - time.Minute)
	_, err = e.s.SenderCardPhoto(e.ctx, p.Waybill)
	require.NoError(t, err)
	e.clock.Advance(2 * time.Minute)
	_, err = e.s.SenderCardPhoto(e.ctx, p.Waybill)
	assert.Equal(t, CodeParcelNotFound, CodeOf(err))
}
