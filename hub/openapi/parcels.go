package openapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"cunyou/hub/intake"
	"cunyou/hub/merge"
	"cunyou/hub/store"
	"cunyou/mask"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// readBody reads a request body of at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, problem(CodeTooLarge, "request body over %d bytes", limit)
		}
		return nil, problem(CodeBadRequest, "read the body: %v", err)
	}
	return b, nil
}

// decodeJSON decodes one JSON value into v, refusing unknown fields (a
// misspelt field must not pass silently) and trailing data.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return problem(CodeBadRequest, "empty body: send a JSON object")
		}
		return problem(CodeBadRequest, "bad JSON: %v", err)
	}
	if dec.More() {
		return problem(CodeBadRequest, "bad JSON: data after the object")
	}
	return nil
}

// scrub adapts intake's results for the caller: a carrier's client is not
// told which carrier holds a waybill it may not have.
func scrub(c caller, rs []intake.Result) []intake.Result {
	if c.carrier == "" {
		return rs
	}
	for i := range rs {
		if rs[i].Code == intake.CodeOtherCarrier {
			rs[i].Message = fmt.Sprintf("waybill %s belongs to another carrier: check the number", rs[i].Waybill)
		}
	}
	return rs
}

// defaults fills a carrier's client's entries with its carrier.
func defaults(c caller, es []intake.Entry) {
	if c.carrier == "" {
		return
	}
	for i := range es {
		if strings.TrimSpace(es[i].Carrier) == "" {
			es[i].Carrier = c.carrier
		}
	}
}

func (s *Server) intakeOn() error {
	if s.o.Intake == nil {
		return problem(CodeUnavailable, "this hub takes no manifests")
	}
	return nil
}

// createParcel announces one parcel: 201 created, 200 updated or
// unchanged, 422 rejected with the entry's code.
func (s *Server) createParcel(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, maxJSONBytes)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	s.once(w, r, body, func() answer {
		if err := s.intakeOn(); err != nil {
			return s.failed(r, err)
		}
		var e intake.Entry
		if err := decodeJSON(body, &e); err != nil {
			return s.failed(r, err)
		}
		c := callerOf(r)
		es := []intake.Entry{e}
		defaults(c, es)
		rs, err := s.o.Intake.Announce(r.Context(), c.actor(), c.carrier, es)
		if err != nil {
			return s.failed(r, err)
		}
		res := scrub(c, rs)[0]
		switch res.Outcome {
		case intake.Rejected:
			return s.failed(r, &apiError{code: res.Code, detail: res.Message, errors: []intake.Result{res}})
		case intake.Created:
			return ok(http.StatusCreated, res)
		}
		return ok(http.StatusOK, res)
	})
}

// BatchRequest is the body of POST /api/v1/parcels/batch.
type BatchRequest struct {
	Parcels []intake.Entry `json:"parcels"`
}

// createBatch announces many parcels: 200 with a result per entry, even
// when some are rejected; the good ones land together.
func (s *Server) createBatch(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, maxBatchBytes)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	s.once(w, r, body, func() answer {
		if err := s.intakeOn(); err != nil {
			return s.failed(r, err)
		}
		var req BatchRequest
		if err := decodeJSON(body, &req); err != nil {
			return s.failed(r, err)
		}
		switch {
		case len(req.Parcels) == 0:
			return s.failed(r, problem(CodeBadRequest, `no parcels: send {"parcels":[...]}`))
		case len(req.Parcels) > s.o.MaxBatch:
			return s.failed(r, problem(CodeTooManyParcels, "%d parcels in one batch: send at most %d", len(req.Parcels), s.o.MaxBatch))
		}
		c := callerOf(r)
		defaults(c, req.Parcels)
		rs, err := s.o.Intake.Announce(r.Context(), c.actor(), c.carrier, req.Parcels)
		if err != nil {
			return s.failed(r, err)
		}
		rs = scrub(c, rs)
		return ok(http.StatusOK, Report{Summary: summarize(rs), Results: rs})
	})
}

// XLSXType is the media type of an XLSX workbook.
const XLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// readManifest reads an uploaded manifest: the multipart field "file", or
// the whole body as CSV or XLSX with its name in the filename parameter.
func readManifest(w http.ResponseWriter, r *http.Request) (string, []byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return "", nil, problem(CodeUnsupportedMedia, "give a Content-Type: multipart/form-data, text/csv or %s", XLSXType)
	}
	limit := int64(intake.MaxFileBytes)
	r.Body = http.MaxBytesReader(w, r.Body, limit+1<<20)
	read := func(rd io.Reader) ([]byte, error) {
		data, err := io.ReadAll(io.LimitReader(rd, limit+1))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig) || err == nil && int64(len(data)) > limit:
			return nil, problem(CodeTooLarge, "file over %d MB", limit>>20)
		case err != nil:
			return nil, problem(CodeBadRequest, "read the file: %v", err)
		}
		return data, nil
	}
	name := cleanName(r.URL.Query().Get("filename"))
	ext := ""
	switch mt {
	case "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			return "", nil, problem(CodeBadRequest, "bad multipart body: %v", err)
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return "", nil, problem(CodeBadRequest, `no field "file" in the form`)
			}
			if err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					return "", nil, problem(CodeTooLarge, "file over %d MB", limit>>20)
				}
				return "", nil, problem(CodeBadRequest, "bad multipart body: %v", err)
			}
			if part.FormName() != "file" {
				part.Close()
				continue
			}
			data, err := read(part)
			if err != nil {
				return "", nil, err
			}
			if n := cleanName(part.FileName()); n != "" {
				name = n
			}
			switch pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); {
			case pt == XLSXType:
				ext = ".xlsx"
			case pt == "text/csv":
				ext = ".csv"
			}
			return withExt(name, ext), data, nil
		}
	case "text/csv", "application/csv", "text/plain":
		ext = ".csv"
	case XLSXType:
		ext = ".xlsx"
	case "application/octet-stream":
	default:
		return "", nil, problem(CodeUnsupportedMedia, "%s: send multipart/form-data, text/csv or %s", mt, XLSXType)
	}
	data, err := read(r.Body)
	if err != nil {
		return "", nil, err
	}
	return withExt(name, ext), data, nil
}

// cleanName is a file name without folders, at most 100 characters.
func cleanName(n string) string {
	n = strings.TrimSpace(path.Base(strings.ReplaceAll(n, `\`, "/")))
	if n == "." || n == "/" {
		return ""
	}
	if r := []rune(n); len(r) > 100 {
		n = string(r[len(r)-100:])
	}
	return n
}

// withExt names a file of a known type by it; a file of unknown type
// keeps its name, whose extension decides.
func withExt(name, ext string) string {
	if name == "" {
		name = "manifest"
		if ext == "" {
			ext = ".csv"
		}
	}
	if ext == "" || strings.EqualFold(path.Ext(name), ext) {
		return name
	}
	return strings.TrimSuffix(name, path.Ext(name)) + ext
}

// uploadManifest imports a manifest file: 200 with a result per row.
func (s *Server) uploadManifest(w http.ResponseWriter, r *http.Request) {
	name, data, err := readManifest(w, r)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	fp := append([]byte(name+"\x00"), data...)
	s.once(w, r, fp, func() answer {
		if err := s.intakeOn(); err != nil {
			return s.failed(r, err)
		}
		ext := strings.ToLower(path.Ext(name))
		if ext != ".csv" && ext != ".xlsx" && ext != ".txt" && ext != "" {
			return s.failed(r, problem(CodeUnsupportedMedia, "%s: send a .csv or .xlsx file", name))
		}
		c := callerOf(r)
		rs, err := s.o.Intake.AnnounceFile(r.Context(), "file:"+c.id+"/"+name, c.carrier, name, bytes.NewReader(data))
		switch {
		case errors.Is(err, store.ErrTooLarge):
			return s.failed(r, problem(CodeTooManyParcels, "%s", plain(err)))
		case errors.Is(err, store.ErrInvalid):
			return s.failed(r, problem(CodeBadFile, "%s", plain(err)))
		case err != nil:
			return s.failed(r, err)
		}
		rs = scrub(c, rs)
		return ok(http.StatusOK, Report{File: name, Summary: summarize(rs), Results: rs})
	})
}

// waybillParam is the path's waybill, normalized; a number that is no
// waybill is not found.
func waybillParam(r *http.Request) (string, error) {
	raw := chi.URLParam(r, "waybill")
	wb, err := waybill.Normalize(raw)
	if err != nil {
		return "", problem(CodeNotFound, "%q is not a waybill number", raw)
	}
	return wb, nil
}

// parcelsOf returns the parcels of a waybill the caller may see; none is
// not found, whether the waybill is unknown or another carrier's.
func (s *Server) parcelsOf(r *http.Request, wb string) ([]store.Parcel, error) {
	ps, err := s.st.ParcelsByWaybill(r.Context(), wb)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	c := callerOf(r)
	var out []store.Parcel
	for _, p := range ps {
		if c.sees(p.Carrier) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, problem(CodeNotFound, "no parcel with waybill %s", wb)
	}
	return out, nil
}

// trackParcel answers the parcel of a waybill in each direction the
// caller may see, with the timeline of those directions. The parcels and
// the timeline come in one read (store.Lookups.Tracking).
func (s *Server) trackParcel(w http.ResponseWriter, r *http.Request) {
	wb, err := waybillParam(r)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	lk, err := s.lookups(r.Context())
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	all, facts, err := lk.Tracking(r.Context(), wb)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.writeProblem(w, r, err)
		return
	}
	c := callerOf(r)
	ps := all[:0]
	var in, out bool // the directions the caller sees
	for _, p := range all {
		if c.sees(p.Carrier) {
			ps = append(ps, p)
			in, out = in || p.Direction == "in", out || p.Direction == "out"
		}
	}
	if len(ps) == 0 {
		s.writeProblem(w, r, problem(CodeNotFound, "no parcel with waybill %s", wb))
		return
	}
	v := s.viewFor(r.Context(), c)
	t := Tracking{Waybill: wb, Parcels: v.parcels(ps), Timeline: make([]Fact, 0, len(facts))}
	for _, f := range facts {
		if f.Direction == "" || f.Direction == "in" && in || f.Direction == "out" && out {
			t.Timeline = append(t.Timeline, v.fact(f))
		}
	}
	s.writeEncoded(w, func(b []byte) []byte { return appendTracking(b, &t) })
}

// limitParam reads the limit parameter.
func limitParam(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, problem(CodeBadParameter, "limit %q: give 1-%d", v, MaxLimit)
	}
	return n, nil
}

func encodeCursor(c store.ParcelCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.UpdatedMs, 10) + "|" + c.Waybill + "|" + c.Direction))
}

func decodeCursor(s string) (*store.ParcelCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	parts := strings.Split(string(b), "|")
	if err != nil || len(parts) != 3 {
		return nil, problem(CodeBadParameter, "cursor: pass next_cursor of the previous page as it is")
	}
	ms, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return nil, problem(CodeBadParameter, "cursor: pass next_cursor of the previous page as it is")
	}
	return &store.ParcelCursor{UpdatedMs: ms, Waybill: parts[1], Direction: parts[2]}, nil
}

// searchParcels finds parcels by receiver phone, station, status or trip.
func (s *Server) searchParcels(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	q := r.URL.Query()
	pq := store.ParcelQuery{Station: strings.TrimSpace(q.Get("station")), Status: strings.TrimSpace(q.Get("status")),
		Trip: strings.TrimSpace(q.Get("trip")), Carrier: c.carrier}
	fail := func(err error) { s.writeProblem(w, r, err) }
	if raw := q.Get("phone"); raw != "" {
		phone, ok := intake.NormalizePhone(raw)
		if !ok {
			fail(problem(CodeBadParameter, "phone %s: give an 11-digit mobile number", mask.Phone(raw)))
			return
		}
		if c.carrier == "" && !c.has(scopeDispatch) {
			fail(problem(CodeInsufficientScope, "a phone lookup across carriers needs the scope dispatch"))
			return
		}
		pq.Phone = phone
	}
	if pq.Status != "" {
		if _, known := stages[pq.Status]; !known {
			fail(problem(CodeBadParameter, "status %q: not a parcel status", pq.Status))
			return
		}
	}
	if pq.Phone == "" && pq.Station == "" && pq.Status == "" && pq.Trip == "" {
		fail(problem(CodeFilterRequired, "give phone, station, status or trip"))
		return
	}
	limit, err := limitParam(r)
	if err != nil {
		fail(err)
		return
	}
	if v := q.Get("cursor"); v != "" {
		if pq.After, err = decodeCursor(v); err != nil {
			fail(err)
			return
		}
	}
	pq.Limit = limit + 1 // one more tells whether there is a next page
	lk, err := s.lookups(r.Context())
	if err != nil {
		fail(err)
		return
	}
	ps, err := lk.FindParcels(r.Context(), pq)
	if err != nil {
		fail(err)
		return
	}
	out := ParcelList{}
	if len(ps) > limit {
		ps = ps[:limit]
		out.NextCursor = encodeCursor(store.CursorOf(ps[limit-1]))
	}
	out.Parcels = s.viewFor(r.Context(), c).parcels(ps)
	s.writeEncoded(w, func(b []byte) []byte { return appendParcelList(b, &out) })
}

// EventIn is a carrier's tracking event in POST .../events.
type EventIn struct {
	Code     string    `json:"code"`
	Text     string    `json:"text,omitempty"`
	Location string    `json:"location,omitempty"`
	At       time.Time `json:"at"`
}

// EventsRequest is the body of POST /api/v1/parcels/{waybill}/events.
type EventsRequest struct {
	Events []EventIn `json:"events"`
}

// EventsRecorded is the answer of POST /api/v1/parcels/{waybill}/events.
type EventsRecorded struct {
	Waybill  string `json:"waybill"`
	Recorded int    `json:"recorded"`
}

// carrierEvents records a carrier's tracking events for its own parcel.
func (s *Server) carrierEvents(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, maxJSONBytes)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	s.once(w, r, body, func() answer {
		if err := s.intakeOn(); err != nil {
			return s.failed(r, err)
		}
		c := callerOf(r)
		if c.carrier == "" && !c.admin {
			return s.failed(r, problem(CodeCarrierRequired, "tracking events come from a carrier's client"))
		}
		wb, err := waybillParam(r)
		if err != nil {
			return s.failed(r, err)
		}
		ps, err := s.parcelsOf(r, wb)
		if err != nil {
			return s.failed(r, err)
		}
		var req EventsRequest
		if err := decodeJSON(body, &req); err != nil {
			return s.failed(r, err)
		}
		switch {
		case len(req.Events) == 0:
			return s.failed(r, problem(CodeBadRequest, `no events: send {"events":[...]}`))
		case len(req.Events) > maxEventsACall:
			return s.failed(r, problem(CodeTooLarge, "%d events: send at most %d a call", len(req.Events), maxEventsACall))
		}
		evs := make([]intake.Event, len(req.Events))
		for i, e := range req.Events {
			evs[i] = intake.Event{Waybill: wb, Code: e.Code, Text: e.Text, Location: e.Location, At: e.At}
		}
		err = s.o.Intake.CarrierEvents(r.Context(), c.actor(), ps[0].Carrier, evs)
		if errors.Is(err, store.ErrInvalid) {
			return s.failed(r, problem(CodeBadEvent, "%s", plain(err)))
		}
		if err != nil {
			return s.failed(r, err)
		}
		return ok(http.StatusOK, EventsRecorded{Waybill: wb, Recorded: len(evs)})
	})
}

// DestinationRequest is the body of POST .../destination.
type DestinationRequest struct {
	Station string `json:"station"`
	Note    string `json:"note,omitempty"`
}

// setDestination is a dispatcher's choice of station for an inbound
// parcel, until it leaves the centre.
func (s *Server) setDestination(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, maxJSONBytes)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	s.once(w, r, body, func() answer {
		if err := s.intakeOn(); err != nil {
			return s.failed(r, err)
		}
		c := callerOf(r)
		wb, err := waybillParam(r)
		if err != nil {
			return s.failed(r, err)
		}
		var req DestinationRequest
		if err := decodeJSON(body, &req); err != nil {
			return s.failed(r, err)
		}
		req.Station, req.Note = strings.TrimSpace(req.Station), strings.TrimSpace(req.Note)
		switch {
		case req.Station == "":
			return s.failed(r, problem(CodeBadRequest, "give the station's node id"))
		case utf8.RuneCountInString(req.Note) > 200:
			return s.failed(r, problem(CodeInvalid, "note up to 200 characters"))
		}
		p, err := s.st.Parcel(r.Context(), wb, "in")
		if errors.Is(err, store.ErrNotFound) || err == nil && !c.sees(p.Carrier) {
			return s.failed(r, problem(CodeNotFound, "no inbound parcel with waybill %s", wb))
		}
		if err != nil {
			return s.failed(r, err)
		}
		site, err := s.st.Site(r.Context(), req.Station)
		if errors.Is(err, store.ErrNotFound) {
			return s.failed(r, problem(CodeUnknownStation, "%s is no station of the county", req.Station))
		}
		if err != nil {
			return s.failed(r, err)
		}
		if site.Kind != string(syncproto.NodeStation) {
			return s.failed(r, problem(CodeNotAStation, "%s is the %s, not a village station", req.Station, site.Kind))
		}
		switch p.Status {
		case merge.StatusManifested, merge.StatusAtCentre, merge.StatusSorted:
		default:
			return s.failed(r, problem(CodeDestinationLocked, "parcel %s is %s: its destination can no longer change", wb, p.Status))
		}
		if err := s.o.Intake.Assign(r.Context(), c.actor(), wb, req.Station, req.Note); err != nil {
			return s.failed(r, err)
		}
		if p, err = s.st.Parcel(r.Context(), wb, "in"); err != nil {
			return s.failed(r, err)
		}
		return ok(http.StatusOK, s.viewFor(r.Context(), c).parcel(p))
	})
}

// unresolved is the dispatchers' queue: parcels with no destination,
// oldest first.
func (s *Server) unresolved(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	limit, err := limitParam(r)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	ps, err := s.st.UnresolvedOf(r.Context(), c.carrier, limit)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	s.write(w, ok(http.StatusOK, ParcelList{Parcels: s.viewFor(r.Context(), c).parcels(ps)}))
}
