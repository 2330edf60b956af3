package chaos

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// Entry is one request as the proxy saw it: the decision drawn for it and
// what became of it.
type Entry struct {
	Decision
	Method string
	Path   string
	// Status is the upstream's status code, 0 if the request never got
	// an answer from upstream.
	Status int
	// Overtaken: a request held by Reorder was released because a later
	// request had been answered upstream (false: the hold ran out).
	Overtaken bool
	// Outcome says in words what the client got; empty while in flight.
	Outcome string
}

func (e Entry) String() string {
	out := e.Outcome
	if out == "" {
		out = "in flight"
	}
	if e.Hold > 0 {
		if e.Overtaken {
			out = "overtaken; " + out
		} else {
			out = "hold ran out; " + out
		}
	}
	return fmt.Sprintf("%s %s %s → %s", e.Method, e.Path, e.Decision, out)
}

// Stats counts what the proxy did.
type Stats struct {
	Requests         int64 // requests received from clients
	Forwarded        int64 // requests sent upstream; both copies of a duplicate count
	Answered         int64 // whole answers written to clients
	DroppedRequests  int64 // DropRequest: never forwarded
	DroppedResponses int64 // DropResponse: forwarded, answer withheld or cut
	Truncated        int64 // Truncate: body cut short
	Delayed          int64 // Delay
	Duplicated       int64 // Duplicate: requests sent twice
	Reordered        int64 // Reorder: requests held for later ones to pass
	Overtaken        int64 // held requests that a later one did pass
	UpstreamErrors   int64 // forwards that failed; the client's connection was closed
	ClientGone       int64 // client connections that failed while sending or receiving
	Cuts             int64 // times the link was cut (CutEvery or CutNow)
	CutConns         int64 // client connections closed by cuts
	BytesUp          int64 // request body bytes read from clients
	BytesDown        int64 // response body bytes written to clients
	// ThrottledUp and ThrottledDown are the time requests spent waiting
	// for the link's bandwidth (BitsPerSecond), summed over connections.
	ThrottledUp   time.Duration
	ThrottledDown time.Duration
}

func (s Stats) String() string {
	return fmt.Sprintf("requests=%d forwarded=%d answered=%d dropped-requests=%d dropped-responses=%d "+
		"truncated=%d delayed=%d duplicated=%d reordered=%d overtaken=%d upstream-errors=%d client-gone=%d "+
		"cuts=%d cut-conns=%d bytes-up=%d bytes-down=%d throttled-up=%v throttled-down=%v",
		s.Requests, s.Forwarded, s.Answered, s.DroppedRequests, s.DroppedResponses,
		s.Truncated, s.Delayed, s.Duplicated, s.Reordered, s.Overtaken, s.UpstreamErrors, s.ClientGone,
		s.Cuts, s.CutConns, s.BytesUp, s.BytesDown, s.ThrottledUp, s.ThrottledDown)
}

type counters struct {
	requests, forwarded, answered                  atomic.Int64
	droppedRequests, droppedResponses, truncated   atomic.Int64
	delayed, duplicated, reordered, overtaken      atomic.Int64
	upstreamErrors, clientGone, cuts, cutConns     atomic.Int64
	bytesUp, bytesDown, throttledUp, throttledDown atomic.Int64
}

// Stats is a snapshot of the counters.
func (p *Proxy) Stats() Stats {
	c := &p.stats
	return Stats{
		Requests: c.requests.Load(), Forwarded: c.forwarded.Load(), Answered: c.answered.Load(),
		DroppedRequests: c.droppedRequests.Load(), DroppedResponses: c.droppedResponses.Load(),
		Truncated: c.truncated.Load(), Delayed: c.delayed.Load(), Duplicated: c.duplicated.Load(),
		Reordered: c.reordered.Load(), Overtaken: c.overtaken.Load(),
		UpstreamErrors: c.upstreamErrors.Load(), ClientGone: c.clientGone.Load(),
		Cuts: c.cuts.Load(), CutConns: c.cutConns.Load(),
		BytesUp: c.bytesUp.Load(), BytesDown: c.bytesDown.Load(),
		ThrottledUp:   time.Duration(c.throttledUp.Load()),
		ThrottledDown: time.Duration(c.throttledDown.Load()),
	}
}

// Log returns the entries of the requests so far (the first 100,000), in
// the order of their numbers; requests in flight have no Outcome yet.
func (p *Proxy) Log() []Entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Entry(nil), p.log...)
}

// Report is the text to print when a test fails: the seed to replay, the
// faults, the counters and the last entries of the log.
func (p *Proxy) Report() string {
	const last = 500
	entries := p.Log()
	var b strings.Builder
	fmt.Fprintf(&b, "chaos proxy %s, seed %#x (replay: chaos.Config{Seed: %#x})\n", p.url, p.seed, p.seed)
	fmt.Fprintf(&b, "faults now: %v\n", p.Faults())
	fmt.Fprintf(&b, "stats: %v\n", p.Stats())
	if len(entries) > last {
		fmt.Fprintf(&b, "… %d earlier entries (Log has them)\n", len(entries)-last)
		entries = entries[len(entries)-last:]
	}
	for _, e := range entries {
		fmt.Fprintf(&b, "%v\n", e)
	}
	return b.String()
}
