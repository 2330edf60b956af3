package station

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"cunyou/edge/store"
	"cunyou/syncproto"
)

// Shelf limits keep codes short and readable aloud.
const (
	maxShelves  = 99
	maxLayers   = 9
	maxCapacity = 500
)

// SlotUse is one layer's capacity and load.
type SlotUse struct {
	Shelf    int `json:"shelf"`
	Layer    int `json:"layer"`
	Capacity int `json:"capacity"`
	Used     int `json:"used"`
}

// Shelves returns the layout with each layer's load.
func (s *Station) Shelves(ctx context.Context) ([]SlotUse, error) {
	rows, err := s.st.DB().QueryContext(ctx, "SELECT shelf, layer, capacity, used FROM slots ORDER BY shelf, layer")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SlotUse
	for rows.Next() {
		var u SlotUse
		if err := rows.Scan(&u.Shelf, &u.Layer, &u.Capacity, &u.Used); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetShelves replaces the shelf layout. A layer that holds parcels cannot
// be removed or shrunk below its load.
func (s *Station) SetShelves(ctx context.Context, actor string, shelves []syncproto.Shelf) error {
	seen := map[int]bool{}
	for _, sh := range shelves {
		if sh.No < 1 || sh.No > maxShelves || sh.Layers < 1 || sh.Layers > maxLayers || sh.Capacity < 1 || sh.Capacity > maxCapacity || seen[sh.No] {
			return fail(CodeShelvesInvalid, "shelf", strconv.Itoa(sh.No))
		}
		seen[sh.No] = true
	}
	return s.st.Write(ctx, actor, func(tx *store.Tx) error {
		want := map[[2]int]int{}
		for _, sh := range shelves {
			for l := 1; l <= sh.Layers; l++ {
				want[[2]int{sh.No, l}] = sh.Capacity
			}
		}
		rows, err := tx.QueryContext(ctx, "SELECT shelf, layer, used FROM slots WHERE used > 0")
		if err != nil {
			return err
		}
		for rows.Next() {
			var sh, l, used int
			if err := rows.Scan(&sh, &l, &used); err != nil {
				rows.Close()
				return err
			}
			if c, ok := want[[2]int{sh, l}]; !ok || c < used {
				rows.Close()
				return fail(CodeShelfInUse, "shelf", strconv.Itoa(sh), "layer", strconv.Itoa(l))
			}
		}
		rows.Close()
		if _, err := tx.ExecContext(ctx, "DELETE FROM slots WHERE used = 0"); err != nil {
			return err
		}
		for k, c := range want {
			if _, err := tx.ExecContext(ctx, `INSERT INTO slots (shelf, layer, capacity) VALUES (?, ?, ?)
				ON CONFLICT (shelf, layer) DO UPDATE SET capacity = excluded.capacity`, k[0], k[1], c); err != nil {
				return err
			}
		}
		_, err = tx.Append(syncproto.KindShelvesSet, syncproto.ShelvesSet{Shelves: shelves})
		return err
	})
}

// takeSlot reserves room on the first layer, in shelf and layer order,
// that has any.
func takeSlot(ctx context.Context, tx *store.Tx) (shelf, layer int, err error) {
	err = tx.QueryRowContext(ctx, `UPDATE slots SET used = used + 1 WHERE (shelf, layer) =
		(SELECT shelf, layer FROM slots WHERE used < capacity ORDER BY shelf, layer LIMIT 1) RETURNING shelf, layer`).Scan(&shelf, &layer)
	if errors.Is(err, sql.ErrNoRows) {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM slots").Scan(&n); err != nil {
			return 0, 0, err
		}
		if n == 0 {
			return 0, 0, fail(CodeNoShelves)
		}
		return 0, 0, fail(CodeShelvesFull)
	}
	return shelf, layer, err
}

// freeSlot gives a layer's room back.
func freeSlot(ctx context.Context, tx *store.Tx, shelf, layer int) error {
	_, err := tx.ExecContext(ctx, "UPDATE slots SET used = used - 1 WHERE shelf = ? AND layer = ? AND used > 0", shelf, layer)
	return err
}

// Codes are shelf-layer-NNNN; NNNN is unique among parcels on the shelves,
// so the last part alone finds a parcel.
const (
	codeMin = 1000
	codeMax = 9999
)

// newCode draws a random free code number; when the random draws keep
// colliding (a very full station) it walks from a random start.
func newCode(ctx context.Context, tx *store.Tx, shelf, layer int) (string, int, error) {
	taken := func(n int) (bool, error) {
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM parcels WHERE code_num = ? AND shelf IS NOT NULL", n).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	span := codeMax - codeMin + 1
	try := func(n int) (string, int, bool, error) {
		t, err := taken(n)
		if err != nil || t {
			return "", 0, false, err
		}
		return fmt.Sprintf("%d-%d-%04d", shelf, layer, n), n, true, nil
	}
	for range 8 {
		if code, n, ok, err := try(codeMin + int(randomInt(int64(span)))); ok || err != nil {
			return code, n, err
		}
	}
	start := int(randomInt(int64(span)))
	for i := range span {
		if code, n, ok, err := try(codeMin + (start+i)%span); ok || err != nil {
			return code, n, err
		}
	}
	return "", 0, fail(CodeShelvesFull)
}
