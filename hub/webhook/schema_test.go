package webhook

import (
	"context"
	"testing"

	"cunyou/hub/store"
)

func TestSchema(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, table := range []string{"webhook_deliveries", "webhook_attempts"} {
		var n int
		if err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
}
