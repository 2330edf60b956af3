package syncproto_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"cunyou/syncproto"
)

// allKinds is every EventKind constant the package declares.
var allKinds = []syncproto.EventKind{
	syncproto.KindParcelInbound,
	syncproto.KindParcelsPickedUp,
	syncproto.KindParcelAccepted,
	syncproto.KindParcelProblem,
	syncproto.KindParcelsReturned,
	syncproto.KindStocktake,
	syncproto.KindDayClosed,
	syncproto.KindOperatorChanged,
	syncproto.KindShelvesSet,
	syncproto.KindSettingsSet,
	syncproto.KindParcelInboundUndone,
	syncproto.KindParcelAtCentre,
	syncproto.KindParcelLoaded,
	syncproto.KindTripDeparted,
	syncproto.KindParcelCollected,
	syncproto.KindParcelsHandedOver,
	syncproto.KindParcelManifested,
	syncproto.KindParcelDestination,
	syncproto.KindCarrierEvent,
	syncproto.KindParcelLost,
	syncproto.KindParcelsNotified,
	syncproto.KindTripAtStop,
}

func TestEventKindNamesAreStable(t *testing.T) {
	// Kinds are part of the wire contract: never renamed.
	want := map[syncproto.EventKind]string{
		syncproto.KindParcelInbound:       "parcel.inbound",
		syncproto.KindParcelsPickedUp:     "parcel.picked_up",
		syncproto.KindParcelAccepted:      "parcel.accepted",
		syncproto.KindParcelProblem:       "parcel.problem",
		syncproto.KindParcelsReturned:     "parcel.returning",
		syncproto.KindStocktake:           "stocktake.done",
		syncproto.KindDayClosed:           "day.closed",
		syncproto.KindOperatorChanged:     "operator.changed",
		syncproto.KindShelvesSet:          "station.shelves",
		syncproto.KindSettingsSet:         "station.settings",
		syncproto.KindParcelInboundUndone: "parcel.inbound_undone",
		syncproto.KindParcelAtCentre:      "parcel.at_centre",
		syncproto.KindParcelLoaded:        "parcel.loaded",
		syncproto.KindTripDeparted:        "trip.departed",
		syncproto.KindParcelCollected:     "parcel.collected",
		syncproto.KindParcelsHandedOver:   "parcel.handed_over",
		syncproto.KindParcelManifested:    "parcel.manifested",
		syncproto.KindParcelDestination:   "parcel.destination",
		syncproto.KindCarrierEvent:        "parcel.carrier_event",
		syncproto.KindParcelLost:          "parcel.lost",
		syncproto.KindParcelsNotified:     "parcel.notified",
		syncproto.KindTripAtStop:          "trip.at_stop",
	}
	assert.Len(t, want, len(allKinds))
	for _, k := range allKinds {
		assert.Equal(t, want[k], string(k))
	}
}

func TestEventKindsKnown(t *testing.T) {
	for _, k := range allKinds {
		t.Run(string(k), func(t *testing.T) {
			assert.True(t, k.Known())
		})
	}
	for _, k := range []syncproto.EventKind{"", "parcel", "parcel.inbound ", "PARCEL.INBOUND", "parcel.deleted", "parcel.relocated"} {
		assert.False(t, k.Known(), "%q", k)
	}
}

func TestHubOnly(t *testing.T) {
	for _, k := range allKinds {
		want := k == syncproto.KindParcelManifested || k == syncproto.KindParcelDestination || k == syncproto.KindCarrierEvent ||
			k == syncproto.KindParcelLost || k == syncproto.KindTripAtStop
		assert.Equal(t, want, k.HubOnly(), k)
	}
}

func TestNodeKindValid(t *testing.T) {
	assert.True(t, syncproto.NodeStation.Valid())
	assert.True(t, syncproto.NodeCentre.Valid())
	for _, k := range []syncproto.NodeKind{"", "hub", "Station", "center"} {
		assert.False(t, k.Valid(), "%q", k)
	}
}
