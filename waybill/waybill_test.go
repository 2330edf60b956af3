package waybill_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/waybill"
)

var normalizeTests = []struct {
	name    string
	raw     string
	want    string
	wantErr error
}{
	{"plain", "SF1234567890123", "SF1234567890123", nil},
	{"lowercase", "sf1234567890123", "SF1234567890123", nil},
	{"scanner CRLF", "YT1234567890123\r\n", "YT1234567890123", nil},
	{"scanner tab", "\t73123456789012\t", "73123456789012", nil},
	{"spaces", "  JDVA11408814483  ", "JDVA11408814483", nil},
	{"full-width", "ＪＴ３００２２３２６８２２４２", "JT3002232682242", nil},
	{"full-width lowercase", "ｅａ１２３４５６７８９ｃｎ", "EA123456789CN", nil},
	{"ideographic space", "\u3000DPK123456789012\u3000", "DPK123456789012", nil},
	{"hyphen", "abc-12345-678", "ABC-12345-678", nil},
	{"min length", "12345678", "12345678", nil},
	{"max length", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", nil},
	{"empty", "", "", waybill.ErrEmpty},
	{"blank", " \r\n\t", "", waybill.ErrEmpty},
	{"too short", "1234567", "", waybill.ErrLength},
	{"too long", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", "", waybill.ErrLength},
	{"inner space", "SF123 4567890123", "", waybill.ErrCharset},
	{"chinese", "顺丰1234567890123", "", waybill.ErrCharset},
	{"punctuation", "SF1234567890123!", "", waybill.ErrCharset},
	{"invalid utf-8", "SF12345\xff67890123", "", waybill.ErrCharset},
	{"dotless i", "SF1234567890ı23", "", waybill.ErrCharset},
	{"a word, not a number", "NOTAWAYBILL", "", waybill.ErrCharset},
	{"too few digits", "ABCDEFG12345", "", waybill.ErrCharset},
}

func TestNormalize(t *testing.T) {
	for _, tt := range normalizeTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := waybill.Normalize(tt.raw)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Empty(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

var detectTests = []struct {
	name   string
	number string
	want   []waybill.Candidate
}{
	{"SF", "SF1234567890123", []waybill.Candidate{{waybill.SF, 90}}},
	{"SF lowercase with CRLF", "sf1234567890123\r\n", []waybill.Candidate{{waybill.SF, 90}}},
	{"YTO", "YT1234567890123", []waybill.Candidate{{waybill.YTO, 90}}},
	{"YTO short", "YT123456789012", []waybill.Candidate{{waybill.YTO, 70}}},
	{"YTO numeric", "812345678901234567", []waybill.Candidate{{waybill.YTO, 40}}},
	{"ZTO", "73123456789012", []waybill.Candidate{{waybill.ZTO, 60}}},
	{"ZTO 78", "78123456789012", []waybill.Candidate{{waybill.ZTO, 60}}},
	{"STO", "773123456789012", []waybill.Candidate{{waybill.STO, 60}, {waybill.Yunda, 20}}},
	{"STO 88", "883123456789012", []waybill.Candidate{{waybill.STO, 60}, {waybill.Yunda, 20}}},
	{"STO or Yunda", "431234567890123", []waybill.Candidate{{waybill.STO, 55}, {waybill.Yunda, 50}}},
	{"Yunda", "312345678901234", []waybill.Candidate{{waybill.Yunda, 50}}},
	{"Yunda 13", "5312345678901", []waybill.Candidate{{waybill.Yunda, 45}}},
	{"Yunda or Post", "5112345678901", []waybill.Candidate{{waybill.EMS, 55}, {waybill.Yunda, 45}}},
	{"JD", "JDVA11408814483", []waybill.Candidate{{waybill.JD, 90}}},
	{"JD X", "JDX123456789012", []waybill.Candidate{{waybill.JD, 90}}},
	{"J&T or Best", "JT3002232682242", []waybill.Candidate{{waybill.JT, 80}, {waybill.Best, 50}}},
	{"J&T 12 digits", "JT300223268224", []waybill.Candidate{{waybill.JT, 80}, {waybill.Best, 50}}},
	{"EMS S10", "EA123456789CN", []waybill.Candidate{{waybill.EMS, 90}}},
	{"EMS S10 full-width", "ＥＡ１２３４５６７８９ＣＮ", []waybill.Candidate{{waybill.EMS, 90}}},
	{"Post parcel", "9812345678901", []waybill.Candidate{{waybill.EMS, 55}, {waybill.Yunda, 20}}},
	{"Post parcel 1", "1312345678901", []waybill.Candidate{{waybill.EMS, 50}, {waybill.Yunda, 20}}},
	{"Post P", "PA12345678901", []waybill.Candidate{{waybill.EMS, 80}}},
	{"Cainiao", "621123456789012", []waybill.Candidate{{waybill.Cainiao, 70}, {waybill.Yunda, 20}}},
	{"Deppon", "DPK123456789012", []waybill.Candidate{{waybill.Deppon, 90}}},
	{"Deppon long", "DPK1234567890123", []waybill.Candidate{{waybill.Deppon, 70}}},
	{"Deppon numeric", "123456789", []waybill.Candidate{{waybill.Deppon, 10}}},
	{"legacy 12 digits", "123456789012", []waybill.Candidate{{waybill.SF, 15}, {waybill.ZTO, 15}}},
	{"unknown letters", "ABCDEFGHIJ", nil},
	{"unknown 16 digits", "1234567890123456", nil},
	{"hyphenated", "SF-1234567890123", nil},
	{"invalid", "", nil},
	{"too short", "SF12", nil},
}

func TestDetect(t *testing.T) {
	for _, tt := range detectTests {
		t.Run(tt.name, func(t *testing.T) {
			got := waybill.Detect(tt.number)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		carrier string
		number  string
		want    bool
	}{
		{waybill.SF, "SF1234567890123", true},
		{waybill.SF, "sf1234567890123\r\n", true},
		{waybill.SF, "123456789012", true}, // legacy 12 digits
		{waybill.SF, "YT1234567890123", false},
		{waybill.SF, "SF123456789012", false},
		{waybill.YTO, "YT1234567890123", true},
		{waybill.YTO, "SF1234567890123", false},
		{waybill.ZTO, "73123456789012", true},
		{waybill.ZTO, "773123456789012", false},
		{waybill.STO, "773123456789012", true},
		{waybill.STO, "73123456789012", false},
		{waybill.Yunda, "312345678901234", true},
		{waybill.Yunda, "JDVA11408814483", false},
		{waybill.JD, "JDVA11408814483", true},
		{waybill.JD, "JT3002232682242", false},
		{waybill.JT, "JT3002232682242", true},
		{waybill.Best, "JT3002232682242", true},
		{waybill.JT, "SF1234567890123", false},
		{waybill.EMS, "EA123456789CN", true},
		{waybill.EMS, "9812345678901", true},
		{waybill.EMS, "EA12345678CN", false},
		{waybill.Cainiao, "621123456789012", true},
		{waybill.Cainiao, "622123456789012", false},
		{waybill.Deppon, "DPK123456789012", true},
		{waybill.Deppon, "SF1234567890123", false},
		{"SF", "SF1234567890123", true}, // codes are case-insensitive
		{"zjs", "ZJS123456789", true},   // unknown carrier: any valid number
		{"zjs", "bad number!", false},
		{waybill.SF, "", false},
	}
	for _, tt := range tests {
		got := waybill.Valid(tt.carrier, tt.number)
		assert.Equal(t, tt.want, got, "Valid(%q, %q)", tt.carrier, tt.number)
	}
}

func TestValidDetectAgree(t *testing.T) {
	for _, tt := range detectTests {
		for _, c := range tt.want {
			assert.True(t, waybill.Valid(c.Code, tt.number), "Valid(%q, %q)", c.Code, tt.number)
		}
	}
}

func TestCarriers(t *testing.T) {
	codes := []string{
		waybill.SF, waybill.YTO, waybill.ZTO, waybill.STO, waybill.Yunda, waybill.JD,
		waybill.JT, waybill.EMS, waybill.Cainiao, waybill.Deppon, waybill.Best,
	}
	cs := waybill.Carriers()
	require.Len(t, cs, len(codes))
	for i, c := range cs {
		assert.Equal(t, codes[i], c.Code)
		assert.NotEmpty(t, c.Name)
		assert.NotEmpty(t, c.Short)
		got, ok := waybill.Lookup(c.Code)
		require.True(t, ok, c.Code)
		assert.Equal(t, c, got)
	}

	sf, ok := waybill.Lookup("SF")
	require.True(t, ok)
	assert.Equal(t, waybill.Carrier{Code: "sf", Name: "顺丰速运", Short: "顺丰"}, sf)

	_, ok = waybill.Lookup("zjs")
	assert.False(t, ok)

	cs[0].Name = "changed"
	assert.Equal(t, "顺丰速运", waybill.Carriers()[0].Name, "Carriers returns a copy")
}

func FuzzNormalizeDetect(f *testing.F) {
	for _, tt := range normalizeTests {
		f.Add(tt.raw)
	}
	for _, tt := range detectTests {
		f.Add(tt.number)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n, err := waybill.Normalize(raw)
		if err != nil {
			assert.Empty(t, waybill.Detect(raw))
			return
		}
		again, err := waybill.Normalize(n)
		require.NoError(t, err)
		require.Equal(t, n, again, "Normalize is idempotent")

		got := waybill.Detect(n)
		require.Equal(t, got, waybill.Detect(raw), "Detect normalizes its input")
		seen := map[string]bool{}
		for i, c := range got {
			_, ok := waybill.Lookup(c.Code)
			require.True(t, ok, "unknown code %q", c.Code)
			require.False(t, seen[c.Code], "duplicate code %q", c.Code)
			seen[c.Code] = true
			require.True(t, c.Confidence > 0 && c.Confidence <= 100, "confidence %d", c.Confidence)
			if i > 0 {
				require.LessOrEqual(t, c.Confidence, got[i-1].Confidence, "ordered by confidence")
			}
			require.True(t, waybill.Valid(c.Code, n), "Valid(%q, %q)", c.Code, n)
		}
	})
}
