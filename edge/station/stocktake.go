package station

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"cunyou/edge/store"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// StocktakeScan is one parcel found on the shelf being counted. Layer is
// where it was found; 0 when the operator did not say.
type StocktakeScan struct {
	Waybill string `json:"waybill"`
	Layer   int    `json:"layer,omitempty"`
}

// StocktakeReport says what the count found.
type StocktakeReport struct {
	Shelf      int      `json:"shelf"`
	Expected   int      `json:"expected"`
	Scanned    int      `json:"scanned"`
	Missing    []Parcel `json:"missing"`    // recorded on this shelf, not found
	Unexpected []string `json:"unexpected"` // found, but the station has no such parcel waiting
	Misplaced  []Parcel `json:"misplaced"`  // found here, recorded elsewhere: now moved here
	Invalid    []string `json:"invalid"`    // scans that are not waybill numbers
}

// Stocktake counts one shelf. Parcels found here but recorded in another
// slot are moved here by a correction event; nothing recorded is edited.
// Missing and unexpected parcels are reported for the operator to act on.
func (s *Station) Stocktake(ctx context.Context, actor string, shelf int, scans []StocktakeScan) (StocktakeReport, error) {
	rep := StocktakeReport{Shelf: shelf, Missing: []Parcel{}, Unexpected: []string{}, Misplaced: []Parcel{}, Invalid: []string{}}
	err := s.st.Write(ctx, actor, func(tx *store.Tx) error {
		layers := map[int]bool{}
		rows, err := tx.QueryContext(ctx, "SELECT layer FROM slots WHERE shelf = ?", shelf)
		if err != nil {
			return err
		}
		for rows.Next() {
			var l int
			if err := rows.Scan(&l); err != nil {
				rows.Close()
				return err
			}
			layers[l] = true
		}
		rows.Close()
		if len(layers) == 0 {
			return fail(CodeShelfUnknown, "shelf", strconv.Itoa(shelf))
		}
		expected, err := queryParcels(ctx, tx, "shelf = ? AND direction = 'in'", shelf)
		if err != nil {
			return err
		}
		rep.Expected = len(expected)
		found := map[string]int{} // waybill -> layer found on
		for _, sc := range scans {
			wb, err := waybill.Normalize(sc.Waybill)
			if err != nil {
				rep.Invalid = append(rep.Invalid, sc.Waybill)
				continue
			}
			if sc.Layer != 0 && !layers[sc.Layer] {
				return fail(CodeShelfUnknown, "shelf", fmt.Sprintf("%d-%d", shelf, sc.Layer))
			}
			if _, dup := found[wb]; !dup {
				found[wb] = sc.Layer
			}
		}
		rep.Scanned = len(found)
		ev := syncproto.Stocktake{Shelf: shelf, Expected: rep.Expected, Scanned: rep.Scanned}
		type move struct {
			p     Parcel
			layer int
		}
		var moves []move
		for _, p := range expected {
			layer, ok := found[p.Waybill]
			switch {
			case !ok:
				rep.Missing = append(rep.Missing, p)
				ev.Missing = append(ev.Missing, p.Waybill)
			case layer != 0 && layer != p.Layer:
				moves = append(moves, move{p, layer})
			}
			delete(found, p.Waybill)
		}
		for wb, layer := range found {
			p, ok, err := findParcel(ctx, tx, wb, "in")
			if err != nil {
				return err
			}
			if !ok || !onShelf(p.Status) {
				rep.Unexpected = append(rep.Unexpected, wb)
				continue
			}
			if layer == 0 {
				layer = p.Layer
				if !layers[layer] {
					layer = lowestLayer(layers)
				}
			}
			moves = append(moves, move{p, layer})
		}
		sort.Strings(rep.Unexpected)
		ev.Unexpected = rep.Unexpected
		for _, m := range moves {
			ev.Misplaced = append(ev.Misplaced, m.p.Waybill)
			ev.Relocations = append(ev.Relocations, syncproto.ParcelRelocated{Waybill: m.p.Waybill,
				FromShelf: m.p.Shelf, FromLayer: m.p.Layer, ToShelf: shelf, ToLayer: m.layer})
		}
		op, err := tx.Append(syncproto.KindStocktake, ev)
		if err != nil {
			return err
		}
		if err := recordMissing(ctx, tx, shelf, rep.Missing); err != nil {
			return err
		}
		for _, m := range moves {
			if err := freeSlot(ctx, tx, m.p.Shelf, m.p.Layer); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE slots SET used = used + 1 WHERE shelf = ? AND layer = ?", shelf, m.layer); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE parcels SET shelf = ?, layer = ? WHERE id = ?", shelf, m.layer, m.p.id); err != nil {
				return err
			}
			detail := fmt.Sprintf("%d-%d -> %d-%d", m.p.Shelf, m.p.Layer, shelf, m.layer)
			if err := addEvent(ctx, tx, m.p.id, evRelocated, op.Seq, detail); err != nil {
				return err
			}
			p2, _, err := findParcel(ctx, tx, m.p.Waybill, "in")
			if err != nil {
				return err
			}
			rep.Misplaced = append(rep.Misplaced, p2)
		}
		return nil
	})
	return rep, err
}

func lowestLayer(layers map[int]bool) int {
	low := 0
	for l := range layers {
		if low == 0 || l < low {
			low = l
		}
	}
	return low
}

// recordMissing keeps the count of a shelf and the parcels it did not find,
// for day close.
func recordMissing(ctx context.Context, tx *store.Tx, shelf int, missing []Parcel) error {
	r, err := tx.ExecContext(ctx, "INSERT INTO stocktakes (shelf, at) VALUES (?, ?)", shelf, tx.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("record stocktake: %w", err)
	}
	id, _ := r.LastInsertId()
	for _, p := range missing {
		if _, err := tx.ExecContext(ctx, "INSERT INTO stocktake_missing (stocktake, parcel_id) VALUES (?, ?)", id, p.id); err != nil {
			return fmt.Errorf("record stocktake: %w", err)
		}
	}
	return nil
}
