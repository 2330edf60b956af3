package syncproto

import "fmt"

// Code is a stable error number that crosses the wire. Numbers are never
// reused; names may be shown to technicians.
type Code uint16

const (
	CodeOK                 Code = 0
	CodeBadOp              Code = 1 // envelope fields missing or malformed
	CodeUnsupportedVersion Code = 2 // envelope or protocol version unknown to the reader
	CodeUnknownKind        Code = 3 // event kind not in the vocabulary
	CodeHashMismatch       Code = 4 // content does not match its hash
	CodeBadPayload         Code = 5 // payload does not decode for its kind
	CodeClockSkew          Code = 6 // a timestamp is too far ahead of the local clock
)

var codeNames = map[Code]string{
	CodeOK:                 "ok",
	CodeBadOp:              "bad_op",
	CodeUnsupportedVersion: "unsupported_version",
	CodeUnknownKind:        "unknown_kind",
	CodeHashMismatch:       "hash_mismatch",
	CodeBadPayload:         "bad_payload",
	CodeClockSkew:          "clock_skew",
}

// String returns the code's stable name.
func (c Code) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("code_%d", uint16(c))
}

// Error is a protocol error carrying a stable code.
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("syncproto %s: %s", e.Code, e.Msg) }
