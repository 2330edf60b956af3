package station

import (
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

func TestCentreApplyChanges(t *testing.T) {
	e := newCentreEnv(t)
	changes := []syncproto.Change{
		change(t, 1, syncproto.ChangeTrip, testTrips[0]),
		change(t, 2, syncproto.ChangeTrip, testTrips[2]),
		change(t, 3, syncproto.ChangeManifest, to(1, "ST-V0202", "L1-0700")),
		change(t, 4, syncproto.ChangeManifest, ManifestEntry{Waybill: zto(2), Carrier: "ZTO", ReceiverPhone: "110", Station: "ST-V0101"}),
		change(t, 5, syncproto.ChangeManifest, ManifestEntry{Waybill: zto(3), Carrier: "zto"}),
		change(t, 6, syncproto.ChangeManifestCancel, syncproto.ManifestCancel{Waybill: zto(3)}),
		// Refused, without holding anything up.
		change(t, 7, syncproto.ChangeTrip, syncproto.Trip{ID: "L2-0700", Line: "L2", Date: "2025-03-10", Departure: "07:00", Stops: []string{centreNode}}),
		change(t, 8, syncproto.ChangeTrip, syncproto.Trip{ID: "L2 0700", Line: "L2", Date: "2025-03-10", Departure: "07:00", Stops: []string{centreNode, "ST-V0501"}}),
		change(t, 9, syncproto.ChangeTrip, syncproto.Trip{ID: "L2-0700", Line: "L2", Date: "10.3.2025", Departure: "07:00", Stops: []string{centreNode, "ST-V0501"}}),
		change(t, 10, syncproto.ChangeTrip, syncproto.Trip{ID: "L2-0700", Line: "L2", Date: "2025-03-10", Departure: "7:00", Stops: []string{centreNode, "ST-V0501"}}),
		change(t, 11, syncproto.ChangeManifest, ManifestEntry{Waybill: zto(4), Carrier: "zto", Station: "ST V0101"}),
		change(t, 12, syncproto.ChangeManifest, ManifestEntry{Waybill: "bad!", Carrier: "zto"}),
	}
	res, err := e.s.ApplyChanges(e.ctx, changes, 12)
	require.NoError(t, err)
	assert.Equal(t, 6, res.Applied)
	var refused []uint64
	for _, r := range res.Refused {
		refused = append(refused, r.Seq)
	}
	assert.Equal(t, []uint64{7, 8, 9, 10, 11, 12}, refused)
	assert.Equal(t, uint64(12), e.downCursor(t))
	assert.Zero(t, e.lastSeq(t), "the hub's facts record no op")

	m, err := centreManifest(e.ctx, e.st.DB(), zto(1))
	require.NoError(t, err)
	require.NotNil(t, m)
	assert.Equal(t, "ST-V0202", m.Station)
	assert.Equal(t, "L1-0700", m.Trip)
	m, err = centreManifest(e.ctx, e.st.DB(), zto(2))
	require.NoError(t, err)
	require.NotNil(t, m, "a bad phone does not keep a destination from the centre")
	assert.Equal(t, "", m.ReceiverPhone)
	assert.Equal(t, "zto", m.Carrier)
	m, err = centreManifest(e.ctx, e.st.DB(), zto(3))
	require.NoError(t, err)
	assert.Nil(t, m, "cancelled")

	trips, err := e.s.Trips(e.ctx, "")
	require.NoError(t, err)
	require.Len(t, trips, 2)
	assert.Equal(t, "L1-0700", trips[0].ID)
	assert.Equal(t, []string{centreNode, "ST-V0201", "ST-V0202", "ST-V0203", centreNode}, trips[0].Stops)
	assert.Equal(t, TripPlanned, trips[0].State)
	assert.Equal(t, 1, trips[0].Expected)

	// Applying the same changes again changes nothing.
	before := e.snapshot(t)
	_, err = e.s.ApplyChanges(e.ctx, changes, 12)
	require.NoError(t, err)
	assert.Equal(t, before, e.snapshot(t))

	// A trip the centre saw leave keeps its departure whatever the hub
	// says of it later; its other fields follow the hub.
	_, err = e.s.Depart(e.ctx, clerk, "L9-0800")
	require.NoError(t, err)
	later := testTrips[2]
	later.Vehicle, later.Cancelled = "黑M99999", true
	res, err = e.s.ApplyChanges(e.ctx, []syncproto.Change{change(t, 13, syncproto.ChangeTrip, later)}, 13)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Applied)
	tm, err := e.s.TripManifest(e.ctx, "L9-0800")
	require.NoError(t, err)
	assert.Equal(t, TripDeparted, tm.Trip.State)
	assert.Equal(t, "黑M99999", tm.Trip.Vehicle)
}

// A station keeps its own behaviour: no trips, and its manifest keeps no
// destination.
func TestStationIgnoresCentreChanges(t *testing.T) {
	e := newEnv(t)
	res, err := e.s.ApplyChanges(e.ctx, []syncproto.Change{
		change(t, 1, syncproto.ChangeTrip, testTrips[0]),
		change(t, 2, syncproto.ChangeManifest, to(1, "ST-V0202", "L1-0700")),
	}, 2)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Applied)
	require.Len(t, res.Refused, 1)
	assert.Equal(t, uint64(1), res.Refused[0].Seq)
	assert.Zero(t, e.countRows(t, "trips"))
	var station, trip string
	require.NoError(t, e.st.DB().QueryRowContext(e.ctx, "SELECT station, trip FROM manifest WHERE waybill = ?", zto(1)).Scan(&station, &trip))
	assert.Equal(t, "", station)
	assert.Equal(t, "", trip)
}

func TestCentreOnlyOnCentre(t *testing.T) {
	e := newEnv(t)
	calls := map[string]func() error{
		"ScanIn": func() error { _, err := e.s.ScanIn(e.ctx, clerk, ScanInput{Waybill: zto(1)}); return err },
		"Load": func() error {
			_, err := e.s.Load(e.ctx, clerk, LoadInput{Waybill: zto(1), Trip: "L1-0700"})
			return err
		},
		"Depart": func() error { _, err := e.s.Depart(e.ctx, clerk, "L1-0700"); return err },
		"Collect": func() error {
			_, err := e.s.Collect(e.ctx, clerk, CollectInput{Waybill: zto(1), Direction: "out"})
			return err
		},
		"ConfirmHandover": func() error {
			_, err := e.s.ConfirmHandover(e.ctx, clerk, HandoverInput{Carrier: "zto", Waybills: []string{zto(1)}})
			return err
		},
		"HandoverDraft":       func() error { _, err := e.s.HandoverDraft(e.ctx, "zto"); return err },
		"HandoverList":        func() error { _, err := e.s.HandoverList(e.ctx, "HO-20250310-zto-001"); return err },
		"Handovers":           func() error { _, err := e.s.Handovers(e.ctx, ""); return err },
		"PendingHandovers":    func() error { _, err := e.s.PendingHandovers(e.ctx); return err },
		"Trips":               func() error { _, err := e.s.Trips(e.ctx, ""); return err },
		"TripManifest":        func() error { _, err := e.s.TripManifest(e.ctx, "L1-0700"); return err },
		"CentreParcels":       func() error { _, err := e.s.CentreParcels(e.ctx, "", 0); return err },
		"CentreTimelines":     func() error { _, err := e.s.CentreTimelines(e.ctx, zto(1)); return err },
		"PrintJobs":           func() error { _, err := e.s.PrintJobs(e.ctx, PrintJobFilter{}); return err },
		"Reprint":             func() error { _, err := e.s.Reprint(e.ctx, clerk, 1); return err },
		"ApplyTrips":          func() error { return e.s.ApplyTrips(e.ctx, testTrips) },
		"ApplyCentreManifest": func() error { return e.s.ApplyCentreManifest(e.ctx, []ManifestEntry{to(1, "ST-V0202", "")}) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) { e.refused(t, CodeNotCentre, call) })
	}
}

func TestCentreScanIn(t *testing.T) {
	manifest := []ManifestEntry{
		to(1, "ST-V0202", "L1-0700"),    // planned trip
		to(2, "ST-V0101", ""),           // no trip planned: the first going there
		to(3, "ST-V0101", "L5-0900"),    // planned trip cancelled
		to(4, "ST-V0999", ""),           // no trip goes there
		to(5, "", ""),                   // in the manifest, unresolved
		to(6, "ST-V0203", "L1-1330"),    // planned on the later trip: kept
		to(7, "ST-V0202", "L7-0000"),    // planned trip unknown here
		to(8, "ST-V0101", "L1-0700"),    // planned trip does not stop there
		{Waybill: sf(9), Carrier: "sf"}, // no destination, no receiver
	}
	tests := []struct {
		name        string
		in          ScanInput
		wantOutcome string
		wantStation string
		wantTrip    string
		wantCode    string
		wantStop    int
		wantStatus  string
		wantCarrier string
		manifested  bool
	}{
		{"planned trip", ScanInput{Waybill: zto(1)}, SortSorted, "ST-V0202", "L1-0700", "L1-02", 2, StatusSorted, "zto", true},
		{"first trip there", ScanInput{Waybill: zto(2)}, SortSorted, "ST-V0101", "L9-0800", "L9-01", 1, StatusSorted, "zto", true},
		{"cancelled plan", ScanInput{Waybill: zto(3)}, SortSorted, "ST-V0101", "L9-0800", "L9-01", 1, StatusSorted, "zto", true},
		{"no trip", ScanInput{Waybill: zto(4)}, SortNoTrip, "ST-V0999", "", "V0999", 0, StatusSorted, "zto", true},
		{"unresolved", ScanInput{Waybill: zto(5)}, SortUnresolved, "", "", SortCodeUnresolved, 0, StatusAtCentre, "zto", true},
		{"later trip kept", ScanInput{Waybill: zto(6)}, SortSorted, "ST-V0203", "L1-1330", "L1-03", 3, StatusSorted, "zto", true},
		{"unknown plan", ScanInput{Waybill: zto(7)}, SortSorted, "ST-V0202", "L1-0700", "L1-02", 2, StatusSorted, "zto", true},
		{"plan misses station", ScanInput{Waybill: zto(8)}, SortSorted, "ST-V0101", "L9-0800", "L9-01", 1, StatusSorted, "zto", true},
		{"manifest without destination", ScanInput{Waybill: sf(9)}, SortUnresolved, "", "", SortCodeUnresolved, 0, StatusAtCentre, "sf", true},
		{"not in manifest", ScanInput{Waybill: yto(10)}, SortUnresolved, "", "", SortCodeUnresolved, 0, StatusAtCentre, "yto", false},
		{"not in manifest, carrier given", ScanInput{Waybill: "ZZ12345678", Carrier: "jd"}, SortUnresolved, "", "", SortCodeUnresolved, 0, StatusAtCentre, "jd", false},
		{"scanner suffix, lower case", ScanInput{Waybill: "yt0000000000011\r\n"}, SortUnresolved, "", "", SortCodeUnresolved, 0, StatusAtCentre, "yto", false},
		{"carrier typed over manifest", ScanInput{Waybill: zto(1), Carrier: "sto"}, SortSorted, "ST-V0202", "L1-0700", "L1-02", 2, StatusSorted, "sto", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCentreEnv(t)
			e.centreDay(t, manifest...)
			var res ScanResult
			op := e.centreOp(t, syncproto.KindParcelAtCentre, func() {
				var err error
				res, err = e.s.ScanIn(e.ctx, clerk, tt.in)
				require.NoError(t, err)
			})
			assert.False(t, res.Repeat)
			d := res.Decision
			assert.Equal(t, tt.wantOutcome, d.Outcome)
			assert.Equal(t, tt.wantStation, d.Station)
			assert.Equal(t, tt.wantTrip, d.Trip)
			assert.Equal(t, tt.wantCode, d.SortCode)
			assert.Equal(t, tt.wantStop, d.Stop)
			if tt.wantStation != "" {
				assert.Equal(t, tt.wantStation, d.StationName, "no names from the hub: the id is shown")
				assert.Equal(t, tt.wantStation[3:], d.Village)
			}
			if tt.wantTrip != "" {
				for _, tr := range testTrips {
					if tr.ID == tt.wantTrip {
						assert.Equal(t, tr.LineName, d.LineName)
						assert.Equal(t, tr.Departure, d.Departure)
					}
				}
			}

			p := res.Parcel
			assert.Equal(t, tt.wantStatus, p.Status)
			assert.Equal(t, FlowIn, p.Flow)
			assert.Equal(t, tt.wantCarrier, p.Carrier)
			assert.Equal(t, tt.wantStation, p.Station)
			assert.Equal(t, tt.wantTrip, p.Trip)
			assert.Equal(t, tt.wantCode, p.SortCode)
			assert.Equal(t, tt.manifested, p.Manifested)
			assert.Equal(t, t0, p.ScannedAt.In(cst))

			ev := payload[syncproto.ParcelAtCentre](t, op)
			assert.Equal(t, p.Waybill, ev.Waybill)
			assert.Equal(t, tt.wantCarrier, ev.Carrier)
			assert.Equal(t, tt.wantStation, ev.Station)
			assert.Equal(t, tt.wantTrip, ev.Trip)
			assert.Equal(t, tt.manifested, ev.Manifested)
			assert.Equal(t, clerk, op.Actor)

			require.NotZero(t, res.LabelJob)
			job, l := e.label(t, res.LabelJob)
			assert.Equal(t, PrintSortLabel, job.Kind)
			assert.Equal(t, PrintQueued, job.Status)
			assert.Equal(t, p.Waybill, job.Waybill)
			assert.Equal(t, SortLabel{
				Waybill: p.Waybill, Carrier: tt.wantCarrier, CarrierName: carrierName(tt.wantCarrier),
				Station: d.Station, StationName: d.StationName, Village: d.Village, Trip: d.Trip, Line: d.Line,
				LineName: d.LineName, Date: d.Date, Departure: d.Departure, SortCode: tt.wantCode,
				Unresolved: tt.wantOutcome == SortUnresolved,
			}, l)
			assert.NotContains(t, string(job.Payload), "138", "no receiver phone on a sort label")

			evs := e.centreEvents(t, p.Waybill, FlowIn)
			require.Len(t, evs, 1)
			assert.Equal(t, op.Seq, evs[0].Seq)
			if tt.wantStatus == StatusAtCentre {
				assert.Equal(t, cevAtCentre, evs[0].Kind)
			} else {
				assert.Equal(t, cevSorted, evs[0].Kind)
			}
		})
	}
}

func TestCentreScanInRefused(t *testing.T) {
	e := newCentreEnv(t)
	e.centreDay(t, to(1, "ST-V0202", ""))
	e.collect(t, sf(2), syncproto.CollectedOutbound)
	err := e.refused(t, CodeParcelCollected, func() error { _, err := e.s.ScanIn(e.ctx, clerk, ScanInput{Waybill: sf(2)}); return err })
	assert.Equal(t, map[string]string{"waybill": sf(2), "when": "03-10 09:00"}, ArgsOf(err))
	e.refused(t, CodeWaybillInvalid, func() error { _, err := e.s.ScanIn(e.ctx, clerk, ScanInput{Waybill: "ab"}); return err })
	e.refused(t, CodeCarrierUnknown, func() error { _, err := e.s.ScanIn(e.ctx, clerk, ScanInput{Waybill: "QQ12345678"}); return err })
	e.refused(t, CodeCarrierUnknown, func() error {
		_, err := e.s.ScanIn(e.ctx, clerk, ScanInput{Waybill: zto(1), Carrier: "dhl"})
		return err
	})
}

func TestCentreScanRepeat(t *testing.T) {
	e := newCentreEnv(t)
	e.centreDay(t, to(1, "ST-V0202", "L1-0700"), to(2, "", ""))
	first := e.scan(t, zto(1))
	unresolved := e.scan(t, zto(2))
	e.load(t, zto(1), "L1-0700")

	check := func(t *testing.T, wb string, want ScanResult) {
		t.Helper()
		before := e.snapshot(t)
		var res ScanResult
		e.noOp(t, func() {
			var err error
			res, err = e.s.ScanIn(e.ctx, clerk, ScanInput{Waybill: wb})
			require.NoError(t, err)
		})
		assert.True(t, res.Repeat)
		assert.False(t, res.Resorted)
		assert.Zero(t, res.LabelJob, "no second label: reprint the first")
		assert.Equal(t, want.Decision, res.Decision, "the same sort decision")
		assert.Equal(t, before, e.snapshot(t), "a repeat scan changes nothing")
	}
	check(t, zto(1), first)
	check(t, zto(2), unresolved)

	// After a restart, the same.
	e.reopen(t)
	check(t, zto(1), first)
	check(t, zto(2), unresolved)
}

func TestCentreResort(t *testing.T) {
	e := newCentreEnv(t)
	e.centreDay(t, to(1, "", ""), to(2, "ST-V0202", "L1-0700"), to(3, "ST-V0101", ""))
	e.scan(t, zto(1))
	e.scan(t, zto(2))
	e.scan(t, zto(3))

	// The dispatcher assigns the unresolved parcel: the hub sends its
	// entry again, with a destination. Scanned again, it is sorted.
	require.NoError(t, e.s.ApplyCentreManifest(e.ctx, []ManifestEntry{to(1, "ST-V0203", "")}))
	var res ScanResult
	op := e.centreOp(t, syncproto.KindParcelAtCentre, func() {
		var err error
		res, err = e.s.ScanIn(e.ctx, clerk, ScanInput{Waybill: zto(1)})
		require.NoError(t, err)
	})
	assert.True(t, res.Resorted)
	assert.False(t, res.Repeat)
	assert.Equal(t, "L1-0700", res.Decision.Trip)
	assert.Equal(t, "L1-03", res.Decision.SortCode)
	assert.Equal(t, StatusSorted, res.Parcel.Status)
	ev := payload[syncproto.ParcelAtCentre](t, op)
	assert.Equal(t, "ST-V0203", ev.Station)
	assert.Equal(t, "L1-0700", ev.Trip)
	_, l := e.label(t, res.LabelJob)
	assert.Equal(t, "L1-03", l.SortCode)
	assert.False(t, l.Unresolved)
	assert.Equal(t, []string{cevAtCentre, cevSorted}, kinds(e.centreEvents(t, zto(1), FlowIn)))

	// The trip it was sorted to leaves without it: scanned again, it goes
	// to the next trip there.
	e.clock.Advance(time.Hour)
	_, err := e.s.Depart(e.ctx, clerk, "L1-0700")
	require.NoError(t, err)
	res, err = e.s.ScanIn(e.ctx, clerk, ScanInput{Waybill: zto(2)})
	require.NoError(t, err)
	assert.True(t, res.Resorted)
	assert.Equal(t, "L1-1330", res.Decision.Trip)
	assert.Equal(t, "L1-1330", e.centreParcel(t, zto(2), FlowIn).Trip)

	// A destination withdrawn by the hub leaves the decision as it was.
	require.NoError(t, e.s.ApplyCentreManifest(e.ctx, []ManifestEntry{to(3, "", "")}))
	e.noOp(t, func() {
		res, err = e.s.ScanIn(e.ctx, clerk, ScanInput{Waybill: zto(3)})
		require.NoError(t, err)
	})
	assert.True(t, res.Repeat)
	assert.Equal(t, "ST-V0101", res.Decision.Station)
	// Another destination re-sorts it.
	require.NoError(t, e.s.ApplyCentreManifest(e.ctx, []ManifestEntry{to(3, "ST-V0201", "")}))
	res, err = e.s.ScanIn(e.ctx, clerk, ScanInput{Waybill: zto(3)})
	require.NoError(t, err)
	assert.True(t, res.Resorted)
	assert.Equal(t, "L1-01", res.Decision.SortCode)
}

func kinds(evs []evRow) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Kind)
	}
	return out
}

func TestCentreLoad(t *testing.T) {
	manifest := []ManifestEntry{to(1, "ST-V0202", "L1-0700"), to(2, "ST-V0101", ""), to(3, "", "")}
	tests := []struct {
		name         string
		prepare      func(t *testing.T, e *env)
		in           LoadInput
		wantCode     Code   // without force
		wantOverride []Code // with force; nil: force changes nothing
	}{
		{"right trip", nil, LoadInput{Waybill: zto(1), Trip: "L1-0700", Bag: "B-07"}, "", nil},
		{"another trip that stops there", nil, LoadInput{Waybill: zto(1), Trip: "L1-1330"}, "", nil},
		{"wrong trip", nil, LoadInput{Waybill: zto(2), Trip: "L1-0700"}, CodeLoadWrongTrip, []Code{CodeLoadWrongTrip}},
		{"unresolved", nil, LoadInput{Waybill: zto(3), Trip: "L1-0700"}, CodeParcelUnresolved, []Code{CodeParcelUnresolved}},
		{"loaded elsewhere", func(t *testing.T, e *env) { e.load(t, zto(1), "L1-1330") },
			LoadInput{Waybill: zto(1), Trip: "L1-0700"}, CodeLoadedElsewhere, []Code{CodeLoadedElsewhere}},
		{"loaded elsewhere, wrong trip", func(t *testing.T, e *env) { e.load(t, zto(1), "L1-1330") },
			LoadInput{Waybill: zto(1), Trip: "L9-0800"}, CodeLoadedElsewhere, []Code{CodeLoadedElsewhere, CodeLoadWrongTrip}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, force := range []bool{false, true} {
				t.Run(fmt.Sprint("force=", force), func(t *testing.T) {
					e := newCentreEnv(t)
					e.centreDay(t, manifest...)
					for _, wb := range []string{zto(1), zto(2), zto(3)} {
						e.scan(t, wb)
					}
					before := e.centreParcel(t, tt.in.Waybill, FlowIn)
					if tt.prepare != nil {
						tt.prepare(t, e)
						before = e.centreParcel(t, tt.in.Waybill, FlowIn)
					}
					in := tt.in
					in.Force = force
					if tt.wantCode != "" && !force {
						err := e.refused(t, tt.wantCode, func() error { _, err := e.s.Load(e.ctx, clerk, in); return err })
						assert.Equal(t, in.Waybill, ArgsOf(err)["waybill"])
						return
					}
					var res LoadResult
					op := e.centreOp(t, syncproto.KindParcelLoaded, func() {
						var err error
						res, err = e.s.Load(e.ctx, clerk, in)
						require.NoError(t, err)
					})
					assert.Equal(t, syncproto.ParcelLoaded{Waybill: in.Waybill, Trip: in.Trip, Bag: in.Bag}, payload[syncproto.ParcelLoaded](t, op))
					assert.False(t, res.Repeat)
					assert.Equal(t, tt.wantOverride, res.Overridden)
					p := res.Parcel
					assert.Equal(t, StatusLoaded, p.Status)
					assert.Equal(t, in.Trip, p.LoadedTrip)
					assert.Equal(t, in.Bag, p.Bag)
					assert.Equal(t, len(tt.wantOverride) > 0, p.Forced)
					assert.Equal(t, before.Trip, p.Trip, "the sort decision stays as it was printed")
					assert.Equal(t, in.Trip, res.Trip.ID)
					assert.Equal(t, 1, res.Trip.Loaded)
					last := e.centreEvents(t, in.Waybill, FlowIn)
					ev := last[len(last)-1]
					assert.Equal(t, cevLoaded, ev.Kind)
					assert.Equal(t, op.Seq, ev.Seq)
					for _, c := range tt.wantOverride {
						assert.Contains(t, ev.Detail, "forced:"+string(c), "the override is recorded")
					}
					if before.Status == StatusLoaded {
						assert.Equal(t, before.LoadedTrip, res.MovedFrom)
						tm, err := e.s.TripManifest(e.ctx, before.LoadedTrip)
						require.NoError(t, err)
						assert.Empty(t, tm.Loaded, "moved off its first trip")
					}
				})
			}
		})
	}
}

func TestCentreLoadRefused(t *testing.T) {
	e := newCentreEnv(t)
	e.centreDay(t, to(1, "ST-V0202", "L1-0700"), to(2, "ST-V0101", ""), to(3, "ST-V0201", ""))
	e.scan(t, zto(1))
	e.scan(t, zto(2))
	e.scan(t, zto(3))
	e.load(t, zto(2), "L9-0800")
	e.collect(t, sf(50), syncproto.CollectedOutbound)
	_, err := e.s.Depart(e.ctx, clerk, "L9-0800")
	require.NoError(t, err)

	tests := []struct {
		name string
		in   LoadInput
		code Code
		args map[string]string
	}{
		{"bad waybill", LoadInput{Waybill: "ab", Trip: "L1-0700"}, CodeWaybillInvalid, nil},
		{"no trip", LoadInput{Waybill: zto(1)}, CodeCentreTripIDInvalid, nil},
		{"bad bag", LoadInput{Waybill: zto(1), Trip: "L1-0700", Bag: "袋1"}, CodeBagInvalid, nil},
		{"unknown trip", LoadInput{Waybill: zto(1), Trip: "L1-2300"}, CodeTripNotFound, map[string]string{"trip": "L1-2300"}},
		{"cancelled trip", LoadInput{Waybill: zto(2), Trip: "L5-0900", Force: true}, CodeTripCancelled, map[string]string{"trip": "L5-0900"}},
		{"departed trip", LoadInput{Waybill: zto(3), Trip: "L9-0800", Force: true}, CodeTripDeparted, map[string]string{"trip": "L9-0800", "when": "03-10 09:00"}},
		{"not scanned in", LoadInput{Waybill: zto(9), Trip: "L1-0700", Force: true}, CodeParcelNotScanned, map[string]string{"waybill": zto(9)}},
		{"only collected", LoadInput{Waybill: sf(50), Trip: "L1-0700", Force: true}, CodeParcelNotScanned, map[string]string{"waybill": sf(50)}},
		{"parcel gone", LoadInput{Waybill: zto(2), Trip: "L1-0700", Force: true}, CodeParcelDeparted,
			map[string]string{"waybill": zto(2), "trip": "L9-0800", "when": "03-10 09:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.refused(t, tt.code, func() error { _, err := e.s.Load(e.ctx, clerk, tt.in); return err })
			if tt.args != nil {
				assert.Equal(t, tt.args, ArgsOf(err))
			}
		})
	}

	// A duplicate load is a repeat: nothing changes, no op.
	e.load(t, zto(1), "L1-0700")
	before := e.snapshot(t)
	for _, force := range []bool{false, true} {
		e.noOp(t, func() {
			res, err := e.s.Load(e.ctx, clerk, LoadInput{Waybill: zto(1), Trip: "L1-0700", Bag: "B-9", Force: force})
			require.NoError(t, err)
			assert.True(t, res.Repeat)
			assert.Equal(t, "", res.Parcel.Bag, "the bag as first recorded")
			assert.Equal(t, 1, res.Trip.Loaded)
		})
	}
	e.reopen(t)
	res, err := e.s.Load(e.ctx, clerk, LoadInput{Waybill: zto(1), Trip: "L1-0700"})
	require.NoError(t, err)
	assert.True(t, res.Repeat, "after a restart too")
	assert.Equal(t, before, e.snapshot(t))
}

func TestCentreDepart(t *testing.T) {
	e := newCentreEnv(t)
	e.centreDay(t, to(1, "ST-V0202", "L1-0700"), to(2, "ST-V0201", ""), to(3, "ST-V0203", ""), to(4, "ST-V0101", ""))
	for n := 1; n <= 4; n++ {
		e.scan(t, zto(n))
	}
	e.load(t, zto(2), "L1-0700")
	e.load(t, zto(1), "L1-0700")
	e.load(t, zto(3), "L1-1330")

	// A restart between loading and departure loses nothing.
	e.reopen(t)
	e.clock.Advance(10 * time.Minute)
	var res DepartResult
	op := e.centreOp(t, syncproto.KindTripDeparted, func() {
		var err error
		res, err = e.s.Depart(e.ctx, clerk, "L1-0700")
		require.NoError(t, err)
	})
	want := []string{zto(2), zto(1)}
	assert.Equal(t, syncproto.TripDeparted{Trip: "L1-0700", Vehicle: "黑M12345", Driver: "赵师傅", Waybills: want}, payload[syncproto.TripDeparted](t, op))
	assert.False(t, res.Repeat)
	assert.Equal(t, want, res.Waybills)
	assert.Equal(t, TripDeparted, res.Trip.State)
	assert.Equal(t, clerk, res.Trip.DepartedBy)
	assert.Equal(t, 2, res.Trip.Loaded)
	for _, wb := range want {
		p := e.centreParcel(t, wb, FlowIn)
		assert.Equal(t, StatusInTransit, p.Status)
		require.NotNil(t, p.DepartedAt)
		evs := e.centreEvents(t, wb, FlowIn)
		assert.Equal(t, evRow{Kind: cevDeparted, Seq: op.Seq, Actor: clerk, Detail: "L1-0700"}, evs[len(evs)-1])
	}
	assert.Equal(t, StatusLoaded, e.centreParcel(t, zto(3), FlowIn).Status, "another trip's load stays")

	// Later loads are refused; departing again is a repeat.
	e.refused(t, CodeTripDeparted, func() error {
		_, err := e.s.Load(e.ctx, clerk, LoadInput{Waybill: zto(4), Trip: "L1-0700", Force: true})
		return err
	})
	e.refused(t, CodeParcelDeparted, func() error { _, err := e.s.ScanIn(e.ctx, clerk, ScanInput{Waybill: zto(1)}); return err })
	e.noOp(t, func() {
		again, err := e.s.Depart(e.ctx, clerk, "L1-0700")
		require.NoError(t, err)
		assert.True(t, again.Repeat)
		assert.Equal(t, want, again.Waybills)
	})
	e.reopen(t)
	e.noOp(t, func() {
		again, err := e.s.Depart(e.ctx, owner, "L1-0700")
		require.NoError(t, err)
		assert.True(t, again.Repeat)
		assert.Equal(t, clerk, again.Trip.DepartedBy)
	})

	// An empty trip leaves too; a cancelled or unknown one does not.
	op = e.centreOp(t, syncproto.KindTripDeparted, func() {
		res, err := e.s.Depart(e.ctx, clerk, "L9-0800")
		require.NoError(t, err)
		assert.Equal(t, []string{}, res.Waybills)
	})
	assert.Equal(t, []string{}, payload[syncproto.TripDeparted](t, op).Waybills)
	e.refused(t, CodeTripCancelled, func() error { _, err := e.s.Depart(e.ctx, clerk, "L5-0900"); return err })
	e.refused(t, CodeTripNotFound, func() error { _, err := e.s.Depart(e.ctx, clerk, "L1-2300"); return err })
	e.refused(t, CodeCentreTripIDInvalid, func() error { _, err := e.s.Depart(e.ctx, clerk, ""); return err })
}

func TestCentreCollect(t *testing.T) {
	tests := []struct {
		name        string
		in          CollectInput
		wantCarrier string
	}{
		{"outbound, carrier from the number", CollectInput{Waybill: sf(1), Direction: "out"}, "sf"},
		{"outbound, carrier given", CollectInput{Waybill: "78100000000001", Direction: "out", Carrier: "zto", From: "ST-V0101", Trip: "L9-0800"}, "zto"},
		{"return, carrier from the manifest", CollectInput{Waybill: "4300000000000002", Direction: "return", From: "ST-V0202"}, "yunda"},
		{"return, carrier from its scan in", CollectInput{Waybill: "ZZ12345678", Direction: "return"}, "jd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCentreEnv(t)
			e.centreDay(t, ManifestEntry{Waybill: "4300000000000002", Carrier: "yunda", Station: "ST-V0202"})
			_, err := e.s.ScanIn(e.ctx, clerk, ScanInput{Waybill: "ZZ12345678", Carrier: "jd"})
			require.NoError(t, err)
			var res CollectResult
			op := e.centreOp(t, syncproto.KindParcelCollected, func() {
				res, err = e.s.Collect(e.ctx, clerk, tt.in)
				require.NoError(t, err)
			})
			assert.Equal(t, syncproto.ParcelCollected{Waybill: res.Parcel.Waybill, Carrier: tt.wantCarrier, Direction: tt.in.Direction,
				From: tt.in.From, Trip: tt.in.Trip}, payload[syncproto.ParcelCollected](t, op))
			p := res.Parcel
			assert.Equal(t, FlowBack, p.Flow)
			assert.Equal(t, StatusCollected, p.Status)
			assert.Equal(t, tt.wantCarrier, p.Carrier)
			assert.Equal(t, tt.in.Direction, p.Direction)
			assert.Equal(t, tt.in.From, p.From)
			assert.Equal(t, tt.in.Trip, p.Trip)

			// A duplicate is a repeat, before and after a restart.
			for range 2 {
				e.noOp(t, func() {
					again, err := e.s.Collect(e.ctx, clerk, CollectInput{Waybill: tt.in.Waybill, Direction: "out"})
					require.NoError(t, err)
					assert.True(t, again.Repeat)
					assert.Equal(t, p, again.Parcel)
				})
				e.reopen(t)
			}
		})
	}
}

func TestCentreCollectRefused(t *testing.T) {
	e := newCentreEnv(t)
	e.centreDay(t)
	e.refused(t, CodeWaybillInvalid, func() error {
		_, err := e.s.Collect(e.ctx, clerk, CollectInput{Waybill: "ab", Direction: "out"})
		return err
	})
	e.refused(t, CodeDirectionInvalid, func() error { _, err := e.s.Collect(e.ctx, clerk, CollectInput{Waybill: sf(1)}); return err })
	e.refused(t, CodeDirectionInvalid, func() error {
		_, err := e.s.Collect(e.ctx, clerk, CollectInput{Waybill: sf(1), Direction: "in"})
		return err
	})
	e.refused(t, CodeStationInvalid, func() error {
		_, err := e.s.Collect(e.ctx, clerk, CollectInput{Waybill: sf(1), Direction: "out", From: "南岗村"})
		return err
	})
	e.refused(t, CodeCentreTripIDInvalid, func() error {
		_, err := e.s.Collect(e.ctx, clerk, CollectInput{Waybill: sf(1), Direction: "out", Trip: "L1 0700"})
		return err
	})
	e.refused(t, CodeCarrierUnknown, func() error {
		_, err := e.s.Collect(e.ctx, clerk, CollectInput{Waybill: "QQ12345678", Direction: "out"})
		return err
	})
	e.refused(t, CodeCarrierUnknown, func() error {
		_, err := e.s.Collect(e.ctx, clerk, CollectInput{Waybill: sf(1), Direction: "out", Carrier: "dhl"})
		return err
	})
}

func TestCentreHandover(t *testing.T) {
	e := newCentreEnv(t)
	e.centreDay(t)
	for n := 1; n <= 3; n++ {
		e.collect(t, zto(n), "out")
		e.clock.Advance(time.Minute)
	}
	e.collect(t, zto(4), "return")
	e.collect(t, sf(5), "out")

	pending, err := e.s.PendingHandovers(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, []CarrierPending{{Carrier: "sf", CarrierName: "顺丰", Parcels: 1}, {Carrier: "zto", CarrierName: "中通", Parcels: 4}}, pending)
	draft, err := e.s.HandoverDraft(e.ctx, "ZTO")
	require.NoError(t, err)
	assert.Equal(t, "", draft.List, "a draft has no number")
	assert.Equal(t, 4, draft.Count)
	assert.Equal(t, []string{zto(1), zto(2), zto(3), zto(4)}, lineWaybills(draft.Lines))
	assert.Equal(t, "return", draft.Lines[3].Direction)

	// The courier takes three of the four: one op with every waybill.
	var h Handover
	op := e.centreOp(t, syncproto.KindParcelsHandedOver, func() {
		h, err = e.s.ConfirmHandover(e.ctx, clerk, HandoverInput{Carrier: "zto", Courier: " 钱师傅 ", Waybills: []string{zto(1), zto(2), " " + zto(2), zto(4)}})
		require.NoError(t, err)
	})
	assert.Equal(t, syncproto.ParcelsHandedOver{Carrier: "zto", List: "HO-20250310-zto-001", Courier: "钱师傅", Waybills: []string{zto(1), zto(2), zto(4)}},
		payload[syncproto.ParcelsHandedOver](t, op))
	assert.Equal(t, "HO-20250310-zto-001", h.List)
	assert.Equal(t, "2025-03-10", h.Date)
	assert.Equal(t, 3, h.Count)
	assert.Equal(t, []string{zto(1), zto(2), zto(4)}, lineWaybills(h.Lines))
	assert.Equal(t, []int{1, 2, 3}, []int{h.Lines[0].No, h.Lines[1].No, h.Lines[2].No})
	for _, wb := range []string{zto(1), zto(2), zto(4)} {
		p := e.centreParcel(t, wb, FlowBack)
		assert.Equal(t, StatusHandedOver, p.Status)
		assert.Equal(t, h.List, p.Handover)
	}
	draft, err = e.s.HandoverDraft(e.ctx, "zto")
	require.NoError(t, err)
	assert.Equal(t, []string{zto(3)}, lineWaybills(draft.Lines))

	// Refusals change nothing, and one bad parcel refuses the whole list.
	tests := []struct {
		name string
		in   HandoverInput
		code Code
		args map[string]string
	}{
		{"empty", HandoverInput{Carrier: "zto"}, CodeHandoverEmpty, nil},
		{"carrier unknown", HandoverInput{Carrier: "dhl", Waybills: []string{zto(3)}}, CodeCarrierUnknown, nil},
		{"bad waybill", HandoverInput{Carrier: "zto", Waybills: []string{zto(3), "ab"}}, CodeWaybillInvalid, nil},
		{"courier too long", HandoverInput{Carrier: "zto", Courier: "很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长", Waybills: []string{zto(3)}}, CodeCourierInvalid, nil},
		{"not collected", HandoverInput{Carrier: "zto", Waybills: []string{zto(3), zto(9)}}, CodeParcelNotCollected, map[string]string{"waybill": zto(9)}},
		{"handed over", HandoverInput{Carrier: "zto", Waybills: []string{zto(3), zto(1)}}, CodeParcelHandedOver,
			map[string]string{"waybill": zto(1), "when": "03-10 09:03", "carrier": "中通", "list": "HO-20250310-zto-001"}},
		{"other carrier's", HandoverInput{Carrier: "zto", Waybills: []string{zto(3), sf(5)}}, CodeHandoverCarrier, map[string]string{"waybill": sf(5), "carrier": "顺丰"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.refused(t, tt.code, func() error { _, err := e.s.ConfirmHandover(e.ctx, clerk, tt.in); return err })
			if tt.args != nil {
				assert.Equal(t, tt.args, ArgsOf(err))
			}
		})
	}
	e.refused(t, CodeParcelHandedOver, func() error {
		_, err := e.s.Collect(e.ctx, clerk, CollectInput{Waybill: zto(1), Direction: "out"})
		return err
	})

	// Numbers run on per carrier and day, across a restart.
	e.reopen(t)
	h2, err := e.s.ConfirmHandover(e.ctx, clerk, HandoverInput{Carrier: "zto", Waybills: []string{zto(3)}})
	require.NoError(t, err)
	assert.Equal(t, "HO-20250310-zto-002", h2.List)
	h3, err := e.s.ConfirmHandover(e.ctx, clerk, HandoverInput{Carrier: "sf", Waybills: []string{sf(5)}})
	require.NoError(t, err)
	assert.Equal(t, "HO-20250310-sf-001", h3.List)
	e.clock.Set(t0.AddDate(0, 0, 1))
	e.collect(t, zto(6), "out")
	h4, err := e.s.ConfirmHandover(e.ctx, clerk, HandoverInput{Carrier: "zto", Waybills: []string{zto(6)}})
	require.NoError(t, err)
	assert.Equal(t, "HO-20250311-zto-001", h4.List)

	lists, err := e.s.Handovers(e.ctx, "2025-03-10")
	require.NoError(t, err)
	var names []string
	for _, l := range lists {
		names = append(names, l.List)
	}
	assert.Equal(t, []string{"HO-20250310-zto-001", "HO-20250310-zto-002", "HO-20250310-sf-001"}, names)
	assert.Equal(t, 3, lists[0].Count)
	got, err := e.s.HandoverList(e.ctx, "HO-20250310-zto-001")
	require.NoError(t, err)
	assert.Equal(t, h, got, "printed again as confirmed")
	_, err = e.s.HandoverList(e.ctx, "HO-20250310-zto-009")
	requireCode(t, err, CodeHandoverNotFound)
	_, err = e.s.Handovers(e.ctx, "2025-3-10")
	requireCode(t, err, CodeDateInvalid)
	_, err = e.s.HandoverDraft(e.ctx, "dhl")
	requireCode(t, err, CodeCarrierUnknown)
}

func lineWaybills(ls []HandoverLine) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Waybill)
	}
	return out
}

func TestCentrePrintQueue(t *testing.T) {
	e := newCentreEnv(t)
	e.centreDay(t, to(1, "ST-V0202", "L1-0700"), to(2, "", ""))
	first := e.scan(t, zto(1))
	e.clock.Advance(time.Second)
	second := e.scan(t, zto(2))

	// The queue survives a restart.
	e.reopen(t)
	jobs, err := e.s.PrintJobs(e.ctx, PrintJobFilter{})
	require.NoError(t, err)
	require.Len(t, jobs, 2)
	assert.Equal(t, []int64{second.LabelJob, first.LabelJob}, []int64{jobs[0].ID, jobs[1].ID}, "newest first")
	next, err := e.s.NextPrintJobs(e.ctx, 10)
	require.NoError(t, err)
	assert.Equal(t, []int64{first.LabelJob, second.LabelJob}, []int64{next[0].ID, next[1].ID}, "the printer takes the oldest first")

	// The printer prints one and fails the other.
	require.NoError(t, e.s.FinishPrintJob(e.ctx, first.LabelJob, ""))
	require.NoError(t, e.s.FinishPrintJob(e.ctx, second.LabelJob, "paper out"))
	assert.ErrorIs(t, e.s.FinishPrintJob(e.ctx, first.LabelJob, ""), ErrPrintJobNotQueued)
	requireCode(t, e.s.FinishPrintJob(e.ctx, 999, ""), CodePrintJobNotFound)
	job, _ := e.label(t, second.LabelJob)
	assert.Equal(t, PrintFailed, job.Status)
	assert.Equal(t, "paper out", job.Error)
	require.NotNil(t, job.Printed)

	// A reprint is a new job that refers to the old one; no op.
	var re PrintJob
	e.noOp(t, func() {
		re, err = e.s.Reprint(e.ctx, clerk, second.LabelJob)
		require.NoError(t, err)
	})
	assert.Equal(t, second.LabelJob, re.ReprintOf)
	assert.Equal(t, PrintQueued, re.Status)
	assert.JSONEq(t, string(job.Payload), string(re.Payload))
	assert.Equal(t, zto(2), re.Waybill)
	job, _ = e.label(t, second.LabelJob)
	assert.Equal(t, PrintFailed, job.Status, "the old job keeps its outcome")
	e.refused(t, CodePrintJobNotFound, func() error { _, err := e.s.Reprint(e.ctx, clerk, 999); return err })

	e.reopen(t)
	queued, err := e.s.PrintJobs(e.ctx, PrintJobFilter{Status: PrintQueued})
	require.NoError(t, err)
	require.Len(t, queued, 1)
	assert.Equal(t, re.ID, queued[0].ID)
	byWaybill, err := e.s.PrintJobs(e.ctx, PrintJobFilter{Waybill: zto(2)})
	require.NoError(t, err)
	assert.Len(t, byWaybill, 2)
	_, err = e.s.PrintJobs(e.ctx, PrintJobFilter{Status: "lost"})
	requireCode(t, err, CodeCentreStateInvalid)
	_, err = e.s.PrintJobs(e.ctx, PrintJobFilter{Waybill: "ab"})
	requireCode(t, err, CodeWaybillInvalid)
}

func TestCentreQueries(t *testing.T) {
	e := newCentreEnv(t)
	e.centreDay(t, to(1, "ST-V0202", "L1-0700"), to(2, "ST-V0201", "L1-0700"), to(3, "ST-V0203", "L1-0700"),
		to(4, "ST-V0101", "L9-0800"), to(5, "", ""), to(6, "ST-V0203", "L1-0700"))
	for n := 1; n <= 5; n++ {
		e.scan(t, zto(n))
	}
	e.scan(t, yto(7)) // not in the manifest
	e.load(t, zto(1), "L1-0700")
	e.load(t, zto(4), "L9-0800")
	_, err := e.s.Depart(e.ctx, clerk, "L9-0800")
	require.NoError(t, err)
	e.collect(t, sf(8), "out")

	trips, err := e.s.Trips(e.ctx, "")
	require.NoError(t, err)
	type load struct {
		id, state                 string
		loaded, waiting, expected int
	}
	var got []load
	for _, tr := range trips {
		got = append(got, load{tr.ID, tr.State, tr.Loaded, tr.Waiting, tr.Expected})
	}
	assert.Equal(t, []load{
		{"L1-0700", TripPlanned, 1, 2, 1},
		{"L9-0800", TripDeparted, 1, 0, 0},
		{"L5-0900", TripCancelled, 0, 0, 0},
		{"L1-1330", TripPlanned, 0, 0, 0},
	}, got)
	none, err := e.s.Trips(e.ctx, "2025-03-11")
	require.NoError(t, err)
	assert.Empty(t, none)
	_, err = e.s.Trips(e.ctx, "tomorrow")
	requireCode(t, err, CodeDateInvalid)

	tm, err := e.s.TripManifest(e.ctx, "L1-0700")
	require.NoError(t, err)
	assert.Equal(t, []string{zto(1)}, waybillsOf(tm.Loaded))
	assert.Equal(t, []string{zto(2), zto(3)}, waybillsOf(tm.Waiting))
	require.Len(t, tm.Expected, 1)
	assert.Equal(t, ExpectedParcel{Waybill: zto(6), Carrier: "zto", CarrierName: "中通", Station: "ST-V0203", StationName: "ST-V0203"}, tm.Expected[0])
	_, err = e.s.TripManifest(e.ctx, "L1-2300")
	requireCode(t, err, CodeTripNotFound)

	all, err := e.s.CentreParcels(e.ctx, "", 0)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{StatusAtCentre: 2, StatusSorted: 2, StatusLoaded: 1, StatusInTransit: 1, StatusCollected: 1, StatusHandedOver: 0}, all.Counts)
	assert.Len(t, all.Parcels, 6, "every parcel at the centre now")
	for status, want := range map[string][]string{
		StatusAtCentre:   {zto(5), yto(7)},
		StatusSorted:     {zto(2), zto(3)},
		StatusLoaded:     {zto(1)},
		StatusInTransit:  {zto(4)},
		StatusCollected:  {sf(8)},
		StatusHandedOver: {},
	} {
		l, err := e.s.CentreParcels(e.ctx, status, 0)
		require.NoError(t, err)
		assert.Equal(t, want, waybillsOf(l.Parcels), status)
	}
	_, err = e.s.CentreParcels(e.ctx, "lost", 0)
	requireCode(t, err, CodeCentreStateInvalid)
	limited, err := e.s.CentreParcels(e.ctx, StatusAtCentre, 1)
	require.NoError(t, err)
	assert.Len(t, limited.Parcels, 1)

	tl, err := e.s.CentreTimelines(e.ctx, zto(4))
	require.NoError(t, err)
	require.Len(t, tl, 1)
	assert.Equal(t, []string{cevSorted, cevLoaded, cevDeparted}, kindsOf(tl[0].Events))
	_, err = e.s.CentreTimelines(e.ctx, zto(99))
	requireCode(t, err, CodeParcelNotFound)
}

func kindsOf(evs []Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Kind)
	}
	return out
}

// The derived-state check catches a status that the events do not give,
// and a trip's load that disagrees with its departure.
func TestCentreVerifyDerived(t *testing.T) {
	tamper := []struct {
		name, sql, want string
	}{
		{"status", "UPDATE centre_parcels SET status = 'loaded' WHERE waybill = '" + zto(2) + "'", "events give"},
		{"in transit on an open trip", "UPDATE trips SET departed_at = NULL WHERE id = 'L9-0800'", "has not left"},
		{"handover count", "UPDATE handovers SET parcels = 2", "count differs"},
	}
	for _, tt := range tamper {
		t.Run(tt.name, func(t *testing.T) {
			e := newCentreEnv(t)
			e.centreDay(t, to(1, "ST-V0101", ""), to(2, "ST-V0202", ""))
			e.scan(t, zto(1))
			e.scan(t, zto(2))
			e.load(t, zto(1), "L9-0800")
			_, err := e.s.Depart(e.ctx, clerk, "L9-0800")
			require.NoError(t, err)
			e.collect(t, sf(3), "out")
			_, err = e.s.ConfirmHandover(e.ctx, clerk, HandoverInput{Carrier: "sf", Waybills: []string{sf(3)}})
			require.NoError(t, err)
			require.NoError(t, e.s.VerifyDerived(e.ctx))

			db, err := sql.Open("sqlite", "file:"+e.path+"?_pragma=busy_timeout(5000)")
			require.NoError(t, err)
			defer db.Close()
			snap := e.snapshot(t)
			_, err = db.Exec(tt.sql)
			require.NoError(t, err)
			assert.ErrorContains(t, e.s.VerifyDerived(e.ctx), tt.want)
			// Put it back for the cleanup's checks.
			require.NoError(t, restore(db, tt.name))
			assert.Equal(t, snap, e.snapshot(t))
		})
	}
}

func restore(db *sql.DB, name string) error {
	var q string
	switch name {
	case "status":
		q = "UPDATE centre_parcels SET status = 'sorted' WHERE waybill = '" + zto(2) + "'"
	case "in transit on an open trip":
		q = "UPDATE trips SET departed_at = (SELECT max(departed_at) FROM centre_parcels) WHERE id = 'L9-0800'"
	case "handover count":
		q = "UPDATE handovers SET parcels = 1"
	}
	_, err := db.Exec(q)
	return err
}
