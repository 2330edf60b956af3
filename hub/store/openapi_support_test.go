package store

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// addParcels writes tracking rows directly: waybill, direction, carrier,
// status, node, dest, phone, trip, updated_ms.
func addParcels(t *testing.T, s *Store, rows [][]any) {
	t.Helper()
	require.NoError(t, s.Write(context.Background(), func(tx *sql.Tx) error {
		for _, r := range rows {
			if _, err := tx.Exec(`INSERT INTO parcels (waybill, direction, carrier, status, node, dest, receiver_phone, trip, updated_ms,
				receiver_name, code, updated_hlc, last_op, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', 0, 0, ?)`,
				append(r, r[len(r)-1])...); err != nil {
				return err
			}
		}
		return nil
	}))
}

func waybills(ps []Parcel) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.Waybill+"/"+p.Direction)
	}
	return out
}

func TestFindParcels(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	addParcels(t, s, [][]any{
		{"W1", "in", "zto", "manifested", "", "ST-A", "13900000001", "", 100},
		{"W2", "in", "yto", "at_station", "ST-A", "ST-A", "13900000001", "", 200},
		{"W3", "in", "zto", "loaded", "CENTRE", "ST-B", "13900000002", "L1-20260314-0700", 300},
		{"W4", "in", "zto", "manifested", "", "", "13900000003", "", 300},
		{"W4", "out", "zto", "accepted", "ST-A", "", "13900000004", "", 300},
	})
	for _, tc := range []struct {
		name string
		q    ParcelQuery
		want []string
	}{
		{"phone", ParcelQuery{Phone: "13900000001"}, []string{"W2/in", "W1/in"}},
		{"phone of a carrier", ParcelQuery{Phone: "13900000001", Carrier: "zto"}, []string{"W1/in"}},
		{"held by or destined for", ParcelQuery{Station: "ST-A"}, []string{"W4/out", "W2/in", "W1/in"}},
		{"station and status", ParcelQuery{Station: "ST-A", Status: "manifested"}, []string{"W1/in"}},
		{"trip", ParcelQuery{Trip: "L1-20260314-0700"}, []string{"W3/in"}},
		{"status", ParcelQuery{Status: "manifested"}, []string{"W4/in", "W1/in"}},
		{"page", ParcelQuery{Carrier: "zto", Limit: 2}, []string{"W4/out", "W4/in"}},
		{"next page", ParcelQuery{Carrier: "zto", Limit: 2, After: &ParcelCursor{UpdatedMs: 300, Waybill: "W4", Direction: "in"}},
			[]string{"W3/in", "W1/in"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.FindParcels(ctx, tc.q)
			require.NoError(t, err)
			assert.Equal(t, tc.want, waybills(got))
		})
	}
	ps, err := s.FindParcels(ctx, ParcelQuery{Trip: "L1-20260314-0700"})
	require.NoError(t, err)
	assert.Equal(t, ParcelCursor{UpdatedMs: 300, Waybill: "W3", Direction: "in"}, CursorOf(ps[0]))

	q, err := s.UnresolvedOf(ctx, "zto", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"W4/in"}, waybills(q))
	q, err = s.UnresolvedOf(ctx, "yto", 10)
	require.NoError(t, err)
	assert.Empty(t, q)

	counts, err := s.StatusCountsOf(ctx, "zto")
	require.NoError(t, err)
	assert.Equal(t, map[string]map[string]int{"": {"manifested": 2}, "CENTRE": {"loaded": 1}, "ST-A": {"accepted": 1}}, counts)
	all, err := s.StatusCountsOf(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, 1, all["ST-A"]["at_station"])
}

func TestExceptionsPage(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	addParcels(t, s, [][]any{
		{"W1", "in", "zto", "at_station", "ST-A", "ST-A", "13900000001", "", 100},
		{"W2", "in", "yto", "at_station", "ST-B", "ST-A", "13900000002", "", 100},
	})
	require.NoError(t, s.Write(ctx, func(tx *sql.Tx) error {
		for _, r := range [][]any{{"W1", "wrong station", 0}, {"W2", "wrong station", 0}, {"W1", "second pickup", 500}} {
			if _, err := tx.Exec(`INSERT INTO exceptions (waybill, direction, reason, ops, created_ms, resolved_ms)
				VALUES (?, 'in', ?, 'ST-A/i/1 ST-B/i/2', 100, ?)`, r...); err != nil {
				return err
			}
		}
		return nil
	}))
	ids := func(es []Exception) []int64 {
		out := []int64{}
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		q    ExceptionQuery
		want []int64
	}{
		{"all", ExceptionQuery{}, []int64{3, 2, 1}},
		{"open", ExceptionQuery{Open: true}, []int64{2, 1}},
		{"carrier", ExceptionQuery{Carrier: "zto"}, []int64{3, 1}},
		{"waybill", ExceptionQuery{Waybill: "W2"}, []int64{2}},
		{"page", ExceptionQuery{Before: 3, Limit: 1}, []int64{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ExceptionsPage(ctx, tc.q)
			require.NoError(t, err)
			assert.Equal(t, tc.want, ids(got))
		})
	}
	es, err := s.ExceptionsPage(ctx, ExceptionQuery{Waybill: "W1"})
	require.NoError(t, err)
	assert.False(t, es[0].Resolved.IsZero())
	assert.True(t, es[1].Resolved.IsZero())
}
