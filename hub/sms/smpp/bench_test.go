package smpp_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cunyou/hub/sms/smpp"
	"cunyou/sms/smstest"
)

// BenchmarkSMPPThroughput sends short Chinese arrival notices (one UCS-2
// part each) to the simulator on loopback through one bound link, from
// 64 concurrent senders, and reports messages per second and the p99 of
// one Send. Each iteration is a batch of 1,000 messages (200 for window
// 1 on a slow SMSC), so that `-benchtime 1x` (make bench) still measures
// a rate.
//
// What the window does: a submit_sm holds a slot until its answer comes
// back, so one link carries at most Window / round-trip messages per
// second. On bare loopback the round trip is tens of microseconds and the
// window matters little; with an SMSC that takes 20 ms to answer
// (smsc=20ms, a realistic operator) window 1 caps the link at ~50 msgs/s,
// window 10 at ~500, window 50 at ~2,500. max-in-flight is what the
// simulator saw outstanding at once on those (on bare loopback it answers
// each submit_sm as it reads it, so it sees one).
func BenchmarkSMPPThroughput(b *testing.B) {
	for _, c := range []struct {
		window  int
		latency time.Duration
	}{
		{1, 0}, {10, 0}, {50, 0},
		{1, 20 * time.Millisecond}, {10, 20 * time.Millisecond}, {50, 20 * time.Millisecond},
	} {
		name := fmt.Sprintf("window=%d", c.window)
		if c.latency > 0 {
			name += fmt.Sprintf("/smsc=%v", c.latency)
		}
		b.Run(name, func(b *testing.B) {
			sim := newSim(b, smpp.SimOptions{Latency: c.latency})
			g := newGateway(b, sim, smpp.Options{Window: c.window, Timeout: 30 * time.Second})
			batch, senders := 1000, 64
			if c.window == 1 && c.latency > 0 {
				batch = 200
			}
			var lat []time.Duration
			var mu sync.Mutex
			var failed atomic.Int64
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				var next atomic.Int64
				var wg sync.WaitGroup
				for range senders {
					wg.Go(func() {
						var mine []time.Duration
						for {
							i := next.Add(1)
							if i > int64(batch) {
								break
							}
							t0 := time.Now()
							if _, err := g.Send(ctx, smstest.Message(int(i), false)); err != nil {
								failed.Add(1)
							}
							mine = append(mine, time.Since(t0))
						}
						mu.Lock()
						lat = append(lat, mine...)
						mu.Unlock()
					})
				}
				wg.Wait()
			}
			elapsed := time.Since(start)
			b.StopTimer()
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d sends failed", n)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(b.N*batch)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			if c.latency > 0 {
				b.ReportMetric(float64(sim.Stats().MaxOutstanding), "max-in-flight")
			}
		})
	}
}
