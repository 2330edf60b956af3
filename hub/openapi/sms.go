package openapi

import (
	"net/http"
	"strconv"
	"time"

	"cunyou/hub/notify"
	"cunyou/mask"
)

// SMSMessage is an SMS the hub sent or tries to send. The phone is masked
// but for the admin.
type SMSMessage struct {
	ID         int64    `json:"id"`
	Phone      string   `json:"phone"`
	Kind       string   `json:"kind"`
	Text       string   `json:"text"`
	Parts      int      `json:"parts"`
	State      string   `json:"state"`
	Gateway    string   `json:"gateway,omitempty"`
	ProviderID string   `json:"provider_id,omitempty"`
	Attempts   int      `json:"attempts"`
	ErrorCode  string   `json:"error_code,omitempty"`
	Error      string   `json:"error,omitempty"`
	Waybills   []string `json:"waybills"`
	Created    string   `json:"created"`
	Submitted  string   `json:"submitted,omitempty"`
	Final      string   `json:"final,omitempty"`
}

// SMSMessageList lists SMS messages, newest first.
type SMSMessageList struct {
	Messages []SMSMessage `json:"messages"`
}

var smsStates = map[string]bool{"": true, "queued": true, "sending": true, "submitted": true, "delivered": true, "failed": true,
	"expired": true, "dead": true, "problems": true}

func (s *Server) smsMessages(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	if !smsStates[state] {
		s.writeProblem(w, r, problem(CodeBadParameter, "state %q: use queued, sending, submitted, delivered, failed, expired, dead or problems", state))
		return
	}
	limit := DefaultLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			s.writeProblem(w, r, problem(CodeBadParameter, "limit %q: use 1-%d", v, MaxLimit))
			return
		}
		limit = n
	}
	ms, err := notify.Messages(r.Context(), s.st, state, limit)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	admin := callerOf(r).admin
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	out := SMSMessageList{Messages: []SMSMessage{}}
	for _, m := range ms {
		phone := m.Phone
		if !admin {
			phone = mask.Phone(phone)
		}
		wbs := m.Waybills
		if wbs == nil {
			wbs = []string{}
		}
		out.Messages = append(out.Messages, SMSMessage{ID: m.ID, Phone: phone, Kind: m.Kind, Text: m.Text, Parts: m.Parts, State: m.State,
			Gateway: m.Gateway, ProviderID: m.ProviderID, Attempts: m.Attempts, ErrorCode: m.ErrorCode, Error: m.Error, Waybills: wbs,
			Created: stamp(m.Created), Submitted: stamp(m.Submitted), Final: stamp(m.Final)})
	}
	s.write(w, ok(http.StatusOK, out))
}
