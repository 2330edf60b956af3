package drivers

import (
	"fmt"
	"sync"
)

// State is the state of a device that a driver watches and retries: a
// scan gun, a watched folder.
type State int

const (
	StateAbsent State = iota // not there (not plugged in, folder missing): retried
	StateOpen                // open and in use
	StateError               // there but unusable (busy, no permission): retried
)

func (s State) String() string {
	switch s {
	case StateAbsent:
		return "absent"
	case StateOpen:
		return "open"
	case StateError:
		return "error"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Status holds a device's State and, when it is not open, why. Its zero
// value is StateAbsent, not yet reported. It is safe for concurrent use.
type Status struct {
	mu    sync.Mutex
	state State
	err   error
	known bool // a state was recorded
}

// Get returns the state and, when it is not open, why.
func (s *Status) Get() (State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state, s.err
}

// Set records st and err and reports whether they are news: the first
// state recorded, another state, or an error of another code (as code
// gives it), so that a device retried while absent is reported once.
func (s *Status) Set(st State, err error, code func(error) string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	same := s.known && s.state == st && code(s.err) == code(err)
	s.state, s.err, s.known = st, err, true
	return !same
}
