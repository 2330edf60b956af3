package store

import (
	"context"
	"fmt"
)

// Village is a village of the county's gazetteer with the station that
// serves it ("" for none).
type Village struct {
	Code, Name     string
	Town, TownName string
	Station        string
}

// Villages returns the gazetteer's villages by code, each with the
// station serving it.
func (s *Store) Villages(ctx context.Context) ([]Village, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT v.code, v.name, t.code, t.name, coalesce(s.node, '')
		FROM villages v JOIN towns t ON t.code = v.town LEFT JOIN sites s ON s.village = v.code ORDER BY v.code`)
	if err != nil {
		return nil, fmt.Errorf("read villages: %w", classify(err))
	}
	defer rows.Close()
	out := []Village{}
	for rows.Next() {
		var v Village
		if err := rows.Scan(&v.Code, &v.Name, &v.Town, &v.TownName, &v.Station); err != nil {
			return nil, fmt.Errorf("read villages: %w", classify(err))
		}
		out = append(out, v)
	}
	return out, classify(rows.Err())
}
