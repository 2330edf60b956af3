package openapi

import (
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"cunyou/hub/auth"
	"cunyou/hub/notify"
	"cunyou/mask"
	"cunyou/sms"
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

// SMSTemplate is a message template: the text with {variables}, each
// provider's approved template id, the variables the kind may use, and
// the text as a receiver would read it with sample values, counted as
// the operators bill it.
type SMSTemplate struct {
	Kind      string            `json:"kind"`
	Text      string            `json:"text"`
	Providers map[string]string `json:"providers"`
	Variables []string          `json:"variables"`
	Preview   SMSPreview        `json:"preview"`
	Updated   string            `json:"updated,omitempty"`
	UpdatedBy string            `json:"updated_by,omitempty"`
}

// SMSPreview is a template rendered with sample values.
type SMSPreview struct {
	Text  string `json:"text"`
	Chars int    `json:"chars"`
	Parts int    `json:"parts"`
}

// SMSTemplateList lists the templates by kind.
type SMSTemplateList struct {
	Templates []SMSTemplate `json:"templates"`
}

// SMSTemplateUpdate changes a template; DryRun only checks and previews.
type SMSTemplateUpdate struct {
	Text      string            `json:"text"`
	Providers map[string]string `json:"providers,omitempty"` // kept as they were when absent
	DryRun    bool              `json:"dry_run,omitempty"`
}

func (s *Server) smsTemplateView(t notify.Template) SMSTemplate {
	v := SMSTemplate{Kind: t.Kind, Text: t.Text, Providers: t.Providers, Variables: []string{}, UpdatedBy: t.UpdatedBy}
	if v.Providers == nil {
		v.Providers = map[string]string{}
	}
	for name := range notify.Kinds[t.Kind] {
		v.Variables = append(v.Variables, name)
	}
	slices.Sort(v.Variables)
	if p, err := notify.Check(t.Kind, s.o.SMSSign, t.Text); err == nil {
		v.Preview = SMSPreview{Text: p.Text, Chars: p.Chars, Parts: p.Parts}
	}
	if !t.Updated.IsZero() && t.Updated.UnixMilli() > 0 {
		v.Updated = t.Updated.UTC().Format(time.RFC3339)
	}
	return v
}

func (s *Server) smsTemplates(w http.ResponseWriter, r *http.Request) {
	ts, err := notify.LoadTemplates(r.Context(), s.st)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	out := SMSTemplateList{Templates: []SMSTemplate{}}
	for _, kind := range slices.Sorted(maps.Keys(ts)) {
		out.Templates = append(out.Templates, s.smsTemplateView(ts[kind]))
	}
	s.write(w, ok(http.StatusOK, out))
}

// setSMSTemplate checks a template's variables and length, and saves it
// (the admin only: the console's token); the stations get their texts
// for the arrival SMS they may send themselves.
func (s *Server) setSMSTemplate(w http.ResponseWriter, r *http.Request) {
	// Not c.admin: that holds for every session that sees personal data
	// (the dispatcher's too); a session needs the permission itself.
	if c := callerOf(r); c.user != nil && !c.user.Can(auth.SMSTemplatesWrite) || c.user == nil && !c.admin {
		s.writeProblem(w, r, problem(CodeInsufficientScope, "only the admin changes SMS templates"))
		return
	}
	kind := chi.URLParam(r, "kind")
	if _, known := notify.Kinds[kind]; !known {
		s.writeProblem(w, r, problem(CodeNotFound, "no SMS template kind %q", kind))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<10))
	if err != nil {
		s.writeProblem(w, r, problem(CodeBadRequest, "read the body: %v", err))
		return
	}
	var u SMSTemplateUpdate
	if err := decodeJSON(body, &u); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	var p notify.Preview
	if u.DryRun {
		p, err = notify.Check(kind, s.o.SMSSign, u.Text)
	} else {
		p, err = notify.SetTemplate(r.Context(), s.st, kind, s.o.SMSSign, u.Text, u.Providers, callerOf(r).actor())
		if err == nil {
			err = notify.PushTemplates(r.Context(), s.st, s.o.SMSSign, s.o.SMSQuiet)
		}
	}
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	t := notify.Template{Kind: kind, Text: strings.TrimSpace(u.Text), Providers: u.Providers}
	if !u.DryRun {
		ts, err := notify.LoadTemplates(r.Context(), s.st)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		t = ts[kind]
	}
	v := s.smsTemplateView(t)
	v.Preview = SMSPreview{Text: p.Text, Chars: p.Chars, Parts: p.Parts}
	s.write(w, ok(http.StatusOK, v))
}

// SMSOptOut is a phone's wish for no more messages.
type SMSOptOut struct {
	Phone  string `json:"phone"`
	OptOut bool   `json:"opted_out"`
}

// smsOptOut records (PUT) or undoes (DELETE) a phone's opt-out: the
// console's action when a villager asks by phone or at the station.
func (s *Server) smsOptOut(w http.ResponseWriter, r *http.Request) {
	phone := chi.URLParam(r, "phone")
	var err error
	if r.Method == http.MethodDelete {
		err = notify.OptIn(r.Context(), s.st, phone)
		if err == nil && !sms.ValidPhone(phone) {
			err = problem(CodeBadParameter, "phone %q: an 11-digit mobile number", phone)
		}
	} else {
		err = notify.OptOut(r.Context(), s.st, phone, callerOf(r).actor())
	}
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	shown := phone
	if !callerOf(r).admin {
		shown = mask.Phone(phone)
	}
	s.write(w, ok(http.StatusOK, SMSOptOut{Phone: shown, OptOut: r.Method != http.MethodDelete}))
}
