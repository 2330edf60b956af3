package public_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/public"
	"cunyou/syncproto"
)

// A scan-in undone at the station (a wrong parcel scanned in): the
// villager reads 入库已撤销 and the parcel is on its way again.
func TestTrackInboundUndone(t *testing.T) {
	e := newEnv(t, public.Limits{})
	e.journey(t)
	e.apply(t, stFuxing, at("07:45"), syncproto.KindParcelInboundUndone, syncproto.ParcelInboundUndone{Waybill: wbLi, Code: codeLi,
		Shelf: 3, Layer: 2})
	var b trackBody
	r := e.get(t, "/q/api/track?waybill="+wbLi)
	r.json(t, &b)
	require.Len(t, b.Parcels, 1)
	p := b.Parcels[0]
	assert.Equal(t, "in_transit", p.Status, "back on the bus, as before the scan")
	assert.Equal(t, "入库已撤销：福兴村驿站扫错了，包裹不在该站", p.Events[0].Text)
	assert.Equal(t, string(syncproto.KindParcelInboundUndone), p.Events[0].Kind)
	assert.NotContains(t, r.body, codeLi, "the code given up is not shown")
}
