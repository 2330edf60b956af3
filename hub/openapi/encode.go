package openapi

import (
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// The lookup path's answers (Tracking, ParcelList) written by hand into a
// pooled buffer, byte for byte what encoding/json writes for them (its
// reflection was a tenth of a lookup's CPU on the 10M county). The test
// TestEncodersAreEncodingJSON holds them to json.Marshal, and fails when
// a field is added to one of these types without being added here.

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// writeEncoded answers 200 with the JSON body enc appends, as write(ok(…))
// would.
func (s *Server) writeEncoded(w http.ResponseWriter, enc func([]byte) []byte) {
	bp := bufPool.Get().(*[]byte)
	b := append(enc((*bp)[:0]), '\n')
	writeAnswer(w, http.StatusOK, b, nil)
	if cap(b) <= 64<<10 {
		*bp = b[:0]
		bufPool.Put(bp)
	}
}

func appendTracking(b []byte, t *Tracking) []byte {
	b = append(b, `{"waybill":`...)
	b = appendString(b, t.Waybill)
	b = append(b, `,"parcels":`...)
	b = appendParcels(b, t.Parcels)
	b = append(b, `,"timeline":`...)
	if t.Timeline == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range t.Timeline {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFact(b, &t.Timeline[i])
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendParcelList(b []byte, l *ParcelList) []byte {
	b = append(b, `{"parcels":`...)
	b = appendParcels(b, l.Parcels)
	if l.NextCursor != "" {
		b = append(b, `,"next_cursor":`...)
		b = appendString(b, l.NextCursor)
	}
	return append(b, '}')
}

func appendParcels(b []byte, ps []Parcel) []byte {
	if ps == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendParcel(b, &ps[i])
	}
	return append(b, ']')
}

func appendParcel(b []byte, p *Parcel) []byte {
	b = append(b, `{"waybill":`...)
	b = appendString(b, p.Waybill)
	b = append(b, `,"direction":`...)
	b = appendString(b, p.Direction)
	b = append(b, `,"carrier":`...)
	b = appendString(b, p.Carrier)
	b = append(b, `,"status":`...)
	b = appendString(b, p.Status)
	b = append(b, `,"stage":`...)
	b = appendString(b, p.Stage)
	b = append(b, `,"holder":`...)
	if p.Holder == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"node":`...)
		b = appendString(b, p.Holder.Node)
		b = appendOmit(b, `,"name":`, p.Holder.Name)
		b = appendOmit(b, `,"kind":`, p.Holder.Kind)
		b = append(b, '}')
	}
	if d := p.Destination; d != nil {
		b = append(b, `,"destination":{`...)
		first := true
		for _, f := range [...]struct{ key, v string }{{`"station":`, d.Station}, {`"name":`, d.Name}} {
			if f.v != "" {
				if !first {
					b = append(b, ',')
				}
				b = append(b, f.key...)
				b = appendString(b, f.v)
				first = false
			}
		}
		if !first {
			b = append(b, ',')
		}
		b = append(b, `"reason":`...)
		b = appendString(b, d.Reason)
		b = appendOmit(b, `,"detail":`, d.Detail)
		b = append(b, '}')
	}
	b = appendOmit(b, `,"trip":`, p.Trip)
	b = append(b, `,"receiver":{`...)
	switch {
	case p.Receiver.Name != "" && p.Receiver.Phone != "":
		b = append(b, `"name":`...)
		b = appendString(b, p.Receiver.Name)
		b = append(b, `,"phone":`...)
		b = appendString(b, p.Receiver.Phone)
	case p.Receiver.Name != "":
		b = append(b, `"name":`...)
		b = appendString(b, p.Receiver.Name)
	case p.Receiver.Phone != "":
		b = append(b, `"phone":`...)
		b = appendString(b, p.Receiver.Phone)
	}
	b = append(b, '}')
	b = appendOmit(b, `,"address":`, p.Address)
	b = append(b, `,"weight_g":`...)
	b = strconv.AppendInt(b, int64(p.WeightGrams), 10)
	b = append(b, `,"value_fen":`...)
	b = strconv.AppendInt(b, int64(p.ValueFen), 10)
	b = appendOmit(b, `,"sender_name":`, p.SenderName)
	b = appendOmit(b, `,"pickup_code":`, p.PickupCode)
	b = appendOmit(b, `,"source":`, p.Source)
	if !p.CreatedAt.IsZero() {
		b = append(b, `,"created_at":`...)
		b = appendTime(b, p.CreatedAt)
	}
	b = append(b, `,"updated_at":`...)
	b = appendTime(b, p.UpdatedAt)
	return append(b, '}')
}

func appendFact(b []byte, f *Fact) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, f.ID, 10)
	b = append(b, `,"direction":`...)
	b = appendString(b, f.Direction)
	b = append(b, `,"kind":`...)
	b = appendString(b, f.Kind)
	b = append(b, `,"node":`...)
	b = appendString(b, f.Node)
	b = appendOmit(b, `,"node_name":`, f.NodeName)
	b = append(b, `,"at":`...)
	b = appendTime(b, f.At)
	b = append(b, `,"received_at":`...)
	b = appendTime(b, f.ReceivedAt)
	b = appendOmit(b, `,"detail":`, f.Detail)
	return append(b, '}')
}

// appendOmit appends key and v unless v is empty (omitempty).
func appendOmit(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendString(append(b, key...), v)
}

// appendTime is time.Time's MarshalJSON (RFC 3339 with nanoseconds) for
// the years it accepts.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendString is encoding/json's string encoding with HTML escaping (as
// json.Marshal does): quotes, backslashes and control characters escaped,
// <, > and & as \u003c, \u003e, \u0026, invalid UTF-8 as \ufffd, and the
// JavaScript line separators U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
