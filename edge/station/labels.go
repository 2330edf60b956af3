package station

import (
	"context"
	"encoding/json"
	"fmt"

	"cunyou/edge/store"
	"cunyou/syncproto"
)

// PrintPickup is the kind of the print job of a station's pickup-code
// sticker (取件码), queued at inbound when the station has a label printer.
const PrintPickup = "pickup"

// PickupSticker is the payload of a pickup print job. Of the receiver it
// holds only the phone's last four digits.
type PickupSticker struct {
	Code      string `json:"code"`
	PhoneTail string `json:"phone_tail"`
	Waybill   string `json:"waybill"`
	Date      string `json:"date"` // MM-DD, the inbound day
}

// PrintPickupStickers makes every inbound queue a pickup sticker in its
// transaction, for the print worker of a station with a label printer.
func (s *Station) PrintPickupStickers(on bool) { s.stickers.Store(on) }

// queuePickupSticker queues the sticker of a parcel just shelved, inside
// the inbound's transaction, when stickers are on.
func (s *Station) queuePickupSticker(ctx context.Context, tx *store.Tx, ev syncproto.ParcelInbound) error {
	if !s.stickers.Load() {
		return nil
	}
	body, err := json.Marshal(PickupSticker{
		Code: ev.Code, PhoneTail: ev.ReceiverPhone[len(ev.ReceiverPhone)-4:], Waybill: ev.Waybill,
		Date: tx.Now().In(s.loc).Format("01-02"),
	})
	if err != nil {
		return fmt.Errorf("encode pickup sticker: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO print_jobs (kind, waybill, payload, created) VALUES (?, ?, ?, ?)",
		PrintPickup, ev.Waybill, string(body), tx.Now().UnixMilli()); err != nil {
		return fmt.Errorf("queue pickup sticker: %w", err)
	}
	return nil
}

// LabelJobs lists the print jobs of a node of either kind (a station's
// pickup stickers, a centre's sort labels), newest first.
func (s *Station) LabelJobs(ctx context.Context, f PrintJobFilter) ([]PrintJob, error) {
	return s.printJobs(ctx, f)
}

// ReprintLabel queues a print job again on a node of either kind; see
// Reprint.
func (s *Station) ReprintLabel(ctx context.Context, actor string, id int64) (PrintJob, error) {
	return s.reprint(ctx, actor, id)
}
