package store

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/gazetteer"
	"cunyou/syncproto"
)

func TestDayCloses(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	require.NoError(t, s.Write(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`INSERT INTO nodes (node_id, kind, name, created_at) VALUES ('ST-A', 'station', 'A', 0), ('ST-B', 'station', 'B', 0)`,
			`INSERT INTO cursors (stream, node, incarnation, acked_seq, updated_ms) VALUES
				(1, 'ST-A', 'inc1', 3, 0), (2, 'ST-A', 'inc2', 1, 0), (3, 'ST-B', 'inc1', 1, 0)`,
			// inc1 closes the 12th and the 13th; after the PC was replaced,
			// inc2 closes the 13th again. One close was dead-lettered.
			`INSERT INTO ops (hub_seq, stream, seq, v, hlc, actor, kind, payload, hash, received_ms, applied) VALUES
				(1, 1, 1, 1, 65536000, 'clerk', 'day.closed', CAST('{"date":"2026-03-12","total":{"in":3}}' AS BLOB), 'h1', 100, 1),
				(2, 1, 2, 1, 131072000, 'clerk', 'day.closed', CAST('{"date":"2026-03-13","total":{"in":4},"mismatch":-1}' AS BLOB), 'h2', 200, 1),
				(3, 1, 3, 1, 163840000, 'clerk', 'parcel.inbound', CAST('{"waybill":"W1"}' AS BLOB), 'h3', 250, 1),
				(4, 2, 1, 1, 196608000, 'boss', 'day.closed', CAST('{"date":"2026-03-13","total":{"in":5}}' AS BLOB), 'h4', 300, 1),
				(5, 2, 2, 1, 262144000, 'boss', 'day.closed', CAST('{"date":"x"}' AS BLOB), 'h5', 400, 0),
				(6, 3, 1, 1, 327680000, 'clerk', 'day.closed', CAST('{"date":"2026-03-14"}' AS BLOB), 'h6', 500, 1)`,
		} {
			if _, err := tx.Exec(q); err != nil {
				return err
			}
		}
		return nil
	}))
	ds, err := s.DayCloses(ctx, "ST-A", 0)
	require.NoError(t, err)
	var got []string
	for _, d := range ds {
		got = append(got, d.Date+" "+d.Incarnation+" "+d.Actor)
	}
	assert.Equal(t, []string{"2026-03-13 inc2 boss", "2026-03-13 inc1 clerk", "2026-03-12 inc1 clerk"}, got)
	assert.Equal(t, syncproto.DayCounts{In: 4}, ds[1].Total)
	assert.Equal(t, -1, ds[1].Mismatch)
	assert.EqualValues(t, 2, ds[1].Seq)
	assert.EqualValues(t, 200, ds[1].Received.UnixMilli())
	assert.Equal(t, syncproto.Timestamp(2000<<16).Time(), ds[1].At)

	ds, err = s.DayCloses(ctx, "ST-A", 1)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	assert.Equal(t, "inc2", ds[0].Incarnation)
	ds, err = s.DayCloses(ctx, "ST-NONE", 10)
	require.NoError(t, err)
	assert.Empty(t, ds)

	// The query reads ops through the partial index, not every op of the
	// node's streams.
	rows, err := s.r.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT c.incarnation, o.seq, o.hlc, o.actor, o.payload, o.received_ms
		FROM cursors c JOIN ops o ON o.stream = c.stream AND o.kind = 'day.closed'
		WHERE c.node = ? AND o.applied = 1`, "ST-A")
	require.NoError(t, err)
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Close())
	assert.Contains(t, strings.Join(plan, "\n"), "ops_day_closed", "%s", plan)
}

func TestCreateNodeForAVillage(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	c, err := gazetteer.LoadFile("../../testdata/county.json")
	require.NoError(t, err)
	v := c.Towns[0].Villages[0]
	c.Towns[0].Villages = append(c.Towns[0].Villages, gazetteer.Village{Code: "V0107", Name: "红光村", Lat: v.Lat + 0.01, Lon: v.Lon})
	_, err = s.LoadCounty(ctx, c)
	require.NoError(t, err)

	e, err := s.CreateNode(ctx, NewNode{ID: "ST-V0107", Kind: syncproto.NodeStation, Name: "红光村驿站", Village: "V0107"})
	require.NoError(t, err)
	assert.Equal(t, t0.Add(EnrollTTL), e.Expires)
	site, err := s.Site(ctx, "ST-V0107")
	require.NoError(t, err)
	assert.Equal(t, "望奎镇红光村", site.Address)
	assert.Equal(t, v.Lat+0.01, site.Lat)
	vs, err := s.Villages(ctx)
	require.NoError(t, err)
	served := map[string]string{}
	for _, x := range vs {
		served[x.Code] = x.Station
	}
	assert.Equal(t, "ST-V0107", served["V0107"])
	county, err := s.County(ctx)
	require.NoError(t, err)
	st, ok := county.StationOf("V0107")
	assert.True(t, ok)
	assert.Equal(t, "ST-V0107", st.ID)

	_, err = s.CreateNode(ctx, NewNode{ID: "ST-2", Kind: syncproto.NodeStation, Name: "二", Village: "V0107"})
	assert.ErrorIs(t, err, ErrExists)
	assert.ErrorContains(t, err, "served by ST-V0107")
	_, err = s.CreateNode(ctx, NewNode{ID: "ST-3", Kind: syncproto.NodeStation, Name: "三", Village: "V9999"})
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = s.Node(ctx, "ST-3")
	assert.ErrorIs(t, err, ErrNotFound, "nothing is left of a refused node")

	require.NoError(t, s.SetDisabled(ctx, "ST-V0107", true))
	_, err = s.IssueEnrollCode(ctx, "ST-V0107")
	assert.ErrorIs(t, err, ErrDisabled)
	_, err = s.IssueEnrollCode(ctx, "ST-NONE")
	assert.ErrorIs(t, err, ErrNotFound)
}
