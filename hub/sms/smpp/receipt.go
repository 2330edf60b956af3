package smpp

import (
	"fmt"
	"strings"
	"time"

	"cunyou/sms"
)

// ReceiptText is the text of an SMSC delivery receipt (SMPP 3.4
// Appendix B, the de-facto format every SMSC sends):
//
//	id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:…
type ReceiptText struct {
	ID         string
	Sub        string
	Dlvrd      string
	SubmitDate string
	DoneDate   string
	Stat       string
	Err        string
	Text       string
}

var receiptKeys = []string{"id:", "sub:", "dlvrd:", "submit date:", "done date:", "stat:", "err:", "text:"}

// ParseReceipt reads a receipt text. Keys are matched without regard to
// case, fields may be missing or reordered, and text: runs to the end.
// It needs at least id: or stat:.
func ParseReceipt(s string) (ReceiptText, error) {
	lower := asciiLower(s)                 // same length as s, unlike strings.ToLower
	type hit struct{ key, start, end int } // key index, key start, value start
	var hits []hit
	for k, key := range receiptKeys {
		from := 0
		for {
			i := strings.Index(lower[from:], key)
			if i < 0 {
				break
			}
			i += from
			if i == 0 || lower[i-1] == ' ' {
				hits = append(hits, hit{k, i, i + len(key)})
				break
			}
			from = i + 1
		}
	}
	// Order by position; a key inside another's value (text: comes last
	// and may hold anything) is dropped.
	for i := 1; i < len(hits); i++ {
		for j := i; j > 0 && hits[j].start < hits[j-1].start; j-- {
			hits[j], hits[j-1] = hits[j-1], hits[j]
		}
	}
	var r ReceiptText
	for i, h := range hits {
		end := len(s)
		if i+1 < len(hits) && h.key != 7 {
			end = hits[i+1].start
		}
		v := s[h.end:end]
		if h.key != 7 {
			v = strings.TrimSpace(v)
		}
		switch h.key {
		case 0:
			r.ID = v
		case 1:
			r.Sub = v
		case 2:
			r.Dlvrd = v
		case 3:
			r.SubmitDate = v
		case 4:
			r.DoneDate = v
		case 5:
			r.Stat = strings.ToUpper(v)
		case 6:
			r.Err = v
		case 7:
			r.Text = v
		}
		if h.key == 7 {
			break // text: runs to the end, whatever it holds
		}
	}
	if r.ID == "" && r.Stat == "" {
		return r, errNoReceipt
	}
	return r, nil
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// String formats r the way SMSCs do.
func (r ReceiptText) String() string {
	return fmt.Sprintf("id:%s sub:%s dlvrd:%s submit date:%s done date:%s stat:%s err:%s text:%s",
		r.ID, r.Sub, r.Dlvrd, r.SubmitDate, r.DoneDate, r.Stat, r.Err, r.Text)
}

// StatusOf maps a receipt's stat to the contract's status: DELIVRD is
// Delivered, UNDELIV and REJECTD are Failed, EXPIRED is Expired, the rest
// (ENROUTE, ACCEPTD, DELETED, UNKNOWN and the SMSCs' own) are Unknown.
func StatusOf(stat string) sms.Status {
	switch strings.ToUpper(stat) {
	case "DELIVRD", "DELIVERED":
		return sms.Delivered
	case "UNDELIV", "UNDELIVERABLE", "REJECTD", "REJECTED":
		return sms.Failed
	case "EXPIRED":
		return sms.Expired
	}
	return sms.Unknown
}

// stateStat is the receipt stat of a message_state TLV value.
var stateStat = map[byte]string{
	StateEnroute: "ENROUTE", StateDelivered: "DELIVRD", StateExpired: "EXPIRED", StateDeleted: "DELETED",
	StateUndeliverable: "UNDELIV", StateAccepted: "ACCEPTD", StateUnknown: "UNKNOWN", StateRejected: "REJECTD",
}

// ReceiptDate is the layout of submit date and done date; some SMSCs add
// seconds (YYMMDDhhmmss).
const ReceiptDate = "0601021504"

func parseReceiptDate(s string, loc *time.Location) (time.Time, bool) {
	layout := ReceiptDate
	if len(s) == len(ReceiptDate)+2 {
		layout += "05"
	}
	t, err := time.ParseInLocation(layout, s, loc)
	return t, err == nil
}

// receiptOf reads the deliver_sm of a receipt. The message it is about is
// the receipted_message_id TLV when present, else the text's id:; its
// state the text's stat:, else the message_state TLV. The handset is the
// deliver_sm's source_addr. At is the done date, read in loc, or now.
func receiptOf(sm *SM, loc *time.Location, now time.Time) (sms.Receipt, error) {
	var rt ReceiptText
	payload := sm.ShortMessage
	if len(payload) == 0 {
		payload, _ = Find(sm.TLVs, TagMessagePayload)
	}
	text, err := DecodeText(sm.DataCoding, payload)
	if err == nil {
		rt, err = ParseReceipt(text)
	}
	id := rt.ID
	if v, ok := Find(sm.TLVs, TagReceiptedMessageID); ok {
		id = strings.TrimRight(string(v), "\x00")
	}
	stat := rt.Stat
	if v, ok := Find(sm.TLVs, TagMessageState); ok && stat == "" && len(v) == 1 {
		stat = stateStat[v[0]]
	}
	if id == "" || stat == "" {
		if err == nil {
			err = errNoReceipt
		}
		return sms.Receipt{}, fmt.Errorf("read receipt: %w", err)
	}
	at, ok := parseReceiptDate(rt.DoneDate, loc)
	if !ok {
		at = now
	}
	return sms.Receipt{ProviderID: id, Phone: nationalPhone(sm.SourceAddr), Status: StatusOf(stat), Code: stat, At: at}, nil
}

// nationalPhone strips a mainland number's country code (+86, 0086, 86).
func nationalPhone(a string) string {
	for _, p := range []string{"+86", "0086", "86"} {
		if rest, ok := strings.CutPrefix(a, p); ok && len(rest) == 11 {
			return rest
		}
	}
	return a
}
