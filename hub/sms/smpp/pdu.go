package smpp

import (
	"encoding/binary"
	"fmt"
	"io"
)

// CommandID is the command_id of a PDU header.
type CommandID uint32

// The commands this package speaks (SMPP 3.4 §5.1.2.1). A response's id
// is its request's with the top bit set.
const (
	BindReceiver        CommandID = 0x00000001
	BindReceiverResp    CommandID = 0x80000001
	BindTransmitter     CommandID = 0x00000002
	BindTransmitterResp CommandID = 0x80000002
	SubmitSM            CommandID = 0x00000004
	SubmitSMResp        CommandID = 0x80000004
	DeliverSM           CommandID = 0x00000005
	DeliverSMResp       CommandID = 0x80000005
	Unbind              CommandID = 0x00000006
	UnbindResp          CommandID = 0x80000006
	BindTransceiver     CommandID = 0x00000009
	BindTransceiverResp CommandID = 0x80000009
	EnquireLink         CommandID = 0x00000015
	EnquireLinkResp     CommandID = 0x80000015
	GenericNack         CommandID = 0x80000000
)

const respBit CommandID = 0x80000000

// IsResponse reports whether c is a response (generic_nack included).
func (c CommandID) IsResponse() bool { return c&respBit != 0 }

// Resp is the response's id of request c.
func (c CommandID) Resp() CommandID { return c | respBit }

func (c CommandID) String() string {
	if ci, ok := commands[c]; ok {
		return ci.name
	}
	return fmt.Sprintf("command_id(0x%08X)", uint32(c))
}

// Sizes.
const (
	HeaderLen = 16
	// MaxLength bounds command_length: a submit_sm with a full 64 KiB
	// message_payload TLV fits, anything longer is refused unread.
	MaxLength = 0x10000 + 1024
	// InterfaceVersion is SMPP 3.4's interface_version.
	InterfaceVersion = 0x34
	// MaxShortMessage is the most octets short_message holds.
	MaxShortMessage = 254
)

// Maximum lengths of the C-Octet strings, their NUL included (§4).
const (
	maxSystemID     = 16
	maxPassword     = 9
	maxSystemType   = 13
	maxAddressRange = 41
	maxServiceType  = 6
	maxAddr         = 21
	maxTime         = 17
	maxMessageID    = 65
)

// Header is the fixed part of every PDU.
type Header struct {
	Length uint32
	ID     CommandID
	Status CommandStatus
	Seq    uint32
}

// ParseHeader reads the header at the start of b and checks
// command_length's range (not that b holds all of it).
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, fmt.Errorf("decode header: %d octets: %w", len(b), ErrLength)
	}
	h := Header{
		Length: binary.BigEndian.Uint32(b[0:]),
		ID:     CommandID(binary.BigEndian.Uint32(b[4:])),
		Status: CommandStatus(binary.BigEndian.Uint32(b[8:])),
		Seq:    binary.BigEndian.Uint32(b[12:]),
	}
	if h.Length < HeaderLen || h.Length > MaxLength {
		return h, fmt.Errorf("decode header: command_length %d: %w", h.Length, ErrLength)
	}
	return h, nil
}

// ReadPDU reads one whole PDU from r: its header, then the rest that
// command_length announces. An ErrLength error leaves r unusable.
func ReadPDU(r io.Reader) ([]byte, error) {
	var hb [HeaderLen]byte
	if _, err := io.ReadFull(r, hb[:]); err != nil {
		return nil, err
	}
	h, err := ParseHeader(hb[:])
	if err != nil {
		return nil, err
	}
	b := make([]byte, h.Length)
	copy(b, hb[:])
	if _, err := io.ReadFull(r, b[HeaderLen:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read %s body: %w", h.ID, err)
	}
	return b, nil
}

// PDU is one decoded protocol data unit.
type PDU struct {
	ID     CommandID
	Status CommandStatus
	Seq    uint32
	// Body is *Bind, *BindResp, *SM or *SMResp as the command says, nil
	// for the commands without a body (unbind, enquire_link, their
	// responses, generic_nack) and for responses sent without one (an
	// SMSC leaves the body out of an error response).
	Body Body
}

func (p PDU) String() string {
	return fmt.Sprintf("%s seq=%d status=%s", p.ID, p.Seq, p.Status)
}

// Body is the part of a PDU after its header.
type Body interface {
	kind() bodyKind
	appendTo(b []byte) ([]byte, error)
	decode(d *decoder)
}

type bodyKind int

const (
	noBody bodyKind = iota
	bindBody
	bindRespBody
	smBody
	smRespBody
)

type commandInfo struct {
	name string
	body bodyKind
	// optional: a response whose body may be left out.
	optional bool
}

var commands = map[CommandID]commandInfo{
	BindReceiver:        {"bind_receiver", bindBody, false},
	BindReceiverResp:    {"bind_receiver_resp", bindRespBody, true},
	BindTransmitter:     {"bind_transmitter", bindBody, false},
	BindTransmitterResp: {"bind_transmitter_resp", bindRespBody, true},
	BindTransceiver:     {"bind_transceiver", bindBody, false},
	BindTransceiverResp: {"bind_transceiver_resp", bindRespBody, true},
	SubmitSM:            {"submit_sm", smBody, false},
	SubmitSMResp:        {"submit_sm_resp", smRespBody, true},
	DeliverSM:           {"deliver_sm", smBody, false},
	DeliverSMResp:       {"deliver_sm_resp", smRespBody, true},
	Unbind:              {"unbind", noBody, false},
	UnbindResp:          {"unbind_resp", noBody, false},
	EnquireLink:         {"enquire_link", noBody, false},
	EnquireLinkResp:     {"enquire_link_resp", noBody, false},
	GenericNack:         {"generic_nack", noBody, false},
}

func newBody(k bodyKind) Body {
	switch k {
	case bindBody:
		return &Bind{}
	case bindRespBody:
		return &BindResp{}
	case smBody:
		return &SM{}
	case smRespBody:
		return &SMResp{}
	}
	return nil
}

// Bind is the body of bind_transmitter, bind_receiver and
// bind_transceiver.
type Bind struct {
	SystemID         string
	Password         string
	SystemType       string
	InterfaceVersion byte
	AddrTON          byte
	AddrNPI          byte
	AddressRange     string
}

// BindResp is the body of the bind responses.
type BindResp struct {
	SystemID string
	TLVs     []TLV // sc_interface_version
}

// SM is the body of submit_sm and deliver_sm (they share one layout).
type SM struct {
	ServiceType          string
	SourceTON            byte
	SourceNPI            byte
	SourceAddr           string
	DestTON              byte
	DestNPI              byte
	DestAddr             string
	ESMClass             byte
	ProtocolID           byte
	PriorityFlag         byte
	ScheduleDeliveryTime string // "" or 16 characters
	ValidityPeriod       string // "" or 16 characters
	RegisteredDelivery   byte
	ReplaceIfPresent     byte
	DataCoding           byte
	SMDefaultMsgID       byte
	ShortMessage         []byte // at most MaxShortMessage octets
	TLVs                 []TLV
}

// SMResp is the body of submit_sm_resp and deliver_sm_resp.
type SMResp struct {
	MessageID string
	TLVs      []TLV // SMPP 5.0 adds some; kept as they came
}

// TLV is an optional parameter.
type TLV struct {
	Tag   Tag
	Value []byte
}

// Tag is a TLV's tag.
type Tag uint16

// Tags this package reads or writes.
const (
	TagReceiptedMessageID Tag = 0x001E // C-Octet string: the message a receipt is about
	TagSCInterfaceVersion Tag = 0x0210 // 1 octet, in bind responses
	TagNetworkErrorCode   Tag = 0x0423 // 3 octets, in receipts
	TagMessageState       Tag = 0x0427 // 1 octet, in receipts
	TagMessagePayload     Tag = 0x0424 // the text when short_message is empty
)

// message_state values (§5.2.28).
const (
	StateEnroute       = 1
	StateDelivered     = 2
	StateExpired       = 3
	StateDeleted       = 4
	StateUndeliverable = 5
	StateAccepted      = 6
	StateUnknown       = 7
	StateRejected      = 8
)

// Find returns the value of the first TLV tagged t.
func Find(tlvs []TLV, t Tag) ([]byte, bool) {
	for _, v := range tlvs {
		if v.Tag == t {
			return v.Value, true
		}
	}
	return nil, false
}

// Decode decodes one whole PDU. It is strict: command_length must be
// len(b), every field must lie inside the body, C-Octet strings must end
// within their maximum length, and nothing may follow the last field
// but TLVs where the command has them. What decodes encodes to b again.
func Decode(b []byte) (PDU, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return PDU{}, err
	}
	if int(h.Length) != len(b) {
		return PDU{}, fmt.Errorf("decode %s: command_length %d of %d octets: %w", h.ID, h.Length, len(b), ErrLength)
	}
	p := PDU{ID: h.ID, Status: h.Status, Seq: h.Seq}
	ci, ok := commands[h.ID]
	if !ok {
		return p, fmt.Errorf("decode 0x%08X: %w", uint32(h.ID), ErrUnknownCommand)
	}
	body := b[HeaderLen:]
	switch {
	case ci.body == noBody:
		if len(body) > 0 {
			return p, fmt.Errorf("decode %s: %d octets: %w", ci.name, len(body), ErrTrailing)
		}
		return p, nil
	case len(body) == 0 && ci.optional:
		return p, nil
	}
	d := &decoder{b: body, cmd: ci.name}
	p.Body = newBody(ci.body)
	p.Body.decode(d)
	if d.err == nil && d.off != len(d.b) {
		d.fail("", ErrTrailing)
	}
	if d.err != nil {
		p.Body = nil
		return p, d.err
	}
	return p, nil
}

// Encode encodes p.
func (p PDU) Encode() ([]byte, error) { return p.Append(nil) }

// Append appends p's encoding to b.
func (p PDU) Append(b []byte) ([]byte, error) {
	ci, ok := commands[p.ID]
	if !ok {
		return b, fmt.Errorf("encode 0x%08X: %w", uint32(p.ID), ErrUnknownCommand)
	}
	start := len(b)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(p.ID))
	b = binary.BigEndian.AppendUint32(b, uint32(p.Status))
	b = binary.BigEndian.AppendUint32(b, p.Seq)
	switch {
	case p.Body == nil && (ci.body == noBody || ci.optional):
	case p.Body == nil || p.Body.kind() != ci.body:
		return b[:start], fmt.Errorf("encode %s: %T: %w", ci.name, p.Body, ErrBody)
	default:
		var err error
		if b, err = p.Body.appendTo(b); err != nil {
			return b[:start], fmt.Errorf("encode %s: %w", ci.name, err)
		}
	}
	n := len(b) - start
	if n > MaxLength {
		return b[:start], fmt.Errorf("encode %s: %d octets: %w", ci.name, n, ErrLength)
	}
	binary.BigEndian.PutUint32(b[start:], uint32(n))
	return b, nil
}

func (*Bind) kind() bodyKind     { return bindBody }
func (*BindResp) kind() bodyKind { return bindRespBody }
func (*SM) kind() bodyKind       { return smBody }
func (*SMResp) kind() bodyKind   { return smRespBody }

func (x *Bind) decode(d *decoder) {
	x.SystemID = d.cstring("system_id", maxSystemID)
	x.Password = d.cstring("password", maxPassword)
	x.SystemType = d.cstring("system_type", maxSystemType)
	x.InterfaceVersion = d.u8("interface_version")
	x.AddrTON = d.u8("addr_ton")
	x.AddrNPI = d.u8("addr_npi")
	x.AddressRange = d.cstring("address_range", maxAddressRange)
}

func (x *Bind) appendTo(b []byte) ([]byte, error) {
	e := encoder{b: b}
	e.cstring("system_id", x.SystemID, maxSystemID)
	e.cstring("password", x.Password, maxPassword)
	e.cstring("system_type", x.SystemType, maxSystemType)
	e.u8(x.InterfaceVersion)
	e.u8(x.AddrTON)
	e.u8(x.AddrNPI)
	e.cstring("address_range", x.AddressRange, maxAddressRange)
	return e.b, e.err
}

func (x *BindResp) decode(d *decoder) {
	x.SystemID = d.cstring("system_id", maxSystemID)
	x.TLVs = d.tlvs()
}

func (x *BindResp) appendTo(b []byte) ([]byte, error) {
	e := encoder{b: b}
	e.cstring("system_id", x.SystemID, maxSystemID)
	e.tlvs(x.TLVs)
	return e.b, e.err
}

func (x *SM) decode(d *decoder) {
	x.ServiceType = d.cstring("service_type", maxServiceType)
	x.SourceTON = d.u8("source_addr_ton")
	x.SourceNPI = d.u8("source_addr_npi")
	x.SourceAddr = d.cstring("source_addr", maxAddr)
	x.DestTON = d.u8("dest_addr_ton")
	x.DestNPI = d.u8("dest_addr_npi")
	x.DestAddr = d.cstring("destination_addr", maxAddr)
	x.ESMClass = d.u8("esm_class")
	x.ProtocolID = d.u8("protocol_id")
	x.PriorityFlag = d.u8("priority_flag")
	x.ScheduleDeliveryTime = d.time("schedule_delivery_time")
	x.ValidityPeriod = d.time("validity_period")
	x.RegisteredDelivery = d.u8("registered_delivery")
	x.ReplaceIfPresent = d.u8("replace_if_present_flag")
	x.DataCoding = d.u8("data_coding")
	x.SMDefaultMsgID = d.u8("sm_default_msg_id")
	n := d.u8("sm_length")
	if d.err == nil && n > MaxShortMessage {
		d.fail("sm_length", ErrField)
	}
	x.ShortMessage = d.octets("short_message", int(n))
	x.TLVs = d.tlvs()
}

func (x *SM) appendTo(b []byte) ([]byte, error) {
	e := encoder{b: b}
	e.cstring("service_type", x.ServiceType, maxServiceType)
	e.u8(x.SourceTON)
	e.u8(x.SourceNPI)
	e.cstring("source_addr", x.SourceAddr, maxAddr)
	e.u8(x.DestTON)
	e.u8(x.DestNPI)
	e.cstring("destination_addr", x.DestAddr, maxAddr)
	e.u8(x.ESMClass)
	e.u8(x.ProtocolID)
	e.u8(x.PriorityFlag)
	e.cstring("schedule_delivery_time", x.ScheduleDeliveryTime, maxTime)
	e.cstring("validity_period", x.ValidityPeriod, maxTime)
	e.u8(x.RegisteredDelivery)
	e.u8(x.ReplaceIfPresent)
	e.u8(x.DataCoding)
	e.u8(x.SMDefaultMsgID)
	if len(x.ShortMessage) > MaxShortMessage {
		e.fail("short_message", ErrField)
	}
	e.u8(byte(len(x.ShortMessage)))
	e.b = append(e.b, x.ShortMessage...)
	e.tlvs(x.TLVs)
	return e.b, e.err
}

func (x *SMResp) decode(d *decoder) {
	x.MessageID = d.cstring("message_id", maxMessageID)
	x.TLVs = d.tlvs()
}

func (x *SMResp) appendTo(b []byte) ([]byte, error) {
	e := encoder{b: b}
	e.cstring("message_id", x.MessageID, maxMessageID)
	e.tlvs(x.TLVs)
	return e.b, e.err
}

// decoder reads a body's fields in order; the first error sticks and
// makes every later read a no-op.
type decoder struct {
	b   []byte
	off int
	cmd string
	err error
}

func (d *decoder) fail(field string, err error) {
	if d.err != nil {
		return
	}
	if field == "" {
		d.err = fmt.Errorf("decode %s: %w", d.cmd, err)
		return
	}
	d.err = fmt.Errorf("decode %s: %s: %w", d.cmd, field, err)
}

func (d *decoder) u8(field string) byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.b) {
		d.fail(field, ErrTruncated)
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *decoder) cstring(field string, max int) string {
	if d.err != nil {
		return ""
	}
	rest := d.b[d.off:]
	for i := 0; i < len(rest) && i < max; i++ {
		if rest[i] == 0 {
			d.off += i + 1
			return string(rest[:i])
		}
	}
	if len(rest) < max {
		d.fail(field, ErrTruncated)
	} else {
		d.fail(field, ErrCString)
	}
	return ""
}

// time reads schedule_delivery_time or validity_period: NULL or a
// 16-character time (§7.1).
func (d *decoder) time(field string) string {
	s := d.cstring(field, maxTime)
	if d.err == nil && s != "" && len(s) != maxTime-1 {
		d.fail(field, ErrField)
	}
	return s
}

func (d *decoder) octets(field string, n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b)-d.off < n {
		d.fail(field, ErrTruncated)
		return nil
	}
	v := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return v
}

func (d *decoder) tlvs() []TLV {
	var out []TLV
	for d.err == nil && d.off < len(d.b) {
		rest := d.b[d.off:]
		if len(rest) < 4 {
			d.fail("tlv", ErrTLV)
			return nil
		}
		tag := Tag(binary.BigEndian.Uint16(rest))
		n := int(binary.BigEndian.Uint16(rest[2:]))
		if len(rest)-4 < n {
			d.fail(fmt.Sprintf("tlv 0x%04X", uint16(tag)), ErrTLV)
			return nil
		}
		out = append(out, TLV{Tag: tag, Value: rest[4 : 4+n : 4+n]})
		d.off += 4 + n
	}
	return out
}

// encoder appends a body's fields; the first error sticks.
type encoder struct {
	b   []byte
	err error
}

func (e *encoder) fail(field string, err error) {
	if e.err == nil {
		e.err = fmt.Errorf("%s: %w", field, err)
	}
}

func (e *encoder) u8(v byte) { e.b = append(e.b, v) }

func (e *encoder) cstring(field, s string, max int) {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			e.fail(field, ErrCString)
			return
		}
	}
	if len(s)+1 > max {
		e.fail(field, ErrCString)
		return
	}
	e.b = append(e.b, s...)
	e.b = append(e.b, 0)
}

func (e *encoder) tlvs(tlvs []TLV) {
	for _, t := range tlvs {
		if len(t.Value) > 0xFFFF {
			e.fail(fmt.Sprintf("tlv 0x%04X", uint16(t.Tag)), ErrTLV)
			return
		}
		e.b = binary.BigEndian.AppendUint16(e.b, uint16(t.Tag))
		e.b = binary.BigEndian.AppendUint16(e.b, uint16(len(t.Value)))
		e.b = append(e.b, t.Value...)
	}
}
