package smpp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/sms"
)

func TestParseReceipt(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		want ReceiptText
	}{
		{"the usual", "id:5A000001 sub:001 dlvrd:001 submit date:2606011230 done date:2606011231 stat:DELIVRD err:000 text:【望奎村邮】您的包裹",
			ReceiptText{ID: "5A000001", Sub: "001", Dlvrd: "001", SubmitDate: "2606011230", DoneDate: "2606011231", Stat: "DELIVRD", Err: "000", Text: "【望奎村邮】您的包裹"}},
		{"capitals and seconds", "ID:77 SUB:001 DLVRD:000 SUBMIT DATE:260601123005 DONE DATE:260601123107 STAT:undeliv ERR:001 Text:",
			ReceiptText{ID: "77", Sub: "001", Dlvrd: "000", SubmitDate: "260601123005", DoneDate: "260601123107", Stat: "UNDELIV", Err: "001"}},
		{"fields missing, reordered", "stat:EXPIRED id:abc-1",
			ReceiptText{ID: "abc-1", Stat: "EXPIRED"}},
		{"text holding keys", "id:9 stat:DELIVRD err:000 text:id:1 stat:UNDELIV",
			ReceiptText{ID: "9", Stat: "DELIVRD", Err: "000", Text: "id:1 stat:UNDELIV"}},
		{"key inside a word is not a key", "id:9 stat:DELIVRD text:paid:yes",
			ReceiptText{ID: "9", Stat: "DELIVRD", Text: "paid:yes"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseReceipt(c.in)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
	_, err := ParseReceipt("您好，我已收到")
	assert.Error(t, err, "a villager's reply is no receipt")
}

func TestReceiptTextRoundTrip(t *testing.T) {
	r := ReceiptText{ID: "1", Sub: "001", Dlvrd: "001", SubmitDate: "2606011230", DoneDate: "2606011231", Stat: "DELIVRD", Err: "000", Text: "x y"}
	got, err := ParseReceipt(r.String())
	require.NoError(t, err)
	assert.Equal(t, r, got)
}

func TestStatusOf(t *testing.T) {
	for stat, want := range map[string]sms.Status{
		"DELIVRD": sms.Delivered, "UNDELIV": sms.Failed, "REJECTD": sms.Failed, "EXPIRED": sms.Expired,
		"DELETED": sms.Unknown, "ENROUTE": sms.Unknown, "ACCEPTD": sms.Unknown, "UNKNOWN": sms.Unknown, "": sms.Unknown,
		"delivrd": sms.Delivered,
	} {
		assert.Equal(t, want, StatusOf(stat), stat)
	}
}

func TestReceiptOf(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 6, 2, 0, 0, 0, 0, cst)
	text := []byte("id:0A sub:001 dlvrd:000 submit date:2606011230 done date:2606011231 stat:REJECTD err:045 text:")
	for _, c := range []struct {
		name string
		sm   SM
		want sms.Receipt
	}{
		{"text only", SM{SourceAddr: "8613900000001", ShortMessage: text},
			sms.Receipt{ProviderID: "0A", Phone: "13900000001", Status: sms.Failed, Code: "REJECTD", At: time.Date(2026, 6, 1, 12, 31, 0, 0, cst)}},
		{"receipted_message_id wins over the text's id", SM{SourceAddr: "+8613900000001", ShortMessage: text,
			TLVs: []TLV{{Tag: TagReceiptedMessageID, Value: []byte("10\x00")}}},
			sms.Receipt{ProviderID: "10", Phone: "13900000001", Status: sms.Failed, Code: "REJECTD", At: time.Date(2026, 6, 1, 12, 31, 0, 0, cst)}},
		{"TLVs only", SM{SourceAddr: "13900000001", TLVs: []TLV{{Tag: TagReceiptedMessageID, Value: []byte("11\x00")}, {Tag: TagMessageState, Value: []byte{StateExpired}}}},
			sms.Receipt{ProviderID: "11", Phone: "13900000001", Status: sms.Expired, Code: "EXPIRED", At: now}},
		{"ucs-2 text in message_payload", SM{SourceAddr: "8613900000001", DataCoding: CodingUCS2,
			TLVs: []TLV{{Tag: TagMessagePayload, Value: ucs2Of("id:12 stat:DELIVRD text:到")}}},
			sms.Receipt{ProviderID: "12", Phone: "13900000001", Status: sms.Delivered, Code: "DELIVRD", At: now}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := receiptOf(&c.sm, cst, now)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
	_, err := receiptOf(&SM{ShortMessage: []byte("hello")}, cst, now)
	assert.Error(t, err)
}

func ucs2Of(s string) []byte {
	parts, _, _ := Split(s, 0)
	return parts[0]
}

// FuzzParseReceipt: whatever an SMSC sends, parsing does not panic.
func FuzzParseReceipt(f *testing.F) {
	f.Add("id:5A000001 sub:001 dlvrd:001 submit date:2606011230 done date:2606011231 stat:DELIVRD err:000 text:x")
	f.Add("ID:1 text:id:2 STAT:x")
	f.Add("\xff\xfeİid:1 stat:\xc3")
	f.Fuzz(func(t *testing.T, s string) {
		ParseReceipt(s)
	})
}
