package openapi

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"cunyou/hub/store"
	"cunyou/mask"
)

// The county's registries, read by dispatchers and the console (scope
// dispatch); a trip's vehicle, driver and status are set here too. The
// registries are kept with the `cunyou-hub` commands.

// CarrierInfo is a registered carrier; the webhook secret never leaves
// the hub.
type CarrierInfo struct {
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	Patterns   []string `json:"patterns"`
	WebhookURL string   `json:"webhook_url,omitempty"`
}

// CarrierList lists carriers.
type CarrierList struct {
	Carriers []CarrierInfo `json:"carriers"`
}

// Site is a station or the centre with the county's details.
type Site struct {
	Node         string  `json:"node"`
	Name         string  `json:"name"`
	Kind         string  `json:"kind"`
	Village      string  `json:"village,omitempty"`
	VillageName  string  `json:"village_name,omitempty"`
	Town         string  `json:"town,omitempty"`
	TownName     string  `json:"town_name,omitempty"`
	Address      string  `json:"address"`
	Lat          float64 `json:"lat"`
	Lon          float64 `json:"lon"`
	Hours        string  `json:"hours"`
	ContactName  string  `json:"contact_name"`
	ContactPhone string  `json:"contact_phone"`
	Status       string  `json:"status"`
	Enrolled     bool    `json:"enrolled"`
	Disabled     bool    `json:"disabled"`
}

// SiteList lists sites.
type SiteList struct {
	Sites []Site `json:"sites"`
}

// LineStop is a stop of a line, with the minutes from departure.
type LineStop struct {
	Node    string `json:"node"`
	Minutes int    `json:"minutes"`
}

// Line is a bus line or van route.
type Line struct {
	Code       string     `json:"code"`
	Name       string     `json:"name"`
	Kind       string     `json:"kind"`
	Stops      []LineStop `json:"stops"`
	Departures []string   `json:"departures"`
}

// LineList lists lines.
type LineList struct {
	Lines []Line `json:"lines"`
}

// Trip is one run of a line on one day.
type Trip struct {
	ID        string     `json:"id"`
	Line      string     `json:"line"`
	LineName  string     `json:"line_name"`
	Date      string     `json:"date"`
	Departure string     `json:"departure"`
	Vehicle   string     `json:"vehicle"`
	Driver    string     `json:"driver"`
	Status    string     `json:"status"`
	Stops     []LineStop `json:"stops"`
	Departed  string     `json:"departed,omitempty"`
}

// TripList lists a day's trips.
type TripList struct {
	Date  string `json:"date"`
	Trips []Trip `json:"trips"`
}

// TripUpdate changes a trip; absent fields stay.
type TripUpdate struct {
	Vehicle *string `json:"vehicle,omitempty"`
	Driver  *string `json:"driver,omitempty"`
	Status  *string `json:"status,omitempty"`
}

// Vehicle is a bus, van or truck.
type Vehicle struct {
	Plate    string `json:"plate"`
	Kind     string `json:"kind"`
	Capacity int    `json:"capacity"`
	Terminal string `json:"terminal"`
	Active   bool   `json:"active"`
}

// VehicleList lists vehicles.
type VehicleList struct {
	Vehicles []Vehicle `json:"vehicles"`
}

// Driver drives trips; the phone is masked but for the admin.
type Driver struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Phone  string `json:"phone"`
	Active bool   `json:"active"`
}

// DriverList lists drivers.
type DriverList struct {
	Drivers []Driver `json:"drivers"`
}

func (s *Server) listCarriers(w http.ResponseWriter, r *http.Request) {
	cs, err := s.st.Carriers(r.Context())
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	out := CarrierList{Carriers: []CarrierInfo{}}
	for _, c := range cs {
		out.Carriers = append(out.Carriers, CarrierInfo{Code: c.Code, Name: c.Name, Patterns: orEmpty(c.Patterns), WebhookURL: c.WebhookURL})
	}
	s.write(w, ok(http.StatusOK, out))
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Server) listSites(w http.ResponseWriter, r *http.Request) {
	sites, err := s.st.Sites(r.Context())
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	out := SiteList{Sites: []Site{}}
	for _, x := range sites {
		out.Sites = append(out.Sites, Site{Node: x.Node, Name: x.Name, Kind: x.Kind, Village: x.Village, VillageName: x.VillageName,
			Town: x.Town, TownName: x.TownName, Address: x.Address, Lat: x.Lat, Lon: x.Lon, Hours: x.Hours, ContactName: x.ContactName,
			ContactPhone: x.Contact, Status: x.Status, Enrolled: x.Enrolled, Disabled: x.Disabled})
	}
	s.write(w, ok(http.StatusOK, out))
}

func stops(ss []store.Stop) []LineStop {
	out := make([]LineStop, len(ss))
	for i, st := range ss {
		out[i] = LineStop{Node: st.Node, Minutes: st.Minutes}
	}
	return out
}

func (s *Server) listLines(w http.ResponseWriter, r *http.Request) {
	ls, err := s.st.Lines(r.Context())
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	out := LineList{Lines: []Line{}}
	for _, l := range ls {
		out.Lines = append(out.Lines, Line{Code: l.Code, Name: l.Name, Kind: l.Kind, Stops: stops(l.Stops), Departures: orEmpty(l.Departures)})
	}
	s.write(w, ok(http.StatusOK, out))
}

func tripView(t store.Trip) Trip {
	v := Trip{ID: t.ID, Line: t.Line, LineName: t.LineName, Date: t.Date, Departure: t.Departure, Vehicle: t.Vehicle, Driver: t.Driver,
		Status: t.Status, Stops: stops(t.Stops)}
	if !t.Departed.IsZero() {
		v.Departed = t.Departed.UTC().Format(time.RFC3339)
	}
	return v
}

func (s *Server) listTrips(w http.ResponseWriter, r *http.Request) {
	date := r.URL.Query().Get("date")
	if date == "" {
		date = s.now().In(s.loc).Format(time.DateOnly)
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		s.writeProblem(w, r, problem(CodeBadParameter, "date %q: use YYYY-MM-DD", date))
		return
	}
	ts, err := s.st.Trips(r.Context(), date)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	out := TripList{Date: date, Trips: []Trip{}}
	for _, t := range ts {
		out.Trips = append(out.Trips, tripView(t))
	}
	s.write(w, ok(http.StatusOK, out))
}

func (s *Server) updateTrip(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<10))
	if err != nil {
		s.writeProblem(w, r, problem(CodeBadRequest, "read the body: %v", err))
		return
	}
	var u TripUpdate
	if err := decodeJSON(body, &u); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	if err := s.st.UpdateTrip(r.Context(), id, store.TripUpdate{Vehicle: u.Vehicle, Driver: u.Driver, Status: u.Status}); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.writeProblem(w, r, problem(CodeNotFound, "%s", plain(err)))
			return
		}
		s.writeProblem(w, r, err)
		return
	}
	ts, err := s.st.Trips(r.Context(), dateOfTrip(id))
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	for _, t := range ts {
		if t.ID == id {
			s.write(w, ok(http.StatusOK, tripView(t)))
			return
		}
	}
	s.writeProblem(w, r, problem(CodeNotFound, "trip %s", id))
}

// dateOfTrip reads the date out of a trip id LINE-YYYYMMDD-HHMM.
func dateOfTrip(id string) string {
	if len(id) < 14 {
		return ""
	}
	d := id[len(id)-13 : len(id)-5]
	return d[:4] + "-" + d[4:6] + "-" + d[6:]
}

func (s *Server) listVehicles(w http.ResponseWriter, r *http.Request) {
	vs, err := s.st.Vehicles(r.Context())
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	out := VehicleList{Vehicles: []Vehicle{}}
	for _, v := range vs {
		out.Vehicles = append(out.Vehicles, Vehicle{Plate: v.Plate, Kind: v.Kind, Capacity: v.Capacity, Terminal: v.Terminal, Active: v.Active})
	}
	s.write(w, ok(http.StatusOK, out))
}

func (s *Server) listDrivers(w http.ResponseWriter, r *http.Request) {
	ds, err := s.st.Drivers(r.Context())
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	admin := callerOf(r).admin
	out := DriverList{Drivers: []Driver{}}
	for _, d := range ds {
		phone := d.Phone
		if !admin {
			phone = mask.Phone(phone)
		}
		out.Drivers = append(out.Drivers, Driver{ID: d.ID, Name: d.Name, Phone: phone, Active: d.Active})
	}
	s.write(w, ok(http.StatusOK, out))
}
