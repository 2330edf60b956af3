package openapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"cunyou/hub/merge"
	"cunyou/hub/store"
)

// The dispatchers' repairs: a contradiction resolved with a note, a
// parcel declared lost, dead letters retried through the merge or
// discarded, quarantined ops acknowledged. Each needs a note (why, what
// was done), kept with who and when; nothing is deleted.

// maxNote bounds a resolution's note, in characters.
const maxNote = 200

// NoteRequest is the body of the repairs: why, what was done.
type NoteRequest struct {
	Note string `json:"note"`
}

// noteOf reads a repair's body: a note of 1-200 characters.
func noteOf(body []byte) (string, error) {
	var req NoteRequest
	if err := decodeJSON(body, &req); err != nil {
		return "", err
	}
	note := strings.TrimSpace(req.Note)
	switch {
	case note == "":
		return "", problem(CodeNoteRequired, "give a note: why, and what was done")
	case utf8.RuneCountInString(note) > maxNote:
		return "", problem(CodeNoteRequired, "note up to %d characters", maxNote)
	}
	return note, nil
}

// exceptionView is e as the API shows it.
func exceptionView(e store.Exception) Exception {
	return Exception{ID: e.ID, Waybill: e.Waybill, Direction: e.Direction, Reason: e.Reason, Ops: strings.Fields(e.Ops),
		Open: e.Resolved.IsZero(), CreatedAt: e.Created.UTC(), ResolvedAt: e.Resolved, ResolvedBy: e.ResolvedBy, Note: e.Note}
}

// countyOnly refuses a carrier's client: the county's own sync state is
// not a carrier's to see or repair.
func countyOnly(c caller) error {
	if c.carrier != "" {
		return problem(CodeInsufficientScope, "the county's sync state is not a carrier's")
	}
	return nil
}

// resolveException resolves a contradiction with a note.
func (s *Server) resolveException(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, maxJSONBytes)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	s.once(w, r, body, func() answer {
		c := callerOf(r)
		id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
		if err != nil || id < 1 {
			return s.failed(r, problem(CodeNotFound, "%q is no exception id", chi.URLParam(r, "id")))
		}
		note, err := noteOf(body)
		if err != nil {
			return s.failed(r, err)
		}
		e, err := s.st.Exception(r.Context(), id)
		if err != nil {
			return s.failed(r, err)
		}
		if c.carrier != "" {
			// A carrier's client resolves only exceptions about its
			// parcels; another's is not found.
			p, err := s.st.Parcel(r.Context(), e.Waybill, e.Direction)
			if err != nil || !c.sees(p.Carrier) {
				return s.failed(r, problem(CodeNotFound, "no exception %d", id))
			}
		}
		e, err = s.st.ResolveException(r.Context(), id, c.actor(), note)
		if err != nil {
			return s.failed(r, err)
		}
		return ok(http.StatusOK, exceptionView(e))
	})
}

// markLost declares a parcel lost: a fact of the hub (parcel.lost).
func (s *Server) markLost(w http.ResponseWriter, r *http.Request) {
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
		note, err := noteOf(body)
		if err != nil {
			return s.failed(r, err)
		}
		// The inbound parcel when there is one, else the outbound.
		var p store.Parcel
		found := false
		for _, dir := range []string{"in", "out"} {
			q, err := s.st.Parcel(r.Context(), wb, dir)
			if errors.Is(err, store.ErrNotFound) || err == nil && !c.sees(q.Carrier) {
				continue
			}
			if err != nil {
				return s.failed(r, err)
			}
			p, found = q, true
			break
		}
		if !found {
			return s.failed(r, problem(CodeNotFound, "no parcel with waybill %s", wb))
		}
		switch p.Status {
		case merge.StatusPickedUp, merge.StatusReturned, merge.StatusHandedOver:
			return s.failed(r, problem(CodeParcelFinal, "parcel %s is %s: it is out of the county's hands and cannot be lost", wb, p.Status))
		case merge.StatusLost:
			return s.failed(r, problem(CodeAlreadyLost, "parcel %s was declared lost before", wb))
		}
		if err := s.o.Intake.MarkLost(r.Context(), c.actor(), wb, note); err != nil {
			return s.failed(r, err)
		}
		if p, err = s.st.Parcel(r.Context(), wb, p.Direction); err != nil {
			return s.failed(r, err)
		}
		return ok(http.StatusOK, s.viewFor(r.Context(), c).parcel(p))
	})
}

// DeadLetter is an op the hub received but could not apply, as the API
// shows it: never its payload (it may hold a phone), only the waybills
// it names.
type DeadLetter struct {
	Node        string    `json:"node"`
	Incarnation string    `json:"incarnation"`
	Seq         uint64    `json:"seq"`
	Kind        string    `json:"kind"`
	Code        string    `json:"code"` // the last attempt's protocol error, e.g. bad_payload
	Reason      string    `json:"reason"`
	Waybills    []string  `json:"waybills"`
	Hash        string    `json:"hash"`
	ReceivedAt  time.Time `json:"received_at"`
	State       string    `json:"state"` // open, applied or discarded
	Attempts    int       `json:"attempts"`
	RetriedAt   time.Time `json:"retried_at,omitzero"`
	HandledBy   string    `json:"handled_by,omitempty"`
	HandledAt   time.Time `json:"handled_at,omitzero"`
	Note        string    `json:"note,omitempty"`
}

// DeadLetterList is the answer of GET /api/v1/deadletters.
type DeadLetterList struct {
	DeadLetters []DeadLetter `json:"dead_letters"`
}

// RetryAnswer is what a retry did: applied, or still refused with the
// reason in the dead letter.
type RetryAnswer struct {
	Applied    bool       `json:"applied"`
	DeadLetter DeadLetter `json:"dead_letter"`
}

// waybillsOf picks the waybills an op's payload names (waybill,
// waybills), nothing else of it.
func waybillsOf(payload []byte) []string {
	var v struct {
		Waybill  any `json:"waybill"`
		Waybills any `json:"waybills"`
	}
	out := []string{}
	if json.Unmarshal(payload, &v) != nil {
		return out
	}
	if wb, ok := v.Waybill.(string); ok && wb != "" {
		out = append(out, wb)
	}
	if wbs, ok := v.Waybills.([]any); ok {
		for _, x := range wbs {
			if wb, ok := x.(string); ok && wb != "" && len(out) < 20 {
				out = append(out, wb)
			}
		}
	}
	return out
}

func deadLetterView(d store.DeadLetter) DeadLetter {
	return DeadLetter{Node: d.Node, Incarnation: d.Incarnation, Seq: d.Seq, Kind: string(d.Kind), Code: d.Code.String(),
		Reason: d.Reason, Waybills: waybillsOf(d.Payload), Hash: d.Hash, ReceivedAt: d.Received.UTC(), State: d.State,
		Attempts: d.Attempts, RetriedAt: d.Retried, HandledBy: d.HandledBy, HandledAt: d.Handled, Note: d.Note}
}

// openParam reads the open parameter: true (the default) or false.
func openParam(r *http.Request) (bool, error) {
	switch v := r.URL.Query().Get("open"); v {
	case "", "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	default:
		return false, problem(CodeBadParameter, "open %q: give true or false", v)
	}
}

// deadLetters lists dead letters, of one station (station=) or all, open
// ones only unless open=false.
func (s *Server) deadLetters(w http.ResponseWriter, r *http.Request) {
	if err := countyOnly(callerOf(r)); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	open, err := openParam(r)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	ds, err := s.st.DeadLettersOf(r.Context(), strings.TrimSpace(r.URL.Query().Get("station")), open)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	out := DeadLetterList{DeadLetters: []DeadLetter{}}
	for _, d := range ds {
		out.DeadLetters = append(out.DeadLetters, deadLetterView(d))
	}
	s.write(w, ok(http.StatusOK, out))
}

// deadLetterParams reads {node}/{incarnation}/{seq}.
func deadLetterParams(r *http.Request) (node, inc string, seq uint64, err error) {
	node, inc = chi.URLParam(r, "node"), chi.URLParam(r, "incarnation")
	seq, err = strconv.ParseUint(chi.URLParam(r, "seq"), 10, 64)
	if err != nil || seq == 0 || node == "" || inc == "" {
		return "", "", 0, problem(CodeNotFound, "no dead letter %s/%s/%s", node, inc, chi.URLParam(r, "seq"))
	}
	return node, inc, seq, nil
}

// retryDeadLetter judges a dead letter again with the running build and
// applies it if it now passes; one still refused stays a dead letter with
// the new reason (200, applied false).
func (s *Server) retryDeadLetter(w http.ResponseWriter, r *http.Request) {
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
		if err := countyOnly(c); err != nil {
			return s.failed(r, err)
		}
		node, inc, seq, err := deadLetterParams(r)
		if err != nil {
			return s.failed(r, err)
		}
		note, err := noteOf(body)
		if err != nil {
			return s.failed(r, err)
		}
		res, err := s.o.Intake.RetryDeadLetter(r.Context(), c.actor(), node, inc, seq, note)
		if err != nil {
			return s.failed(r, err)
		}
		d, err := s.st.DeadLetterOf(r.Context(), node, inc, seq)
		if err != nil {
			return s.failed(r, err)
		}
		return ok(http.StatusOK, RetryAnswer{Applied: res.Applied, DeadLetter: deadLetterView(d)})
	})
}

// discardDeadLetter sets a dead letter aside for good, kept with who and
// why.
func (s *Server) discardDeadLetter(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, maxJSONBytes)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	s.once(w, r, body, func() answer {
		c := callerOf(r)
		if err := countyOnly(c); err != nil {
			return s.failed(r, err)
		}
		node, inc, seq, err := deadLetterParams(r)
		if err != nil {
			return s.failed(r, err)
		}
		note, err := noteOf(body)
		if err != nil {
			return s.failed(r, err)
		}
		d, err := s.st.DiscardDeadLetter(r.Context(), node, inc, seq, c.actor(), note)
		if err != nil {
			return s.failed(r, err)
		}
		return ok(http.StatusOK, deadLetterView(d))
	})
}

// QuarantinedOp is an op that reused an identity (node, incarnation,
// seq) with other content, never applied.
type QuarantinedOp struct {
	ID           int64     `json:"id"`
	Node         string    `json:"node"`
	Incarnation  string    `json:"incarnation"`
	Seq          uint64    `json:"seq"`
	Kind         string    `json:"kind"`
	Reason       string    `json:"reason"`
	HashExisting string    `json:"hash_existing"`
	HashNew      string    `json:"hash_new"`
	ReceivedAt   time.Time `json:"received_at"`
	Open         bool      `json:"open"`
	AckedBy      string    `json:"acked_by,omitempty"`
	AckedAt      time.Time `json:"acked_at,omitzero"`
	Note         string    `json:"note,omitempty"`
}

// QuarantineList is the answer of GET /api/v1/quarantine.
type QuarantineList struct {
	Quarantined []QuarantinedOp `json:"quarantined"`
}

func quarantinedView(q store.Quarantined) QuarantinedOp {
	return QuarantinedOp{ID: q.ID, Node: q.Node, Incarnation: q.Incarnation, Seq: q.Seq, Kind: string(q.Kind), Reason: q.Reason,
		HashExisting: q.HashExisting, HashNew: q.HashNew, ReceivedAt: q.Received.UTC(), Open: q.Acked.IsZero(), AckedBy: q.AckedBy,
		AckedAt: q.Acked, Note: q.Note}
}

// quarantine lists quarantined ops, of one station or all, those not
// acknowledged unless open=false.
func (s *Server) quarantine(w http.ResponseWriter, r *http.Request) {
	if err := countyOnly(callerOf(r)); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	open, err := openParam(r)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	qs, err := s.st.QuarantineOf(r.Context(), strings.TrimSpace(r.URL.Query().Get("station")), open)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	out := QuarantineList{Quarantined: []QuarantinedOp{}}
	for _, q := range qs {
		out.Quarantined = append(out.Quarantined, quarantinedView(q))
	}
	s.write(w, ok(http.StatusOK, out))
}

// ackQuarantined acknowledges a quarantined op: someone looked into it.
func (s *Server) ackQuarantined(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, maxJSONBytes)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	s.once(w, r, body, func() answer {
		c := callerOf(r)
		if err := countyOnly(c); err != nil {
			return s.failed(r, err)
		}
		id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
		if err != nil || id < 1 {
			return s.failed(r, problem(CodeNotFound, "%q is no quarantined op", chi.URLParam(r, "id")))
		}
		note, err := noteOf(body)
		if err != nil {
			return s.failed(r, err)
		}
		q, err := s.st.AckQuarantined(r.Context(), id, c.actor(), note)
		if err != nil {
			return s.failed(r, err)
		}
		return ok(http.StatusOK, quarantinedView(q))
	})
}
