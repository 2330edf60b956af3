package openapi

import (
	"context"
	"net/http"

	"cunyou/hub/auth"
)

// RoutePermission is the permission a session needs for a route (method
// and chi pattern), and whether the route has one.
func RoutePermission(method, pattern string) (auth.Permission, bool) {
	r, ok := routeRules[method+" "+pattern]
	return r.perm, ok
}

// ProblemCodes lists every code of the problems table, for the test that
// the document lists them all.
func ProblemCodes() []string {
	out := make([]string, 0, len(problems))
	for c := range problems {
		out = append(out, c)
	}
	return out
}

// Buckets is how many rate-limit buckets the server holds.
func (s *Server) Buckets() int {
	s.limits.mu.Lock()
	defer s.limits.mu.Unlock()
	return len(s.limits.buckets)
}

// SetSMSTemplateAs calls the template handler as a session of id, past
// the route's own permission check (its own check is under test).
func (s *Server) SetSMSTemplateAs(id auth.Identity, w http.ResponseWriter, r *http.Request) {
	c := caller{id: id.Username, carrier: id.Carrier, admin: id.Can(auth.PersonalData), user: &id}
	s.setSMSTemplate(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
}
