package kiosk

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"cunyou/drivers/printer"
	"cunyou/edge/devices"
	"cunyou/edge/station"
	"cunyou/mask"
)

// SetDevices gives the kiosk the station's running devices: their states,
// the card on the reader, the codes scanned, the print queue's printer.
func (s *Server) SetDevices(h *devices.Host) { s.devices.Store(h) }

// devicesList answers GET /api/v1/devices: every configured device with
// its state and, in the operator's words, what to do.
func (s *Server) devicesList(w http.ResponseWriter, r *http.Request) {
	out := []devices.Status{}
	if h := s.devices.Load(); h != nil {
		out = h.Statuses()
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": out})
}

// IDCardJSON is the card on the reader as the kiosk page shows it: masked,
// with the reader's verdict. The full number never leaves the server.
type IDCardJSON struct {
	Present      bool      `json:"present"`
	Name         string    `json:"name,omitempty"`   // masked: 张*
	Number       string    `json:"number,omitempty"` // masked: 231221********0139
	Sex          string    `json:"sex,omitempty"`
	Nation       string    `json:"nation,omitempty"`
	ValidFrom    string    `json:"valid_from,omitempty"`
	ValidTo      string    `json:"valid_to,omitempty"` // 长期 when valid for ever
	CheckDigitOK bool      `json:"check_digit_ok,omitempty"`
	Expired      bool      `json:"expired,omitempty"`
	ReadAt       time.Time `json:"read_at,omitzero"`
}

// deviceIDCard answers GET /api/v1/devices/idcard: the identity on the
// reader now, masked.
func (s *Server) deviceIDCard(w http.ResponseWriter, r *http.Request) {
	h := s.devices.Load()
	if h == nil {
		s.writeCode(w, r, http.StatusNotFound, "device_none", nil)
		return
	}
	id, at, ok := h.Identity()
	if !ok {
		writeJSON(w, http.StatusOK, IDCardJSON{})
		return
	}
	j := IDCardJSON{Present: true, Name: mask.Name(id.Name), Number: id.Number.String(), Sex: id.Sex.String(),
		Nation: id.Nation(), ValidFrom: id.ValidFrom.Format(time.DateOnly), ValidTo: "长期",
		// The driver refuses a number whose check digit fails: a card
		// read has a good one.
		CheckDigitOK: !id.Number.IsZero(), Expired: id.Expired(s.st.Store().Now()), ReadAt: at}
	if !id.LongTerm {
		j.ValidTo = id.ValidTo.Format(time.DateOnly)
	}
	writeJSON(w, http.StatusOK, j)
}

// deviceScans answers GET /api/v1/devices/scans?after=N: the codes serial
// scan guns read after number N, for the page to poll.
func (s *Server) deviceScans(w http.ResponseWriter, r *http.Request) {
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	scans, last := []devices.Scan{}, int64(0)
	if h := s.devices.Load(); h != nil {
		scans, last = h.Scans(after)
	}
	writeJSON(w, http.StatusOK, map[string]any{"scans": scans, "last": last})
}

// deviceSnapshot answers POST /api/v1/devices/camera/snapshot: a picture
// from the camera, stored as a blob; the page refers to it by its hash
// (the pickup's photo_sha256).
func (s *Server) deviceSnapshot(w http.ResponseWriter, r *http.Request) {
	h := s.devices.Load()
	if h == nil {
		s.writeCode(w, r, http.StatusNotFound, "device_none", nil)
		return
	}
	p, err := h.Snapshot(r.Context())
	switch {
	case errors.Is(err, devices.ErrNoDevice):
		s.writeCode(w, r, http.StatusNotFound, "device_none", nil)
		return
	case err != nil:
		s.log.Warn("snapshot failed", "err", err)
		s.writeCode(w, r, http.StatusServiceUnavailable, "device_error", nil)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

// sendRequest is a send (寄件) as the page posts it. With id_source
// "reader" the sender's identity is the card on the reader, taken here on
// the server: the page never has the full number.
type sendRequest struct {
	station.SendInput
	IDSource string `json:"id_source,omitempty"` // "" (typed) or "reader"
}

// sendWithDevices answers POST /api/v1/send.
func (s *Server) sendWithDevices(w http.ResponseWriter, r *http.Request) {
	var in sendRequest
	if !s.decode(w, r, &in) {
		return
	}
	var (
		p      station.Parcel
		err    error
		readAt time.Time
	)
	switch in.IDSource {
	case "":
		p, err = s.st.Send(r.Context(), actor(r), in.SendInput)
	case "reader":
		s.cardMu.Lock()
		defer s.cardMu.Unlock()
		var card station.CardIdentity
		if h := s.devices.Load(); h != nil {
			if id, at, ok := h.Identity(); ok {
				readAt = at
				card = station.CardIdentity{Name: id.Name, Number: id.Number, ValidTo: id.ValidTo, LongTerm: id.LongTerm, Photo: id.Photo}
			}
		}
		p, err = s.st.SendWithCard(r.Context(), actor(r), in.SendInput, card)
		if err == nil {
			s.devices.Load().UsedIdentity(readAt) // one reading, one customer
		}
	default:
		s.writeCode(w, r, http.StatusBadRequest, string(station.CodeBadRequest), map[string]string{"field": "id_source"})
		return
	}
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

// printJobs answers GET /api/v1/print-jobs?status=&waybill=&limit=: the
// print queue of a station (pickup stickers) or a centre (sort labels).
func (s *Server) printJobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	js, err := s.st.LabelJobs(r.Context(), station.PrintJobFilter{Status: q.Get("status"), Waybill: q.Get("waybill"), Limit: limit})
	if err != nil {
		s.writeCentreErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": js})
}

// reprintJob answers POST /api/v1/print-jobs/{id}/reprint: the label is
// queued again and the printer woken.
func (s *Server) reprintJob(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		s.writeCode(w, r, http.StatusBadRequest, string(station.CodeBadRequest), nil)
		return
	}
	j, err := s.st.ReprintLabel(r.Context(), actor(r), id)
	if err != nil {
		s.writeCentreErr(w, r, err)
		return
	}
	if h := s.devices.Load(); h != nil {
		h.Kick()
	}
	writeJSON(w, http.StatusCreated, j)
}

var previewFont = sync.OnceValue(func() *printer.Font {
	f, _ := printer.FindFont() // nil: Chinese drawn as boxes
	return f
})

// labelPreview answers GET /api/v1/labels/preview.png?kind=…: a label
// drawn as the printer would print it. kind=pickup takes code, phone_tail,
// waybill and date; kind=sort station, village, sort_code, trip, line,
// departure, date, waybill and carrier; kind=waybill carrier, waybill and
// date. Phones are shown as given: the page sends them masked.
func (s *Server) labelPreview(w http.ResponseWriter, r *http.Request) {
	l, ok := labelOf(r.URL.Query())
	if !ok {
		s.writeCode(w, r, http.StatusBadRequest, "label_kind", nil)
		return
	}
	var buf bytes.Buffer
	if err := printer.PreviewPNG(&buf, l, previewFont()); err != nil {
		s.log.Info("label preview refused", "err", err)
		s.writeCode(w, r, http.StatusBadRequest, string(station.CodeBadRequest), nil)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(buf.Bytes())
}

// labelOf lays out the label a preview or print request asks for; false
// for a kind there is no label of.
func labelOf(q url.Values) (printer.Label, bool) {
	switch q.Get("kind") {
	case "pickup":
		return printer.PickupLabel(printer.Pickup{Code: q.Get("code"), PhoneTail: q.Get("phone_tail"), Waybill: q.Get("waybill"), Date: q.Get("date")}), true
	case "sort":
		return printer.SortLabel(printer.Sort{Station: q.Get("station"), Village: q.Get("village"), RouteCode: q.Get("sort_code"),
			Trip: q.Get("trip"), Line: q.Get("line"), Departure: q.Get("departure"), Date: q.Get("date"),
			Waybill: q.Get("waybill"), Carrier: q.Get("carrier"), Unresolved: q.Get("station") == ""}), true
	case "waybill":
		return printer.WaybillLabel(printer.Waybill{Carrier: q.Get("carrier"), Number: q.Get("waybill"), Date: q.Get("date")}), true
	}
	return printer.Label{}, false
}
