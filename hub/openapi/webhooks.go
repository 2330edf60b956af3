package openapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"cunyou/hub/webhook"
)

// Delivery is one webhook event for one carrier.
type Delivery struct {
	ID      int64  `json:"id"`
	Carrier string `json:"carrier"`
	EventID string `json:"event_id"`
	Type    string `json:"type"`
	Waybill string `json:"waybill,omitempty"`
	Status  string `json:"status"` // pending, failed, delivered, dead
	// Attempts counts every attempt, over all series.
	Attempts        int       `json:"attempts"`
	NextAttemptAt   time.Time `json:"next_attempt_at,omitzero"`
	LastHTTPStatus  int       `json:"last_http_status,omitempty"`
	LastError       string    `json:"last_error,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	DeliveredAt     time.Time `json:"delivered_at,omitzero"`
	Series          int       `json:"series"`
	SeriesStartedAt time.Time `json:"series_started_at"`
	// Body is the exact JSON sent (one delivery only).
	Body json.RawMessage `json:"body,omitempty"`
	// History is every attempt, oldest first (one delivery only).
	History []Attempt `json:"history,omitempty"`
}

// Attempt is one try at delivering.
type Attempt struct {
	N          int       `json:"n"`
	Series     int       `json:"series"`
	At         time.Time `json:"at"`
	DurationMs int64     `json:"duration_ms"`
	URL        string    `json:"url,omitempty"`
	HTTPStatus int       `json:"http_status,omitempty"`
	Error      string    `json:"error,omitempty"`
	Response   string    `json:"response,omitempty"`
}

// DeliveryList is a page of deliveries, newest first.
type DeliveryList struct {
	Deliveries []Delivery `json:"deliveries"`
	// NextBefore continues the list (the before parameter); absent on the
	// last page.
	NextBefore int64 `json:"next_before,omitempty"`
}

func deliveryView(d webhook.Delivery) Delivery {
	return Delivery{ID: d.ID, Carrier: d.Carrier, EventID: d.EventID, Type: d.Kind, Waybill: d.Waybill, Status: string(d.Status),
		Attempts: d.Attempts, NextAttemptAt: d.NextAttempt, LastHTTPStatus: d.LastStatus, LastError: d.LastError,
		CreatedAt: d.Created, DeliveredAt: d.Delivered, Series: d.Series, SeriesStartedAt: d.SeriesStarted, Body: d.Body}
}

func (s *Server) webhooksOn() error {
	if s.o.Webhooks == nil {
		return problem(CodeUnavailable, "this hub sends no webhooks")
	}
	return nil
}

func (s *Server) deliveries(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) { s.writeProblem(w, r, err) }
	if err := s.webhooksOn(); err != nil {
		fail(err)
		return
	}
	c := callerOf(r)
	q := r.URL.Query()
	f := webhook.Filter{Carrier: strings.TrimSpace(q.Get("carrier")), Status: webhook.Status(q.Get("status")),
		Waybill: strings.TrimSpace(q.Get("waybill"))}
	if c.carrier != "" {
		if f.Carrier != "" && f.Carrier != c.carrier {
			fail(problem(CodeCarrierScope, "this client sees the deliveries of %s only", c.carrier))
			return
		}
		f.Carrier = c.carrier
	}
	if f.Status != "" && !validStatus(f.Status) {
		fail(problem(CodeBadParameter, "status %q: give pending, failed, delivered or dead", f.Status))
		return
	}
	limit, err := limitParam(r)
	if err != nil {
		fail(err)
		return
	}
	if f.Before, err = beforeParam(r); err != nil {
		fail(err)
		return
	}
	f.Limit = limit + 1
	ds, err := s.o.Webhooks.List(r.Context(), f)
	if err != nil {
		fail(err)
		return
	}
	out := DeliveryList{Deliveries: []Delivery{}}
	if len(ds) > limit {
		ds = ds[:limit]
		out.NextBefore = ds[limit-1].ID
	}
	for _, d := range ds {
		out.Deliveries = append(out.Deliveries, deliveryView(d))
	}
	s.write(w, ok(http.StatusOK, out))
}

func validStatus(st webhook.Status) bool {
	for _, v := range webhook.Statuses {
		if v == st {
			return true
		}
	}
	return false
}

// deliveryOf returns the path's delivery with its attempts, if the caller
// may see it (another carrier's is not found).
func (s *Server) deliveryOf(r *http.Request) (webhook.Delivery, []webhook.Attempt, error) {
	if err := s.webhooksOn(); err != nil {
		return webhook.Delivery{}, nil, err
	}
	raw := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		return webhook.Delivery{}, nil, problem(CodeNotFound, "no delivery %q", raw)
	}
	d, as, err := s.o.Webhooks.Get(r.Context(), id)
	if err != nil {
		return d, nil, err
	}
	if !callerOf(r).sees(d.Carrier) {
		return webhook.Delivery{}, nil, problem(CodeNotFound, "no delivery %d", id)
	}
	return d, as, nil
}

func fullDelivery(d webhook.Delivery, as []webhook.Attempt) Delivery {
	v := deliveryView(d)
	for _, a := range as {
		v.History = append(v.History, Attempt{N: a.N, Series: a.Series, At: a.At, DurationMs: a.Duration.Milliseconds(), URL: a.URL,
			HTTPStatus: a.HTTPStatus, Error: a.Error, Response: a.Response})
	}
	return v
}

func (s *Server) delivery(w http.ResponseWriter, r *http.Request) {
	d, as, err := s.deliveryOf(r)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	s.write(w, ok(http.StatusOK, fullDelivery(d, as)))
}

// replayDelivery sends a delivered, failed or dead delivery again: 202
// with the delivery, pending.
func (s *Server) replayDelivery(w http.ResponseWriter, r *http.Request) {
	s.once(w, r, nil, func() answer {
		d, _, err := s.deliveryOf(r)
		if err != nil {
			return s.failed(r, err)
		}
		if err := s.o.Webhooks.Replay(r.Context(), d.ID); err != nil {
			return s.failed(r, err)
		}
		d, as, err := s.o.Webhooks.Get(r.Context(), d.ID)
		if err != nil {
			return s.failed(r, err)
		}
		return ok(http.StatusAccepted, fullDelivery(d, as))
	})
}
