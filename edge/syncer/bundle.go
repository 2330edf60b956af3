package syncer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"cunyou/edge/station"
	"cunyou/edge/store"
	"cunyou/syncproto"
)

// Bundles carry the protocol's batches in a file, for a village with no
// link at all: the van's driver takes the station's ops to the county on a
// USB stick and brings the county's changes back (DESIGN §4 rule 9). A
// bundle is batches one after another, as on the wire.

// ExportBundle writes every op the hub has not acknowledged to w, as
// consecutive ops batches of at most MaxBatch ops, oldest incarnation
// first. Nothing is marked acknowledged: the hub's cursors, told at the
// next hello, say what arrived.
func ExportBundle(ctx context.Context, st *store.Store, w io.Writer) (ops, batches int, err error) {
	incs, err := st.SyncIncarnations(ctx)
	if err != nil {
		return 0, 0, err
	}
	node := st.Identity().Node
	for _, in := range incs {
		after := in.Acked
		for {
			chunk, err := st.OpsOf(ctx, in.ID, after, MaxBatch, maxBatchBytes)
			if err != nil {
				return ops, batches, err
			}
			if len(chunk) == 0 {
				break
			}
			if err := syncproto.WriteOps(w, node, in.ID, chunk, time.Now().UnixMilli()); err != nil {
				return ops, batches, fmt.Errorf("write bundle: %w", err)
			}
			ops += len(chunk)
			batches++
			after = chunk[len(chunk)-1].Seq
		}
	}
	return ops, batches, nil
}

// ImportChanges applies a bundle of downstream changes batches (written by
// `cunyou-hub sync export`) to this node, each batch with its cursor in
// one transaction. Every batch must be a changes batch for this node.
func ImportChanges(ctx context.Context, stn *station.Station, r io.Reader) (res station.ApplyResult, batches int, err error) {
	br := bufio.NewReader(r)
	node := stn.Store().Identity().Node
	for {
		b, err := syncproto.ReadBatch(br)
		if errors.Is(err, io.EOF) {
			return res, batches, nil
		}
		if err != nil {
			return res, batches, fmt.Errorf("read bundle batch %d: %w", batches+1, err)
		}
		if b.Header.Kind != syncproto.BatchChanges {
			return res, batches, fmt.Errorf("bundle batch %d holds %s, not changes for this station", batches+1, b.Header.Kind)
		}
		if b.Header.Node != node {
			return res, batches, fmt.Errorf("bundle batch %d is for node %q, this is %q", batches+1, b.Header.Node, node)
		}
		batches++
		if len(b.Changes) == 0 {
			continue
		}
		r, err := stn.ApplyChanges(ctx, b.Changes, b.Changes[len(b.Changes)-1].Seq)
		if err != nil {
			return res, batches, err
		}
		res.Applied += r.Applied
		res.Skipped = append(res.Skipped, r.Skipped...)
		res.Refused = append(res.Refused, r.Refused...)
	}
}
