package openapi

import (
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"cunyou/hub/audit"
	"cunyou/hub/auth"
	"cunyou/hub/store"
	"cunyou/mask"
)

// The console's people on the open API: sign-in (POST /login), sign-out,
// who am I, the permission of every route for a session, the audit of
// every write and every sensitive read, and the audit log itself.

// sessionPrefix starts every console session token (an API key starts
// "cy_").
const sessionPrefix = "cys_"

// loginsPerMin bounds the sign-ins from one address (the lockout guards
// each account; this, a sweep over many).
const loginsPerMin = 30

// routeRule is what a route means to the console's people: the
// permission a session needs, the action the audit log names, and
// whether a read shows personal data (audited when the caller sees it
// unmasked).
type routeRule struct {
	perm      auth.Permission
	action    string
	sensitive bool
}

// routeRules names the rule of every authenticated route, by method and
// pattern. A route missing here is refused to every session;
// TestEveryRouteHasAPermission fails on it.
var routeRules = map[string]routeRule{
	"POST /api/v1/parcels":                         {auth.ParcelsWrite, "parcel.create", false},
	"POST /api/v1/parcels/batch":                   {auth.ParcelsWrite, "parcel.batch", false},
	"POST /api/v1/manifests":                       {auth.ParcelsWrite, "manifest.upload", false},
	"GET /api/v1/parcels":                          {auth.ParcelsRead, "parcel.search", true},
	"GET /api/v1/parcels/{waybill}":                {auth.ParcelsRead, "parcel.read", true},
	"POST /api/v1/parcels/{waybill}/events":        {auth.ParcelsWrite, "parcel.events", false},
	"POST /api/v1/parcels/{waybill}/destination":   {auth.ParcelsAssign, "parcel.destination", false},
	"GET /api/v1/unresolved":                       {auth.ExceptionsRead, "unresolved.list", false},
	"GET /api/v1/stations":                         {auth.StationsRead, "stations.list", false},
	"PUT /api/v1/stations/{node}":                  {auth.StationsManage, "station.add", false},
	"GET /api/v1/stations/{node}":                  {auth.StationsRead, "station.read", false},
	"GET /api/v1/stations/{node}/dayclosures":      {auth.StationsRead, "station.dayclosures", false},
	"POST /api/v1/stations/{node}/code":            {auth.StationsEnroll, "station.code", false},
	"POST /api/v1/stations/{node}/disable":         {auth.StationsManage, "station.disable", false},
	"POST /api/v1/stations/{node}/enable":          {auth.StationsManage, "station.enable", false},
	"GET /api/v1/villages":                         {auth.RegistryRead, "villages.list", false},
	"GET /api/v1/counts":                           {auth.StatisticsRead, "counts.read", false},
	"GET /api/v1/statistics":                       {auth.StatisticsRead, "statistics.read", false},
	"GET /api/v1/exceptions":                       {auth.ExceptionsRead, "exceptions.list", false},
	"POST /api/v1/exceptions/{id}/resolve":         {auth.ExceptionsResolve, "exception.resolve", false},
	"POST /api/v1/parcels/{waybill}/lost":          {auth.ParcelsMarkLost, "parcel.lost", false},
	"GET /api/v1/deadletters":                      {auth.StationsRead, "deadletters.list", false},
	"GET /api/v1/quarantine":                       {auth.StationsRead, "quarantine.list", false},
	"POST /api/v1/quarantine/{id}/ack":             {auth.OpsRepair, "quarantine.ack", false},
	"GET /api/v1/carriers":                         {auth.RegistryRead, "carriers.list", false},
	"GET /api/v1/sites":                            {auth.RegistryRead, "sites.list", false},
	"GET /api/v1/lines":                            {auth.RegistryRead, "lines.list", false},
	"GET /api/v1/trips":                            {auth.TripsRead, "trips.list", false},
	"PATCH /api/v1/trips/{id}":                     {auth.TripsWrite, "trip.update", false},
	"GET /api/v1/trips/{id}/track":                 {auth.FleetRead, "trip.track", false},
	"GET /api/v1/vehicles/positions":               {auth.FleetRead, "vehicles.positions", false},
	"GET /api/v1/vehicles":                         {auth.FleetRead, "vehicles.list", false},
	"GET /api/v1/drivers":                          {auth.FleetRead, "drivers.list", true},
	"GET /api/v1/sms/messages":                     {auth.SMSMessagesRead, "sms.messages", true},
	"GET /api/v1/sms/templates":                    {auth.SMSTemplatesRead, "sms.templates", false},
	"PUT /api/v1/sms/templates/{kind}":             {auth.SMSTemplatesWrite, "sms.template.set", false},
	"PUT /api/v1/sms/optouts/{phone}":              {auth.SMSOptOutsWrite, "sms.optout", false},
	"DELETE /api/v1/sms/optouts/{phone}":           {auth.SMSOptOutsWrite, "sms.optin", false},
	"GET /api/v1/webhooks/deliveries":              {auth.WebhooksRead, "webhooks.deliveries", false},
	"GET /api/v1/webhooks/deliveries/{id}":         {auth.WebhooksRead, "webhooks.delivery", false},
	"POST /api/v1/webhooks/deliveries/{id}/replay": {auth.WebhooksReplay, "webhooks.replay", false},
	"GET /api/v1/me":                               {auth.Self, "me", false},
	"POST /api/v1/logout":                          {auth.Self, "logout", false},
	"GET /api/v1/audit":                            {auth.AuditRead, "audit.read", true},
	"GET /api/v1/users":                            {auth.UsersManage, "users.list", true},
	"POST /api/v1/users":                           {auth.UsersManage, "user.add", false},
	"PATCH /api/v1/users/{username}":               {auth.UsersManage, "user.update", false},
	"POST /api/v1/users/{username}/password":       {auth.UsersManage, "user.reset_password", false},
	"POST /api/v1/users/{username}/revoke":         {auth.UsersManage, "user.revoke", false},
	"PUT /api/v1/users/{username}/totp":            {auth.UsersManage, "user.totp", false},
	"DELETE /api/v1/users/{username}/totp":         {auth.UsersManage, "user.totp_remove", false},
	"PUT /api/v1/me/password":                      {auth.Self, "user.password", false},

	// The dead letters' repairs, by their identity (node, incarnation, seq).
	"POST /api/v1/deadletters/{node}/{incarnation}/{seq}/retry":   {auth.OpsRepair, "deadletter.retry", false},
	"POST /api/v1/deadletters/{node}/{incarnation}/{seq}/discard": {auth.OpsRepair, "deadletter.discard", false},
}

// scopePermissions is what an API client's scope means to a session, for
// the handlers' own checks (a phone search across carriers needs dispatch).
var scopePermissions = map[string]auth.Permission{
	scopeWrite:    auth.ParcelsWrite,
	scopeRead:     auth.ParcelsRead,
	scopeDispatch: auth.PersonalData,
	scopeWebhooks: auth.WebhooksRead,
}

// ruleOf returns the rule of r's route (routing is done by then).
func ruleOf(r *http.Request) (routeRule, bool) {
	rule, ok := routeRules[r.Method+" "+chi.RouteContext(r.Context()).RoutePattern()]
	return rule, ok
}

// remoteOf is the address a request came from, without its port.
func remoteOf(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// loginSource is whom the sign-in limit counts: the address, or for IPv6
// its /64 (one host commonly holds a whole /64, and would otherwise
// have as many buckets as it likes).
func loginSource(r *http.Request) string {
	remote := remoteOf(r)
	ip, err := netip.ParseAddr(remote)
	if err != nil || ip.Unmap().Is4() {
		return remote
	}
	p, err := ip.WithZone("").Prefix(64)
	if err != nil {
		return remote
	}
	return p.String()
}

// statusRecorder keeps the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
	// byService: hub/auth wrote this request's audit row itself, a
	// refusal included (auditedByService).
	byService bool
}

// auditedByService tells the audited middleware that hub/auth wrote the
// audit row of this request, whatever its status: one row per attempt.
func auditedByService(w http.ResponseWriter) {
	for {
		switch x := w.(type) {
		case *statusRecorder:
			x.byService = true
			return
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return
		}
	}
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// audited writes an audit row for every write, whatever its result, for
// every read of personal data by a caller who sees it unmasked (and of
// the audit log itself), and for every such read refused: who, what, the
// target, from where, and the result. A phone in the path is masked; no body is kept.
func (s *Server) audited(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rule, _ := ruleOf(r)
		c := callerOf(r)
		write := r.Method != http.MethodGet && r.Method != http.MethodHead
		if s.o.Audit == nil || !write && !rule.sensitive || rule.action == "logout" {
			next.ServeHTTP(w, r)
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		result := audit.OK
		switch {
		case rec.status == http.StatusUnauthorized || rec.status == http.StatusForbidden:
			result = audit.Denied
		case !write && !c.admin:
			return // a masked read
		case rec.status >= 400:
			result = audit.Failed + " " + strconv.Itoa(rec.status)
		}
		if rec.byService || result == audit.OK && serviceAudited[r.Method+" "+chi.RouteContext(r.Context()).RoutePattern()] {
			return // hub/auth wrote it, with its detail
		}
		action := rule.action
		if action == "" {
			action = strings.ToLower(r.Method) + " " + r.URL.Path
		}
		role := "api"
		switch {
		case c.user != nil:
			role = c.user.Role
		case c.admin:
			role = auth.Admin
		}
		if _, err := s.o.Audit.Append(r.Context(), audit.Entry{Actor: c.actor(), Role: role, Action: action,
			Target: auditTarget(r), Remote: remoteOf(r), Result: result, Detail: auditDetail(r)}); err != nil {
			s.log.Error("audit", "action", action, "err", err)
		}
	})
}

// auditTarget names what a request acted on, from its path.
func auditTarget(r *http.Request) string {
	rc := chi.RouteContext(r.Context())
	var parts []string
	for i, k := range rc.URLParams.Keys {
		v := rc.URLParams.Values[i]
		if k == "phone" {
			v = mask.Phone(v)
		}
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
}

// auditDetail keeps a search's filters, every phone given masked (not
// only the first: ?phone=&phone=139… would keep the second whole).
func auditDetail(r *http.Request) string {
	q := r.URL.Query()
	for i, p := range q["phone"] {
		q["phone"][i] = mask.Phone(p)
	}
	return q.Encode()
}

// LoginRequest signs a person in to the console.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	TOTP     string `json:"totp,omitempty"`
}

// Me is a signed-in person: what POST /login and GET /me answer.
type Me struct {
	Token       string            `json:"token,omitempty"` // only from POST /login
	Expires     time.Time         `json:"expires"`
	User        string            `json:"user"`
	Role        string            `json:"role"`
	Carrier     string            `json:"carrier,omitempty"`
	Permissions []auth.Permission `json:"permissions"`
}

func meOf(id auth.Identity) Me {
	return Me{Expires: id.Expires.UTC(), User: id.Username, Role: id.Role, Carrier: id.Carrier, Permissions: id.Permissions}
}

// login checks a person's password (and one-time code) and answers a
// session token.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.o.Auth == nil {
		s.writeProblem(w, r, problem(CodeUnavailable, "this hub has no console users"))
		return
	}
	if ok, _, wait := s.limits.take("login "+loginSource(r), loginsPerMin, s.now()); !ok {
		s.writeProblem(w, r, &apiError{code: CodeRateLimited, retryAfter: int(math.Ceil(wait.Seconds())),
			detail: "too many sign-ins from this address; retry after the time given"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<10))
	if err != nil {
		s.writeProblem(w, r, problem(CodeBadRequest, "read the body: %v", err))
		return
	}
	var req LoginRequest
	if err := decodeJSON(body, &req); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	token, id, err := s.o.Auth.Login(r.Context(), req.Username, req.Password, req.TOTP, remoteOf(r))
	switch {
	case errors.Is(err, auth.ErrBadCredentials):
		err = problem(CodeBadCredentials, "wrong user name or password")
	case errors.Is(err, auth.ErrLocked):
		err = problem(CodeAccountLocked, "locked after repeated wrong passwords: wait, or ask the admin to reset the password")
	case errors.Is(err, auth.ErrDisabled):
		err = problem(CodeAccountDisabled, "this account is disabled: ask the admin")
	case errors.Is(err, auth.ErrTOTPRequired):
		err = problem(CodeTOTPRequired, "send the one-time code of your authenticator app as totp")
	case errors.Is(err, auth.ErrTOTPInvalid):
		err = problem(CodeBadCredentials, "wrong or used one-time code")
	case errors.Is(err, auth.ErrSealed):
		s.log.Error("sign-in", "user", req.Username, "err", err)
		err = problem(CodeTOTPUnreadable, "this account's second factor cannot be read on this hub: ask the admin to remove it and enrol it again")
	}
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	me := meOf(id)
	me.Token = token
	s.write(w, ok(http.StatusOK, me))
}

// logout ends the caller's session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	if c.user == nil {
		s.writeProblem(w, r, problem(CodeBadRequest, "only a console session signs out"))
		return
	}
	if err := s.o.Auth.Logout(r.Context(), *c.user, bearer(r), remoteOf(r)); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	s.write(w, ok(http.StatusOK, map[string]string{"user": c.user.Username}))
}

// me answers who the caller is: a session's user, or the admin token.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	if c.user != nil {
		s.write(w, ok(http.StatusOK, meOf(*c.user)))
		return
	}
	s.write(w, ok(http.StatusOK, Me{User: AdminActor, Role: auth.Admin, Permissions: auth.Permissions}))
}

// AuditRow is a row of the audit log.
type AuditRow struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Role   string    `json:"role"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Remote string    `json:"remote"`
	Result string    `json:"result"`
	Detail string    `json:"detail,omitempty"`
	Hash   string    `json:"hash"`
}

// AuditList is a page of the audit log, newest first.
type AuditList struct {
	Rows []AuditRow `json:"rows"`
	// NextBefore continues with older rows (?before=), 0 at the end.
	NextBefore int64 `json:"next_before,omitempty"`
}

// auditLog answers the audit log, newest first, filtered by user (a name,
// or an actor such as api:zto-app), action (or a prefix ending in "."),
// since (RFC 3339) and paged by limit and before.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) {
	if s.o.Audit == nil {
		s.writeProblem(w, r, problem(CodeUnavailable, "this hub keeps no audit log"))
		return
	}
	q := r.URL.Query()
	aq := store.AuditQuery{Actor: strings.TrimSpace(q.Get("user")), Action: strings.TrimSpace(q.Get("action"))}
	if aq.Actor != "" && !strings.Contains(aq.Actor, ":") && aq.Actor != AdminActor {
		aq.Actor = "user:" + aq.Actor
	}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			s.writeProblem(w, r, problem(CodeBadParameter, "since %q: an RFC 3339 time, 2026-11-27T08:00:00+08:00", v))
			return
		}
		aq.Since = t
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			s.writeProblem(w, r, problem(CodeBadParameter, "before %q: pass next_before of the previous page", v))
			return
		}
		aq.Before = n
	}
	limit, err := limitParam(r)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	aq.Limit = limit + 1
	rows, err := s.o.Audit.List(r.Context(), aq)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	out := AuditList{Rows: []AuditRow{}}
	if len(rows) > limit {
		rows = rows[:limit]
		out.NextBefore = rows[limit-1].Seq
	}
	for _, a := range rows {
		out.Rows = append(out.Rows, AuditRow{Seq: a.Seq, At: a.At.UTC(), Actor: a.Actor, Role: a.Role, Action: a.Action,
			Target: a.Target, Remote: a.Remote, Result: a.Result, Detail: a.Detail, Hash: a.Hash})
	}
	s.write(w, ok(http.StatusOK, out))
}
