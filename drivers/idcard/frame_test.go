package idcard

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

// The complete frames of PROTOCOLS §1.3, checksums as printed there.
var goldenCommands = []struct {
	name string
	cmd  Command
	data []byte
	want string
}{
	{"reset", CmdReset, nil, "AA AA AA 96 69 00 03 10 FF EC"},
	{"sam status", CmdSAMStatus, nil, "AA AA AA 96 69 00 03 11 FF ED"},
	{"sam id", CmdSAMID, nil, "AA AA AA 96 69 00 03 12 FF EE"},
	{"find card", CmdFindCard, nil, "AA AA AA 96 69 00 03 20 01 22"},
	{"select card", CmdSelectCard, nil, "AA AA AA 96 69 00 03 20 02 21"},
	{"read base info", CmdReadBaseInfo, nil, "AA AA AA 96 69 00 03 30 01 32"},
	{"read with fingerprint", Command{0x30, 0x10}, nil, "AA AA AA 96 69 00 03 30 10 23"},
	{"set max rf bytes", Command{0x61, 0xFF}, []byte{0x50}, "AA AA AA 96 69 00 04 61 FF 50 CA"},
}

func TestCommandFrames(t *testing.T) {
	for _, tt := range goldenCommands {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cmd.Frame(tt.data...)
			assert.Equal(t, unhex(t, tt.want), got)

			cmd, data, err := ParseCommand(got)
			require.NoError(t, err)
			assert.Equal(t, tt.cmd, cmd)
			assert.Equal(t, len(tt.data), len(data))
		})
	}
	assert.Equal(t, "find card", CmdFindCard.String())
	assert.Equal(t, "send command 61 FF", Command{0x61, 0xFF}.String())
}

// frameTests are whole frames and what ParseResponse makes of them; the
// fuzzers start from them.
var frameTests = []struct {
	name    string
	frame   string
	want    Response
	wantErr error
}{
	{"ok, no data", "AA AA AA 96 69 00 04 00 00 90 94", Response{SW3: 0x90, Data: []byte{}}, nil},
	{"card found", "AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97", Response{SW3: 0x9F, Data: []byte{0, 0, 0, 0}}, nil},
	{"no card", "AA AA AA 96 69 00 04 00 00 80 84", Response{SW3: 0x80, Data: []byte{}}, nil},
	{"selected", "AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C", Response{SW3: 0x90, Data: make([]byte, 8)}, nil},
	{"sw1 sw2 set", "AA AA AA 96 69 00 04 01 02 90 97", Response{SW1: 1, SW2: 2, SW3: 0x90, Data: []byte{}}, nil},

	{"bad checksum", "AA AA AA 96 69 00 04 00 00 90 95", Response{}, ErrChecksum},
	{"checksum over the preamble", "AA AA AA 96 69 00 04 00 00 90 " + "%02X", Response{}, ErrChecksum},
	{"length too long", "AA AA AA 96 69 00 05 00 00 90 95", Response{}, ErrProtocol},
	{"length too short", "AA AA AA 96 69 00 03 00 00 90 93", Response{}, ErrProtocol},
	{"no preamble", "AA AA AA 96 68 00 04 00 00 90 94", Response{}, ErrProtocol},
	{"header only", "AA AA AA 96 69 00 04", Response{}, ErrProtocol},
	{"empty", "", Response{}, ErrProtocol},
	{"command, not an answer", "AA AA AA 96 69 00 03 20 01 22", Response{}, ErrProtocol},
}

func frameBytes(t testing.TB, s string) []byte {
	if strings.Contains(s, "%02X") { // the checksum of every byte, preamble included: wrong
		b := unhex(t, strings.ReplaceAll(s, "%02X", ""))
		return append(b, Checksum(b))
	}
	return unhex(t, s)
}

func TestParseResponse(t *testing.T) {
	for _, tt := range frameTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseResponse(frameBytes(t, tt.frame))
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, frameBytes(t, tt.frame), got.Frame(), "encodes back")
		})
	}
}

// Every SW3 of PROTOCOLS §1.4.
var statusTests = []struct {
	sw3  byte
	want error
	code string
}{
	{0x90, nil, ""},
	{0x9F, nil, ""},
	{0x91, ErrItemEmpty, "idcard.item_empty"},
	{0x10, ErrHostChecksum, "idcard.host_checksum"},
	{0x11, ErrHostLength, "idcard.host_length"},
	{0x21, ErrCommand, "idcard.command"},
	{0x23, ErrForbidden, "idcard.forbidden"},
	{0x24, ErrReaderUnknown, "idcard.reader_error"},
	{0x31, ErrCardAuth, "idcard.card_auth"},
	{0x32, ErrSAMAuth, "idcard.sam_auth"},
	{0x33, ErrVerify, "idcard.verify"},
	{0x40, ErrCardType, "idcard.card_type"},
	{0x41, ErrReadCard, "idcard.read_failed"},
	{0x47, ErrRandom, "idcard.random"},
	{0x60, ErrSAMSelfTest, "idcard.sam_self_test"},
	{0x66, ErrSAMUnauthorised, "idcard.sam_unauthorised"},
	{0x80, ErrNoCard, "idcard.no_card"},
	{0x81, ErrSelectCard, "idcard.select_failed"},
	{0xFF, ErrCommFault, "idcard.comm_fault"},
	{0x55, ErrStatus, "idcard.status"}, // not in the table
	{0xA1, ErrStatus, "idcard.status"}, // the contradicting table PROTOCOLS says to ignore
}

func TestStatusErr(t *testing.T) {
	for _, tt := range statusTests {
		err := StatusErr(tt.sw3)
		if tt.want == nil {
			assert.NoError(t, err, "SW3 %02X", tt.sw3)
			continue
		}
		assert.ErrorIs(t, err, tt.want, "SW3 %02X", tt.sw3)
		assert.Equal(t, tt.code, Code(err), "SW3 %02X", tt.sw3)
		if tt.want != ErrStatus {
			assert.Equal(t, tt.sw3, tt.want.(*Error).SW3)
		}
		resp := Response{SW3: tt.sw3}
		assert.ErrorIs(t, resp.Err(), tt.want)
	}
	assert.ErrorIs(t, Response{SW1: 0x6A, SW3: 0x90}.Err(), ErrStatus, "SW1 must be 00")
}

func TestErrorTable(t *testing.T) {
	codes := map[string]bool{}
	sw3s := map[byte]bool{}
	for _, e := range Errors() {
		assert.True(t, strings.HasPrefix(e.Code, "idcard."), e.Code)
		assert.False(t, codes[e.Code], "code %s twice", e.Code)
		codes[e.Code] = true
		if e.SW3 != 0 {
			assert.False(t, sw3s[e.SW3], "SW3 %02X twice", e.SW3)
			sw3s[e.SW3] = true
		}
		assert.Equal(t, strings.ToLower(e.Text), e.Text, "%s: error text is lowercase", e.Code)
		assert.False(t, strings.HasSuffix(e.Text, "."), e.Code)
		assert.True(t, strings.ContainsFunc(e.ZH, func(r rune) bool { return unicode.Is(unicode.Han, r) }), "%s: Chinese sentence", e.Code)
		assert.True(t, strings.HasSuffix(e.ZH, "。"), "%s: a whole sentence", e.Code)
		assert.True(t, strings.HasSuffix(e.EN, "."), "%s: a whole English sentence", e.Code)
		zh, en := Sentence(e)
		assert.Equal(t, e.ZH, zh)
		assert.Equal(t, e.EN, en)
	}
	for _, tt := range statusTests {
		if tt.want != nil && tt.want != ErrStatus {
			assert.True(t, sw3s[tt.sw3], "SW3 %02X has an error value", tt.sw3)
		}
	}
	assert.Len(t, sw3s, 17, "every error status of PROTOCOLS §1.4")

	zh, _ := Sentence(assert.AnError)
	assert.Equal(t, ErrProtocol.ZH, zh, "a foreign error reads as a protocol error")
	zh, en := Sentence(nil)
	assert.Empty(t, zh+en)
	assert.Empty(t, Code(assert.AnError))
}

func TestScanner(t *testing.T) {
	find := CmdFindCard.Frame()
	found := unhex(t, "AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
	tests := []struct {
		name string
		in   [][]byte
		want [][]byte
	}{
		{"one", [][]byte{find}, [][]byte{find}},
		{"two in one read", [][]byte{append(bytes.Clone(find), found...)}, [][]byte{find, found}},
		{"byte by byte", splitBytes(found), [][]byte{found}},
		{"garbage first", [][]byte{{0x00, 0xFF, 0xAA, 0xAA}, find}, [][]byte{find}},
		{"preamble split", [][]byte{{0x13, 0xAA, 0xAA, 0xAA}, find[3:]}, [][]byte{find}},
		{"absurd length skipped", [][]byte{unhex(t, "AA AA AA 96 69 FF FF"), find}, [][]byte{find}},
		{"length under 3 skipped", [][]byte{unhex(t, "AA AA AA 96 69 00 01 00"), find}, [][]byte{find}},
		{"bad checksum still cut", [][]byte{unhex(t, "AA AA AA 96 69 00 03 20 01 23")}, [][]byte{unhex(t, "AA AA AA 96 69 00 03 20 01 23")}},
		{"incomplete", [][]byte{find[:9]}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sc scanner
			var got [][]byte
			for _, b := range tt.in {
				sc.feed(b)
				for f := sc.next(); f != nil; f = sc.next() {
					got = append(got, f)
				}
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func splitBytes(b []byte) [][]byte {
	var out [][]byte
	for i := range b {
		out = append(out, b[i:i+1])
	}
	return out
}

func FuzzParseFrame(f *testing.F) {
	for _, tt := range frameTests {
		f.Add(frameBytes(f, tt.frame))
	}
	for _, tt := range goldenCommands {
		f.Add(tt.cmd.Frame(tt.data...))
	}
	for _, c := range demoCards {
		b, err := c.BaseInfo()
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := ParseFrame(b); err == nil {
			require.Equal(t, b, AppendFrame(nil, p), "a frame that parses encodes back to itself")
		}
		if r, err := ParseResponse(b); err == nil {
			require.Equal(t, b, r.Frame())
			_ = r.Err()
		}
		// The stream scanner, fed in two pieces, cuts out only frames of
		// a consistent length and never more bytes than it was given.
		var sc scanner
		half := len(b) / 2
		sc.feed(b[:half])
		total := 0
		for fr := sc.next(); fr != nil; fr = sc.next() {
			total += len(fr)
		}
		sc.feed(b[half:])
		for fr := sc.next(); fr != nil; fr = sc.next() {
			require.Equal(t, (int(fr[5])<<8|int(fr[6]))+headerLen, len(fr))
			require.True(t, bytes.Equal(fr[:5], Preamble[:]))
			total += len(fr)
		}
		require.LessOrEqual(t, total, len(b))
	})
}
