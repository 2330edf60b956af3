package main

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"

	"cunyou/hub/merge"
	"cunyou/hub/store"
	"cunyou/hub/webhook"
)

// endpoints are the carriers' webhook URLs and secrets, read from the
// registry at most every 30 s: the projection asks for them inside its
// transaction, so they come from memory.
type endpoints struct {
	st *store.Store
	mu sync.Mutex
	by map[string]store.Carrier
	at time.Time
}

func (e *endpoints) Endpoint(ctx context.Context, carrier string) (string, string, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.by == nil || time.Since(e.at) > 30*time.Second {
		cs, err := e.st.Carriers(ctx)
		if err != nil {
			return "", "", false, err
		}
		e.by = map[string]store.Carrier{}
		for _, c := range cs {
			e.by[c.Code] = c
		}
		e.at = time.Now()
	}
	c, ok := e.by[carrier]
	if !ok || c.WebhookURL == "" {
		return "", "", false, nil
	}
	return c.WebhookURL, c.WebhookSecret, true, nil
}

// outbox hands the projection's parcel events to the webhook dispatcher.
type outbox struct{ d *webhook.Dispatcher }

func (o outbox) Enqueue(ctx context.Context, tx *sql.Tx, ev merge.OutboxEvent) error {
	return o.d.Enqueue(ctx, tx, webhook.Event{ID: ev.ID, Carrier: ev.Carrier, Kind: ev.Kind, Waybill: ev.Waybill,
		OccurredAt: ev.At, Data: ev.Data})
}

// webhookRetention is how long delivered and dead deliveries are kept.
const webhookRetention = 30 * 24 * time.Hour

// runWebhooks runs the dispatcher and prunes old deliveries daily; stop
// ends both and waits for them.
func runWebhooks(d *webhook.Dispatcher, st *store.Store, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := d.Run(ctx); err != nil {
			log.Error("webhooks stopped", "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		t := time.NewTicker(24 * time.Hour)
		defer t.Stop()
		for {
			if n, err := d.Prune(ctx, st.Now().Add(-webhookRetention)); err != nil {
				log.Warn("webhooks: prune", "err", err)
			} else if n > 0 {
				log.Info("webhooks: pruned old deliveries", "deliveries", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}
