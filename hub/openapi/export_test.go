package openapi

import "cunyou/hub/auth"

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
