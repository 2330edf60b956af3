package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Scopes of the open API's clients.
const (
	ScopeParcelsWrite = "parcels:write" // announce parcels, push carrier events
	ScopeParcelsRead  = "parcels:read"  // track parcels
	ScopeDispatch     = "dispatch"      // the dispatchers' queue: assign destinations
	ScopeWebhooks     = "webhooks"      // see and replay webhook deliveries
)

// Scopes lists every scope.
var Scopes = []string{ScopeParcelsWrite, ScopeParcelsRead, ScopeDispatch, ScopeWebhooks}

// Client is a client of the open API. A client with a Carrier sees and
// writes only that carrier's parcels.
type Client struct {
	ID, Name   string
	Carrier    string
	Scopes     []string
	RatePerMin int
	Created    time.Time
	Disabled   bool
}

// Has reports whether the client holds scope.
func (c Client) Has(scope string) bool { return slices.Contains(c.Scopes, scope) }

// AddClient creates a client and returns its API key, shown once: the hub
// keeps only its hash.
func (s *Store) AddClient(ctx context.Context, c Client) (string, error) {
	if !ValidNodeID(c.ID) || strings.TrimSpace(c.Name) == "" {
		return "", fmt.Errorf("%w: a client needs an id (letters, digits, - or _) and a name", ErrInvalid)
	}
	if len(c.Scopes) == 0 {
		return "", fmt.Errorf("%w: client %s: give at least one scope of %s", ErrInvalid, c.ID, strings.Join(Scopes, ", "))
	}
	for _, sc := range c.Scopes {
		if !slices.Contains(Scopes, sc) {
			return "", fmt.Errorf("%w: client %s: scope %q: use %s", ErrInvalid, c.ID, sc, strings.Join(Scopes, ", "))
		}
	}
	if c.RatePerMin <= 0 {
		c.RatePerMin = 600
	}
	key := "cy_" + NewToken()
	err := s.Write(ctx, func(tx *sql.Tx) error {
		if c.Carrier != "" {
			var one int
			if err := tx.QueryRowContext(ctx, "SELECT 1 FROM carriers WHERE code = ?", c.Carrier).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%w: carrier %s", ErrNotFound, c.Carrier)
			} else if err != nil {
				return err
			}
		}
		var one int
		if err := tx.QueryRowContext(ctx, "SELECT 1 FROM api_clients WHERE id = ?", c.ID).Scan(&one); err == nil {
			return fmt.Errorf("%w: client %s", ErrExists, c.ID)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO api_clients (id, name, carrier, key_hash, scopes, rate_per_min, created_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, c.ID, strings.TrimSpace(c.Name), c.Carrier, hashSecret(key), strings.Join(c.Scopes, " "),
			c.RatePerMin, s.now().UnixMilli())
		return err
	})
	if err != nil {
		return "", err
	}
	return key, nil
}

const clientSelect = "SELECT id, name, carrier, scopes, rate_per_min, created_ms, disabled FROM api_clients"

func scanClient(r scanner) (Client, error) {
	var c Client
	var scopes string
	var created int64
	err := r.Scan(&c.ID, &c.Name, &c.Carrier, &scopes, &c.RatePerMin, &created, &c.Disabled)
	c.Scopes, c.Created = strings.Fields(scopes), time.UnixMilli(created)
	return c, err
}

// AuthClient returns the enabled client holding key, or ErrUnauthorized.
func (s *Store) AuthClient(ctx context.Context, key string) (Client, error) {
	if key == "" {
		return Client{}, ErrUnauthorized
	}
	c, err := scanClient(s.r.QueryRowContext(ctx, clientSelect+" WHERE key_hash = ? AND disabled = 0", hashSecret(key)))
	if errors.Is(err, sql.ErrNoRows) {
		return Client{}, ErrUnauthorized
	}
	return c, classify(err)
}

// Clients returns every client, by id.
func (s *Store) Clients(ctx context.Context) ([]Client, error) {
	rows, err := s.r.QueryContext(ctx, clientSelect+" ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("read clients: %w", classify(err))
	}
	defer rows.Close()
	var out []Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, classify(rows.Err())
}

// SetClientDisabled disables (revokes the key of) or enables a client.
func (s *Store) SetClientDisabled(ctx context.Context, id string, disabled bool) error {
	return s.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE api_clients SET disabled = ? WHERE id = ?", disabled, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: client %s", ErrNotFound, id)
		}
		return nil
	})
}

// IdemTTL is how long an answer to an idempotent write is kept.
const IdemTTL = 24 * time.Hour

// Idem is a stored answer to a write that carried an Idempotency-Key.
type Idem struct {
	RequestHash string
	Status      int
	Body        []byte
}

// Idempotent returns the answer stored for (client, key) within IdemTTL.
func (s *Store) Idempotent(ctx context.Context, client, key string) (Idem, bool, error) {
	var a Idem
	err := s.r.QueryRowContext(ctx, "SELECT request_hash, status, body FROM idempotency WHERE client = ? AND key = ? AND created_ms > ?",
		client, key, s.now().Add(-IdemTTL).UnixMilli()).Scan(&a.RequestHash, &a.Status, &a.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return a, false, nil
	}
	if err != nil {
		return a, false, classify(err)
	}
	return a, true, nil
}

// RememberIdempotent stores the answer to (client, key) and forgets
// answers older than IdemTTL.
func (s *Store) RememberIdempotent(ctx context.Context, client, key string, a Idem) error {
	now := s.now()
	return s.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM idempotency WHERE created_ms <= ?", now.Add(-IdemTTL).UnixMilli()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO idempotency (client, key, request_hash, status, body, created_ms) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (client, key) DO UPDATE SET request_hash = excluded.request_hash, status = excluded.status, body = excluded.body,
			created_ms = excluded.created_ms`, client, key, a.RequestHash, a.Status, a.Body, now.UnixMilli())
		return err
	})
}
