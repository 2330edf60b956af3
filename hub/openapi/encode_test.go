package openapi

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// jsonFields lists the JSON names of a struct type's fields.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		out = append(out, strings.Split(t.Field(i).Tag.Get("json"), ",")[0])
	}
	return out
}

// The hand-written encoders know every field of the types they write: a
// field added to one of them must be added to the encoder too.
func TestEncodersKnowEveryField(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string
	}{
		{Tracking{}, "waybill parcels timeline"},
		{ParcelList{}, "parcels next_cursor"},
		{Parcel{}, "waybill direction carrier status stage holder destination trip receiver address weight_g value_fen sender_name " +
			"pickup_code source created_at updated_at"},
		{Place{}, "node name kind"},
		{Destination{}, "station name reason detail"},
		{Person{}, "name phone"},
		{Fact{}, "id direction kind node node_name at received_at detail"},
	} {
		typ := reflect.TypeOf(tt.v)
		if got := strings.Join(jsonFields(typ), " "); got != tt.want {
			t.Errorf("%s has the fields %q; encode.go writes %q: teach it the change", typ.Name(), got, tt.want)
		}
	}
}

var tricky = []string{"", "ST-V0101", "王秀英", "138****5678", "先锋镇民主村三组", "code **** shelf 1-2", `a "quoted" \ back`,
	"<script>&amp;</script>", "tab\there\nnewline\r\u0000\u001f\b\f\u007f", "\xff\xfe broken \xc3", "line\u2028sep\u2029",
	"emoji 📦 ok", "é", strings.Repeat("长", 40)}

func randString(rng *rand.Rand) string {
	if rng.IntN(4) == 0 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return string(b)
	}
	return tricky[rng.IntN(len(tricky))]
}

func randTime(rng *rand.Rand) time.Time {
	switch rng.IntN(5) {
	case 0:
		return time.Time{}
	case 1:
		return time.UnixMilli(rng.Int64N(1 << 42)).UTC()
	case 2:
		return time.Unix(rng.Int64N(1<<33), rng.Int64N(1e9)).In(time.FixedZone("CST", 8*3600))
	case 3:
		return time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	}
	return time.Unix(rng.Int64N(1<<33), 0).In(time.FixedZone("", -(3*3600 + 30*60)))
}

func randParcel(rng *rand.Rand) Parcel {
	p := Parcel{Waybill: randString(rng), Direction: randString(rng), Carrier: randString(rng), Status: randString(rng),
		Stage: randString(rng), Trip: randString(rng), Receiver: Person{Name: randString(rng), Phone: randString(rng)},
		Address: randString(rng), WeightGrams: rng.IntN(40000) - 100, ValueFen: rng.IntN(1 << 30), SenderName: randString(rng),
		PickupCode: randString(rng), Source: randString(rng), CreatedAt: randTime(rng), UpdatedAt: randTime(rng)}
	if rng.IntN(3) > 0 {
		p.Holder = &Place{Node: randString(rng), Name: randString(rng), Kind: randString(rng)}
	}
	if rng.IntN(3) > 0 {
		p.Destination = &Destination{Station: randString(rng), Name: randString(rng), Reason: randString(rng), Detail: randString(rng)}
	}
	return p
}

// The encoders write what json.Marshal writes.
func TestEncodersAreEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		tr := Tracking{Waybill: randString(rng)}
		l := ParcelList{NextCursor: randString(rng)}
		if i%7 > 0 {
			tr.Parcels, tr.Timeline, l.Parcels = []Parcel{}, []Fact{}, []Parcel{}
		}
		for range rng.IntN(3) {
			p := randParcel(rng)
			tr.Parcels, l.Parcels = append(tr.Parcels, p), append(l.Parcels, p)
		}
		for range rng.IntN(8) {
			tr.Timeline = append(tr.Timeline, Fact{ID: rng.Int64() - rng.Int64(), Direction: randString(rng), Kind: randString(rng),
				Node: randString(rng), NodeName: randString(rng), At: randTime(rng), ReceivedAt: randTime(rng), Detail: randString(rng)})
		}
		want, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendTracking(nil, &tr); string(got) != string(want) {
			t.Fatalf("Tracking:\n got %s\nwant %s", got, want)
		}
		if want, err = json.Marshal(l); err != nil {
			t.Fatal(err)
		}
		if got := appendParcelList(nil, &l); string(got) != string(want) {
			t.Fatalf("ParcelList:\n got %s\nwant %s", got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString(nil, s); string(got) != string(want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestMaskCodeIsTheRegexp(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"code 1-2-0001 shelf 1-2", "code **** shelf 1-2"},
		{"code 1-2-0001", "code ****"},
		{"code  1-2", "code  1-2"}, // \S+ needs a character right after "code "
		{"code ", "code "},
		{"codes 1-2", "codes 1-2"},
		{"shelf code 1-2", "shelf code 1-2"},
		{"code 取件码\tshelf", "code ****\tshelf"},
		{"code \xff\xfe x", "code **** x"},
		{"", ""},
	} {
		if got := maskCode(tt.in); got != tt.want {
			t.Errorf("maskCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	codeRe := regexp.MustCompile(`^code \S+`) // what the timeline's masking was
	for _, a := range tricky {
		for _, b := range tricky {
			s := "code " + a + b
			if got, want := maskCode(s), codeRe.ReplaceAllString(s, "code ****"); got != want {
				t.Errorf("maskCode(%q) = %q, want %q", s, got, want)
			}
		}
	}
}
