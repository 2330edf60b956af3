package kiosk_test

import (
	"fmt"
	"slices"
	"testing"

	"cunyou/ui/uitest"
)

// BenchmarkKioskScanToCode is the time from a scan's Enter key to its
// pickup code on the screen: headless Chromium types each waybill as a
// scan gun does into the kiosk page, served by a real kiosk server on a
// SQLite file; the page measures each scan with performance.now() from
// the Enter key's event to the code written into the page, after the
// server's answer (window.kioskPerf.scanToCode). 120 scans, one after the
// other, as in a bag.
func BenchmarkKioskScanToCode(b *testing.B) {
	const scans = 120
	ctx, _ := uitest.Open(b, uitest.Screen{Width: 1024, Height: 768})
	s := browserNewStation(b)
	wbs := browserManifest(b, s.st, 1000, scans)
	browserLogin(b, ctx, s)
	b.ResetTimer()
	for i, wb := range wbs {
		uitest.Do(b, ctx, "scan "+wb, browserScan(wb), browserUntil(fmt.Sprintf(`window.kioskPerf.scanToCode.length === %d`, i+1)))
	}
	b.StopTimer()
	ms := uitest.Eval[[]float64](b, ctx, `window.kioskPerf.scanToCode`)
	if len(ms) != scans {
		b.Fatalf("%d samples, want %d", len(ms), scans)
	}
	slices.Sort(ms)
	at := func(q float64) float64 { return ms[int(q*float64(len(ms)-1))] }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
	b.ReportMetric(ms[len(ms)-1], "max-ms")
	b.ReportMetric(float64(len(ms)), "samples")
}
