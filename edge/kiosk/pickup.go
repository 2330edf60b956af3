package kiosk

import (
	"net/http"
	"time"

	"cunyou/edge/station"
)

// pickupRequest is a pickup as the page posts it. With "id_source":
// "reader" the collector's (a proxy's, or the receiver's own) name and ID
// number are those of the card on the reader, taken here on the server:
// the page never has the number. The station's ID-card rule counts only
// such a reading.
type pickupRequest struct {
	station.PickupInput
	IDSource string `json:"id_source,omitempty"` // "" (typed) or "reader"
}

// pickup answers POST /api/v1/pickup.
func (s *Server) pickup(w http.ResponseWriter, r *http.Request) {
	var in pickupRequest
	if !s.decode(w, r, &in) {
		return
	}
	var readAt time.Time // when the card taken was read
	var card station.CardIdentity
	switch in.IDSource {
	case "":
	case "reader":
		s.cardMu.Lock()
		defer s.cardMu.Unlock()
		h := s.devices.Load()
		if h == nil {
			s.writeCode(w, r, http.StatusUnprocessableEntity, string(station.CodeIDCardNone), nil)
			return
		}
		id, at, ok := h.Identity()
		if !ok {
			s.writeCode(w, r, http.StatusUnprocessableEntity, string(station.CodeIDCardNone), nil)
			return
		}
		readAt = at
		card = station.CardIdentity{Name: id.Name, Number: id.Number, ValidTo: id.ValidTo, LongTerm: id.LongTerm}
		in.Collector.IDNumber = ""
		if in.Collector.Kind == "proxy" {
			in.Collector.Name = "" // the card's
		}
	default:
		s.writeCode(w, r, http.StatusBadRequest, string(station.CodeBadRequest), map[string]string{"field": "id_source"})
		return
	}
	var ps []station.Parcel
	var err error
	if in.IDSource == "reader" {
		ps, err = s.st.PickupWithCard(r.Context(), actor(r), in.PickupInput, card)
	} else {
		ps, err = s.st.Pickup(r.Context(), actor(r), in.PickupInput)
	}
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	if in.IDSource == "reader" {
		s.devices.Load().UsedIdentity(readAt) // one reading, one customer
	}
	writeJSON(w, http.StatusOK, map[string]any{"parcels": ps})
}
