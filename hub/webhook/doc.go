// Package webhook pushes parcel events (at_station, picked_up, problem,
// returned, handed_over, …) to the webhook endpoints of carriers and
// e-commerce shops: a durable outbox in the hub's database, signed
// deliveries, retries for a day, a log of every attempt, and replay by a
// dispatcher.
//
// # For integrators: what a receiver gets
//
// Every event is an HTTP POST to the carrier's endpoint with a JSON body:
//
//	{"id":"picked_up/ZT1234567890/ST-017-3f2a.812","type":"picked_up",
//	 "created_at":"2026-03-14T17:42:05.123Z","data":{"waybill":"ZT1234567890", …}}
//
// id identifies the event for good; type is the event's type; created_at
// is when the fact happened (RFC 3339, UTC); data depends on the type and
// holds masked personal data only. The headers:
//
//	Content-Type:       application/json
//	User-Agent:         cunyou-hub/<version>
//	X-Cunyou-Event:     the type, as in the body
//	X-Cunyou-Delivery:  the delivery's number, the same on every retry
//	X-Cunyou-Timestamp: unix seconds when this attempt was signed
//	X-Cunyou-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// Check every request before trusting it, as Verify does: take the raw
// body bytes (before any JSON parsing), compute the HMAC-SHA256 of the
// X-Cunyou-Timestamp value, a dot and the body with the secret you were
// given, compare it in constant time with each v1= entry of
// X-Cunyou-Signature (comma-separated; more than one may come while a
// secret is rotated; ignore other schemes), and refuse a timestamp more than
// 5 minutes from your clock, so a captured request cannot be replayed
// later. Go programs can call Verify itself.
//
// Answer 2xx within 10 seconds, before any slow work (queue the event and
// process it afterwards). Anything else is a failed attempt:
//
//   - 2xx: delivered.
//   - 410 Gone: the delivery is given up at once (ask the hub's operators
//     to remove the endpoint, or other events keep coming).
//   - any other status (3xx too: redirects are not followed), no answer
//     within 10 s, or no connection: retried with exponential backoff and
//     full jitter (a random wait below 30 s, 1 min, 2 min, … capped at
//     1 h; a Retry-After on 429 or 503 is honoured up to 1 h), for 24
//     hours after the event was queued, with a last attempt at the end.
//     Then the delivery is given up ("dead"). The hub's dispatchers see
//     every attempt and can replay any delivery later.
//
// Delivery is at least once: the same event can arrive more than once (an
// answer lost after you processed the request, a hub restarted mid-request,
// a replay by a dispatcher). Deduplicate by the body's id (or by
// X-Cunyou-Delivery, which is equally stable), and make processing the
// same id twice harmless.
//
// Order: one request at a time per carrier, in the order the hub queued
// the events. While your endpoint looks down (no answer, 5xx, 408, 429)
// the later events wait behind the failed one, so a short outage does not
// reorder them; an event you refuse with another 4xx does not hold up the
// others. A replay, or an event you refused once, can still arrive after
// later ones: order by created_at, and never let an older event undo a
// newer state.
//
// # For the hub
//
// New builds a Dispatcher over the store; Run sends until its context
// ends. The merge calls Enqueue inside the transaction that records the
// fact, so an event is queued if and only if its fact commits, and calls
// Notify after the commit so the delivery goes out at once (otherwise the
// queue is polled every 5 s). All state is in the database (tables
// webhook_deliveries and webhook_attempts): a restarted hub carries on,
// and an attempt cut short by a crash is made again. Run one dispatcher
// per database.
//
// One request in flight per carrier keeps each carrier's events in order
// and spares small receivers (a shop's ERP, a regional carrier's server)
// a burst of parallel requests; it still allows about 1/latency events per
// second per carrier (tens of thousands an hour), far above a county's
// traffic. Across carriers up to Options.Concurrency requests run at
// once, so one slow receiver does not hold up the others.
//
// List, Get, Replay and Stats serve the dispatchers' console, the CLI and
// the metrics; Prune removes delivered and dead deliveries past the
// retention. Log lines never carry a body, a secret or an endpoint's query
// string.
package webhook
