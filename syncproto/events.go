package syncproto

// EventKind names a fact in the event vocabulary. Kinds are part of the
// wire contract: never rename one; add a new kind instead.
type EventKind string

const (
	// Parcel facts at a station (DESIGN §2).
	KindParcelInbound   EventKind = "parcel.inbound"   // scanned in, slot and pickup code assigned
	KindParcelsPickedUp EventKind = "parcel.picked_up" // one or several handed to a receiver or proxy
	KindParcelAccepted  EventKind = "parcel.accepted"  // accepted to send (寄件), real-name checked
	KindParcelProblem   EventKind = "parcel.problem"   // marked as a problem parcel
	KindParcelsReturned EventKind = "parcel.returning" // marked to go back; slots freed
	KindStocktake       EventKind = "stocktake.done"   // a shelf was counted
	KindDayClosed       EventKind = "day.closed"       // the day's figures were closed
	KindOperatorChanged EventKind = "operator.changed" // an operator was created or changed
	KindShelvesSet      EventKind = "station.shelves"  // the shelf layout was set
	KindSettingsSet     EventKind = "station.settings" // station settings were changed
	KindParcelsNotified EventKind = "parcel.notified"  // the station sent the arrival SMS itself (its modem, link down)
	// KindParcelInboundUndone: the operator undid the last inbound scan (a
	// wrong parcel scanned in); a new fact, the inbound is never erased.
	KindParcelInboundUndone EventKind = "parcel.inbound_undone"

	// Parcel facts at the county centre (DESIGN §2, step 3, and the
	// outbound half).
	KindParcelAtCentre    EventKind = "parcel.at_centre"   // scanned in at the centre, with the sort decision when known
	KindParcelLoaded      EventKind = "parcel.loaded"      // custody scan onto a trip
	KindTripDeparted      EventKind = "trip.departed"      // a trip left with the parcels loaded on it
	KindParcelCollected   EventKind = "parcel.collected"   // an outbound or returned parcel received at the centre
	KindParcelsHandedOver EventKind = "parcel.handed_over" // parcels handed to a carrier on one handover list

	// Facts the hub records itself (node "HUB"); a node never sends them.
	KindParcelManifested  EventKind = "parcel.manifested"    // a carrier or shop announced a parcel, with the destination decided
	KindParcelDestination EventKind = "parcel.destination"   // a dispatcher set (or changed) a parcel's destination station
	KindCarrierEvent      EventKind = "parcel.carrier_event" // a carrier's own tracking event, pushed through the open API
	KindTripAtStop        EventKind = "trip.at_stop"         // a trip's vehicle came to or left a station or the centre (GPS geofence)
	KindParcelLost        EventKind = "parcel.lost"          // a dispatcher declared a parcel lost
)

// HubNode is the node id of the facts the hub records itself.
const HubNode = "HUB"

// HubOnly reports whether only the hub may record facts of kind k.
func (k EventKind) HubOnly() bool {
	return k == KindParcelManifested || k == KindParcelDestination || k == KindCarrierEvent || k == KindTripAtStop ||
		k == KindParcelLost
}

var knownKinds = map[EventKind]bool{
	KindParcelInbound: true, KindParcelsPickedUp: true, KindParcelAccepted: true,
	KindParcelProblem: true, KindParcelsReturned: true,
	KindStocktake: true, KindDayClosed: true, KindOperatorChanged: true,
	KindShelvesSet: true, KindSettingsSet: true, KindParcelsNotified: true, KindParcelInboundUndone: true,
	KindParcelAtCentre: true, KindParcelLoaded: true, KindTripDeparted: true,
	KindParcelCollected: true, KindParcelsHandedOver: true,
	KindParcelManifested: true, KindParcelDestination: true, KindCarrierEvent: true, KindTripAtStop: true,
	KindParcelLost: true,
}

// Known reports whether k is in this build's vocabulary.
func (k EventKind) Known() bool { return knownKinds[k] }

// ParcelInbound is the payload of KindParcelInbound.
type ParcelInbound struct {
	Waybill       string `json:"waybill"`
	Carrier       string `json:"carrier"`
	ReceiverName  string `json:"receiver_name,omitempty"`
	ReceiverPhone string `json:"receiver_phone"`
	Manifested    bool   `json:"manifested,omitempty"` // receiver came from the hub's manifest
	Shelf         int    `json:"shelf"`
	Layer         int    `json:"layer"`
	Code          string `json:"code"` // pickup code, e.g. 5-2-3001
}

// Collector is who took parcels away at pickup.
type Collector struct {
	Kind    string `json:"kind"` // "receiver" or "proxy"
	Name    string `json:"name,omitempty"`
	Phone   string `json:"phone,omitempty"`
	IDHash  string `json:"id_hash,omitempty"`  // keyed hash of the ID number; never the number
	IDLast4 string `json:"id_last4,omitempty"` // last four characters, for display
	// IDSource is "card" when the station's ID-card reader read the
	// collector's identity; empty when typed or not taken.
	IDSource string `json:"id_source,omitempty"`
}

// ParcelsPickedUp is the payload of KindParcelsPickedUp.
type ParcelsPickedUp struct {
	Waybills    []string  `json:"waybills"`
	Collector   Collector `json:"collector"`
	PhotoSHA256 string    `json:"photo_sha256,omitempty"`
}

// ParcelInboundUndone is the payload of KindParcelInboundUndone: the
// inbound of Waybill (op InboundSeq of the same incarnation) was undone
// before anything else happened to the parcel. Its slot and pickup code
// are free again; the arrival SMS it owed is not to be sent.
type ParcelInboundUndone struct {
	Waybill    string `json:"waybill"`
	Code       string `json:"code"` // the pickup code given up
	Shelf      int    `json:"shelf"`
	Layer      int    `json:"layer"`
	InboundSeq uint64 `json:"inbound_seq,omitempty"`
}

// ParcelsNotified is the payload of KindParcelsNotified: the station sent
// the arrival SMS of these parcels (one message, to one phone) itself,
// because their inbound ops had not reached the hub in time. The hub
// sends none of its own for them.
type ParcelsNotified struct {
	Waybills []string `json:"waybills"`
	Via      string   `json:"via"`             // "modem"
	Parts    int      `json:"parts,omitempty"` // billed messages
	// Uncertain: the station stopped while the modem had the message;
	// it may or may not have gone.
	Uncertain bool `json:"uncertain,omitempty"`
}

// Party is a sender or receiver of an outbound parcel.
type Party struct {
	Name     string `json:"name"`
	Phone    string `json:"phone"`
	Province string `json:"province,omitempty"`
	Address  string `json:"address,omitempty"`
	IDHash   string `json:"id_hash,omitempty"`
	IDLast4  string `json:"id_last4,omitempty"`
}

// ParcelAccepted is the payload of KindParcelAccepted.
type ParcelAccepted struct {
	Waybill       string `json:"waybill"`
	Carrier       string `json:"carrier"`
	WaybillSource string `json:"waybill_source"` // "range" (allocated) or "entered"
	Sender        Party  `json:"sender"`
	Receiver      Party  `json:"receiver"`
	WeightGrams   int    `json:"weight_g"`
	PriceFen      int    `json:"price_fen"`
	// SenderIDSource is "card" when the station's ID-card reader read the
	// sender's identity (its SAM checked the card); empty when typed.
	SenderIDSource string `json:"sender_id_source,omitempty"`
}

// Problem reason codes.
const (
	ReasonDamaged        = "damaged"
	ReasonWrongStation   = "wrong_station"
	ReasonRefused        = "refused"
	ReasonAddressUnknown = "address_unknown"
	ReasonLost           = "lost"
	ReasonOther          = "other"
)

// ProblemReasons lists the reason codes in display order.
var ProblemReasons = []string{ReasonDamaged, ReasonWrongStation, ReasonRefused, ReasonAddressUnknown, ReasonLost, ReasonOther}

// ParcelProblem is the payload of KindParcelProblem.
type ParcelProblem struct {
	Waybill string `json:"waybill"`
	Reason  string `json:"reason"`
	Text    string `json:"text,omitempty"`
}

// ParcelsReturned is the payload of KindParcelsReturned.
type ParcelsReturned struct {
	Waybills []string `json:"waybills"`
	Reason   string   `json:"reason"` // "overdue", or a problem reason
}

// ParcelRelocated is a stocktake correction: a parcel found in another
// slot than recorded.
type ParcelRelocated struct {
	Waybill   string `json:"waybill"`
	FromShelf int    `json:"from_shelf"`
	FromLayer int    `json:"from_layer"`
	ToShelf   int    `json:"to_shelf"`
	ToLayer   int    `json:"to_layer"`
}

// Stocktake is the payload of KindStocktake.
type Stocktake struct {
	Shelf      int      `json:"shelf"`
	Expected   int      `json:"expected"`
	Scanned    int      `json:"scanned"`
	Missing    []string `json:"missing,omitempty"`
	Unexpected []string `json:"unexpected,omitempty"`
	Misplaced  []string `json:"misplaced,omitempty"`
	// Relocations are the corrections the count made.
	Relocations []ParcelRelocated `json:"relocations,omitempty"`
}

// DayCounts are one carrier's (or the total) figures for a day.
type DayCounts struct {
	In       int `json:"in"`
	Out      int `json:"out"`
	Sent     int `json:"sent"`
	Problems int `json:"problems"`
	Returns  int `json:"returns"`
	OnShelf  int `json:"on_shelf"`
}

// DayClosed is the payload of KindDayClosed.
type DayClosed struct {
	Date           string               `json:"date"`    // YYYY-MM-DD, station local time
	FromMs         int64                `json:"from_ms"` // activity counted from (unix ms)…
	ToMs           int64                `json:"to_ms"`   // …up to, exclusive
	ByCarrier      map[string]DayCounts `json:"by_carrier"`
	Total          DayCounts            `json:"total"`
	OpeningOnShelf int                  `json:"opening_on_shelf"`
	Mismatch       int                  `json:"mismatch"` // closing − (opening + in − out − returns)
	// StocktakeMissing: parcels on the books that the day's stocktakes
	// did not find on their shelves.
	StocktakeMissing int `json:"stocktake_missing,omitempty"`
}

// OperatorChanged is the payload of KindOperatorChanged. It never carries a
// secret or its hash.
type OperatorChanged struct {
	Username      string `json:"username"`
	DisplayName   string `json:"display_name"`
	Role          string `json:"role"`
	Disabled      bool   `json:"disabled,omitempty"`
	Created       bool   `json:"created,omitempty"`
	SecretChanged bool   `json:"secret_changed,omitempty"`
	Unlocked      bool   `json:"unlocked,omitempty"`
}

// Shelf is one shelf of a station's layout.
type Shelf struct {
	No       int `json:"no"`
	Layers   int `json:"layers"`
	Capacity int `json:"capacity"` // parcels per layer
}

// ShelvesSet is the payload of KindShelvesSet.
type ShelvesSet struct {
	Shelves []Shelf `json:"shelves"`
}

// SettingsSet is the payload of KindSettingsSet.
type SettingsSet struct {
	OverdueDays int `json:"overdue_days"`
	ReturnDays  int `json:"return_days"`
	// The ID-card policy at pickup: a proxy's card must be read; a parcel
	// declared at IDValueYuan or more needs the collector's card read
	// (when IDHighValue).
	IDForProxy  bool `json:"id_for_proxy,omitempty"`
	IDHighValue bool `json:"id_high_value,omitempty"`
	IDValueYuan int  `json:"id_value_yuan,omitempty"`
}

// ParcelAtCentre is the payload of KindParcelAtCentre: a parcel scanned in
// at the centre. Station and Trip are the sort decision the centre showed
// and printed on the sort label; Station is empty while the destination is
// unresolved (the parcel waits for a dispatcher).
type ParcelAtCentre struct {
	Waybill       string `json:"waybill"`
	Carrier       string `json:"carrier"`
	Manifested    bool   `json:"manifested,omitempty"` // the centre had it from the hub's manifest
	ReceiverName  string `json:"receiver_name,omitempty"`
	ReceiverPhone string `json:"receiver_phone,omitempty"`
	Station       string `json:"station,omitempty"` // destination station's node id
	Trip          string `json:"trip,omitempty"`    // trip id the parcel is sorted to
	WeightGrams   int    `json:"weight_g,omitempty"`
}

// ParcelLoaded is the payload of KindParcelLoaded: the custody scan of a
// parcel onto a trip's vehicle, optionally in a bag or cage.
type ParcelLoaded struct {
	Waybill string `json:"waybill"`
	Trip    string `json:"trip"`
	Bag     string `json:"bag,omitempty"`
}

// TripDeparted is the payload of KindTripDeparted: the trip left the
// centre with Waybills (every parcel loaded on it and not unloaded).
type TripDeparted struct {
	Trip     string   `json:"trip"`
	Vehicle  string   `json:"vehicle,omitempty"` // plate number
	Driver   string   `json:"driver,omitempty"`
	Waybills []string `json:"waybills"`
}

// TripAtStop is the payload of KindTripAtStop: the vehicle of a trip on
// its way came within the geofence of a station or the centre, or left
// it, by its GPS terminal. The parcels on the trip get it in their
// timelines.
//
// TripNear is the vehicle coming within a few kilometres of a
// village station: the parcels on the trip for that station get it in
// their timelines, and the station is told (ChangeTripApproaching).
type TripAtStop struct {
	Trip    string `json:"trip"`
	Vehicle string `json:"vehicle"` // plate number
	Node    string `json:"node"`    // the station or centre
	Event   string `json:"event"`   // TripArrived, TripLeft or TripNear
	AtMs    int64  `json:"at_ms"`   // the position's time
	// EtaMs is when an approaching vehicle should reach the station (its
	// distance at its speed, 20 km/h at least).
	EtaMs int64 `json:"eta_ms,omitempty"`
}

// Events of a TripAtStop.
const (
	TripArrived = "arrived"
	TripLeft    = "left"
	TripNear    = "approaching"
)

// Directions of a parcel collected at the centre.
const (
	CollectedOutbound = "out"    // sent from a village (寄件), on its way to the carrier
	CollectedReturn   = "return" // an inbound parcel coming back (unclaimed, refused, wrong station)
)

// ParcelCollected is the payload of KindParcelCollected: a parcel taken
// off a trip at the centre, to be handed to its carrier.
type ParcelCollected struct {
	Waybill   string `json:"waybill"`
	Carrier   string `json:"carrier"`
	Direction string `json:"direction"`      // CollectedOutbound or CollectedReturn
	From      string `json:"from,omitempty"` // station node id it came from, when known
	Trip      string `json:"trip,omitempty"`
}

// ParcelsHandedOver is the payload of KindParcelsHandedOver: parcels
// handed to one carrier's courier on one handover list (交接单).
type ParcelsHandedOver struct {
	Carrier  string   `json:"carrier"`
	List     string   `json:"list"` // handover list number, unique at the centre
	Courier  string   `json:"courier,omitempty"`
	Waybills []string `json:"waybills"`
}

// How the hub decided a parcel's destination station.
const (
	DestVillage    = "village"    // the address names a village of the county (Detail says which)
	DestPhone      = "phone"      // the station the receiver's phone last collected at
	DestManual     = "manual"     // a dispatcher chose it
	DestUnresolved = "unresolved" // no decision yet: the parcel waits in the dispatchers' queue
)

// ParcelManifested is the payload of KindParcelManifested: a parcel a
// carrier or shop announced (or announced again with new details), with
// the destination the hub decided. Receiver's phone in full: the hub
// needs it for the arrival SMS; it is never logged.
type ParcelManifested struct {
	Waybill       string `json:"waybill"`
	Carrier       string `json:"carrier"`
	ReceiverName  string `json:"receiver_name,omitempty"`
	ReceiverPhone string `json:"receiver_phone"`
	Address       string `json:"address,omitempty"`
	WeightGrams   int    `json:"weight_g,omitempty"`
	ValueFen      int    `json:"value_fen,omitempty"`
	SenderName    string `json:"sender_name,omitempty"`
	SenderPhone   string `json:"sender_phone,omitempty"`
	Source        string `json:"source"`            // API client id, or "file:<name>"
	Station       string `json:"station,omitempty"` // destination station node id, "" when unresolved
	Trip          string `json:"trip,omitempty"`    // planned trip, when one was known
	Reason        string `json:"reason"`            // DestVillage, DestPhone or DestUnresolved
	Detail        string `json:"detail,omitempty"`  // what matched, or why nothing did
}

// ParcelDestination is the payload of KindParcelDestination.
type ParcelDestination struct {
	Waybill string `json:"waybill"`
	Station string `json:"station"`
	Reason  string `json:"reason"` // DestManual
	Note    string `json:"note,omitempty"`
}

// ParcelLost is the payload of KindParcelLost: a dispatcher declared an
// inbound parcel lost (it cannot be found where it should be). Found
// again, the next scan of a station or the centre moves it on.
type ParcelLost struct {
	Waybill string `json:"waybill"`
	Note    string `json:"note"` // why, what was done (who searched where)
}

// CarrierEvent is the payload of KindCarrierEvent: what a carrier's own
// network says happened to a parcel (collected from the sender, left a
// depot, ...). It joins the timeline; statuses come from the county's own
// facts.
type CarrierEvent struct {
	Waybill  string `json:"waybill"`
	Carrier  string `json:"carrier"`
	Code     string `json:"code"` // the carrier's event code, e.g. "collected", "departed", "arrived"
	Text     string `json:"text,omitempty"`
	Location string `json:"location,omitempty"`
	AtMs     int64  `json:"at_ms"` // when it happened, by the carrier's clock
}
