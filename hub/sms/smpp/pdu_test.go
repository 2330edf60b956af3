package smpp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unhex reads hex with spaces and line breaks.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	require.NoError(t, err)
	return b
}

// pduCases are encodings checked by hand against SMPP 3.4 §4: the header
// (length, id, status, sequence), then each field in order.
var pduCases = []struct {
	name string
	pdu  PDU
	hex  string
}{
	{"enquire_link", PDU{ID: EnquireLink, Seq: 1},
		"00000010 00000015 00000000 00000001"},
	{"enquire_link_resp", PDU{ID: EnquireLinkResp, Seq: 1},
		"00000010 80000015 00000000 00000001"},
	{"unbind", PDU{ID: Unbind, Seq: 2},
		"00000010 00000006 00000000 00000002"},
	{"unbind_resp", PDU{ID: UnbindResp, Seq: 2},
		"00000010 80000006 00000000 00000002"},
	{"generic_nack", PDU{ID: GenericNack, Status: StatusInvCmdID, Seq: 7},
		"00000010 80000000 00000003 00000007"},
	{"bind_transceiver", PDU{ID: BindTransceiver, Seq: 1, Body: &Bind{SystemID: "cunyou", Password: "secret", InterfaceVersion: 0x34}},
		`00000023 00000009 00000000 00000001
		 63756e796f7500   -- system_id "cunyou"
		 73656372657400   -- password "secret"
		 00               -- system_type ""
		 34 00 00         -- interface_version, addr_ton, addr_npi
		 00               -- address_range ""`},
	{"bind_transceiver_resp", PDU{ID: BindTransceiverResp, Seq: 1, Body: &BindResp{SystemID: "SMSC",
		TLVs: []TLV{{Tag: TagSCInterfaceVersion, Value: []byte{0x34}}}}},
		"0000001a 80000009 00000000 00000001 534d534300 0210 0001 34"},
	{"bind_transceiver_resp refused, no body", PDU{ID: BindTransceiverResp, Status: StatusInvPaswd, Seq: 1},
		"00000010 80000009 0000000e 00000001"},
	{"bind_transmitter", PDU{ID: BindTransmitter, Seq: 9, Body: &Bind{SystemID: "a", Password: "b", SystemType: "c", InterfaceVersion: 0x34, AddrTON: 1, AddrNPI: 1, AddressRange: "86"}},
		"0000001c 00000002 00000000 00000009 6100 6200 6300 34 01 01 383600"},
	{"submit_sm 你好 ucs-2", PDU{ID: SubmitSM, Seq: 2, Body: &SM{
		SourceAddr: "10690", DestTON: 1, DestNPI: 1, DestAddr: "8613900000001",
		RegisteredDelivery: 1, DataCoding: CodingUCS2, ShortMessage: []byte{0x4f, 0x60, 0x59, 0x7d}}},
		`00000037 00000004 00000000 00000002
		 00                               -- service_type ""
		 00 00 313036393000               -- source ton, npi, "10690"
		 01 01 3836313339303030303030303100 -- dest ton, npi, "8613900000001"
		 00 00 00                         -- esm_class, protocol_id, priority_flag
		 00 00                            -- schedule_delivery_time, validity_period
		 01 00 08 00                      -- registered_delivery, replace, data_coding, sm_default_msg_id
		 04 4f60 597d                     -- sm_length, 你好`},
	{"submit_sm concatenated part", PDU{ID: SubmitSM, Seq: 3, Body: &SM{
		DestAddr: "1", ESMClass: ESMClassUDHI, ValidityPeriod: "000001000000000R", DataCoding: CodingUCS2,
		ShortMessage: []byte{0x05, 0x00, 0x03, 0x2a, 0x02, 0x01, 0x4f, 0x60}}},
		`0000003a 00000004 00000000 00000003
		 00 00 00 00 00 00 3100 40 00 00 00
		 30303030303130303030303030303052 00 -- validity_period, relative
		 00 00 08 00
		 08 050003 2a 02 01 4f60`},
	{"submit_sm_resp", PDU{ID: SubmitSMResp, Seq: 2, Body: &SMResp{MessageID: "5A000001"}},
		"00000019 80000004 00000000 00000002 3541303030303031 00"},
	{"submit_sm_resp throttled, no body", PDU{ID: SubmitSMResp, Status: StatusThrottled, Seq: 3},
		"00000010 80000004 00000058 00000003"},
	{"deliver_sm receipt", PDU{ID: DeliverSM, Seq: 4, Body: &SM{
		SourceTON: 1, SourceNPI: 1, SourceAddr: "8613900000001", DestAddr: "10690", ESMClass: ESMClassReceipt,
		ShortMessage: []byte("id:1 stat:DELIVRD"),
		TLVs:         []TLV{{Tag: TagReceiptedMessageID, Value: []byte("1\x00")}, {Tag: TagMessageState, Value: []byte{StateDelivered}}}}},
		`0000004f 00000005 00000000 00000004
		 00 01 01 3836313339303030303030303100 00 00 313036393000
		 04 00 00 00 00 00 00 00 00
		 11 69643a3120737461743a44454c49565244 -- "id:1 stat:DELIVRD"
		 001e 0002 3100 0427 0001 02`},
	{"deliver_sm_resp", PDU{ID: DeliverSMResp, Seq: 5, Body: &SMResp{}},
		"00000011 80000005 00000000 00000005 00"},
}

// hexOf drops the "-- comments" of a case's hex.
func hexOf(t testing.TB, s string) []byte {
	t.Helper()
	var lines []string
	for l := range strings.Lines(s) {
		if i := strings.Index(l, "--"); i >= 0 {
			l = l[:i]
		}
		lines = append(lines, l)
	}
	return unhex(t, strings.Join(lines, " "))
}

func TestEncode(t *testing.T) {
	for _, c := range pduCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.pdu.Encode()
			require.NoError(t, err)
			assert.Equal(t, hex.EncodeToString(hexOf(t, c.hex)), hex.EncodeToString(got))
		})
	}
}

func TestDecode(t *testing.T) {
	for _, c := range pduCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Decode(hexOf(t, c.hex))
			require.NoError(t, err)
			want := c.pdu
			if sm, ok := want.Body.(*SM); ok && sm.ShortMessage == nil {
				cp := *sm
				cp.ShortMessage = []byte{}
				want.Body = &cp
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct {
		name, hex string
		want      error
		nack      CommandStatus
	}{
		{"shorter than a header", "00000010 00000015 00000000", ErrLength, StatusInvCmdLen},
		{"command_length below 16", "0000000f 00000015 00000000 00000001", ErrLength, StatusInvCmdLen},
		{"command_length above the octets", "00000011 00000015 00000000 00000001", ErrLength, StatusInvCmdLen},
		{"command_length too big", "7fffffff 00000015 00000000 00000001", ErrLength, StatusInvCmdLen},
		{"unknown command", "00000010 00000099 00000000 00000001", ErrUnknownCommand, StatusInvCmdID},
		{"enquire_link with a body", "00000011 00000015 00000000 00000001 00", ErrTrailing, StatusInvCmdLen},
		{"bind without body", "00000010 00000009 00000000 00000001", ErrTruncated, StatusInvCmdLen},
		{"bind cut in system_id", "00000013 00000009 00000000 00000001 636e79", ErrTruncated, StatusInvCmdLen},
		{"system_id of 16 characters", "00000027 00000009 00000000 00000001 61616161616161616161616161616161 00 00 00 34 00 00 00", ErrCString, StatusInvMsgLen},
		{"bind with octets after address_range", "00000018 00000009 00000000 00000001 00 00 00 34 00 00 00 ff", ErrTrailing, StatusInvCmdLen},
		{"submit_sm sm_length 255", "00000021 00000004 00000000 00000001 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ff", ErrField, StatusInvMsgLen},
		{"submit_sm short_message past the end", "00000022 00000004 00000000 00000001 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 02 41", ErrTruncated, StatusInvCmdLen},
		{"submit_sm validity of 5 characters", "00000026 00000004 00000000 00000001 00 00 00 00 00 00 00 00 00 00 00 3132333435 00 00 00 00 00 00", ErrField, StatusInvMsgLen},
		{"submit_sm tlv cut in its header", "00000024 00000004 00000000 00000001 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 0424 00", ErrTLV, StatusInvOptParStream},
		{"submit_sm tlv value past the end", "00000026 00000004 00000000 00000001 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 0424 0005 41", ErrTLV, StatusInvOptParStream},
		{"submit_sm_resp message_id without NUL", "00000013 80000004 00000000 00000001 414243", ErrTruncated, StatusInvCmdLen},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := Decode(unhex(t, c.hex))
			require.Error(t, err)
			assert.ErrorIs(t, err, c.want)
			assert.Equal(t, c.nack, NackStatus(err))
			assert.Nil(t, p.Body)
		})
	}
}

func TestDecodeErrorNamesField(t *testing.T) {
	_, err := Decode(unhex(t, "00000013 00000009 00000000 00000001 636e79"))
	assert.EqualError(t, err, "decode bind_transceiver: system_id: body ends inside the field")
}

func TestEncodeErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		pdu  PDU
		want error
	}{
		{"system_id too long", PDU{ID: BindTransceiver, Body: &Bind{SystemID: strings.Repeat("a", 16)}}, ErrCString},
		{"password too long", PDU{ID: BindTransceiver, Body: &Bind{Password: "123456789"}}, ErrCString},
		{"NUL inside a string", PDU{ID: SubmitSM, Body: &SM{DestAddr: "86\x00139"}}, ErrCString},
		{"short_message of 255 octets", PDU{ID: SubmitSM, Body: &SM{ShortMessage: make([]byte, 255)}}, ErrField},
		{"tlv of 64 KiB", PDU{ID: SubmitSM, Body: &SM{TLVs: []TLV{{Tag: TagMessagePayload, Value: make([]byte, 0x10000)}}}}, ErrTLV},
		{"submit_sm without body", PDU{ID: SubmitSM}, ErrBody},
		{"submit_sm with a bind's body", PDU{ID: SubmitSM, Body: &Bind{}}, ErrBody},
		{"enquire_link with a body", PDU{ID: EnquireLink, Body: &SMResp{}}, ErrBody},
		{"unknown command", PDU{ID: 0x99}, ErrUnknownCommand},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := c.pdu.Append([]byte("keep"))
			assert.ErrorIs(t, err, c.want)
			assert.Equal(t, "keep", string(b), "nothing appended on error")
		})
	}
}

func TestReadPDU(t *testing.T) {
	a, b := hexOf(t, pduCases[0].hex), hexOf(t, pduCases[9].hex)
	r := bytes.NewReader(append(append([]byte{}, a...), b...))
	got, err := ReadPDU(r)
	require.NoError(t, err)
	assert.Equal(t, a, got)
	got, err = ReadPDU(r)
	require.NoError(t, err)
	assert.Equal(t, b, got)
	_, err = ReadPDU(r)
	assert.Equal(t, io.EOF, err, "clean end between PDUs")

	_, err = ReadPDU(bytes.NewReader(b[:20]))
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "end inside a body")
	_, err = ReadPDU(bytes.NewReader(unhex(t, "00ffffff 00000004 00000000 00000001")))
	assert.ErrorIs(t, err, ErrLength, "refused before reading 16 MiB")
}

func TestCommandNames(t *testing.T) {
	assert.Equal(t, "submit_sm_resp", SubmitSMResp.String())
	assert.Equal(t, SubmitSMResp, SubmitSM.Resp())
	assert.True(t, GenericNack.IsResponse())
	assert.Equal(t, "command_id(0x00000099)", CommandID(0x99).String())
	assert.Equal(t, "ESME_RTHROTTLED", StatusThrottled.String())
	assert.Equal(t, "0x58", StatusThrottled.Code())
	assert.Equal(t, "command_status(0x401)", CommandStatus(0x401).String())
	assert.Equal(t, "submit_sm seq=3 status=ESME_ROK", PDU{ID: SubmitSM, Seq: 3}.String())
}

// FuzzDecode: Decode never panics, and what it accepts encodes to the
// same octets.
func FuzzDecode(f *testing.F) {
	for _, c := range pduCases {
		f.Add(hexOf(f, c.hex))
	}
	f.Add(unhex(f, "00000013 00000009 00000000 00000001 636e79"))
	f.Add(unhex(f, "00000026 00000004 00000000 00000001 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 0424 0005 41"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode(b)
		if err != nil {
			if p.Body != nil {
				t.Fatalf("body %T returned with error %v", p.Body, err)
			}
			if errors.Is(err, ErrBody) {
				t.Fatalf("encoding error from Decode: %v", err)
			}
			return
		}
		got, err := p.Encode()
		if err != nil {
			t.Fatalf("decoded %v does not encode: %v", p, err)
		}
		if !bytes.Equal(got, b) {
			t.Fatalf("round trip:\n in  %x\n out %x", b, got)
		}
	})
}
