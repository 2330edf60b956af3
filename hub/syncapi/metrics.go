package syncapi

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"cunyou/hub/store"
	"cunyou/syncproto"
)

// metrics writes the Prometheus text format (version 0.0.4) by hand.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	stations, err := s.st.Stations(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.st.Now()
	ms := s.m.Stats()
	var b bytes.Buffer
	metric := func(name, typ, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	counter := func(name, help string, v int64) {
		metric(name, "counter", help)
		fmt.Fprintf(&b, "%s %d\n", name, v)
	}
	counter("cunyou_hub_ops_applied_total", "Ops merged durably (applied, not dead-lettered).", ms.Applied)
	counter("cunyou_hub_ops_projected_total", "Ops the projector applied to the tracking index.", ms.Projected)
	metric("cunyou_hub_projection_lag_ops", "gauge", "Durable ops waiting for the projector (by hub sequence).")
	fmt.Fprintf(&b, "cunyou_hub_projection_lag_ops %d\n", ms.ProjectionLag)
	counter("cunyou_hub_ops_duplicates_total", "Ops received again with the same hash, ignored.", ms.Duplicates)
	counter("cunyou_hub_ops_quarantined_total", "Ops reusing an identity with other content, quarantined.", ms.Quarantined)
	counter("cunyou_hub_ops_dead_lettered_total", "Ops received that can never be applied.", ms.DeadLettered)
	counter("cunyou_hub_ops_clock_skewed_total", "Ops applied whose clock was ahead of the hub's by more than the allowed skew.", ms.Skewed)
	counter("cunyou_hub_exceptions_total", "Contradicting facts raised for a dispatcher.", ms.Exceptions)
	counter("cunyou_hub_batches_merged_total", "Ops batches merged.", ms.Batches)
	counter("cunyou_hub_commits_total", "Merge transactions committed (group commits).", ms.Commits)
	metric("cunyou_hub_writer_busy_seconds_total", "counter", "Time the merge writer spent in transactions.")
	fmt.Fprintf(&b, "cunyou_hub_writer_busy_seconds_total %.3f\n", ms.WriterBusy.Seconds())
	counter("cunyou_hub_busy_total", "Requests told to come back later (503/429).", s.busyTotal.Load())

	metric("cunyou_hub_batches_rejected_total", "counter", "Ops batches refused, by code.")
	s.rejMu.Lock()
	codes := make([]syncproto.Code, 0, len(s.rejected))
	for c := range s.rejected {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		fmt.Fprintf(&b, "cunyou_hub_batches_rejected_total{code=%q} %d\n", c.String(), s.rejected[c])
	}
	s.rejMu.Unlock()

	metric("cunyou_hub_merges_in_flight", "gauge", "Ops merges in progress.")
	fmt.Fprintf(&b, "cunyou_hub_merges_in_flight %d\n", s.merges.InUse())
	metric("cunyou_hub_uploads_in_flight", "gauge", "Ops uploads in progress (reading or merging).")
	fmt.Fprintf(&b, "cunyou_hub_uploads_in_flight %d\n", s.uploads.InUse())

	perStation := func(name, help string, v func(store.Station) string) {
		metric(name, "gauge", help)
		for _, st := range stations {
			fmt.Fprintf(&b, "%s{station=\"%s\"} %s\n", name, label(st.ID), v(st))
		}
	}
	perStation("cunyou_hub_station_lag_seconds", "Hub time minus the clock of the station's newest applied op.",
		func(st store.Station) string { return fmt.Sprintf("%.3f", st.Lag(now).Seconds()) })
	perStation("cunyou_hub_station_last_contact_seconds", "Seconds since the station's last hello or upload (-1: never).",
		func(st store.Station) string {
			if st.LastContact.IsZero() {
				return "-1"
			}
			return fmt.Sprintf("%.0f", now.Sub(st.LastContact).Seconds())
		})
	perStation("cunyou_hub_station_skew_seconds", "Station clock minus hub clock at the last hello.",
		func(st store.Station) string { return fmt.Sprintf("%.3f", st.LastSkew.Seconds()) })
	perStation("cunyou_hub_station_dead_letters", "Dead letters of the station.",
		func(st store.Station) string { return fmt.Sprint(st.DeadLetters) })
	perStation("cunyou_hub_station_quarantined", "Quarantined ops of the station.",
		func(st store.Station) string { return fmt.Sprint(st.Quarantined) })
	metric("cunyou_hub_station_acked_seq", "gauge", "Highest seq the hub holds durably, per station and incarnation.")
	for _, st := range stations {
		incs := make([]string, 0, len(st.Cursors))
		for inc := range st.Cursors {
			incs = append(incs, inc)
		}
		slices.Sort(incs)
		for _, inc := range incs {
			fmt.Fprintf(&b, "cunyou_hub_station_acked_seq{station=\"%s\",incarnation=\"%s\"} %d\n", label(st.ID), label(inc), st.Cursors[inc])
		}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}

// label escapes a Prometheus label value.
func label(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
