package syncproto

import (
	"fmt"
	"time"
)

// The HTTP carrier of the protocol. Every route but PathEnroll needs
// "Authorization: Bearer TOKEN" with the token from enrollment; the hub
// answers errors as ErrorBody with a non-2xx status, and CodeBusy with a
// Retry-After header (seconds) and RetryAfterMs.
const (
	// POST EnrollRequest → EnrollResponse: trades a one-time code for the
	// node's credentials.
	PathEnroll = "/sync/v1/enroll"
	// POST Hello → Welcome: versions agree, clocks compared, cursors told.
	PathHello = "/sync/v1/hello"
	// POST an ops batch (body, application/octet-stream) → OpsResult.
	PathOps = "/sync/v1/ops"
	// GET ?after=SEQ&limit=N → a changes batch (possibly empty).
	PathChanges = "/sync/v1/changes"
	// PathBlobs + SHA256 (hex): HEAD → header Upload-Offset (bytes held);
	// PATCH with header Upload-Offset and a chunk → BlobStatus; the hub
	// verifies the hash when the last byte arrives (header Upload-Length).
	PathBlobs = "/sync/v1/blobs/"
)

// EnrollRequest trades a one-time enrollment code for credentials. Node,
// when given, is the node the caller's database already belongs to: a code
// made for another node is refused with CodeWrongNode and stays unused.
type EnrollRequest struct {
	Code     string `json:"code"`
	Node     string `json:"node,omitempty"`
	Software string `json:"software"`
}

// EnrollResponse gives a node its identity and token. The token is shown
// once; the hub keeps only its hash.
type EnrollResponse struct {
	Node  string   `json:"node"`
	Kind  NodeKind `json:"kind"`
	Name  string   `json:"name"`
	Token string   `json:"token"`
}

// Hello opens a sync session.
type Hello struct {
	Proto        int      `json:"proto"`
	MinProto     int      `json:"min_proto"`
	Node         string   `json:"node"`
	Software     string   `json:"software"`
	TimeMs       int64    `json:"time_ms"`      // the node's wall clock, for skew
	Incarnations []string `json:"incarnations"` // every incarnation the node still has ops of
	// Health is what the node reports of itself, for the dispatchers'
	// view of the stations; older nodes send none.
	Health *Health `json:"health,omitempty"`
}

// Health is a node's report of itself at a hello: its backlog and its
// devices (the station's reader, printer, scan gun, camera).
type Health struct {
	Backlog       int            `json:"backlog"`         // ops the hub has not acknowledged
	OldestUnsentS int64          `json:"oldest_unsent_s"` // age of the oldest of them, seconds
	Devices       []DeviceHealth `json:"devices,omitempty"`
}

// DeviceHealth is one device of a node as its host last saw it.
type DeviceHealth struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	State string `json:"state"`          // ready, absent, error, …
	Code  string `json:"code,omitempty"` // the state's or last error's code (printer.paper_out …)
}

// Welcome answers Hello: the protocol both speak, the hub's clock and, for
// each incarnation, the highest seq the hub holds durably: the edge
// resumes after it.
type Welcome struct {
	Proto      int               `json:"proto"`
	HubTimeMs  int64             `json:"hub_time_ms"`
	Cursors    map[string]uint64 `json:"cursors"`
	ChangesSeq uint64            `json:"changes_seq"` // the newest downstream change for this node
}

// Negotiate picks the protocol version two ends share: the highest both
// know, or CodeUnsupportedVersion with a message saying which to upgrade.
func Negotiate(theirMin, theirMax int) (int, error) {
	v := min(theirMax, ProtoVersion)
	if v < theirMin || v < MinProtoVersion {
		who := "this program"
		if theirMax < MinProtoVersion {
			who = "the other end"
		}
		return 0, &Error{Code: CodeUnsupportedVersion, Msg: fmt.Sprintf(
			"protocol versions do not overlap: other end speaks %d-%d, this end %d-%d; upgrade %s",
			theirMin, theirMax, MinProtoVersion, ProtoVersion, who)}
	}
	return v, nil
}

// OpsResult answers an ops batch. AckedSeq is durable on the hub.
type OpsResult struct {
	Incarnation  string `json:"inc"`
	AckedSeq     uint64 `json:"acked_seq"`
	Applied      int    `json:"applied"`
	Duplicates   int    `json:"duplicates"`
	Quarantined  int    `json:"quarantined"`
	DeadLettered int    `json:"dead_lettered"`
}

// BlobStatus answers a blob chunk.
type BlobStatus struct {
	SHA256   string `json:"sha256"`
	Offset   int64  `json:"offset"`
	Complete bool   `json:"complete"`
}

// ErrorBody is every error answer of the sync API.
type ErrorBody struct {
	Code         Code   `json:"code"`
	Name         string `json:"name"`
	Message      string `json:"message"`
	RetryAfterMs int64  `json:"retry_after_ms,omitempty"`
	// Cursor is set with CodeGap: where the hub stands.
	Cursor *uint64 `json:"cursor,omitempty"`
}

// NewErrorBody builds the error answer for err.
func NewErrorBody(err error) ErrorBody {
	c := CodeOf(err)
	return ErrorBody{Code: c, Name: c.String(), Message: err.Error()}
}

// Err turns an error answer back into an *Error.
func (b ErrorBody) Err() *Error { return &Error{Code: b.Code, Msg: b.Message} }

// RetryAfter is how long the hub asked to wait, if it did.
func (b ErrorBody) RetryAfter() time.Duration {
	return time.Duration(b.RetryAfterMs) * time.Millisecond
}
