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
)

var knownKinds = map[EventKind]bool{
	KindParcelInbound: true, KindParcelsPickedUp: true, KindParcelAccepted: true,
	KindParcelProblem: true, KindParcelsReturned: true,
	KindStocktake: true, KindDayClosed: true, KindOperatorChanged: true,
	KindShelvesSet: true, KindSettingsSet: true,
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
}

// ParcelsPickedUp is the payload of KindParcelsPickedUp.
type ParcelsPickedUp struct {
	Waybills    []string  `json:"waybills"`
	Collector   Collector `json:"collector"`
	PhotoSHA256 string    `json:"photo_sha256,omitempty"`
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
}
