package intake

import (
	"context"

	"cunyou/hub/merge"
	"cunyou/syncproto"
)

// MarkLost records a dispatcher's (actor's) declaration that parcel wb is
// lost, with note (why, where it was looked for), as the hub's own fact,
// and waits for the tracking index. The caller checks the parcel may be
// lost (not picked up, returned or handed over); the projection raises an
// exception if it was meanwhile.
func (s *Service) MarkLost(ctx context.Context, actor, wb, note string) error {
	if err := s.m.Record(ctx, []merge.Fact{{Kind: syncproto.KindParcelLost, Actor: actor,
		Payload: syncproto.ParcelLost{Waybill: wb, Note: note}}}); err != nil {
		return err
	}
	return s.m.Flush(ctx)
}

// RetryDeadLetter judges dead letter (node, inc, seq) again and applies it
// when the hub now understands it (merge.Merger.Retry).
func (s *Service) RetryDeadLetter(ctx context.Context, actor, node, inc string, seq uint64, note string) (merge.RetryResult, error) {
	return s.m.Retry(ctx, node, inc, seq, actor, note)
}
