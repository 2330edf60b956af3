package station

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

func TestSetShelves(t *testing.T) {
	e := newEnv(t)
	layout := []syncproto.Shelf{{No: 2, Layers: 1, Capacity: 500}, {No: 1, Layers: 2, Capacity: 3}}
	op := e.oneOp(t, syncproto.KindShelvesSet, func() { require.NoError(t, e.s.SetShelves(e.ctx, owner, layout)) })
	assert.Equal(t, syncproto.ShelvesSet{Shelves: layout}, payload[syncproto.ShelvesSet](t, op))
	assert.Equal(t, owner, op.Actor)
	got, err := e.s.Shelves(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, []SlotUse{
		{Shelf: 1, Layer: 1, Capacity: 3},
		{Shelf: 1, Layer: 2, Capacity: 3},
		{Shelf: 2, Layer: 1, Capacity: 500},
	}, got)

	tests := []struct {
		name    string
		shelves []syncproto.Shelf
		arg     string
	}{
		{"shelf 0", []syncproto.Shelf{{No: 0, Layers: 1, Capacity: 1}}, "0"},
		{"shelf 100", []syncproto.Shelf{{No: 100, Layers: 1, Capacity: 1}}, "100"},
		{"no layers", []syncproto.Shelf{{No: 1, Layers: 0, Capacity: 1}}, "1"},
		{"10 layers", []syncproto.Shelf{{No: 1, Layers: 10, Capacity: 1}}, "1"},
		{"no room", []syncproto.Shelf{{No: 1, Layers: 1, Capacity: 0}}, "1"},
		{"501 a layer", []syncproto.Shelf{{No: 1, Layers: 1, Capacity: 501}}, "1"},
		{"negative", []syncproto.Shelf{{No: 3, Layers: -1, Capacity: 5}}, "3"},
		{"twice", []syncproto.Shelf{{No: 4, Layers: 1, Capacity: 5}, {No: 4, Layers: 2, Capacity: 5}}, "4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.refused(t, CodeShelvesInvalid, func() error { return e.s.SetShelves(e.ctx, owner, tt.shelves) })
			assert.Equal(t, map[string]string{"shelf": tt.arg}, ArgsOf(err))
		})
	}
	require.NoError(t, e.s.SetShelves(e.ctx, owner, []syncproto.Shelf{{No: 99, Layers: 9, Capacity: 1}}))
	assert.Len(t, e.used(t), 9)
}

func TestSetShelvesWithLoad(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 3, Capacity: 2}, syncproto.Shelf{No: 2, Layers: 1, Capacity: 2})
	for i := 1; i <= 3; i++ {
		e.in(t, sf(i), phone(i), "")
	}
	assert.Equal(t, map[string]int{"1-1": 2, "1-2": 1, "1-3": 0, "2-1": 0}, e.used(t))

	tests := []struct {
		name    string
		shelves []syncproto.Shelf
		want    map[string]string
	}{
		{"below the load", []syncproto.Shelf{{No: 1, Layers: 3, Capacity: 1}}, map[string]string{"shelf": "1", "layer": "1"}},
		{"loaded layer removed", []syncproto.Shelf{{No: 1, Layers: 1, Capacity: 5}}, map[string]string{"shelf": "1", "layer": "2"}},
		{"loaded shelf removed", []syncproto.Shelf{{No: 2, Layers: 3, Capacity: 5}}, map[string]string{"shelf": "1", "layer": "1"}},
		{"no shelves at all", nil, map[string]string{"shelf": "1", "layer": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.refused(t, CodeShelfInUse, func() error { return e.s.SetShelves(e.ctx, owner, tt.shelves) })
			assert.Equal(t, tt.want, ArgsOf(err))
		})
	}

	// Empty layers and shelves go; loaded ones keep their load.
	require.NoError(t, e.s.SetShelves(e.ctx, owner, []syncproto.Shelf{{No: 1, Layers: 2, Capacity: 2}}))
	assert.Equal(t, map[string]int{"1-1": 2, "1-2": 1}, e.used(t))
	e.in(t, sf(4), phone(4), "")
	e.refused(t, CodeShelvesFull, func() error {
		_, err := e.s.Inbound(e.ctx, clerk, InboundInput{Waybill: sf(5), ReceiverPhone: phone(5)})
		return err
	})
	// Growing adds room at once.
	require.NoError(t, e.s.SetShelves(e.ctx, owner, []syncproto.Shelf{{No: 1, Layers: 2, Capacity: 2}, {No: 3, Layers: 1, Capacity: 1}}))
	p := e.in(t, sf(5), phone(5), "")
	assert.Equal(t, 3, p.Shelf)
}
