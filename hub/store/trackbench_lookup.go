package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cunyou/sqlitedb"
	"cunyou/syncproto"
)

// The tracking index's hot reads at county scale (DESIGN §7: a lookup's
// p99 within 2 ms at 10M events; measured by hub/trackbench): a parcel
// with its timeline in one statement, and the open API's searches written
// so SQLite reads them from an index in the order asked for. Statements
// are prepared once for the read pool: preparing the timeline's join costs
// more than running it.

// Lookups holds the prepared statements of the hot reads, on a read pool
// of their own. It is safe for concurrent use; Close it before the store.
type Lookups struct {
	st       *Store
	db       *sql.DB
	tracking *sql.Stmt
	streams  atomic.Pointer[map[int64]streamNode]
	streamMu sync.Mutex

	mu    sync.Mutex
	finds map[string]*sql.Stmt // FindParcels' shapes, by query
}

// qTracking reads a waybill's parcels (k = 0) and the facts of its
// timeline (k = 1) in one statement; the facts' columns sit in the
// parcels' columns of the same type. Its second half is the timeline view
// without the node's name (streamNode supplies it), read from the partial
// index facts_waybill alone: a fact carries its op's kind, stream, seq,
// clock and time of receipt (migration 0008).
const qTracking = `SELECT 0, direction, carrier, status, node, receiver_name, receiver_phone, code, dest, dest_reason, dest_detail,
	trip, address, weight_g, value_fen, sender_name, source, created_ms, updated_hlc, updated_ms, last_op
	FROM parcels WHERE waybill = ?1
UNION ALL
SELECT 1, direction, '', '', kind, detail, '', '', '', '', '',
	'', '', seq, stream, '', '', 0, hlc, received_ms, id
	FROM facts WHERE waybill = ?1 AND waybill <> ''`

// LookupOptions configure OpenLookups; the zero value is what the 10M
// county measured best on 2 cores.
type LookupOptions struct {
	// Readers is the size of the lookups' read pool: GOMAXPROCS when 0.
	// SQLite reads are CPU work: more connections than cores only queue
	// inside SQLite instead of in the pool, and split the page cache.
	Readers int
	// CacheKiB is each reader's page cache: 32 MiB when 0, which holds the
	// upper levels of the parcels', facts' and ops' B-trees of a
	// county-scale database (SQLite's default is 2 MiB).
	CacheKiB int
	// MmapBytes is how much of the database file each reader maps into
	// memory (PRAGMA mmap_size), so that its pages are read without a
	// system call and a copy each: when 0 as much as SQLite allows (this
	// build: 2 GiB); negative turns it off.
	MmapBytes int64
}

// OpenLookups opens the hot reads' own read pool and prepares them.
func (s *Store) OpenLookups(ctx context.Context, o LookupOptions) (*Lookups, error) {
	if o.Readers <= 0 {
		o.Readers = runtime.GOMAXPROCS(0)
	}
	if o.CacheKiB <= 0 {
		o.CacheKiB = 32 << 10
	}
	if o.MmapBytes == 0 {
		o.MmapBytes = 1 << 40 // SQLite lowers it to its limit
	}
	dsn := sqlitedb.DSN(s.path, sqlitedb.Options{BusyTimeout: 5 * time.Second, Synchronous: "FULL"}, true) +
		"&_pragma=cache_size(-" + strconv.Itoa(o.CacheKiB) + ")"
	if o.MmapBytes > 0 {
		dsn += "&_pragma=mmap_size(" + strconv.FormatInt(o.MmapBytes, 10) + ")"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open lookups: %w", err)
	}
	db.SetMaxOpenConns(o.Readers)
	db.SetMaxIdleConns(o.Readers)
	st, err := db.PrepareContext(ctx, qTracking)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare tracking: %w", classify(err))
	}
	return &Lookups{st: s, db: db, tracking: st, finds: map[string]*sql.Stmt{}}, nil
}

// Close closes the statements.
func (l *Lookups) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, st := range l.finds {
		st.Close()
	}
	l.finds = map[string]*sql.Stmt{}
	return errors.Join(l.tracking.Close(), l.db.Close())
}

// Tracking returns the parcel of a waybill in each direction (inbound
// first) and every fact of its timeline in the hub's order of receipt:
// ParcelsByWaybill and Timeline(waybill, "") in one statement. No parcel
// is ErrNotFound (with the facts, if any).
func (l *Lookups) Tracking(ctx context.Context, waybill string) ([]Parcel, []Fact, error) {
	ctx = short(ctx)
	rows, err := l.tracking.QueryContext(ctx, waybill)
	if err != nil {
		return nil, nil, fmt.Errorf("read tracking: %w", classify(err))
	}
	defer rows.Close()
	var (
		ps      []Parcel
		fs      []Fact
		streams []int64
		k       int
		r       Parcel
		seq     int64
		c, hl   int64
		upd     int64
	)
	for rows.Next() {
		if err := rows.Scan(&k, &r.Direction, &r.Carrier, &r.Status, &r.Node, &r.ReceiverName, &r.ReceiverPhone, &r.Code, &r.Dest,
			&r.DestReason, &r.DestDetail, &r.Trip, &r.Address, &seq, &r.ValueFen, &r.SenderName, &r.Source, &c, &hl, &upd,
			&r.LastOp); err != nil {
			return nil, nil, fmt.Errorf("read tracking: %w", classify(err))
		}
		if k == 0 {
			p := r
			p.Waybill, p.WeightGrams = waybill, int(seq)
			p.Created, p.UpdatedHLC, p.Updated = msTime(c), syncproto.Timestamp(hl), time.UnixMilli(upd)
			ps = append(ps, p)
			continue
		}
		// A fact: direction, kind (in node), detail (in receiver_name),
		// seq, stream (in value_fen), hlc, received and id (in last_op).
		fs = append(fs, Fact{ID: r.LastOp, Waybill: waybill, Direction: r.Direction, Seq: uint64(seq),
			Kind: syncproto.EventKind(r.Node), HLC: syncproto.Timestamp(hl), Received: time.UnixMilli(upd), Detail: r.ReceiverName})
		streams = append(streams, int64(r.ValueFen))
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read tracking: %w", classify(err))
	}
	rows.Close()
	for i, stream := range streams {
		n, err := l.streamNode(ctx, stream)
		if err != nil {
			return nil, nil, err
		}
		fs[i].Node, fs[i].Incarnation = n.node, n.incarnation
	}
	slices.SortFunc(ps, func(a, b Parcel) int { return cmp.Compare(a.Direction, b.Direction) })
	slices.SortFunc(fs, func(a, b Fact) int { return cmp.Compare(a.ID, b.ID) })
	if len(ps) == 0 {
		return nil, fs, fmt.Errorf("%w: waybill %s", ErrNotFound, waybill)
	}
	return ps, fs, nil
}

// short detaches a short read from its caller's cancellation: with a
// context that can end, database/sql and the driver each start a goroutine
// to watch it and SQLite calls a progress handler, for every query — more
// work than a lookup of a fraction of a millisecond, which finishes anyway.
func short(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// streamNode is the node and incarnation of an ops stream, as the view
// ops_by_node names them: a stream's are set when it is made and never
// change, so they are read once (again when a new stream turns up).
type streamNode struct{ node, incarnation string }

func (l *Lookups) streamNode(ctx context.Context, stream int64) (streamNode, error) {
	if stream == 0 {
		return streamNode{node: syncproto.HubNode}, nil // the hub's own facts: no cursor
	}
	if m := l.streams.Load(); m != nil {
		if n, ok := (*m)[stream]; ok {
			return n, nil
		}
	}
	l.streamMu.Lock()
	defer l.streamMu.Unlock()
	if m := l.streams.Load(); m != nil {
		if n, ok := (*m)[stream]; ok {
			return n, nil
		}
	}
	rows, err := l.db.QueryContext(ctx, "SELECT stream, node, incarnation FROM cursors")
	if err != nil {
		return streamNode{}, fmt.Errorf("read streams: %w", classify(err))
	}
	defer rows.Close()
	m := map[int64]streamNode{}
	for rows.Next() {
		var id int64
		var n streamNode
		if err := rows.Scan(&id, &n.node, &n.incarnation); err != nil {
			return streamNode{}, fmt.Errorf("read streams: %w", classify(err))
		}
		m[id] = n
	}
	if err := rows.Err(); err != nil {
		return streamNode{}, fmt.Errorf("read streams: %w", classify(err))
	}
	l.streams.Store(&m)
	if n, ok := m[stream]; ok {
		return n, nil
	}
	// An op whose stream has no cursor reads as the view reads it.
	return streamNode{node: syncproto.HubNode}, nil
}

// FindParcels is Store.FindParcels (the same parcels in the same order),
// written for the indexes: the partial indexes' conditions repeated (SQLite
// uses a partial index only when the query states its condition), and a
// station's parcels in one status read as the newest of what the station
// holds merged with the newest of what is destined for it, each from its
// index in order of change (parcels_node_status, parcels_dest_status),
// instead of every parcel the station ever had.
func (l *Lookups) FindParcels(ctx context.Context, q ParcelQuery) ([]Parcel, error) {
	query, args := findQuery(q)
	st, err := l.find(ctx, query)
	if err != nil {
		return nil, err
	}
	if q.Phone != "" || q.Trip != "" || q.Station != "" && q.Status != "" {
		ctx = short(ctx) // a page read from an index in order
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("read parcels: %w", classify(err))
	}
	defer rows.Close()
	var out []Parcel
	for rows.Next() {
		p, err := scanParcel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, classify(rows.Err())
}

// find returns the prepared statement of query, preparing it the first
// time (FindParcels has a few dozen shapes).
func (l *Lookups) find(ctx context.Context, query string) (*sql.Stmt, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st, ok := l.finds[query]; ok {
		return st, nil
	}
	st, err := l.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare parcel search: %w", classify(err))
	}
	l.finds[query] = st
	return st, nil
}

// findOrder is FindParcels' order: newest change first.
const findOrder = " ORDER BY updated_ms DESC, waybill DESC, direction DESC LIMIT ?"

// findQuery writes q as SQL with its arguments.
func findQuery(q ParcelQuery) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where, args = append(where, cond), append(args, a...)
	}
	if q.Phone != "" {
		add("receiver_phone = ? AND receiver_phone <> ''", q.Phone)
	}
	if q.Status != "" {
		add("status = ?", q.Status)
	}
	if q.Trip != "" {
		add("trip = ? AND trip <> ''", q.Trip)
	}
	if q.Carrier != "" {
		add("carrier = ?", q.Carrier)
	}
	if c := q.After; c != nil {
		// The first condition is implied by the second; it lets SQLite
		// start the index at the cursor.
		add("updated_ms <= ? AND (updated_ms < ? OR updated_ms = ? AND (waybill < ? OR waybill = ? AND direction < ?))",
			c.UpdatedMs, c.UpdatedMs, c.UpdatedMs, c.Waybill, c.Waybill, c.Direction)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	clause := func(extra string) string {
		all := where
		if extra != "" {
			all = append([]string{extra}, where...)
		}
		if len(all) == 0 {
			return ""
		}
		return " WHERE " + strings.Join(all, " AND ")
	}
	switch {
	case q.Station == "":
		return parcelSelect + clause("") + findOrder, append(args, limit)
	case q.Phone != "" || q.Trip != "" || q.Status == "":
		// A phone or trip is the narrower index; a station in any status
		// has no index in order of change.
		st := "(node = ? OR dest = ? AND dest <> '')"
		return parcelSelect + clause(st) + findOrder, append(append([]any{q.Station, q.Station}, args...), limit)
	}
	// A station in one status: UNION drops a parcel both held by and
	// destined for the station once, as OR does.
	full := slices.Concat([]any{q.Station}, args, []any{q.Station}, args, []any{limit})
	return parcelSelect + clause("node = ?") + " UNION " + parcelSelect + clause("dest = ? AND dest <> ''") + findOrder, full
}
