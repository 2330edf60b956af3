package public_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/public"
)

// A parcel a dispatcher declared lost: the villager reads that it is
// being searched for, never the dispatcher's note.
func TestTrackLost(t *testing.T) {
	e := newEnv(t, public.Limits{})
	e.journey(t)
	require.NoError(t, e.in.MarkLost(context.Background(), "user:wang", wbLi, "货架上没有，联系 13912340000 的快递员"))
	var b trackBody
	r := e.get(t, "/q/api/track?waybill="+wbLi)
	b = zero(b)
	r.json(t, &b)
	p := b.Parcels[0]
	assert.Equal(t, "lost", p.Status)
	assert.Equal(t, "暂时找不到，正在查找", p.StatusText)
	assert.True(t, p.Progress.Stopped)
	assert.Equal(t, 3, p.Progress.Step, "last seen at the station")
	require.NotNil(t, p.Station)
	assert.Equal(t, "福兴村驿站", p.Station.Name)
	assert.Equal(t, "包裹暂时找不到，已登记查找；找到后继续派送，也可联系中通快递", p.Events[0].Text)
	assert.NotContains(t, r.body, "13912340000")
	assert.NotContains(t, r.body, "货架上没有")
}
