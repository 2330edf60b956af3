package store

import (
	"context"
	"fmt"
)

// queryAll runs query on the read pool and scans each row with scan; what
// names the rows in errors ("read users: …"). No rows is a nil slice.
func queryAll[T any](ctx context.Context, s *Store, what string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, classify(err))
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", what, classify(err))
		}
		out = append(out, v)
	}
	return out, classify(rows.Err())
}
