package modem

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/sms"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func zone(h int) *time.Location { return time.FixedZone("", h*3600) }

// Published PDUs, each with its source. Their decoded fields were read off
// the sources and checked by hand against 3GPP TS 23.040.
const (
	// dreamfabric.com/sms "SMS messages and the PDU format" (L. Pettersson):
	// an SMS-DELIVER of "hellohello" from 27838890001 via SMSC +27381000015.
	pduDreamDeliver = "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37"
	// the same page: an SMS-SUBMIT of "hellohello" to +46708251358, validity 4 days.
	pduDreamSubmit = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"
	// ppmy.cn/news/172198.html "中文PDU短信": 工作愉快！ to +8613902433649
	// via SMSC +8613800100500, AT+CMGS=25.
	pduChinese = "0891683108100005F011000D91683109423346F90008000A5DE54F5C61095FEBFF01"
	// Neoway N11 AT command manual (SMS chapter): "hello" in UCS-2 to the
	// national number 13421839693, SMSC from the SIM, AT+CMGS=23.
	pduNeoway = "0001000B813124819396F300080A00680065006C006C006F"
	// Huawei MU509 AT Command Interface Specification §6.12.4: 华为 in
	// UCS-2 (DCS 0x18, with a message class) to 13901000453, reply path set.
	pduHuawei = "0081000B813109010054F3001804534E4E3A"
	// amro.blogspot.com/2007/09 "Receiving SMS status report message": a
	// +CDS status report (no SMSC address in front), TP-ST 00 delivered.
	pduAmroReport = "06000B910221815716F2709021510121807090215101718000"
)

func TestDecodePublishedDeliver(t *testing.T) {
	smsc, tpdu, err := SplitSMSC(unhex(t, pduDreamDeliver))
	require.NoError(t, err)
	assert.Equal(t, Address{Number: "27381000015", Type: TOAInternational}, smsc)
	d, err := DecodeDeliver(tpdu)
	require.NoError(t, err)
	assert.Equal(t, Address{Number: "27838890001", Type: 0xC8}, d.From)
	assert.Equal(t, "hellohello", d.Text)
	assert.False(t, d.MoreMessages)
	assert.Nil(t, d.Concat)
	assert.True(t, d.Time.Equal(time.Date(1999, 3, 29, 15, 16, 59, 0, zone(2))), "%v", d.Time)
	_, off := d.Time.Zone()
	assert.Equal(t, 2*3600, off)
}

func TestSubmitPublished(t *testing.T) {
	for _, tt := range []struct {
		name, pdu string
		smsc      Address
		want      Submit
	}{
		{"dreamfabric gsm7", pduDreamSubmit, Address{},
			Submit{To: Address{Number: "46708251358", Type: TOAInternational}, DCS: DCSGSM7, Validity: 4 * 24 * time.Hour, Text: "hellohello"}},
		{"chinese ucs2 international", pduChinese, Address{Number: "8613800100500", Type: TOAInternational},
			Submit{To: Address{Number: "8613902433649", Type: TOAInternational}, DCS: DCSUCS2, Validity: 5 * time.Minute, Text: "工作愉快！"}},
		{"neoway ucs2 national", pduNeoway, Address{},
			Submit{To: Address{Number: "13421839693", Type: TOAUnknown}, DCS: DCSUCS2, Text: "hello"}},
		{"huawei dcs with class", pduHuawei, Address{},
			Submit{ReplyPath: true, To: Address{Number: "13901000453", Type: TOAUnknown}, DCS: 0x18, Text: "华为"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			raw := unhex(t, tt.pdu)
			smsc, tpdu, err := SplitSMSC(raw)
			require.NoError(t, err)
			assert.Equal(t, tt.smsc, smsc)
			got, err := DecodeSubmit(tpdu)
			require.NoError(t, err)
			assert.Equal(t, &tt.want, got)

			// And back: the encoder writes the published bytes.
			enc, err := tt.want.Encode()
			require.NoError(t, err)
			head, err := EncodeSMSC(tt.smsc)
			require.NoError(t, err)
			assert.Equal(t, strings.ToUpper(tt.pdu), strings.ToUpper(hex.EncodeToString(append(head, enc...))))
		})
	}
}

func TestDecodePublishedStatusReport(t *testing.T) {
	r, err := DecodeStatusReport(unhex(t, pduAmroReport))
	require.NoError(t, err)
	assert.Equal(t, byte(0), r.MR)
	assert.Equal(t, Address{Number: "20121875612", Type: TOAInternational}, r.Recipient)
	assert.True(t, r.Time.Equal(time.Date(2007, 9, 12, 15, 10, 12, 0, zone(2))), "%v", r.Time)
	assert.True(t, r.Discharge.Equal(time.Date(2007, 9, 12, 15, 10, 17, 0, zone(2))), "%v", r.Discharge)
	assert.Equal(t, byte(0), r.Status)
	assert.False(t, r.MoreMessages)

	// And back.
	enc, err := EncodeStatusReport(r)
	require.NoError(t, err)
	assert.Equal(t, pduAmroReport, strings.ToUpper(hex.EncodeToString(enc)))
}

func TestDecodeWrongType(t *testing.T) {
	_, tpdu, err := SplitSMSC(unhex(t, pduChinese))
	require.NoError(t, err)
	_, err = DecodeDeliver(tpdu)
	assert.ErrorIs(t, err, ErrPDU)
	_, err = DecodeStatusReport(tpdu)
	assert.ErrorIs(t, err, ErrPDU)
	_, err = DecodeSubmit(unhex(t, pduAmroReport))
	assert.ErrorIs(t, err, ErrPDU)
	_, err = DecodeSubmit(nil)
	assert.ErrorIs(t, err, ErrPDU)
	_, _, err = SplitSMSC(unhex(t, "0791"))
	assert.ErrorIs(t, err, ErrPDU)
}

func TestGSM7Packing(t *testing.T) {
	septets, ok := gsm7Septets("hellohello")
	require.True(t, ok)
	assert.Equal(t, "E8329BFD4697D9EC37", strings.ToUpper(hex.EncodeToString(packSeptets(septets, 0))))

	// Behind a 6-octet header (48 bits) the text starts at septet 7, one
	// fill bit later: 'A' (0x41) shifted left by one.
	ud, udl, err := encodeUserData(GSM7, []byte{5, 0, 3, 0xCC, 2, 1}, "A", nil)
	require.NoError(t, err)
	assert.Equal(t, 8, udl)
	assert.Equal(t, "050003CC020182", strings.ToUpper(hex.EncodeToString(ud)))

	// Extension characters take an escape.
	septets, ok = gsm7Septets("{€}")
	require.True(t, ok)
	assert.Equal(t, []byte{0x1B, 0x28, 0x1B, 0x65, 0x1B, 0x29}, septets)
	assert.Equal(t, "{€}", gsm7Text(septets))
	_, ok = gsm7Septets("你")
	assert.False(t, ok)
	assert.Equal(t, "@£$¥", gsm7Text([]byte{0, 1, 2, 3}))
}

func TestConcatRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name string
		dcs  byte
		text string
		c    Concat
	}{
		{"ucs2 8-bit ref", DCSUCS2, strings.Repeat("包", 67), Concat{Ref: 0xAB, Total: 3, Seq: 2}},
		{"ucs2 16-bit ref", DCSUCS2, "取件码 5-2-0001", Concat{Ref: 0xBEEF, Total: 2, Seq: 1, Wide: true}},
		{"gsm7 8-bit ref", DCSGSM7, strings.Repeat("x", 153), Concat{Ref: 7, Total: 2, Seq: 2}},
		{"gsm7 16-bit ref", DCSGSM7, strings.Repeat("y", 152), Concat{Ref: 300, Total: 9, Seq: 9, Wide: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			s := Submit{StatusReport: true, MR: 9, To: Address{Number: "8613912345678", Type: TOAInternational},
				DCS: tt.dcs, Concat: &c, Text: tt.text}
			enc, err := s.Encode()
			require.NoError(t, err)
			assert.Equal(t, byte(0x61), enc[0], "SUBMIT with SRR and UDHI")
			got, err := DecodeSubmit(enc)
			require.NoError(t, err)
			assert.Equal(t, &s, got)

			d := Deliver{From: s.To, DCS: tt.dcs, Concat: &c, Text: tt.text, Time: time.Date(2026, 5, 1, 8, 30, 0, 0, zone(8))}
			enc, err = EncodeDeliver(&d)
			require.NoError(t, err)
			gotD, err := DecodeDeliver(enc)
			require.NoError(t, err)
			assert.Equal(t, d.Text, gotD.Text)
			assert.Equal(t, d.Concat, gotD.Concat)
			assert.True(t, d.Time.Equal(gotD.Time))
		})
	}
}

func TestTooLong(t *testing.T) {
	s := Submit{To: Address{Number: "13912345678"}, DCS: DCSUCS2, Text: strings.Repeat("包", 71)}
	_, err := s.Encode()
	assert.ErrorIs(t, err, ErrPDU)
	s = Submit{To: Address{Number: "13912345678"}, DCS: DCSGSM7, Text: strings.Repeat("a", 161)}
	_, err = s.Encode()
	assert.ErrorIs(t, err, ErrPDU)
	s = Submit{To: Address{Number: "13912345678"}, DCS: DCSGSM7, Text: "包"}
	_, err = s.Encode()
	assert.ErrorIs(t, err, ErrPDU)
}

func TestAddresses(t *testing.T) {
	a, err := ParseAddress("+8613800451500")
	require.NoError(t, err)
	assert.Equal(t, Address{Number: "8613800451500", Type: TOAInternational}, a)
	assert.Equal(t, "+8613800451500", a.String())
	a, err = ParseAddress("10086")
	require.NoError(t, err)
	assert.Equal(t, Address{Number: "10086", Type: TOAUnknown}, a)
	for _, bad := range []string{"", "+", "138-0045", "abcdefg"} {
		_, err = ParseAddress(bad)
		assert.Error(t, err, bad)
	}

	// An alphanumeric sender, as banks and operators use.
	d := Deliver{From: Address{Number: "Cunyou", Type: TOAAlphanumeric}, DCS: DCSGSM7, Text: "hi", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, zone(-5))}
	enc, err := EncodeDeliver(&d)
	require.NoError(t, err)
	got, err := DecodeDeliver(enc)
	require.NoError(t, err)
	assert.Equal(t, d.From, got.From)
	_, off := got.Time.Zone()
	assert.Equal(t, -5*3600, off)
}

func TestRelativeValidity(t *testing.T) {
	for _, tt := range []struct {
		d  time.Duration
		vp byte
	}{
		{5 * time.Minute, 0}, {12 * time.Hour, 143}, {13 * time.Hour, 145}, {24 * time.Hour, 167},
		{2 * 24 * time.Hour, 168}, {4 * 24 * time.Hour, 170}, {30 * 24 * time.Hour, 196},
		{5 * 7 * 24 * time.Hour, 197}, {63 * 7 * 24 * time.Hour, 255}, {1000 * 7 * 24 * time.Hour, 255},
	} {
		assert.Equal(t, tt.vp, relativeValidity(tt.d), "%v", tt.d)
	}
	for vp := range 256 {
		assert.Equal(t, byte(vp), relativeValidity(RelativeValidity(byte(vp))), "vp %d", vp)
	}
}

func TestSplitText(t *testing.T) {
	rep := strings.Repeat
	for _, tt := range []struct {
		name  string
		text  string
		dcs   byte
		parts []int // characters (runes) per part
	}{
		{"short latin", "hello", DCSGSM7, []int{5}},
		{"160 septets", rep("a", 160), DCSGSM7, []int{160}},
		{"161 septets", rep("a", 161), DCSGSM7, []int{153, 8}},
		{"escape counts two", rep("a", 152) + "€", DCSGSM7, []int{153}},
		{"escape never cut", rep("a", 152) + "€" + rep("a", 10), DCSGSM7, []int{152, 11}},
		{"70 chinese", rep("包", 70), DCSUCS2, []int{70}},
		{"71 chinese", rep("包", 71), DCSUCS2, []int{67, 4}},
		{"one chinese makes ucs2", rep("a", 100) + "包", DCSUCS2, []int{67, 34}},
		{"surrogate pair never cut", rep("包", 66) + "😀" + rep("包", 10), DCSUCS2, []int{66, 11}},
		{"empty", "", DCSGSM7, []int{0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dcs, parts, err := SplitText(tt.text)
			require.NoError(t, err)
			assert.Equal(t, tt.dcs, dcs)
			var n []int
			for _, p := range parts {
				n = append(n, len([]rune(p)))
			}
			assert.Equal(t, tt.parts, n)
			assert.Equal(t, tt.text, strings.Join(parts, ""))
			for i, p := range parts {
				s := Submit{To: Address{Number: "13912345678"}, DCS: dcs, Text: p}
				if len(parts) > 1 {
					s.Concat = &Concat{Ref: 1, Total: len(parts), Seq: i + 1}
				}
				_, err := s.Encode()
				assert.NoError(t, err, "part %d fits", i+1)
			}
		})
	}
}

// The operators bill Chinese text the way the modem splits it.
func TestSplitAgreesWithBilling(t *testing.T) {
	for n := 1; n <= sms.MaxLen; n++ {
		text := strings.Repeat("村", n)
		_, parts, err := SplitText(text)
		require.NoError(t, err)
		_, billed := sms.Count(text)
		require.Equal(t, billed, len(parts), "%d characters", n)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{pduDreamDeliver, pduDreamSubmit, pduChinese, pduNeoway, pduHuawei, "00" + pduAmroReport} {
		f.Add(unhex(f, s))
	}
	long := Submit{StatusReport: true, To: Address{Number: "8613912345678", Type: TOAInternational}, DCS: DCSUCS2,
		Concat: &Concat{Ref: 3, Total: 2, Seq: 1}, Text: "您的包裹已到南岗村驿站"}
	enc, _ := long.Encode()
	f.Add(append([]byte{0}, enc...))
	f.Fuzz(func(t *testing.T, pdu []byte) {
		_, tpdu, err := SplitSMSC(pdu)
		if err != nil {
			return
		}
		_, _ = DecodeDeliver(tpdu)
		_, _ = DecodeStatusReport(tpdu)
		s, err := DecodeSubmit(tpdu)
		if err != nil {
			return
		}
		// What decodes and encodes again decodes to the same.
		enc, err := s.Encode()
		if err != nil {
			return
		}
		again, err := DecodeSubmit(enc)
		if err != nil {
			t.Fatalf("re-encoded %X does not decode: %v", enc, err)
		}
		switch {
		case s.To.Type == 0:
			s.To.Type = TOAUnknown // zero means "not given"
		case s.To.Type&0x70 != 0x50:
			s.To.Type |= 0x80
		}
		if again.Text != s.Text || again.MR != s.MR || again.To != s.To || again.DCS != s.DCS ||
			again.Validity != s.Validity || again.StatusReport != s.StatusReport || string(again.Data) != string(s.Data) ||
			(again.Concat == nil) != (s.Concat == nil) || (s.Concat != nil && *again.Concat != *s.Concat) {
			t.Fatalf("round trip:\n%+v\n%+v", s, again)
		}
	})
}
