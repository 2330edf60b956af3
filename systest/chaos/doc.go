// Package chaos is a test aid: an HTTP proxy that stands between an edge
// and a hub on loopback and misbehaves like a cheap rural LTE link, driven
// by a seed so that a failing run can be replayed. It serves the fault and
// property tests of delta sync (DESIGN §4, §7: "under injected faults: 0
// lost, 0 duplicated, 0 stuck, over thousands of seeded runs"; "30 days
// offline drained at 1 Mbit/s with connections cut every few seconds").
//
// # What it does
//
// New listens on 127.0.0.1 (a free port) and forwards to one upstream,
// which must be http:// to an IP literal in 127.0.0.0/8 or ::1: the proxy
// refuses anything else, and its dialer checks again, so a test can never
// send traffic off the machine. Every request gets a number (1, 2, …) in
// the order it arrives and a Decision drawn from its own PCG stream,
// seeded by (seed, number) (see Decide). The Faults are:
//
//   - DropRequest: the body is read, the connection closed; the hub never
//     sees the request.
//   - DropResponse: the hub applies the request; the edge gets nothing, or
//     a prefix of the answer, then the connection closes.
//   - Truncate: the head and a prefix of the body, then an unexpected EOF.
//   - Delay (up to MaxDelay), Reorder (held until a later request has been
//     answered upstream, or ReorderHold), Duplicate (sent twice, one
//     after the other or racing; the edge gets one of the answers). A
//     delayed or held request is forwarded even if the edge has given up
//     meanwhile: the stale retransmission that arrives after the retry.
//   - BitsPerSecond: one token bucket up, one down, shared by every
//     connection; the proxy really sleeps.
//   - CutEvery: every open client connection is closed every CutEvery
//     (jittered ±50%); CutNow does it once, on demand.
//   - Paths: the per-request knobs only for some routes, e.g.
//     syncproto.PathOps; the others pass cleanly.
//
// Stats counts what was done; Log keeps one Entry per request (decision,
// upstream status, what the client got); Report puts the seed, the faults,
// the counters and the log in one text for a failure message. Requests
// and response bodies are held whole in memory (up to 64 MiB each).
//
// # How the property tests use it
//
// One run of a sync property test, for one seed:
//
//	hub := httptest.NewServer(hubHandler)           // the real hub, SQLite in t.TempDir()
//	p, err := chaos.New(chaos.Config{
//		Upstream: hub.URL,
//		Seed:     seed,
//		Faults: chaos.Faults{
//			DropRequest: 0.05, DropResponse: 0.05, Truncate: 0.05,
//			Duplicate: 0.05, Delay: 0.1, MaxDelay: 50 * time.Millisecond,
//			Reorder: 0.05, ReorderHold: 100 * time.Millisecond,
//		},
//	})
//	require.NoError(t, err)
//	defer p.Close()
//	edge := startEdgeSyncer(t, p.URL())              // the edge knows only the proxy
//	// … operators scan, pick up, send; the syncer uploads through the faults …
//	require.NoError(t, p.SetFaults(chaos.Faults{}))  // heal the link
//	waitDrained(t, edge, hub)                       // then the invariants:
//	// every op of the edge is on the hub exactly once, in seq order per
//	// incarnation; the cursors agree; nothing in quarantine or dead letters
//	// that should not be; no loop has stalled.
//	if t.Failed() {
//		t.Log(p.Report())                             // the seed to replay
//	}
//
// The test loops over many seeds (a -seed flag or CHAOS_SEED to replay one,
// a -runs flag for how many), each with its own hub, edge and proxy. Keep
// Logf nil in such loops and print Report on failure; set Logf to t.Logf
// when replaying one seed.
//
// Replaying: a Decision depends only on the seed, the request's number
// and the Faults, never on timing. A syncer that makes one request at a
// time, in an order that depends on nothing but its data, therefore meets
// the same faults in the same places on replay. Timing-driven misbehaviour is
// not replayable exactly: CutEvery and BitsPerSecond act on wall time, and
// concurrent requests number themselves in the order they happen to
// arrive. Use the per-request knobs for seeded property runs and keep
// CutEvery and BitsPerSecond for the drain and soak tests and benchmarks
// (DESIGN §7 is a benchmark target, never a timed test).
//
// A client sees its answer an instant before the proxy has logged it:
// call WaitIdle before reading Stats or Log.
//
// This package is for tests only; it never imports testing, and no
// program of cunyou imports it.
package chaos
