package merge

import (
	"testing"

	"cunyou/syncproto"
)

// FuzzDecode: no payload, however malformed, panics the merge; it decodes
// or becomes a dead letter with a reason.
func FuzzDecode(f *testing.F) {
	for kind, payload := range map[syncproto.EventKind]string{
		syncproto.KindParcelInbound:       `{"waybill":"ZT1","carrier":"zto","receiver_phone":"13800138000","shelf":1,"layer":2,"code":"1-2-3001"}`,
		syncproto.KindParcelsPickedUp:     `{"waybills":["ZT1","ZT1","ZT2"],"collector":{"kind":"proxy","name":"王"}}`,
		syncproto.KindParcelAccepted:      `{"waybill":"S1","carrier":"zto","sender":{"name":"a","phone":"1"},"receiver":{"name":"b","phone":"2"}}`,
		syncproto.KindParcelProblem:       `{"waybill":"ZT1","reason":"damaged"}`,
		syncproto.KindParcelsReturned:     `{"waybills":["ZT1"],"reason":"overdue"}`,
		syncproto.KindStocktake:           `{"shelf":1,"relocations":[{"waybill":"ZT1","to_shelf":2}]}`,
		syncproto.KindDayClosed:           `{"date":"2026-03-14"}`,
		syncproto.KindOperatorChanged:     `{"username":"u"}`,
		syncproto.KindShelvesSet:          `{"shelves":[{"no":1,"layers":4,"capacity":30}]}`,
		syncproto.KindSettingsSet:         `{"overdue_days":3,"return_days":7}`,
		syncproto.KindParcelInboundUndone: `{"waybill":"ZT1","code":"1-2-3001","shelf":1,"layer":2,"inbound_seq":4}`,
	} {
		f.Add(string(kind), []byte(payload))
	}
	f.Add("parcel.inbound", []byte(`null`))
	f.Fuzz(func(t *testing.T, kind string, payload []byte) {
		op := syncproto.Op{Kind: syncproto.EventKind(kind), Payload: payload}
		v, err := decode(&op)
		if (v == nil) == (err == nil) {
			t.Fatalf("decode(%q, %q) = %v, %v: want a value or an error", kind, payload, v, err)
		}
		if err != nil && err.Msg == "" {
			t.Fatal("a dead letter needs a reason")
		}
		if p, ok := v.(*syncproto.ParcelsPickedUp); ok {
			seen := map[string]bool{}
			for _, wb := range p.Waybills {
				if seen[wb] {
					t.Fatalf("waybill %q twice after decode", wb)
				}
				seen[wb] = true
			}
		}
	})
}
