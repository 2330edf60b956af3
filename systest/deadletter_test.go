package systest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	edgestore "cunyou/edge/store"
	"cunyou/edge/syncer"
	"cunyou/syncproto"
)

// TestPoisonOpIsDeadLetteredAndDoesNotBlock: an op the hub can never
// apply (here a problem parcel with a reason the hub does not know, as a
// buggy or newer station might write) is kept at the hub as a dead letter
// with its reason, and the ops behind it go through (DESIGN §4 rule 6):
// the station's cursor passes it, its backlog empties, its loop is not
// failing.
func TestPoisonOpIsDeadLetteredAndDoesNotBlock(t *testing.T) {
	ctx := context.Background()
	h := newHub(t, discardLogger())
	e := newEdge(t, h, "ST-D01", h.URL(), manualSync, false)
	o := newOperator(11, 0)
	st, stn, _ := e.parts()
	require.NoError(t, o.setup(ctx, stn))
	doOps(t, e, o, 10)
	var poison *syncproto.Op
	require.NoError(t, st.Write(ctx, "clerk", func(tx *edgestore.Tx) error {
		var err error
		poison, err = tx.Append(syncproto.KindParcelProblem, syncproto.ParcelProblem{Waybill: o.onShelf[0], Reason: "eaten-by-goat"})
		return err
	}))
	doOps(t, e, o, 10)
	syncOnce(t, e)

	hs := readHubState(t, h)
	ops, err := edgeOps(ctx, st.DB())
	require.NoError(t, err)
	poisonKey := opKey{e.node, poison.Incarnation, poison.Seq}
	require.Len(t, hs.deadLetters, 1, "dead letters")
	assert.Contains(t, hs.deadLetters[0], poisonKey.String())
	assert.Contains(t, hs.deadLetters[0], "eaten-by-goat")
	assert.Equal(t, []string{poisonKey.String()}, hs.notApplied, "ops not applied")
	// Every other invariant holds: the poison op is held, once, its
	// cursor passed.
	hs.deadLetters, hs.notApplied = nil, nil
	for _, p := range exactlyOnce(hs, ops) {
		t.Error(p)
	}
	s, err := syncer.StoredStatus(ctx, st)
	require.NoError(t, err)
	assert.Zero(t, s.Backlog, "backlog")
	assert.False(t, s.Failing, "failing: %+v", s.LastError)
}
