package public_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"cunyou/hub/public"
)

// BenchmarkTrack is one waybill lookup through the handler: the parcel,
// its timeline with payloads, the sentences and the JSON (no network).
func BenchmarkTrack(b *testing.B) {
	e := newEnv(b, public.Limits{TrackTries: 1 << 30})
	e.journey(b)
	req := httptest.NewRequest(http.MethodGet, "/q/api/track?waybill="+wbArrived, nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
