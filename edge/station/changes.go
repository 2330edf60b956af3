package station

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"cunyou/edge/store"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// ChangeOutcome says what became of one downstream change that was not
// applied.
type ChangeOutcome struct {
	Seq    uint64               `json:"seq"`
	Type   syncproto.ChangeType `json:"type"`
	Reason string               `json:"reason"`
}

// ApplyResult counts what ApplyChanges did.
type ApplyResult struct {
	Applied int
	// Skipped are changes of types this build does not know: an older
	// edge keeps syncing with a newer hub.
	Skipped []ChangeOutcome
	// Refused are changes that cannot apply here (a payload that does not
	// decode or check, a shelf layout that would drop loaded layers). They
	// are passed over, never retried: one bad change must not hold up
	// every change behind it.
	Refused []ChangeOutcome
}

// ApplyChanges applies downstream changes from the hub (manifests, tariffs,
// waybill ranges, shelves, operators, templates, vehicles approaching) and advances the
// downstream cursor to cursor, all in one transaction: after a crash either
// both are there or neither. Applying the same changes again is harmless.
// No op is recorded: the facts are the hub's. Only a storage failure fails
// the whole batch; the cursor and data are then left as they were.
func (s *Station) ApplyChanges(ctx context.Context, changes []syncproto.Change, cursor uint64) (ApplyResult, error) {
	var res ApplyResult
	err := s.st.Write(ctx, "hub", func(tx *store.Tx) error {
		res = ApplyResult{}
		cur, err := tx.DownCursor()
		if err != nil {
			return err
		}
		newSkips := 0
		for _, c := range changes {
			if !c.Type.Known() {
				if c.Seq > cur {
					newSkips++ // counted once, however often re-applied
				}
				res.Skipped = append(res.Skipped, ChangeOutcome{Seq: c.Seq, Type: c.Type, Reason: "unknown type"})
				continue
			}
			err := s.applyChangeOn(ctx, tx, c)
			var refusal *changeRefusal
			switch {
			case err == nil:
				res.Applied++
			case errors.As(err, &refusal):
				res.Refused = append(res.Refused, ChangeOutcome{Seq: c.Seq, Type: c.Type, Reason: refusal.reason})
			default:
				return fmt.Errorf("apply change %d (%s): %w", c.Seq, c.Type, err)
			}
		}
		return tx.AdvanceDownCursor(cursor, newSkips)
	})
	if err != nil {
		return ApplyResult{}, err
	}
	return res, nil
}

// changeRefusal is a change that cannot apply: passed over, not retried.
type changeRefusal struct{ reason string }

func (r *changeRefusal) Error() string { return r.reason }

func refuse(format string, args ...any) error {
	return &changeRefusal{reason: fmt.Sprintf(format, args...)}
}

// decode reads a change's payload strictly.
func decode[T any](c syncproto.Change) (T, error) {
	var v T
	if err := json.Unmarshal(c.Payload, &v); err != nil {
		return v, refuse("payload: %v", err)
	}
	return v, nil
}

func applyChange(ctx context.Context, tx *store.Tx, c syncproto.Change) error {
	switch c.Type {
	case syncproto.ChangeManifest:
		e, err := decode[syncproto.ManifestEntry](c)
		if err != nil {
			return err
		}
		if e, err = checkManifest(e); err != nil {
			return refuse("%v", err)
		}
		return upsertManifest(ctx, tx, e)
	case syncproto.ChangeManifestCancel:
		m, err := decode[syncproto.ManifestCancel](c)
		if err != nil {
			return err
		}
		wb, err := waybill.Normalize(m.Waybill)
		if err != nil {
			return refuse("manifest cancel: %v", err)
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM manifest WHERE waybill = ?", wb)
		return err
	case syncproto.ChangeTariffs:
		t, err := decode[syncproto.Tariffs](c)
		if err != nil {
			return err
		}
		if err := checkTariffs(t.Tariffs); err != nil {
			return refuse("%v", err)
		}
		return replaceTariffs(ctx, tx, t.Tariffs)
	case syncproto.ChangeWaybillRange:
		r, err := decode[syncproto.WaybillRange](c)
		if err != nil {
			return err
		}
		if err := checkWaybillRange(r); err != nil {
			return refuse("%v", err)
		}
		return upsertWaybillRange(ctx, tx, r)
	case syncproto.ChangeShelves:
		sh, err := decode[syncproto.ShelvesSet](c)
		if err != nil {
			return err
		}
		return applyShelves(ctx, tx, sh.Shelves)
	case syncproto.ChangeOperator:
		a, err := decode[syncproto.OperatorAccount](c)
		if err != nil {
			return err
		}
		return upsertAccount(ctx, tx, a)
	case syncproto.ChangeTemplate:
		tp, err := decode[syncproto.Template](c)
		if err != nil {
			return err
		}
		if tp.Key == "" {
			return refuse("template without a key")
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO templates (key, text, updated_ms) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET text = excluded.text, updated_ms = excluded.updated_ms`, tp.Key, tp.Text, tx.Now().UnixMilli())
		return err
	case syncproto.ChangeTripApproaching:
		return applyApproaching(ctx, tx, c)
	}
	return refuse("type %q has no handler", c.Type)
}

// applyShelves sets the layout the county chose. Like SetShelves it never
// drops or shrinks a layer below the parcels on it; such a layout is
// refused whole.
func applyShelves(ctx context.Context, tx *store.Tx, shelves []syncproto.Shelf) error {
	seen := map[int]bool{}
	want := map[[2]int]int{}
	for _, sh := range shelves {
		if sh.No < 1 || sh.No > maxShelves || sh.Layers < 1 || sh.Layers > maxLayers || sh.Capacity < 1 || sh.Capacity > maxCapacity || seen[sh.No] {
			return refuse("shelf %d: invalid", sh.No)
		}
		seen[sh.No] = true
		for l := 1; l <= sh.Layers; l++ {
			want[[2]int{sh.No, l}] = sh.Capacity
		}
	}
	rows, err := tx.QueryContext(ctx, "SELECT shelf, layer, used FROM slots WHERE used > 0")
	if err != nil {
		return err
	}
	var inUse error
	for rows.Next() {
		var sh, l, used int
		if err := rows.Scan(&sh, &l, &used); err != nil {
			rows.Close()
			return err
		}
		if c, ok := want[[2]int{sh, l}]; (!ok || c < used) && inUse == nil {
			inUse = refuse("shelf %d layer %d holds %d parcels", sh, l, used)
		}
	}
	rows.Close()
	if inUse != nil {
		return inUse
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM slots WHERE used = 0"); err != nil {
		return err
	}
	for k, c := range want {
		if _, err := tx.ExecContext(ctx, `INSERT INTO slots (shelf, layer, capacity) VALUES (?, ?, ?)
			ON CONFLICT (shelf, layer) DO UPDATE SET capacity = excluded.capacity`, k[0], k[1], c); err != nil {
			return err
		}
	}
	return nil
}

// upsertAccount creates or updates an account provisioned by the county,
// with the secret's hash as given. A disabled account or a new secret ends
// the account's sessions.
func upsertAccount(ctx context.Context, tx *store.Tx, a syncproto.OperatorAccount) error {
	a.Username = strings.ToLower(strings.TrimSpace(a.Username))
	a.DisplayName = strings.TrimSpace(a.DisplayName)
	switch {
	case !usernameRe.MatchString(a.Username):
		return refuse("operator %q: bad username", a.Username)
	case a.Role != RoleOwner && a.Role != RoleClerk:
		return refuse("operator %s: bad role %q", a.Username, a.Role)
	case a.SecretKind != "password" && a.SecretKind != "pin":
		return refuse("operator %s: bad secret kind %q", a.Username, a.SecretKind)
	case !strings.HasPrefix(a.SecretHash, "$argon2id$") || len(strings.Split(a.SecretHash, "$")) != 6:
		return refuse("operator %s: secret is not an argon2id hash", a.Username)
	}
	if a.DisplayName == "" {
		a.DisplayName = a.Username
	}
	var id int64
	var oldHash string
	err := tx.QueryRowContext(ctx, "SELECT id, secret FROM operators WHERE username = ?", a.Username).Scan(&id, &oldHash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	default:
		if _, err := tx.ExecContext(ctx, "UPDATE operators SET display_name = ?, role = ?, secret_kind = ?, secret = ?, disabled = ? WHERE id = ?",
			a.DisplayName, a.Role, a.SecretKind, a.SecretHash, a.Disabled, id); err != nil {
			return err
		}
		if a.Disabled || oldHash != a.SecretHash {
			_, err = tx.ExecContext(ctx, "DELETE FROM sessions WHERE operator_id = ?", id)
		}
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO operators (username, display_name, role, secret_kind, secret, disabled, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, a.Username, a.DisplayName, a.Role, a.SecretKind, a.SecretHash, a.Disabled, tx.Now().UnixMilli())
	return err
}

// Templates returns the message templates the hub sent, by key.
func (s *Station) Templates(ctx context.Context) (map[string]string, error) {
	rows, err := s.st.DB().QueryContext(ctx, "SELECT key, text FROM templates")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// String renders an outcome for a log line: no payload, so no personal
// data.
func (o ChangeOutcome) String() string {
	return strconv.FormatUint(o.Seq, 10) + " " + string(o.Type) + ": " + o.Reason
}
