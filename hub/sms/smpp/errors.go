package smpp

import (
	"errors"

	"cunyou/sms"
)

// Errors of the PDU codec. Decode and Encode wrap them with the command
// and the field ("decode submit_sm: source_addr: c-octet string without
// terminator").
var (
	// ErrLength: command_length is below the header's 16 octets, above
	// MaxLength, or not the number of octets given. A stream with such a
	// PDU cannot be read further.
	ErrLength = errors.New("bad command_length")
	// ErrUnknownCommand: a command_id this package does not speak.
	ErrUnknownCommand = errors.New("unknown command_id")
	// ErrTruncated: the body ends inside a field.
	ErrTruncated = errors.New("body ends inside the field")
	// ErrCString: a C-Octet string without its NUL within its maximum
	// length, or (encoding) with a NUL inside.
	ErrCString = errors.New("bad c-octet string")
	// ErrField: a field's value is out of its range.
	ErrField = errors.New("field out of range")
	// ErrTrailing: octets after the last field of a body without TLVs.
	ErrTrailing = errors.New("octets after the body")
	// ErrTLV: a TLV whose length runs past the PDU.
	ErrTLV = errors.New("bad tlv")
	// ErrBody: (encoding) a body that does not belong to the command, or
	// no body where one is required.
	ErrBody = errors.New("body does not fit the command")
)

// Errors inside the package.
var (
	errTooManyParts = errors.New("text needs more than 255 parts")
	errNoReceipt    = errors.New("not a delivery receipt text")
	// errDead: the link died; a request that gets it was not written.
	errDead = errors.New("link closed")
)

// NackStatus is the command_status to answer a PDU that did not decode
// with err (in a generic_nack, or the request's own response).
func NackStatus(err error) CommandStatus {
	switch {
	case errors.Is(err, ErrUnknownCommand):
		return StatusInvCmdID
	case errors.Is(err, ErrLength), errors.Is(err, ErrTruncated), errors.Is(err, ErrTrailing):
		return StatusInvCmdLen
	case errors.Is(err, ErrTLV):
		return StatusInvOptParStream
	case errors.Is(err, ErrCString), errors.Is(err, ErrField):
		return StatusInvMsgLen
	}
	return StatusSysErr
}

// Codes of the gateway's own sms.Error values (the SMSC's are "0x58").
const (
	CodeNotBound  = "not_bound" // no bound link within the deadline: nothing was sent
	CodeLinkLost  = "link_lost" // the link dropped before the SMSC answered: the message may have gone
	CodeTimeout   = "timeout"   // no answer within the deadline: the message may have gone
	CodeCancelled = "cancelled" // the caller's context ended
	CodeClosed    = "closed"    // Send after Close
	CodeProtocol  = "protocol"  // the SMSC's answer did not decode
	CodeBadText   = "bad_text"  // the text cannot be split into 255 parts
)

func temporary(code, msg string) *sms.Error {
	return &sms.Error{Kind: sms.Temporary, Code: code, Msg: msg}
}
