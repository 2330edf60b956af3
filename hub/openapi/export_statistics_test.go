package openapi

// HoldStatistics takes every slot of the statistics computed at once, as
// long-running ones would, until release.
func HoldStatistics(s *Server) (release func()) {
	n := 0
	for s.stats.enter() {
		n++
	}
	return func() {
		for range n {
			s.stats.leave()
		}
	}
}
