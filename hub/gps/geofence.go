package gps

import (
	"math"
	"sort"
	"time"

	"cunyou/hub/store"
)

// DefaultFenceRadius is the radius of the circle around each station and
// the centre, in metres.
const DefaultFenceRadius = 300

// FenceMargin is how far past its radius a vehicle inside a fence must be
// to leave it: a vehicle parked at the edge, its fixes wandering a few
// metres, does not arrive and leave over and over.
const FenceMargin = 50

// DefaultApproachRadius is the wider circle around each village station
// whose crossing tells the station its vehicle is a few minutes away, in
// metres: some 4 minutes at the 40 km/h of a bus on a county road.
const DefaultApproachRadius = 3000

// Fence is a circle around a station or the centre, and for a station the
// wider circle of its vehicles' approach (0: none).
type Fence struct {
	Node     string
	Lat, Lon float64
	Radius   float64 // m
	Approach float64 // m
}

// FencesOf returns a circle of radius metres around each site with
// coordinates that is not closed, and around each village station the
// approach circle of DefaultApproachRadius.
func FencesOf(sites []store.Site, radius float64) []Fence {
	var out []Fence
	for _, s := range sites {
		if s.Status == "closed" || s.Lat == 0 && s.Lon == 0 {
			continue
		}
		f := Fence{Node: s.Node, Lat: s.Lat, Lon: s.Lon, Radius: radius}
		if s.Kind == "station" && radius < DefaultApproachRadius {
			f.Approach = DefaultApproachRadius
		}
		out = append(out, f)
	}
	return out
}

// MinETASpeed is the speed an approach's arrival time assumes at least,
// in km/h: a bus stopped at a crossing is still coming.
const MinETASpeed = 20

// ETA is when a vehicle near a station (an Approach event) should reach
// it: its distance at its speed, MinETASpeed at least.
func ETA(ev store.GeofenceEvent) time.Time {
	kmh := max(ev.Speed, MinETASpeed)
	return ev.Time.Add(time.Duration(ev.Distance / (kmh / 3.6) * float64(time.Second)))
}

// metres is the distance between two points, by the equirectangular
// approximation: well within a metre at a fence's scale.
func metres(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371e3
	rad := math.Pi / 180
	x := (lon2 - lon1) * rad * math.Cos((lat1+lat2)/2*rad)
	y := (lat2 - lat1) * rad
	return r * math.Hypot(x, y)
}

// Contains reports whether the point is inside the circle.
func (f Fence) Contains(lat, lon float64) bool { return f.within(lat, lon, f.Radius) }

func (f Fence) within(lat, lon, radius float64) bool {
	// Cheap reject first: a degree of latitude is 111 km.
	if math.Abs(lat-f.Lat)*111e3 > radius {
		return false
	}
	return metres(f.Lat, f.Lon, lat, lon) <= radius
}

// Geofencer turns each vehicle's positions into arrivals at and departures
// from the fences, and approaches: a vehicle coming into a station's
// approach circle from outside it (not straight into the station's own
// circle), once until it is FenceMargin past the approach circle again. A vehicle's first position sets where it is without an
// event; positions older than the vehicle's latest (a blind-area resend)
// and those without a fix (the status's positioned bit clear: the
// terminal's coordinates are stale or zero) are not looked at. A vehicle
// inside a fence leaves it FenceMargin past its radius. It is not safe for
// concurrent use.
type Geofencer struct {
	fences []Fence
	inside map[string]map[string]bool // plate → node → inside
	near   map[string]map[string]bool // plate → node → inside the approach circle
	last   map[string]int64           // plate → time of the latest position looked at (ms)
}

// NewGeofencer returns a geofencer of fences.
func NewGeofencer(fences []Fence) *Geofencer {
	return &Geofencer{fences: fences, inside: map[string]map[string]bool{}, near: map[string]map[string]bool{},
		last: map[string]int64{}}
}

// SetFences replaces the fences; a vehicle inside a fence that is gone
// leaves it without an event.
func (g *Geofencer) SetFences(fences []Fence) { g.fences = fences }

// Seed sets where vehicles are from their latest positions, without
// events: after a restart, the first report then tells an arrival or a
// departure that happened meanwhile.
func (g *Geofencer) Seed(ps []store.Position) {
	for _, p := range ps {
		if _, ok := g.inside[p.Plate]; ok || p.Plate == "" {
			continue
		}
		g.Events([]store.Position{p}, nil)
	}
}

// Events returns the events of positions, in time order by vehicle; trips
// names each vehicle's departed trip by plate.
func (g *Geofencer) Events(ps []store.Position, trips map[string]string) []store.GeofenceEvent {
	order := make([]int, 0, len(ps))
	for i, p := range ps {
		if p.Plate != "" && p.Status&StatusPositioned != 0 {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool {
		pa, pb := &ps[order[a]], &ps[order[b]]
		if pa.Plate != pb.Plate {
			return pa.Plate < pb.Plate
		}
		return pa.Time.Before(pb.Time)
	})
	var out []store.GeofenceEvent
	for _, i := range order {
		p := &ps[i]
		t := p.Time.UnixMilli()
		in, seen := g.inside[p.Plate]
		if seen && t <= g.last[p.Plate] {
			continue
		}
		g.last[p.Plate] = t
		if !seen {
			in = map[string]bool{}
			g.inside[p.Plate] = in
		}
		near := g.near[p.Plate]
		if near == nil {
			near = map[string]bool{}
			g.near[p.Plate] = near
		}
		for _, f := range g.fences {
			if f.Approach > 0 {
				r := f.Approach
				if near[f.Node] {
					r += FenceMargin
				}
				now := f.within(p.Lat, p.Lon, r)
				if now && !near[f.Node] && seen && !f.within(p.Lat, p.Lon, f.Radius) {
					out = append(out, store.GeofenceEvent{Trip: trips[p.Plate], Plate: p.Plate, Node: f.Node, Kind: store.Approach,
						Time: p.Time, Lat: p.Lat, Lon: p.Lon, Distance: metres(f.Lat, f.Lon, p.Lat, p.Lon), Speed: p.Speed})
				}
				if now {
					near[f.Node] = true
				} else {
					delete(near, f.Node)
				}
			}
			r := f.Radius
			if in[f.Node] {
				r += FenceMargin
			}
			now := f.within(p.Lat, p.Lon, r)
			if now == in[f.Node] {
				continue
			}
			if now {
				in[f.Node] = true
			} else {
				delete(in, f.Node)
			}
			if !seen {
				continue
			}
			kind := "departure"
			if now {
				kind = "arrival"
			}
			out = append(out, store.GeofenceEvent{Trip: trips[p.Plate], Plate: p.Plate, Node: f.Node, Kind: kind, Time: p.Time,
				Lat: p.Lat, Lon: p.Lon})
		}
	}
	return out
}
