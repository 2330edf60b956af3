package store_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/store"
	"cunyou/hub/trackbench"
)

// openCounty opens a generated county of some 20,000 facts, kept in the
// OS temp folder for the next run (the tests only read it).
func openCounty(t *testing.T) (*store.Store, *store.Lookups, trackbench.Sample) {
	t.Helper()
	ctx := context.Background()
	dir, _, err := trackbench.Cached(ctx, trackbench.CountySmall, "../../testdata/county.json", t.Logf)
	require.NoError(t, err)
	st, err := store.Open(ctx, dir, store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	lk, err := st.OpenLookups(ctx, store.LookupOptions{MmapBytes: 1 << 20})
	require.NoError(t, err)
	t.Cleanup(func() { lk.Close() })
	s, err := trackbench.TakeSample(ctx, st.DB(), 300, 3)
	require.NoError(t, err)
	return st, lk, s
}

// Tracking is ParcelsByWaybill and Timeline in one statement.
func TestLookupsTrackingIsParcelsAndTimeline(t *testing.T) {
	st, lk, s := openCounty(t)
	ctx := context.Background()
	for _, wb := range append(s.Waybills, "NO-SUCH-WAYBILL-1") {
		wantPs, wantErr := st.ParcelsByWaybill(ctx, wb)
		wantFs, err := st.Timeline(ctx, wb, "")
		require.NoError(t, err)
		ps, fs, err := lk.Tracking(ctx, wb)
		if wantErr != nil {
			assert.ErrorIs(t, err, store.ErrNotFound, wb)
			assert.True(t, errors.Is(wantErr, store.ErrNotFound))
			assert.Empty(t, ps)
		} else {
			require.NoError(t, err, wb)
			assert.Equal(t, wantPs, ps, wb)
		}
		assert.Equal(t, wantFs, fs, wb)
	}
}

// Lookups.FindParcels finds what Store.FindParcels finds, in the same
// order, page after page, whatever the filters.
func TestLookupsFindParcelsIsFindParcels(t *testing.T) {
	st, lk, s := openCounty(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	pick := func(list []string) string {
		if rng.IntN(3) == 0 {
			return ""
		}
		return list[rng.IntN(len(list))]
	}
	carriers := []string{"zto", "yto", "jt", "sf"}
	statuses := append(trackbench.StationStatuses, "returned", "handed_over", "collected", "accepted")
	one := func(list []string) string { return list[rng.IntN(len(list))] }
	queries, found, paged := 0, 0, 0
	for i := range 300 {
		q := store.ParcelQuery{Limit: 1 + rng.IntN(30), Carrier: pick(carriers)}
		switch i % 6 {
		case 0: // a receiver's parcels
			q.Phone, q.Status = one(s.Phones), pick(statuses)
		case 1: // a station's page in one status
			q.Station, q.Status = one(s.Stations), one(statuses)
		case 2: // a station's parcels
			q.Station = one(s.Stations)
		case 3: // a trip's
			q.Trip, q.Station = one(s.Trips), pick(s.Stations)
		case 4: // every parcel in one status
			q.Status = one(statuses)
		default: // anything
			q = store.ParcelQuery{Phone: pick(s.Phones), Station: pick(s.Stations), Status: pick(statuses), Trip: pick(s.Trips),
				Carrier: pick(carriers), Limit: 1 + rng.IntN(60)}
			if q.Phone == "" && q.Station == "" && q.Status == "" && q.Trip == "" {
				q.Station = one(s.Stations)
			}
		}
		for page := 0; page < 4; page++ {
			want, err := st.FindParcels(ctx, q)
			require.NoError(t, err)
			got, err := lk.FindParcels(ctx, q)
			require.NoError(t, err)
			require.Equal(t, want, got, "%+v", q)
			queries++
			if len(want) > 0 {
				found++
			}
			if len(want) < q.Limit {
				break
			}
			paged++
			c := store.CursorOf(want[len(want)-1])
			q.After = &c
		}
	}
	t.Logf("%d queries, %d found parcels, %d went on to a next page", queries, found, paged)
	assert.Greater(t, paged, 50)
}
