package openapi

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"cunyou/hub/store"
)

// Vehicles on the map: each vehicle's latest GPS position, and a trip's
// track (its vehicle's positions from the departure to the arrival, with
// the geofence events at its stops), for the console's map and replay.

// VehiclePosition is a vehicle's latest reported position.
type VehiclePosition struct {
	Plate    string    `json:"plate"`
	Time     time.Time `json:"time"` // the terminal's fix
	Lat      float64   `json:"lat"`
	Lon      float64   `json:"lon"`
	SpeedKmh float64   `json:"speed_kmh"`
	Heading  int       `json:"heading"` // degrees from north, clockwise
	Trip     string    `json:"trip,omitempty"`
}

// PositionList is GET /vehicles/positions.
type PositionList struct {
	Positions []VehiclePosition `json:"positions"`
}

// TrackPoint is one position on a trip's track.
type TrackPoint struct {
	Time     time.Time `json:"time"`
	Lat      float64   `json:"lat"`
	Lon      float64   `json:"lon"`
	SpeedKmh float64   `json:"speed_kmh"`
	Heading  int       `json:"heading"`
}

// StopEvent is the trip's vehicle arriving at or leaving a station or
// the centre (its geofence).
type StopEvent struct {
	Node string    `json:"node"`
	Kind string    `json:"kind"` // arrival, departure
	Time time.Time `json:"time"`
}

// TripTrack is GET /trips/{id}/track.
type TripTrack struct {
	Trip      Trip         `json:"trip"`
	From      time.Time    `json:"from"`
	To        time.Time    `json:"to"`
	Positions []TrackPoint `json:"positions"`
	Events    []StopEvent  `json:"events"`
}

func (s *Server) vehiclePositions(w http.ResponseWriter, r *http.Request) {
	ps, err := s.st.LatestPositions(r.Context())
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	trips, err := s.st.ActiveTrips(r.Context())
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	out := PositionList{Positions: []VehiclePosition{}}
	for _, p := range ps {
		out.Positions = append(out.Positions, VehiclePosition{Plate: p.Plate, Time: p.Time.In(s.loc), Lat: p.Lat, Lon: p.Lon,
			SpeedKmh: p.Speed, Heading: p.Heading, Trip: trips[p.Plate]})
	}
	s.write(w, ok(http.StatusOK, out))
}

func (s *Server) tripTrack(w http.ResponseWriter, r *http.Request) {
	tr, err := s.st.TripTrack(r.Context(), chi.URLParam(r, "id"), s.loc)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	out := TripTrack{Trip: tripView(tr.Trip), From: tr.From.In(s.loc), To: tr.To.In(s.loc), Positions: []TrackPoint{},
		Events: []StopEvent{}}
	for _, p := range tr.Positions {
		out.Positions = append(out.Positions, trackPoint(p, s.loc))
	}
	for _, e := range tr.Events {
		out.Events = append(out.Events, StopEvent{Node: e.Node, Kind: e.Kind, Time: e.Time.In(s.loc)})
	}
	s.write(w, ok(http.StatusOK, out))
}

func trackPoint(p store.Position, loc *time.Location) TrackPoint {
	return TrackPoint{Time: p.Time.In(loc), Lat: p.Lat, Lon: p.Lon, SpeedKmh: p.Speed, Heading: p.Heading}
}
