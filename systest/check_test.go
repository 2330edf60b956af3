package systest

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"cunyou/syncproto"
)

// opKey is an op's identity.
type opKey struct {
	node, inc string
	seq       uint64
}

func (k opKey) String() string { return fmt.Sprintf("%s/%s/%d", k.node, k.inc, k.seq) }

// opSet maps every op's identity to its hash.
type opSet map[opKey]string

// add puts other's ops in s; an identity with two hashes is a problem.
func (s opSet) add(other opSet) []string {
	var probs []string
	for k, h := range other {
		if old, ok := s[k]; ok && old != h {
			probs = append(probs, fmt.Sprintf("op %v has two hashes at the edge: %s and %s", k, old, h))
		}
		s[k] = h
	}
	return probs
}

// edgeOps reads an edge database's outbox (every incarnation).
func edgeOps(ctx context.Context, db *sql.DB) (opSet, error) {
	var node string
	if err := db.QueryRowContext(ctx, "SELECT node_id FROM node WHERE id = 1").Scan(&node); err != nil {
		return nil, fmt.Errorf("read edge identity: %w", err)
	}
	rows, err := db.QueryContext(ctx, "SELECT incarnation, seq, hash FROM outbox")
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	defer rows.Close()
	out := opSet{}
	for rows.Next() {
		k := opKey{node: node}
		var h string
		if err := rows.Scan(&k.inc, &k.seq, &h); err != nil {
			return nil, err
		}
		out[k] = h
	}
	return out, rows.Err()
}

// hubState is what the hub's database holds, as the invariants see it.
type hubState struct {
	ops         opSet
	opRows      int
	notApplied  []string
	cursors     map[[2]string]uint64 // node, incarnation → acked seq
	deadLetters []string
	quarantine  []string
	exceptions  []string
	dupFacts    []string
	parcels     map[[2]string]hubParcel // waybill, direction
}

type hubParcel struct{ status, node string }

func readHub(ctx context.Context, db *sql.DB) (hubState, error) {
	s := hubState{ops: opSet{}, cursors: map[[2]string]uint64{}, parcels: map[[2]string]hubParcel{}}
	q := func(query string, scan func(*sql.Rows) error) error {
		rows, err := db.QueryContext(ctx, query)
		if err != nil {
			return fmt.Errorf("%s: %w", query, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	err := q("SELECT node, incarnation, seq, hash, applied FROM ops_by_node", func(r *sql.Rows) error {
		var k opKey
		var h string
		var applied bool
		if err := r.Scan(&k.node, &k.inc, &k.seq, &h, &applied); err != nil {
			return err
		}
		s.opRows++
		s.ops[k] = h
		if !applied {
			s.notApplied = append(s.notApplied, k.String())
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	if err := q("SELECT node, incarnation, acked_seq FROM cursors", func(r *sql.Rows) error {
		var node, inc string
		var seq uint64
		if err := r.Scan(&node, &inc, &seq); err != nil {
			return err
		}
		s.cursors[[2]string{node, inc}] = seq
		return nil
	}); err != nil {
		return s, err
	}
	for _, t := range []struct {
		query string
		dst   *[]string
	}{
		{"SELECT node || '/' || incarnation || '/' || seq || ' ' || kind || ': ' || reason FROM dead_letters", &s.deadLetters},
		{"SELECT node || '/' || incarnation || '/' || seq || ' ' || kind || ': ' || reason FROM quarantine", &s.quarantine},
		{"SELECT waybill || '/' || direction || ': ' || reason || ' ' || ops FROM exceptions", &s.exceptions},
		{"SELECT hub_seq || ' ' || waybill || '/' || direction || ' ×' || count(*) FROM facts GROUP BY hub_seq, waybill, direction, detail HAVING count(*) > 1", &s.dupFacts},
	} {
		if err := q(t.query, func(r *sql.Rows) error {
			var v string
			if err := r.Scan(&v); err != nil {
				return err
			}
			*t.dst = append(*t.dst, v)
			return nil
		}); err != nil {
			return s, err
		}
	}
	err = q("SELECT waybill, direction, status, node FROM parcels", func(r *sql.Rows) error {
		var wb, dir string
		var p hubParcel
		if err := r.Scan(&wb, &dir, &p.status, &p.node); err != nil {
			return err
		}
		s.parcels[[2]string{wb, dir}] = p
		return nil
	})
	return s, err
}

// edgeParcels reads an edge database's parcels: (waybill, direction) →
// status.
func edgeParcels(ctx context.Context, db *sql.DB) (map[[2]string]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT waybill, direction, status FROM parcels")
	if err != nil {
		return nil, fmt.Errorf("read parcels: %w", err)
	}
	defer rows.Close()
	out := map[[2]string]string{}
	for rows.Next() {
		var wb, dir, status string
		if err := rows.Scan(&wb, &dir, &status); err != nil {
			return nil, err
		}
		out[[2]string{wb, dir}] = status
	}
	return out, rows.Err()
}

// lastSeqs returns the last seq of every incarnation in ops.
func lastSeqs(ops opSet) map[[2]string]uint64 {
	out := map[[2]string]uint64{}
	for k := range ops {
		key := [2]string{k.node, k.inc}
		out[key] = max(out[key], k.seq)
	}
	return out
}

// exactlyOnce compares the hub with the ops the edges issued: every op at
// the hub once with the same hash, nothing else there, every op applied,
// every cursor at its incarnation's last seq, nothing set aside, no fact
// twice. It returns the problems found (at most a few of each kind).
func exactlyOnce(hub hubState, issued opSet) []string {
	var probs []string
	var missing, extra, differ []string
	for k, h := range issued {
		got, ok := hub.ops[k]
		switch {
		case !ok:
			missing = append(missing, k.String())
		case got != h:
			differ = append(differ, fmt.Sprintf("%v: hub %s, edge %s", k, got[:8], h[:8]))
		}
	}
	for k := range hub.ops {
		if _, ok := issued[k]; !ok {
			extra = append(extra, k.String())
		}
	}
	add := func(what string, list []string) {
		if len(list) == 0 {
			return
		}
		sort.Strings(list)
		more := ""
		if len(list) > 8 {
			more = fmt.Sprintf(" … (%d in all)", len(list))
			list = list[:8]
		}
		probs = append(probs, fmt.Sprintf("%s: %s%s", what, strings.Join(list, ", "), more))
	}
	add("ops lost (issued at an edge, not at the hub)", missing)
	add("ops at the hub never issued by an edge", extra)
	add("ops at the hub with another hash", differ)
	if hub.opRows != len(hub.ops) {
		probs = append(probs, fmt.Sprintf("hub holds %d op rows for %d identities", hub.opRows, len(hub.ops)))
	}
	add("ops at the hub not applied", hub.notApplied)
	add("dead letters", hub.deadLetters)
	add("quarantined ops", hub.quarantine)
	add("exceptions raised", hub.exceptions)
	add("facts recorded twice", hub.dupFacts)
	var cur []string
	want := lastSeqs(issued)
	for key, last := range want {
		if got := hub.cursors[key]; got != last {
			cur = append(cur, fmt.Sprintf("%s/%s at %d, last seq %d", key[0], key[1], got, last))
		}
	}
	add("hub cursors not at the last seq", cur)
	return probs
}

// sameParcels compares the hub's projection of one node's parcels with
// the node's own: same parcels, same statuses, held by the node.
func sameParcels(hub hubState, node string, edge map[[2]string]string) []string {
	var probs []string
	for k, status := range edge {
		p, ok := hub.parcels[k]
		switch {
		case !ok:
			probs = append(probs, fmt.Sprintf("%s %s/%s: not at the hub", node, k[0], k[1]))
		case p.status != status || p.node != node:
			probs = append(probs, fmt.Sprintf("%s %s/%s: hub says %s at %s, edge says %s", node, k[0], k[1], p.status, p.node, status))
		}
	}
	for k, p := range hub.parcels {
		if _, ok := edge[k]; !ok && p.node == node {
			probs = append(probs, fmt.Sprintf("%s %s/%s: at the hub (%s), unknown to the edge", node, k[0], k[1], p.status))
		}
	}
	sort.Strings(probs)
	if len(probs) > 10 {
		probs = append(probs[:10], fmt.Sprintf("… %d parcel differences in all", len(probs)))
	}
	return probs
}

// edgeManifest reads an edge database's manifest: waybill → entry.
func edgeManifest(ctx context.Context, db *sql.DB) (map[string]syncproto.ManifestEntry, error) {
	rows, err := db.QueryContext(ctx, "SELECT waybill, carrier, receiver_name, receiver_phone, address, weight_g FROM manifest")
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	defer rows.Close()
	out := map[string]syncproto.ManifestEntry{}
	for rows.Next() {
		var m syncproto.ManifestEntry
		if err := rows.Scan(&m.Waybill, &m.Carrier, &m.ReceiverName, &m.ReceiverPhone, &m.Address, &m.WeightGrams); err != nil {
			return nil, err
		}
		out[m.Waybill] = m
	}
	return out, rows.Err()
}
