package demo

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/station"
	"cunyou/edge/store"
	"cunyou/syncproto"
)

func TestSeedCentre(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "edge.db")
	st, err := store.Open(ctx, path, store.Options{Node: CentreNode, Kind: syncproto.NodeCentre})
	require.NoError(t, err)
	defer st.Close()
	loc := time.FixedZone("CST", 8*3600)
	c := station.New(st, loc)

	seeded, err := SeedCentre(ctx, c, 7)
	require.NoError(t, err)
	require.True(t, seeded)
	require.NoError(t, st.Check(ctx))
	require.NoError(t, c.VerifyDerived(ctx))

	trips, err := c.Trips(ctx, "")
	require.NoError(t, err)
	require.Len(t, trips, 6)
	states := map[string]int{}
	loaded := 0
	for _, tr := range trips {
		states[tr.State]++
		loaded += tr.Loaded
	}
	assert.Equal(t, map[string]int{station.TripDeparted: 1, station.TripPlanned: 5}, states)
	assert.Positive(t, loaded)

	all, err := c.CentreParcels(ctx, "", 0)
	require.NoError(t, err)
	n := all.Counts
	assert.Equal(t, 82, n[station.StatusAtCentre]+n[station.StatusSorted]+n[station.StatusLoaded]+n[station.StatusInTransit], "scanned in: %v", n)
	assert.GreaterOrEqual(t, n[station.StatusAtCentre], 2, "the two the manifest lacks, and the unresolved: %v", n)
	assert.Positive(t, n[station.StatusInTransit], "%v", n)
	assert.Positive(t, n[station.StatusLoaded], "%v", n)
	assert.Positive(t, n[station.StatusSorted], "%v", n)
	assert.Equal(t, 8, n[station.StatusCollected]+n[station.StatusHandedOver])
	assert.Positive(t, n[station.StatusHandedOver])
	lists, err := c.Handovers(ctx, "")
	require.NoError(t, err)
	assert.Len(t, lists, 1)
	jobs, err := c.PrintJobs(ctx, station.PrintJobFilter{Limit: 1000})
	require.NoError(t, err)
	assert.Len(t, jobs, 82, "a sort label for every scan")

	seeded, err = SeedCentre(ctx, c, 7)
	require.NoError(t, err)
	assert.False(t, seeded, "a second seed changes nothing")
}

func TestSeedCentreRefusesStation(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "edge.db"), store.Options{Node: "ST-V0101", Kind: syncproto.NodeStation})
	require.NoError(t, err)
	defer st.Close()
	_, err = SeedCentre(ctx, station.New(st, time.UTC), 1)
	require.Error(t, err)
	ops, err := station.New(st, time.UTC).Operators(ctx)
	require.NoError(t, err)
	assert.Empty(t, ops, "nothing was seeded")
}
