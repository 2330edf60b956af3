package syncproto

// ChangeType names a downstream change. Like event kinds, types are part of
// the wire contract: add, never rename.
type ChangeType string

const (
	ChangeManifest        ChangeType = "manifest"         // a parcel on its way to the station (ManifestEntry)
	ChangeManifestCancel  ChangeType = "manifest.cancel"  // a parcel no longer coming (ManifestCancel)
	ChangeTariffs         ChangeType = "tariffs"          // the whole tariff table (Tariffs)
	ChangeWaybillRange    ChangeType = "waybill_range"    // a block of waybill numbers (WaybillRange)
	ChangeShelves         ChangeType = "shelves"          // the shelf layout set by the county (ShelvesSet)
	ChangeOperator        ChangeType = "operator"         // an account provisioned by the county (OperatorAccount)
	ChangeTemplate        ChangeType = "template"         // a message template (Template)
	ChangeTrip            ChangeType = "trip"             // a trip of a line, for the centre (Trip)
	ChangeTripApproaching ChangeType = "trip.approaching" // a trip's vehicle is minutes away, for a station (TripApproaching)
)

var knownChanges = map[ChangeType]bool{
	ChangeManifest: true, ChangeManifestCancel: true, ChangeTariffs: true, ChangeWaybillRange: true,
	ChangeShelves: true, ChangeOperator: true, ChangeTemplate: true, ChangeTrip: true, ChangeTripApproaching: true,
}

// Known reports whether t is in this build's vocabulary. An edge skips (and
// counts) changes it does not know, so an older edge keeps syncing.
func (t ChangeType) Known() bool { return knownChanges[t] }

// ManifestEntry is a parcel the hub announced for a station.
type ManifestEntry struct {
	Waybill       string `json:"waybill"`
	Carrier       string `json:"carrier"`
	ReceiverName  string `json:"receiver_name"`
	ReceiverPhone string `json:"receiver_phone"`
	Address       string `json:"address,omitempty"`
	WeightGrams   int    `json:"weight_g,omitempty"`
	ValueFen      int    `json:"value_fen,omitempty"` // declared value, as the carrier or shop announced it
	// Station and Trip are set in the centre's manifest: where the parcel
	// goes and the trip it is planned on ("" while unknown).
	Station string `json:"station,omitempty"`
	Trip    string `json:"trip,omitempty"`
}

// ManifestCancel withdraws a manifest entry.
type ManifestCancel struct {
	Waybill string `json:"waybill"`
}

// Tariff prices one carrier's parcels to one province ("*" for any): the
// first FirstGrams cost FirstFen, each further StepGrams or part StepFen.
type Tariff struct {
	Carrier    string `json:"carrier"`
	Province   string `json:"province"`
	FirstGrams int    `json:"first_g"`
	FirstFen   int    `json:"first_fen"`
	StepGrams  int    `json:"step_g"`
	StepFen    int    `json:"step_fen"`
}

// Tariffs replaces a station's tariff table.
type Tariffs struct {
	Tariffs []Tariff `json:"tariffs"`
}

// WaybillRange is a block of waybill numbers a carrier gave a station:
// Prefix then Next..Last zero-padded to Width digits.
type WaybillRange struct {
	Carrier string `json:"carrier"`
	Prefix  string `json:"prefix"`
	Next    int64  `json:"next"`
	Last    int64  `json:"last"`
	Width   int    `json:"width"`
}

// OperatorAccount is a station account provisioned by the county. Secret
// is an argon2id PHC string, never the secret itself.
type OperatorAccount struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	SecretKind  string `json:"secret_kind"`
	SecretHash  string `json:"secret_hash"`
	Disabled    bool   `json:"disabled,omitempty"`
}

// Template is a message template by key (e.g. the arrival SMS).
type Template struct {
	Key  string `json:"key"`
	Text string `json:"text"`
}

// Trip is one run of a line on one day, sent to the centre (and updated
// when its vehicle, driver or status changes). Stops are node ids in order,
// the centre first.
type Trip struct {
	ID        string   `json:"id"`
	Line      string   `json:"line"`
	LineName  string   `json:"line_name"`
	Date      string   `json:"date"`      // YYYY-MM-DD, county local time
	Departure string   `json:"departure"` // HH:MM
	Vehicle   string   `json:"vehicle,omitempty"`
	Driver    string   `json:"driver,omitempty"`
	Stops     []string `json:"stops"`
	Cancelled bool     `json:"cancelled,omitempty"`
}

// TripApproaching tells a village station that the vehicle of a trip is a
// few minutes away with parcels for it, so that the operator is at the
// counter to take the bags.
type TripApproaching struct {
	Trip    string `json:"trip"`
	Line    string `json:"line,omitempty"` // the line's name
	Vehicle string `json:"vehicle"`        // plate number
	AtMs    int64  `json:"at_ms"`          // when the vehicle came near
	EtaMs   int64  `json:"eta_ms"`         // when it should arrive
	Parcels int    `json:"parcels"`        // parcels on the trip for the station
	// Waybills are those parcels: the station's notice counts down as
	// they are scanned in, and goes once all are.
	Waybills []string `json:"waybills,omitempty"`
}
