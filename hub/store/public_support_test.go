package store

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

func TestTimelinePayloads(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	require.NoError(t, s.Write(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`INSERT INTO nodes (node_id, kind, name, created_at) VALUES ('ST-A', 'station', 'A', 0)`,
			`INSERT INTO cursors (stream, node, incarnation, acked_seq, updated_ms) VALUES (1, 'ST-A', 'inc1', 2, 0)`,
			`INSERT INTO ops (hub_seq, stream, seq, v, hlc, actor, kind, payload, hash, received_ms, applied) VALUES
				(1, 0, 1, 1, 10, 'api:zto', 'parcel.manifested', CAST('{"waybill":"W1"}' AS BLOB), 'h1', 100, 1),
				(2, 1, 1, 1, 20, 'clerk', 'parcel.inbound', CAST('{"waybill":"W1","code":"1-1-0001"}' AS BLOB), 'h2', 200, 1),
				(3, 1, 2, 1, 30, 'clerk', 'parcel.inbound', CAST('{"waybill":"W2"}' AS BLOB), 'h3', 300, 1)`,
			`INSERT INTO facts (id, waybill, direction, hub_seq, detail) VALUES
				(1, 'W1', 'in', 1, 'manifested'), (2, 'W1', 'in', 2, 'code 1-1-0001'), (3, 'W2', 'in', 3, 'x'), (4, '', '', 3, 'node')`,
		} {
			if _, err := tx.Exec(q); err != nil {
				return err
			}
		}
		return nil
	}))
	fs, err := s.TimelinePayloads(ctx, "W1")
	require.NoError(t, err)
	require.Len(t, fs, 2)
	assert.Equal(t, syncproto.HubNode, fs[0].Node)
	assert.Equal(t, syncproto.KindParcelManifested, fs[0].Kind)
	assert.JSONEq(t, `{"waybill":"W1"}`, string(fs[0].Payload))
	assert.Equal(t, "ST-A", fs[1].Node)
	assert.Equal(t, "inc1", fs[1].Incarnation)
	assert.EqualValues(t, 20, fs[1].HLC)
	assert.EqualValues(t, 200, fs[1].Received.UnixMilli())
	assert.Contains(t, string(fs[1].Payload), `"code":"1-1-0001"`)

	fs, err = s.TimelinePayloads(ctx, "")
	require.NoError(t, err)
	assert.Empty(t, fs, "node facts are no parcel's")
	fs, err = s.TimelinePayloads(ctx, "NONE")
	require.NoError(t, err)
	assert.Empty(t, fs)
}

func TestInboundByPhone(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	addParcels(t, s, [][]any{
		{"W1", "in", "zto", "at_station", "ST-A", "ST-A", "13900000001", "", 100},
		{"W2", "in", "yto", "manifested", "", "ST-A", "13900000001", "", 300},
		{"W3", "out", "zto", "accepted", "ST-A", "", "13900000001", "", 400},
		{"W4", "in", "zto", "at_station", "ST-B", "ST-B", "13900000002", "", 500},
		{"W5", "in", "zto", "manifested", "", "", "", "", 600},
	})
	ps, err := s.InboundByPhone(ctx, "13900000001", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"W2/in", "W1/in"}, waybills(ps), "inbound only, newest first")
	ps, err = s.InboundByPhone(ctx, "13900000001", 1)
	require.NoError(t, err)
	assert.Equal(t, []string{"W2/in"}, waybills(ps))
	ps, err = s.InboundByPhone(ctx, "", 10)
	require.NoError(t, err)
	assert.Empty(t, ps, "no phone finds nothing, not the parcels without one")

	var plan []string
	rows, err := s.r.Query(`EXPLAIN QUERY PLAN `+parcelSelect+` WHERE receiver_phone = ? AND receiver_phone <> '' AND direction = 'in'
		ORDER BY updated_ms DESC LIMIT ?`, "13900000001", 10)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	assert.Contains(t, strings.Join(plan, "\n"), "parcels_phone", "reads through the phone index")
}
