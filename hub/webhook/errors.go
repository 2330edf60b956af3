package webhook

import "errors"

var (
	// ErrInvalid: an event breaks a rule (empty id, carrier or kind, a
	// kind that is not a plain word, data that is not a JSON object).
	ErrInvalid = errors.New("webhook: invalid event")
	// ErrNotFound: no delivery has this id.
	ErrNotFound = errors.New("webhook: no such delivery")
	// ErrQueued: Replay of a delivery that has not been attempted yet.
	ErrQueued = errors.New("webhook: delivery is already queued")
	// ErrRunning: Run was called while the dispatcher is running.
	ErrRunning = errors.New("webhook: dispatcher already running")

	// ErrNoSignature: the request lacks the timestamp or the signature
	// header, or they are malformed.
	ErrNoSignature = errors.New("webhook: missing or malformed signature headers")
	// ErrTimestamp: the signed timestamp is further from now than the
	// tolerance (a replayed or much delayed request).
	ErrTimestamp = errors.New("webhook: timestamp outside the tolerance")
	// ErrSignature: no signature matches the body and the secret.
	ErrSignature = errors.New("webhook: signature does not match")
)
