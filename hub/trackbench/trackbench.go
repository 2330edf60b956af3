// Package trackbench builds the county-scale hub database that the
// tracking benchmarks run on (DESIGN §7: lookups at 10M events).
//
// It simulates the demo county (testdata/county.json) day by day: carriers
// announce parcels to the hub, the centre scans them in, sorts and loads
// them on the day's trips, the trips leave, the stations scan them in and
// hand them out; some parcels are left unclaimed or damaged and go back
// to their carrier, villagers send parcels out, a dispatcher decides where
// the unresolved ones go, carriers push their own events, stations close
// their days. Every fact is an op as its node (or the hub) would record it,
// received in sync rounds.
//
// The ops are written straight into the hub's tables as hub/merge would
// have merged and projected them (ops, cursors, parcels, timeline,
// exceptions, downstream manifests): merging 10M events through the real
// merge would take most of an hour, the direct writer takes minutes. The
// test TestDirectMatchesMerge merges a small county both ways and
// requires the same rows.
//
// Cached keeps the built database in the OS temp folder, keyed by the
// generator's version, the size and the schema, so reruns start at once.
package trackbench

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"cunyou/hub/gazetteer"
	"cunyou/hub/store"
	"cunyou/syncproto"
)

// Version names the generator's output; bump it when the simulation or
// the writer changes, and cached databases are built again. A schema
// change is noticed on its own.
const Version = 3

// Spec is the size of a generated county.
type Spec struct {
	Name   string // names the cached database
	Days   int    // days of history before 14 March 2026
	PerDay int    // inbound parcels a day (more around Double 11, fewer at the Spring Festival)
	// Round is how often nodes upload and the hub records its facts; the
	// projector applies each round at its time.
	Round time.Duration
	Seed  uint64
}

var (
	// County10M is the county at DESIGN §7's scale: 1.8 million parcels
	// with 11 million facts in their timelines, 9 million ops, a year of a
	// busy county.
	County10M = Spec{Name: "10M", Days: 340, PerDay: 5000, Round: 5 * time.Minute, Seed: 1}
	// CountySmall is about 20,000 facts, for the tests.
	CountySmall = Spec{Name: "20k", Days: 12, PerDay: 280, Round: 2 * time.Hour, Seed: 7}
)

// ReaderClient is the API client Generate adds for the HTTP benchmark:
// parcels:read and dispatch, no carrier, and a rate no benchmark reaches.
const ReaderClient = "bench-reader"

// Info describes a generated database.
type Info struct {
	Spec        Spec    `json:"spec"`
	Version     int     `json:"version"`
	Schema      string  `json:"schema"` // hash of the schema the database was built with
	Parcels     int     `json:"parcels"`
	Inbound     int     `json:"inbound"`
	Outbound    int     `json:"outbound"`
	Facts       int     `json:"facts"`
	ParcelFacts int     `json:"parcel_facts"` // facts of a parcel (the rest are the nodes' own: day closes, trips)
	Ops         int     `json:"ops"`
	Rounds      int     `json:"rounds"`
	Exceptions  int     `json:"exceptions"`
	Changes     int     `json:"changes"`
	Receivers   int     `json:"receivers"`
	Trips       int     `json:"trips"`
	Bytes       int64   `json:"bytes"`
	Seconds     float64 `json:"seconds"`
	// APIKey is ReaderClient's key: a key of a throwaway database in the
	// temp folder.
	APIKey string `json:"api_key"`
	Built  string `json:"built"`
}

func (i Info) String() string {
	return fmt.Sprintf("%d parcels (%d in, %d out), %d facts (%d of parcels), %d ops in %d rounds, %d exceptions, %d downstream changes, "+
		"%d receivers, %d trips; %.2f GB; built in %.0f s", i.Parcels, i.Inbound, i.Outbound, i.Facts, i.ParcelFacts, i.Ops, i.Rounds,
		i.Exceptions, i.Changes, i.Receivers, i.Trips, float64(i.Bytes)/1e9, i.Seconds)
}

// Loc is the county's time zone.
var Loc = time.FixedZone("CST", 8*3600)

// County is what Setup made of the county: the simulation to run on it.
type County struct {
	sim    *sim
	APIKey string
}

// Setup loads the county into a new hub database the way an operator
// does (county load, carriers, API clients, vehicles, drivers, trips),
// through the store, and returns the simulation of its parcels. Stations
// that no bus line reaches get a postal van line.
func Setup(ctx context.Context, st *store.Store, spec Spec, countyFile string) (*County, error) {
	c, err := gazetteer.LoadFile(countyFile)
	if err != nil {
		return nil, err
	}
	served := map[string]bool{}
	for _, l := range c.Lines {
		for _, s := range l.Stops {
			served[s] = true
		}
	}
	van := gazetteer.Line{Code: "V1", Name: "望奎邮政乡村班车", Stops: []string{c.Centre.ID}, Departures: []string{"09:00"}}
	for _, s := range c.Stations {
		if !served[s.Village] {
			van.Stops = append(van.Stops, s.Village)
		}
	}
	if len(van.Stops) > 1 {
		van.Stops = append(van.Stops, c.Centre.ID)
		c.Lines = append(c.Lines, van)
		if err := c.Validate(); err != nil {
			return nil, err
		}
	}
	if _, err := st.LoadCounty(ctx, c); err != nil {
		return nil, err
	}
	for _, ck := range carrierKinds {
		if err := st.PutCarrier(ctx, store.Carrier{Code: ck.code, Name: ck.name}); err != nil {
			return nil, err
		}
		if _, err := st.AddClient(ctx, store.Client{ID: ck.code + "-api", Name: ck.name, Carrier: ck.code,
			Scopes: []string{store.ScopeParcelsWrite, store.ScopeParcelsRead}, RatePerMin: 6000}); err != nil {
			return nil, err
		}
	}
	if _, err := st.AddClient(ctx, store.Client{ID: "county-desk", Name: "县分拨调度",
		Scopes: []string{store.ScopeDispatch, store.ScopeParcelsRead}}); err != nil {
		return nil, err
	}
	key, err := st.AddClient(ctx, store.Client{ID: ReaderClient, Name: "benchmark", Scopes: []string{store.ScopeParcelsRead, store.ScopeDispatch},
		RatePerMin: 1 << 30})
	if err != nil {
		return nil, err
	}
	lines, err := st.Lines(ctx)
	if err != nil {
		return nil, err
	}
	s, err := newSim(spec, c, lines, Loc)
	if err != nil {
		return nil, err
	}
	for _, l := range s.lines {
		if err := st.PutVehicle(ctx, store.Vehicle{Plate: l.plate, Kind: "bus", Capacity: 600, Active: true}); err != nil {
			return nil, err
		}
		if err := st.PutDriver(ctx, store.Driver{ID: l.driver, Name: "司机" + l.driver, Active: true}); err != nil {
			return nil, err
		}
	}
	err = st.Write(ctx, func(tx *sql.Tx) error { return s.writeTrips(ctx, tx) })
	return &County{sim: s, APIKey: key}, err
}

// writeTrips writes every trip of the history as the dispatchers left it:
// planned, departed or arrived, with its vehicle and driver.
func (s *sim) writeTrips(ctx context.Context, tx *sql.Tx) error {
	for d := 0; d <= s.spec.Days; d++ {
		base := s.start + int64(d)*day
		date := time.UnixMilli(base).In(s.loc).Format(time.DateOnly)
		for _, l := range s.lines {
			for _, m := range l.departures {
				dep := base + int64(m)*minute
				status, departed := "planned", int64(0)
				switch {
				case dep+int64(l.endMin)*minute <= s.end:
					status, departed = "arrived", dep
				case dep <= s.end:
					status, departed = "departed", dep
				}
				hm := time.UnixMilli(dep).In(s.loc).Format("15:04")
				if _, err := tx.ExecContext(ctx, `INSERT INTO trips (id, line, date, departure, vehicle, driver, status, departed_ms)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, store.TripID(l.code, date, hm), l.code, date, hm, l.plate, l.driver, status,
					departed); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Start is the clock reading when the county is set up: a day before
// its history.
func (c *County) Start() time.Time { return time.UnixMilli(c.sim.start - day) }

// Centres are the centre node ids merge sends manifests to.
func (c *County) Centres() []string { return []string{c.sim.centre.id} }

// Run plays the county's history, handing each round to emit.
func (c *County) Run(emit func(Round) error) error { return c.sim.run(emit) }

// Stats counts what Run produced.
func (c *County) Stats() Stats { return c.sim.stats }

// Generate builds the county of spec into the data folder dir (which must
// not hold a hub database yet) and describes it.
func Generate(ctx context.Context, dir string, spec Spec, countyFile string) (Info, error) {
	began := time.Now()
	info := Info{Spec: spec, Version: Version}
	clk := time.Time{}
	st, err := store.Open(ctx, dir, store.Options{Synchronous: "NORMAL", Now: func() time.Time { return clk }})
	if err != nil {
		return info, err
	}
	// The clock reads the day before the history while the county is set
	// up.
	clk = time.Date(2026, 3, 14, 0, 0, 0, 0, Loc).AddDate(0, 0, -spec.Days-1)
	county, err := Setup(ctx, st, spec, countyFile)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return info, err
	}
	info.APIKey = county.APIKey

	path := filepath.Join(dir, store.DBName)
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=cache_size(-1048576)"+
		"&_pragma=temp_store(MEMORY)")
	if err != nil {
		return info, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// Indexes are dropped while the rows go in and made again after:
	// building an index from sorted keys costs a fraction of keeping it
	// up to date row by row. They come back with the very SQL of the
	// migrations.
	indexes, err := dropIndexes(ctx, db)
	if err != nil {
		return info, err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return info, err
	}
	defer tx.Rollback()
	d := newDirect(ctx, tx, county.Centres())
	rounds := make(chan Round, 64)
	simErr := make(chan error, 1)
	go func() {
		defer close(rounds)
		simErr <- county.Run(func(r Round) error {
			select {
			case rounds <- r:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	for r := range rounds {
		if err == nil {
			err = d.round(r)
		}
	}
	if serr := <-simErr; err == nil {
		err = serr
	}
	if err == nil {
		err = d.finish(tx)
	} else {
		d.b.close()
	}
	if err != nil {
		return info, err
	}
	if err := tx.Commit(); err != nil {
		return info, err
	}
	for _, ix := range indexes {
		if _, err := db.ExecContext(ctx, ix); err != nil {
			return info, fmt.Errorf("trackbench: %s: %w", ix, err)
		}
	}
	if _, err := db.ExecContext(ctx, "PRAGMA journal_mode = WAL"); err != nil {
		return info, err
	}
	stats := county.Stats()
	info.Parcels, info.Inbound, info.Outbound = stats.Parcels, stats.Inbound, stats.Outbound
	info.Ops, info.Rounds, info.Receivers, info.Trips = stats.Ops, stats.Rounds, stats.Receivers, stats.Trips
	info.Facts, info.Exceptions, info.Changes = d.proj.facts, d.proj.exceptions, d.proj.changes
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM facts WHERE waybill <> ''").Scan(&info.ParcelFacts); err != nil {
		return info, err
	}
	var rows int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM parcels").Scan(&rows); err != nil {
		return info, err
	}
	if rows != info.Parcels {
		return info, fmt.Errorf("trackbench: %d parcels simulated, %d rows written", info.Parcels, rows)
	}
	if info.Schema, err = schemaOf(ctx, db); err != nil {
		return info, err
	}
	if err := db.Close(); err != nil {
		return info, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return info, err
	}
	info.Bytes, info.Seconds, info.Built = fi.Size(), time.Since(began).Seconds(), time.Now().UTC().Format(time.RFC3339)
	return info, nil
}

// dropIndexes drops the indexes of the tables the direct writer fills and
// returns the statements that make them again.
func dropIndexes(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
		AND tbl_name IN ('ops', 'facts', 'parcels', 'exceptions', 'changes') ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, err
		}
		names, defs = append(names, name), append(defs, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, err := db.ExecContext(ctx, `DROP INDEX "`+n+`"`); err != nil {
			return nil, err
		}
	}
	return defs, nil
}

// schemaHash is the hash of the schema this build creates.
func schemaHash(ctx context.Context) (string, error) {
	dir, err := os.MkdirTemp("", "trackbench-schema-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		return "", err
	}
	defer st.Close()
	return schemaOf(ctx, st.DB())
}

// schemaOf is the hash of db's schema: its version and definitions.
func schemaOf(ctx context.Context, db *sql.DB) (string, error) {
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return "", err
	}
	rows, err := db.QueryContext(ctx, "SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	h := sha256.New()
	fmt.Fprintf(h, "version %d\n", v)
	for rows.Next() {
		var typ, name, def string
		if err := rows.Scan(&typ, &name, &def); err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %s %s\n", typ, name, def)
	}
	return hex.EncodeToString(h.Sum(nil)), rows.Err()
}

// cached remembers the databases checked or built by this process.
var cached struct {
	sync.Mutex
	m map[string]Info
}

// Cached returns the data folder of the county of spec in the OS temp
// folder, building it first when it is missing or was built by another
// generator version or for another schema. Open it with store.Open and
// only read: every benchmark shares it. logf, if set, is told what
// happened.
func Cached(ctx context.Context, spec Spec, countyFile string, logf func(format string, args ...any)) (string, Info, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	cached.Lock()
	defer cached.Unlock()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("cunyou-trackbench-%s-v%d", spec.Name, Version))
	if info, ok := cached.m[dir]; ok {
		return dir, info, nil
	}
	if cached.m == nil {
		cached.m = map[string]Info{}
	}
	schema, err := schemaHash(ctx)
	if err != nil {
		return "", Info{}, err
	}
	var info Info
	meta, err := os.ReadFile(filepath.Join(dir, "info.json"))
	if err == nil && json.Unmarshal(meta, &info) == nil && info.Spec == spec && info.Version == Version && info.Schema == schema {
		if _, err := os.Stat(filepath.Join(dir, store.DBName)); err == nil {
			logf("county %s (cached in %s): %s", spec.Name, dir, info)
			cached.m[dir] = info
			return dir, info, nil
		}
	}
	logf("building county %s in %s (once; the 10M county takes a few minutes)…", spec.Name, dir)
	tmp := fmt.Sprintf("%s.build-%d", dir, os.Getpid())
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return "", Info{}, err
	}
	info, err = Generate(ctx, tmp, spec, countyFile)
	if err == nil && info.Schema != schema {
		err = errors.New("trackbench: the county was built with another schema than this build makes")
	}
	if err == nil {
		meta, _ = json.MarshalIndent(info, "", "  ")
		err = os.WriteFile(filepath.Join(tmp, "info.json"), meta, 0o600)
	}
	if err == nil {
		os.RemoveAll(dir)
		err = os.Rename(tmp, dir)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return "", Info{}, fmt.Errorf("build county %s: %w", spec.Name, err)
	}
	logf("county %s built in %s: %s", spec.Name, dir, info)
	cached.m[dir] = info
	return dir, info, nil
}

// Sample picks lookups from a database: its keys, for the benchmarks to
// ask for at random.
type Sample struct {
	Waybills []string
	Phones   []string
	Stations []string
	Trips    []string
}

// TakeSample reads n random waybills, receivers' phones and trips of the
// database, and every station.
func TakeSample(ctx context.Context, db *sql.DB, n int, seed uint64) (Sample, error) {
	var s Sample
	var maxID int64
	if err := db.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM parcels").Scan(&maxID); err != nil {
		return s, err
	}
	if maxID == 0 {
		return s, errors.New("trackbench: no parcels")
	}
	rng := newRand(seed)
	for len(s.Waybills) < n {
		var wb, phone, dir, trip string
		err := db.QueryRowContext(ctx, "SELECT waybill, receiver_phone, direction, trip FROM parcels WHERE id = ?", 1+rng.Int64N(maxID)).
			Scan(&wb, &phone, &dir, &trip)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return s, err
		}
		s.Waybills = append(s.Waybills, wb)
		if dir == "in" {
			s.Phones = append(s.Phones, phone)
		}
		if trip != "" {
			s.Trips = append(s.Trips, trip)
		}
	}
	rows, err := db.QueryContext(ctx, "SELECT node_id FROM nodes WHERE kind = ? ORDER BY node_id", string(syncproto.NodeStation))
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return s, err
		}
		s.Stations = append(s.Stations, id)
	}
	slices.Sort(s.Stations)
	return s, rows.Err()
}

// StationStatuses are the statuses a station's page is asked in: its
// shelf, what it handed out, problems, returns, what is on its way.
var StationStatuses = strings.Fields("at_station picked_up problem returning in_transit sorted")
