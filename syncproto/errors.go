package syncproto

import (
	"errors"
	"fmt"
)

// Code is a stable error number that crosses the wire. Numbers are never
// reused; names may be shown to technicians.
type Code uint16

const (
	CodeOK                 Code = 0
	CodeBadOp              Code = 1  // envelope fields missing or malformed
	CodeUnsupportedVersion Code = 2  // envelope or protocol version unknown to the reader
	CodeUnknownKind        Code = 3  // event kind not in the vocabulary
	CodeHashMismatch       Code = 4  // content does not match its hash
	CodeBadPayload         Code = 5  // payload does not decode for its kind
	CodeClockSkew          Code = 6  // a timestamp is too far ahead of the local clock
	CodeBadBatch           Code = 7  // a batch failed to decode or its checksum; rejected whole
	CodeGap                Code = 8  // a batch does not start right after the hub's cursor
	CodeUnauthorized       Code = 9  // no or bad credentials
	CodeWrongNode          Code = 10 // ops of another node than the caller
	CodeBusy               Code = 11 // the hub is busy: retry after the time it gives
	CodeEnrollCode         Code = 12 // enrollment code unknown, used or expired
	CodeBlobMismatch       Code = 13 // a blob's bytes do not hash to its name
	CodeTooLarge           Code = 14 // a batch, record or blob exceeds a limit
	CodeNotFound           Code = 15 // no such node, blob or route
	CodeInternal           Code = 16 // the other end failed; retry later
)

var codeNames = map[Code]string{
	CodeOK:                 "ok",
	CodeBadOp:              "bad_op",
	CodeUnsupportedVersion: "unsupported_version",
	CodeUnknownKind:        "unknown_kind",
	CodeHashMismatch:       "hash_mismatch",
	CodeBadPayload:         "bad_payload",
	CodeClockSkew:          "clock_skew",
	CodeBadBatch:           "bad_batch",
	CodeGap:                "gap",
	CodeUnauthorized:       "unauthorized",
	CodeWrongNode:          "wrong_node",
	CodeBusy:               "busy",
	CodeEnrollCode:         "enroll_code",
	CodeBlobMismatch:       "blob_mismatch",
	CodeTooLarge:           "too_large",
	CodeNotFound:           "not_found",
	CodeInternal:           "internal",
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

// CodeOf returns the code of a protocol error, or CodeInternal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
