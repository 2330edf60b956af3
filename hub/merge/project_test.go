package merge_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/merge"
	"cunyou/syncproto"
)

// apply merges ops of one node (its next seqs) and fails the test on error.
func (e *env) apply(t *testing.T, node string, ops ...syncproto.Op) syncproto.OpsResult {
	t.Helper()
	res, err := e.m.Apply(context.Background(), node, batch(node, ops[0].Incarnation, ops...))
	require.NoError(t, err)
	return res
}

func (e *env) parcel(t *testing.T, wb, dir string) (status, node string) {
	t.Helper()
	e.flush(t)
	p, err := e.st.Parcel(context.Background(), wb, dir)
	require.NoError(t, err)
	return p.Status, p.Node
}

func (e *env) exceptions(t *testing.T, wb string) []string {
	t.Helper()
	e.flush(t)
	ex, err := e.st.Exceptions(context.Background(), wb)
	require.NoError(t, err)
	var out []string
	for _, x := range ex {
		out = append(out, x.Reason+" ["+x.Ops+"]")
	}
	return out
}

func (e *env) timeline(t *testing.T, wb, node string) []string {
	t.Helper()
	e.flush(t)
	facts, err := e.st.Timeline(context.Background(), wb, node)
	require.NoError(t, err)
	var out []string
	for _, f := range facts {
		out = append(out, f.Node+" "+string(f.Kind)+" "+f.Detail)
	}
	return out
}

func TestProjection(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "ST-A")
	const n = "ST-A"
	e.apply(t, n,
		inbound(n, inc, 1, "W1"),
		inbound(n, inc, 2, "W2"),
		inbound(n, inc, 3, "W3"),
		pickup(n, inc, 4, "W1", "W2"),
		op(n, inc, 5, syncproto.KindParcelProblem, syncproto.ParcelProblem{Waybill: "W3", Reason: syncproto.ReasonDamaged, Text: "box wet"}),
		op(n, inc, 6, syncproto.KindParcelsReturned, syncproto.ParcelsReturned{Waybills: []string{"W3"}, Reason: syncproto.ReasonDamaged}),
		op(n, inc, 7, syncproto.KindParcelAccepted, syncproto.ParcelAccepted{Waybill: "S1", Carrier: "zto", WaybillSource: "range",
			Sender:   syncproto.Party{Name: "李四", Phone: "13900001111", IDHash: "h", IDLast4: "123X"},
			Receiver: syncproto.Party{Name: "王五", Phone: "13711112222", Province: "广东"}, WeightGrams: 800, PriceFen: 1200}),
		op(n, inc, 8, syncproto.KindParcelProblem, syncproto.ParcelProblem{Waybill: "S1", Reason: syncproto.ReasonRefused}),
		inbound(n, inc, 9, "W9"),
		op(n, inc, 10, syncproto.KindStocktake, syncproto.Stocktake{Shelf: 1, Expected: 1, Scanned: 1,
			Relocations: []syncproto.ParcelRelocated{{Waybill: "W9", FromShelf: 1, FromLayer: 2, ToShelf: 3, ToLayer: 1}}}),
		op(n, inc, 11, syncproto.KindDayClosed, syncproto.DayClosed{Date: "2026-03-14", Total: syncproto.DayCounts{In: 4, Out: 2}}),
		op(n, inc, 12, syncproto.KindOperatorChanged, syncproto.OperatorChanged{Username: "clerk2", Role: "clerk", Created: true}),
		op(n, inc, 13, syncproto.KindShelvesSet, syncproto.ShelvesSet{Shelves: []syncproto.Shelf{{No: 1, Layers: 4, Capacity: 30}}}),
		op(n, inc, 14, syncproto.KindSettingsSet, syncproto.SettingsSet{OverdueDays: 3, ReturnDays: 7}),
	)
	for _, c := range []struct{ wb, dir, status string }{
		{"W1", "in", merge.StatusPickedUp},
		{"W2", "in", merge.StatusPickedUp},
		{"W3", "in", merge.StatusReturning},
		{"S1", "out", merge.StatusProblem},
		{"W9", "in", merge.StatusAtStation},
	} {
		status, node := e.parcel(t, c.wb, c.dir)
		assert.Equal(t, c.status, status, c.wb)
		assert.Equal(t, n, node, c.wb)
	}
	e.flush(t)
	p, err := e.st.Parcel(ctx, "W1", "in")
	require.NoError(t, err)
	assert.Equal(t, "13800138000", p.ReceiverPhone, "the full phone is kept for the arrival SMS")
	assert.Equal(t, "1-2-0001", p.Code)
	assert.Equal(t, "zto", p.Carrier)
	e.flush(t)
	s1, err := e.st.Parcel(ctx, "S1", "out")
	require.NoError(t, err)
	assert.Equal(t, "13711112222", s1.ReceiverPhone)

	assert.Equal(t, []string{
		"ST-A parcel.inbound code 1-2-0003 shelf 1-2",
		"ST-A parcel.problem damaged: box wet",
		"ST-A parcel.returning damaged",
	}, e.timeline(t, "W3", ""))
	assert.Equal(t, []string{
		"ST-A parcel.inbound code 1-2-0009 shelf 1-2",
		"ST-A stocktake.done relocated shelf 1-2 → 3-1",
	}, e.timeline(t, "W9", ""))
	nodeFacts := e.timeline(t, "", n)
	require.Len(t, nodeFacts, 5)
	assert.Contains(t, nodeFacts[0], "shelf 1: expected 1 scanned 1")
	assert.Contains(t, nodeFacts[1], "day.closed day 2026-03-14 in 4 out 2")
	assert.Contains(t, nodeFacts[2], "operator clerk2 (clerk) created")
	for _, f := range append(nodeFacts, e.timeline(t, "W1", "")...) {
		assert.NotContains(t, f, "13800138000", "no phone in the timeline")
	}
	assert.Empty(t, e.exceptions(t, ""), "consistent facts raise nothing")
	assert.Zero(t, e.m.Stats().Exceptions)
}

func TestContradictions(t *testing.T) {
	const a, b = "ST-A", "ST-B"
	for _, c := range []struct {
		name       string
		steps      []func(e *env, t *testing.T)
		wantStatus string
		wantNode   string
		wantReason string // part of the one exception expected
	}{
		{
			name: "inbound at two stations",
			steps: []func(*env, *testing.T){
				func(e *env, t *testing.T) { e.apply(t, a, inbound(a, inc, 1, "W1")) },
				func(e *env, t *testing.T) { e.apply(t, b, inbound(b, inc, 1, "W1")) },
			},
			wantStatus: merge.StatusAtStation, wantNode: b,
			wantReason: "parcel.inbound at ST-B while the hub has it at_station at ST-A",
		},
		{
			name: "picked up at A, then inbound at B",
			steps: []func(*env, *testing.T){
				func(e *env, t *testing.T) { e.apply(t, a, inbound(a, inc, 1, "W1"), pickup(a, inc, 2, "W1")) },
				func(e *env, t *testing.T) { e.apply(t, b, inbound(b, inc, 1, "W1")) },
			},
			wantStatus: merge.StatusPickedUp, wantNode: a,
			wantReason: "parcel.inbound at ST-B while the hub has it picked_up at ST-A",
		},
		{
			name: "picked up at B while the hub has it at A",
			steps: []func(*env, *testing.T){
				func(e *env, t *testing.T) { e.apply(t, a, inbound(a, inc, 1, "W1")) },
				func(e *env, t *testing.T) { e.apply(t, b, pickup(b, inc, 1, "W1")) },
			},
			wantStatus: merge.StatusPickedUp, wantNode: b,
			wantReason: "parcel.picked_up at ST-B while the hub has it at_station at ST-A",
		},
		{
			name: "pickup of a parcel never scanned in",
			steps: []func(*env, *testing.T){
				func(e *env, t *testing.T) { e.apply(t, a, pickup(a, inc, 1, "W1")) },
			},
			wantStatus: merge.StatusPickedUp, wantNode: a,
			wantReason: "parcel.picked_up at ST-A of a parcel the hub has no record of",
		},
		{
			name: "picked up twice",
			steps: []func(*env, *testing.T){
				func(e *env, t *testing.T) {
					e.apply(t, a, inbound(a, inc, 1, "W1"), pickup(a, inc, 2, "W1"), pickup(a, inc, 3, "W1"))
				},
			},
			wantStatus: merge.StatusPickedUp, wantNode: a,
			wantReason: "parcel.picked_up at ST-A after picked_up",
		},
		{
			name: "problem after pickup keeps the pickup",
			steps: []func(*env, *testing.T){
				func(e *env, t *testing.T) {
					e.apply(t, a, inbound(a, inc, 1, "W1"), pickup(a, inc, 2, "W1"),
						op(a, inc, 3, syncproto.KindParcelProblem, syncproto.ParcelProblem{Waybill: "W1", Reason: syncproto.ReasonLost}))
				},
			},
			wantStatus: merge.StatusPickedUp, wantNode: a,
			wantReason: "parcel.problem at ST-A after picked_up",
		},
		{
			name: "relocated at another station",
			steps: []func(*env, *testing.T){
				func(e *env, t *testing.T) { e.apply(t, a, inbound(a, inc, 1, "W1")) },
				func(e *env, t *testing.T) {
					e.apply(t, b, op(b, inc, 1, syncproto.KindStocktake, syncproto.Stocktake{Shelf: 1,
						Relocations: []syncproto.ParcelRelocated{{Waybill: "W1", FromShelf: 1, FromLayer: 1, ToShelf: 2, ToLayer: 1}}}))
				},
			},
			wantStatus: merge.StatusAtStation, wantNode: a,
			wantReason: "stocktake.done at ST-B while the hub has it at_station at ST-A",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, a, b)
			facts := 0
			for _, s := range c.steps {
				s(e, t)
			}
			status, node := e.parcel(t, "W1", "in")
			assert.Equal(t, c.wantStatus, status)
			assert.Equal(t, c.wantNode, node)
			ex := e.exceptions(t, "W1")
			require.Len(t, ex, 1)
			assert.Contains(t, ex[0], c.wantReason)
			facts = len(e.timeline(t, "W1", ""))
			assert.Equal(t, e.count(t, "SELECT count(*) FROM facts WHERE waybill = 'W1'"), facts, "every fact is kept")
			assert.EqualValues(t, 1, e.m.Stats().Exceptions)
			refs := strings.Fields(ex[0][strings.Index(ex[0], "[")+1 : len(ex[0])-1])
			assert.NotEmpty(t, refs)
		})
	}
}
