package chaos

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Faults are the link's misbehaviours. The per-request knobs are
// probabilities in [0, 1], drawn independently for every request; the zero
// value is a healthy link.
type Faults struct {
	// DropRequest: the request is read from the client, then the client's
	// connection is closed. The upstream never sees it.
	DropRequest float64
	// DropResponse: the request is forwarded and answered upstream, then
	// the client's connection is closed with nothing written (half of the
	// time) or after a random prefix of the answer, status line and headers
	// included. The hub applied it; the client does not know.
	DropResponse float64
	// Truncate: the status line, the headers (with the full Content-Length)
	// and a random prefix of the body are written, then the connection is
	// closed: the client reads an unexpected EOF.
	Truncate float64
	// Delay holds the request for a uniform random time in [0, MaxDelay]
	// before forwarding it.
	Delay    float64
	MaxDelay time.Duration
	// Duplicate sends the request upstream twice, one copy after the
	// other or both at once (chosen at random); the client gets the answer
	// of one copy, chosen at random.
	Duplicate float64
	// Reorder holds the request until a later request has been answered
	// upstream, or for ReorderHold at most, so that later requests pass it.
	Reorder     float64
	ReorderHold time.Duration
	// BitsPerSecond caps the bandwidth of the link, separately for request
	// bodies (up) and response bodies (down), shared by all connections;
	// 0 is unlimited. The proxy really sleeps: keep bodies small in tests.
	BitsPerSecond int64
	// CutEvery closes every open client connection (active or idle)
	// every CutEvery, jittered uniformly in [CutEvery/2, 3*CutEvery/2).
	// 0 never cuts.
	CutEvery time.Duration
	// Paths, if not empty, limits the per-request knobs to requests whose
	// path starts with one of these prefixes (e.g. syncproto.PathOps).
	// Other requests pass cleanly, though still throttled and cut. Every
	// request draws its decision all the same, so the decisions of
	// the others do not move.
	Paths []string
}

// Validate reports the first field that is out of range.
func (f Faults) Validate() error {
	probs := []struct {
		name string
		p    float64
	}{
		{"DropRequest", f.DropRequest}, {"DropResponse", f.DropResponse},
		{"Truncate", f.Truncate}, {"Delay", f.Delay},
		{"Duplicate", f.Duplicate}, {"Reorder", f.Reorder},
	}
	for _, p := range probs {
		if !(p.p >= 0 && p.p <= 1) { // NaN fails too
			return fmt.Errorf("%w: %s: probability %v not in [0, 1]", ErrInvalidFaults, p.name, p.p)
		}
	}
	switch {
	case f.MaxDelay < 0:
		return fmt.Errorf("%w: MaxDelay: %v is negative", ErrInvalidFaults, f.MaxDelay)
	case f.Delay > 0 && f.MaxDelay == 0:
		return fmt.Errorf("%w: MaxDelay: must be set when Delay > 0", ErrInvalidFaults)
	case f.ReorderHold < 0:
		return fmt.Errorf("%w: ReorderHold: %v is negative", ErrInvalidFaults, f.ReorderHold)
	case f.Reorder > 0 && f.ReorderHold == 0:
		return fmt.Errorf("%w: ReorderHold: must be set when Reorder > 0", ErrInvalidFaults)
	case f.BitsPerSecond < 0:
		return fmt.Errorf("%w: BitsPerSecond: %d is negative", ErrInvalidFaults, f.BitsPerSecond)
	case f.CutEvery < 0:
		return fmt.Errorf("%w: CutEvery: %v is negative", ErrInvalidFaults, f.CutEvery)
	}
	return nil
}

// String lists the knobs that are set, for logs; a healthy link is "healthy".
func (f Faults) String() string {
	var parts []string
	add := func(name string, p float64) {
		if p > 0 {
			parts = append(parts, fmt.Sprintf("%s=%g", name, p))
		}
	}
	add("DropRequest", f.DropRequest)
	add("DropResponse", f.DropResponse)
	add("Truncate", f.Truncate)
	if f.Delay > 0 {
		parts = append(parts, fmt.Sprintf("Delay=%g(≤%v)", f.Delay, f.MaxDelay))
	}
	add("Duplicate", f.Duplicate)
	if f.Reorder > 0 {
		parts = append(parts, fmt.Sprintf("Reorder=%g(≤%v)", f.Reorder, f.ReorderHold))
	}
	if f.BitsPerSecond > 0 {
		parts = append(parts, fmt.Sprintf("BitsPerSecond=%d", f.BitsPerSecond))
	}
	if f.CutEvery > 0 {
		parts = append(parts, fmt.Sprintf("CutEvery=%v", f.CutEvery))
	}
	if len(f.Paths) > 0 && len(parts) > 0 {
		parts = append(parts, fmt.Sprintf("Paths=%v", f.Paths))
	}
	if len(parts) == 0 {
		return "healthy"
	}
	return strings.Join(parts, " ")
}

// applies reports whether the per-request knobs apply to path.
func (f Faults) applies(path string) bool {
	if len(f.Paths) == 0 {
		return true
	}
	for _, p := range f.Paths {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// Decision is what the proxy does to one request. It is a pure function
// of the seed, the request's number and the faults (see Decide).
type Decision struct {
	Seq          uint64        // the request's number at the proxy, from 1
	DropRequest  bool          // closed before forwarding
	Delay        time.Duration // held this long before forwarding
	Hold         time.Duration // Reorder: held at most this long for a later request to pass
	Duplicate    bool          // sent upstream twice
	DupParallel  bool          // the two copies race instead of following each other
	DupAnswer    int           // the copy (0 or 1) whose answer the client gets
	DropResponse bool          // forwarded, then the client's connection closed
	Silent       bool          // DropResponse: closed with nothing written
	Truncate     bool          // body cut short
	CutAt        float64       // DropResponse (not Silent) or Truncate: where the answer stops, as a fraction in [0, 1)
}

// Faulty reports whether the decision does anything to the request.
func (d Decision) Faulty() bool {
	return d.DropRequest || d.Delay > 0 || d.Hold > 0 || d.Duplicate || d.DropResponse || d.Truncate
}

// String is a short form for logs, e.g. "#7 delay=31ms dup(parallel,answer=1)".
func (d Decision) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d", d.Seq)
	if d.DropRequest {
		b.WriteString(" drop-request")
	}
	if d.Delay > 0 {
		fmt.Fprintf(&b, " delay=%v", d.Delay)
	}
	if d.Hold > 0 {
		fmt.Fprintf(&b, " reorder(≤%v)", d.Hold)
	}
	if d.Duplicate {
		mode := "serial"
		if d.DupParallel {
			mode = "parallel"
		}
		fmt.Fprintf(&b, " dup(%s,answer=%d)", mode, d.DupAnswer)
	}
	if d.DropResponse {
		if d.Silent {
			b.WriteString(" drop-response(silent)")
		} else {
			fmt.Fprintf(&b, " drop-response(at %.3f)", d.CutAt)
		}
	}
	if d.Truncate {
		fmt.Fprintf(&b, " truncate(at %.3f)", d.CutAt)
	}
	if !d.Faulty() {
		b.WriteString(" clean")
	}
	return b.String()
}

// Decide draws the decision for request number seq (from 1) under faults
// f. Each request has its own PCG stream, derived from the seed and seq,
// and always draws the same values in the same order, so a decision
// depends on nothing else: not on timing, not on other requests, not on
// knobs that do not concern it. Replaying a seed against a client that
// sends the same requests in the same order replays every decision.
//
// Precedence: DropRequest excludes everything after forwarding;
// DropResponse excludes Truncate. Delay, Reorder and Duplicate combine.
// Decide ignores f.Paths; the proxy turns the decision of a request
// outside them into a clean one.
func Decide(seed, seq uint64, f Faults) Decision {
	r := rand.New(rand.NewPCG(seed, mix(seq)))
	u := func() float64 { return r.Float64() }
	// The draw order is fixed; append new draws at the end only.
	var (
		uDropReq   = u()
		uDelay     = u()
		uDelayLen  = u()
		uReorder   = u()
		uDup       = u()
		uDupPar    = u()
		uDupAnswer = u()
		uDropResp  = u()
		uSilent    = u()
		uTruncate  = u()
		uCutAt     = u()
	)
	d := Decision{Seq: seq}
	d.DropRequest = uDropReq < f.DropRequest
	if uDelay < f.Delay {
		d.Delay = time.Duration(uDelayLen * float64(f.MaxDelay+1))
	}
	if uReorder < f.Reorder {
		d.Hold = f.ReorderHold
	}
	if d.DropRequest {
		return d
	}
	if uDup < f.Duplicate {
		d.Duplicate = true
		d.DupParallel = uDupPar < 0.5
		if uDupAnswer >= 0.5 {
			d.DupAnswer = 1
		}
	}
	switch {
	case uDropResp < f.DropResponse:
		d.DropResponse = true
		d.Silent = uSilent < 0.5
		if !d.Silent {
			d.CutAt = uCutAt
		}
	case uTruncate < f.Truncate:
		d.Truncate = true
		d.CutAt = uCutAt
	}
	return d
}

// mix is splitmix64's finalizer: neighbouring request numbers get
// unrelated PCG streams.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
