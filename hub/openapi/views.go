package openapi

import (
	"context"
	"sync"
	"time"

	"cunyou/hub/intake"
	"cunyou/hub/merge"
	"cunyou/hub/store"
	"cunyou/mask"
	"cunyou/syncproto"
)

// The answers' JSON shapes, as the OpenAPI document describes them.

// Parcel is one parcel in one direction.
type Parcel struct {
	Waybill   string `json:"waybill"`
	Direction string `json:"direction"` // in (to the village) or out (sent from it)
	Carrier   string `json:"carrier"`
	Status    string `json:"status"`
	Stage     string `json:"stage"`
	// Holder is the station or centre holding the parcel; null while a
	// carrier or a vehicle has it.
	Holder      *Place       `json:"holder"`
	Destination *Destination `json:"destination,omitempty"` // inbound parcels
	Trip        string       `json:"trip,omitempty"`
	Receiver    Person       `json:"receiver"`
	Address     string       `json:"address,omitempty"`
	WeightGrams int          `json:"weight_g"`
	ValueFen    int          `json:"value_fen"`
	SenderName  string       `json:"sender_name,omitempty"`
	// PickupCode is shown to the admin only: with it the parcel can be
	// collected.
	PickupCode string    `json:"pickup_code,omitempty"`
	Source     string    `json:"source,omitempty"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Place is a station or the centre.
type Place struct {
	Node string `json:"node"`
	Name string `json:"name,omitempty"`
	Kind string `json:"kind,omitempty"` // station or centre
}

// Destination is where an inbound parcel goes and why.
type Destination struct {
	Station string `json:"station,omitempty"` // "" while unresolved
	Name    string `json:"name,omitempty"`
	Reason  string `json:"reason"` // village, phone, manual, unresolved
	Detail  string `json:"detail,omitempty"`
}

// Person is a receiver, masked for every caller but the admin.
type Person struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Fact is one entry of a parcel's timeline.
type Fact struct {
	ID         int64     `json:"id"`
	Direction  string    `json:"direction"`
	Kind       string    `json:"kind"`
	Node       string    `json:"node"` // HUB for the hub's own facts
	NodeName   string    `json:"node_name,omitempty"`
	At         time.Time `json:"at"`          // when it happened (the node's clock)
	ReceivedAt time.Time `json:"received_at"` // when the hub received it
	Detail     string    `json:"detail,omitempty"`
}

// Tracking is the answer of GET /api/v1/parcels/{waybill}.
type Tracking struct {
	Waybill  string   `json:"waybill"`
	Parcels  []Parcel `json:"parcels"`
	Timeline []Fact   `json:"timeline"`
}

// ParcelList is a page of parcels.
type ParcelList struct {
	Parcels []Parcel `json:"parcels"`
	// NextCursor continues the search (the cursor parameter); absent on
	// the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// Summary counts the outcomes of an announcement.
type Summary struct {
	Total      int `json:"total"`
	Created    int `json:"created"`
	Updated    int `json:"updated"`
	Unchanged  int `json:"unchanged"`
	Rejected   int `json:"rejected"`
	Unresolved int `json:"unresolved"` // taken, but waiting for a dispatcher to choose the station
}

// Report is the answer of a batch or a manifest file.
type Report struct {
	File    string          `json:"file,omitempty"`
	Summary Summary         `json:"summary"`
	Results []intake.Result `json:"results"`
}

func summarize(rs []intake.Result) Summary {
	s := intake.Summarize(rs)
	return Summary{Total: len(rs), Created: s.Created, Updated: s.Updated, Unchanged: s.Unchanged, Rejected: s.Rejected,
		Unresolved: s.Unresolved}
}

// stages group the statuses for the dashboard.
var stages = map[string]string{
	merge.StatusManifested: "announced",
	merge.StatusAtCentre:   "at_centre",
	merge.StatusSorted:     "at_centre",
	merge.StatusLoaded:     "at_centre",
	merge.StatusInTransit:  "on_the_road",
	merge.StatusAtStation:  "at_station",
	merge.StatusPickedUp:   "delivered",
	merge.StatusProblem:    "problem",
	merge.StatusLost:       "problem",
	merge.StatusReturning:  "returns",
	merge.StatusReturned:   "returns",
	merge.StatusAccepted:   "outbound",
	merge.StatusCollected:  "outbound",
	merge.StatusHandedOver: "outbound",
}

func stageOf(status string) string {
	if s, ok := stages[status]; ok {
		return s
	}
	return "other"
}

// sites caches the names and kinds of the county's nodes for 30 s.
type sites struct {
	mu    sync.Mutex
	at    time.Time
	byID  map[string]store.Site
	fetch func(context.Context) ([]store.Site, error)
}

func (c *sites) get(ctx context.Context) map[string]store.Site {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID != nil && time.Since(c.at) < 30*time.Second {
		return c.byID
	}
	ss, err := c.fetch(ctx)
	if err != nil {
		return c.byID // names are a courtesy: answer without them
	}
	c.byID = make(map[string]store.Site, len(ss))
	for _, s := range ss {
		c.byID[s.Node] = s
	}
	c.at = time.Now()
	return c.byID
}

// view builds parcels' answers for a caller.
type view struct {
	admin bool
	sites map[string]store.Site
}

func (s *Server) viewFor(ctx context.Context, c caller) view {
	return view{admin: c.admin, sites: s.sites.get(ctx)}
}

func (v view) place(node string) *Place {
	if node == "" {
		return nil
	}
	p := &Place{Node: node}
	if s, ok := v.sites[node]; ok {
		p.Name, p.Kind = s.Name, s.Kind
	}
	return p
}

func (v view) parcel(p store.Parcel) Parcel {
	out := Parcel{
		Waybill: p.Waybill, Direction: p.Direction, Carrier: p.Carrier, Status: p.Status, Stage: stageOf(p.Status),
		Holder: v.place(p.Node), Trip: p.Trip, Address: p.Address, WeightGrams: p.WeightGrams, ValueFen: p.ValueFen,
		Source: p.Source, CreatedAt: p.Created, UpdatedAt: p.Updated.UTC(),
		Receiver:   Person{Name: p.ReceiverName, Phone: p.ReceiverPhone},
		SenderName: p.SenderName,
	}
	if !out.CreatedAt.IsZero() {
		out.CreatedAt = out.CreatedAt.UTC()
	}
	if p.Direction == "in" {
		d := &Destination{Station: p.Dest, Reason: p.DestReason, Detail: p.DestDetail}
		if d.Reason == "" && d.Station == "" {
			d.Reason = syncproto.DestUnresolved
		}
		if pl := v.place(p.Dest); pl != nil {
			d.Name = pl.Name
		}
		out.Destination = d
	}
	if v.admin {
		out.PickupCode = p.Code
	} else {
		out.Receiver = Person{Name: mask.Name(p.ReceiverName), Phone: mask.Phone(p.ReceiverPhone)}
		out.SenderName = mask.Name(p.SenderName)
	}
	return out
}

func (v view) parcels(ps []store.Parcel) []Parcel {
	out := make([]Parcel, 0, len(ps))
	for _, p := range ps {
		out = append(out, v.parcel(p))
	}
	return out
}

func (v view) fact(f store.Fact) Fact {
	out := Fact{ID: f.ID, Direction: f.Direction, Kind: string(f.Kind), Node: f.Node, At: f.HLC.Time().UTC(),
		ReceivedAt: f.Received.UTC(), Detail: f.Detail}
	if s, ok := v.sites[f.Node]; ok {
		out.NodeName = s.Name
	}
	if !v.admin && f.Kind == syncproto.KindParcelInbound {
		out.Detail = maskCode(out.Detail)
	}
	return out
}
