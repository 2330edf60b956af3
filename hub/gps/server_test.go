package gps

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/gazetteer"
	"cunyou/hub/store"
)

const (
	plate   = "黑M12345"
	plate2  = "黑M22222"
	phone2  = "13800000002"
	unknown = "13700000000"
)

type hub struct {
	st   *store.Store
	srv  *Server
	addr string
}

// startHub opens a hub database with the test county and two vehicles
// with terminals, and serves GPS on a loopback port until the test ends.
func startHub(t *testing.T, o Options) *hub {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), store.Options{Synchronous: "NORMAL"})
	require.NoError(t, err)
	c, err := gazetteer.LoadFile("../../testdata/county.json")
	require.NoError(t, err)
	_, err = st.LoadCounty(ctx, c)
	require.NoError(t, err)
	require.NoError(t, st.PutVehicle(ctx, store.Vehicle{Plate: plate, Terminal: phone, Active: true}))
	require.NoError(t, st.PutVehicle(ctx, store.Vehicle{Plate: plate2, Terminal: phone2, Active: true}))
	o.Store = st
	if o.FlushEvery == 0 {
		o.FlushEvery = 5 * time.Millisecond
	}
	o.FenceRefresh = time.Millisecond
	srv := New(o)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
		st.Close()
	})
	return &hub{st: st, srv: srv, addr: ln.Addr().String()}
}

func dial(t *testing.T, h *hub, phone string, v2019 bool) *Terminal {
	t.Helper()
	term, err := Dial(context.Background(), h.addr, phone, v2019)
	require.NoError(t, err)
	t.Cleanup(func() { term.Close() })
	return term
}

func TestRegisterAuthReport(t *testing.T) {
	for _, v2019 := range []bool{false, true} {
		name := "2013"
		if v2019 {
			name = "2019"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			h := startHub(t, Options{})
			term := dial(t, h, phone, v2019)
			loc := vecLocation

			res, err := term.Report(ctx, loc)
			require.NoError(t, err)
			assert.Equal(t, ResultFail, res, "a report before authentication is refused")
			res, err = term.Heartbeat(ctx)
			require.NoError(t, err)
			assert.Equal(t, ResultFail, res)
			res, err = term.Authenticate(ctx, "GUESS")
			require.NoError(t, err)
			assert.Equal(t, ResultFail, res)

			require.NoError(t, term.Login(ctx, plate))
			res, err = term.Heartbeat(ctx)
			require.NoError(t, err)
			assert.Equal(t, ResultOK, res)
			res, err = term.Report(ctx, loc)
			require.NoError(t, err)
			assert.Equal(t, ResultOK, res)
			// The answer comes once the report is stored.
			ps, err := h.st.Positions(ctx, plate, 10)
			require.NoError(t, err)
			require.Len(t, ps, 1)
			assert.InDelta(t, 46.869766, ps[0].Lat, 1e-9)
			assert.InDelta(t, 35.6, ps[0].Speed, 1e-9)
			assert.Equal(t, 90, ps[0].Heading)
			assert.True(t, loc.Time.Equal(ps[0].Time))

			// A blind-area batch long enough for sub-packages.
			batch := Drive{Route: Route{{46.8335, 126.481}, {46.9, 126.6}}, Start: loc.Time.Add(time.Minute)}.Fixes(80)
			res, err = term.ReportBatch(ctx, BatchResend, batch)
			require.NoError(t, err)
			assert.Equal(t, ResultOK, res)
			ps, err = h.st.Positions(ctx, plate, 1000)
			require.NoError(t, err)
			assert.Len(t, ps, 81)
			latest, err := h.st.LatestPosition(ctx, plate)
			require.NoError(t, err)
			assert.True(t, batch[79].Time.Equal(latest.Time))

			// A fix from a clock years ahead is refused; in a batch, it
			// alone is left out and does not stand as the latest.
			ahead := loc
			ahead.Time = time.Now().AddDate(5, 0, 0)
			res, err = term.Report(ctx, ahead)
			require.NoError(t, err)
			assert.Equal(t, ResultBadMessage, res)
			next := batch[79]
			next.Time = next.Time.Add(time.Minute)
			res, err = term.ReportBatch(ctx, BatchNormal, []Location{ahead, next})
			require.NoError(t, err)
			assert.Equal(t, ResultOK, res)
			latest, err = h.st.LatestPosition(ctx, plate)
			require.NoError(t, err)
			assert.True(t, next.Time.Equal(latest.Time))

			ts, err := h.st.Terminals(ctx)
			require.NoError(t, err)
			require.Len(t, ts, 1)
			assert.Equal(t, int64(82), ts[0].Reports)
			if v2019 {
				assert.Equal(t, "860000000000000", ts[0].IMEI)
			}

			res, err = term.Logout(ctx)
			require.NoError(t, err)
			assert.Equal(t, ResultOK, res)
			res, err = term.Report(ctx, loc)
			require.NoError(t, err)
			assert.Equal(t, ResultFail, res, "after logout the terminal registers again")
		})
	}
}

func TestUnknownTerminal(t *testing.T) {
	ctx := context.Background()
	h := startHub(t, Options{})
	term := dial(t, h, unknown, false)
	rr, err := term.Register(ctx, vecRegister)
	require.NoError(t, err)
	assert.Equal(t, RegisterTerminalUnknown, rr.Result)
	assert.Empty(t, rr.AuthCode)
	assert.ErrorIs(t, term.Login(ctx, "黑M00000"), ErrAuth)
}

func TestUnsupportedAndBadFrames(t *testing.T) {
	ctx := context.Background()
	h := startHub(t, Options{})
	term := dial(t, h, phone, false)
	require.NoError(t, term.Login(ctx, plate))
	res, err := term.general(ctx, 0x0900, []byte{1, 2, 3})
	require.NoError(t, err)
	assert.Equal(t, ResultUnsupported, res)
	res, err = term.general(ctx, MsgLocation, []byte{1, 2, 3})
	require.NoError(t, err)
	assert.Equal(t, ResultBadMessage, res)

	// Noise, a bad checksum and an encrypted message: the connection
	// stays and answers the next heartbeat.
	_, err = term.conn.Write([]byte{0x7e, 0x00, 0x02, 0x7e, 1, 2, 3})
	require.NoError(t, err)
	f, err := Encode(Packet{Header: Header{ID: MsgHeartbeat, Phone: phone, Serial: 900}})
	require.NoError(t, err)
	f[len(f)-2] ^= 0x55
	_, err = term.conn.Write(f)
	require.NoError(t, err)
	w := make(chan Packet, 1)
	term.mu.Lock()
	term.waiters[901] = w
	term.mu.Unlock()
	f, err = Encode(Packet{Header: Header{ID: MsgHeartbeat, Phone: phone, Serial: 901, Encryption: 1}})
	require.NoError(t, err)
	_, err = term.conn.Write(f)
	require.NoError(t, err)
	g, err := ParseGeneralResponse((<-w).Body)
	require.NoError(t, err)
	assert.Equal(t, ResultUnsupported, g.Result)
	res, err = term.Heartbeat(ctx)
	require.NoError(t, err)
	assert.Equal(t, ResultOK, res)
	assert.GreaterOrEqual(t, h.srv.Stats().BadFrames, int64(2))
}

func TestOneSessionPerTerminal(t *testing.T) {
	ctx := context.Background()
	h := startHub(t, Options{})
	first := dial(t, h, phone, false)
	require.NoError(t, first.Login(ctx, plate))
	second := dial(t, h, phone, false)
	res, err := second.Heartbeat(ctx)
	require.NoError(t, err)
	assert.Equal(t, ResultFail, res, "a new connection authenticates anew")
	res, err = first.Heartbeat(ctx)
	require.NoError(t, err, "a connection that only names the terminal does not replace its session")
	assert.Equal(t, ResultOK, res)
	require.NoError(t, second.Login(ctx, plate))
	<-first.Done() // the hub closed the old connection once the new one authenticated
	other := dial(t, h, phone2, false)
	require.NoError(t, other.Login(ctx, plate2))
	assert.Equal(t, 2, h.srv.Stats().Terminals)
	// A connection that speaks for another terminal is closed.
	_, err = other.Send(MsgHeartbeat, nil)
	require.NoError(t, err)
	f, err := Encode(Packet{Header: Header{ID: MsgHeartbeat, Phone: phone}})
	require.NoError(t, err)
	_, err = other.conn.Write(f)
	require.NoError(t, err)
	<-other.Done()
}

func TestIdleTimeout(t *testing.T) {
	h := startHub(t, Options{IdleTimeout: 50 * time.Millisecond})
	term := dial(t, h, phone, false)
	<-term.Done() // closed by the hub for silence
}

func TestGeofenceEvents(t *testing.T) {
	ctx := context.Background()
	var (
		mu     sync.Mutex
		hooked []store.GeofenceEvent
	)
	h := startHub(t, Options{OnEvents: func(_ context.Context, evs []store.GeofenceEvent) {
		mu.Lock()
		defer mu.Unlock()
		hooked = append(hooked, evs...)
	}})
	trips, err := h.st.PlanTrips(ctx, "2026-11-27")
	require.NoError(t, err)
	var trip store.Trip
	for _, tr := range trips {
		if tr.Line == "L1" {
			trip = tr
			break
		}
	}
	vehicle, departed := plate, "departed"
	require.NoError(t, h.st.UpdateTrip(ctx, trip.ID, store.TripUpdate{Vehicle: &vehicle, Status: &departed}))
	sites, err := h.st.Sites(ctx)
	require.NoError(t, err)
	byNode := map[string]store.Site{}
	for _, s := range sites {
		byNode[s.Node] = s
	}
	// The centre, the first two stations of the line, and back.
	var route Route
	for _, n := range []string{trip.Stops[0].Node, trip.Stops[1].Node, trip.Stops[2].Node, trip.Stops[0].Node} {
		route = append(route, Point{byNode[n].Lat, byNode[n].Lon})
	}
	term := dial(t, h, phone, true)
	require.NoError(t, term.Login(ctx, plate))
	n, err := term.Run(ctx, Drive{Route: route, SpeedKmH: 40, Step: 5 * time.Second, Batch: 20, Start: time.Now().Add(time.Minute)})
	require.NoError(t, err)
	assert.Positive(t, n)
	evs, err := h.st.GeofenceEvents(ctx, trip.ID)
	require.NoError(t, err)
	c, s1, s2 := trip.Stops[0].Node, trip.Stops[1].Node, trip.Stops[2].Node
	var got []string
	for _, e := range evs {
		if e.Node == c || e.Node == s1 || e.Node == s2 { // the road passes other stations too
			got = append(got, e.Kind+" "+e.Node)
		}
		assert.Equal(t, plate, e.Plate)
	}
	assert.Equal(t, []string{"departure " + c, "arrival " + s1, "departure " + s1, "arrival " + s2, "departure " + s2, "arrival " + c}, got)
	// Each stored event reaches OnEvents (the hub's trip.at_stop facts),
	// right after the terminal's answer, and so do the approaches to the
	// stations, which are not stored: the bus came toward both stations
	// from beyond their approach circles.
	stored := func(e store.GeofenceEvent) bool { return e.Kind != store.Approach }
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, e := range hooked {
			if stored(e) {
				n++
			}
		}
		return n == len(evs)
	}, 10*time.Second, 5*time.Millisecond)
	mu.Lock()
	near := map[string]int{}
	for _, e := range hooked {
		assert.Equal(t, trip.ID, e.Trip)
		if !stored(e) {
			near[e.Node]++
		}
	}
	mu.Unlock()
	assert.Equal(t, 1, near[s1], "an approach to %s", s1)
	assert.Equal(t, 1, near[s2], "an approach to %s", s2)
	tr, err := h.st.TripTrack(ctx, trip.ID, China)
	require.NoError(t, err)
	assert.NotEmpty(t, tr.Positions)
}

func TestGeofencer(t *testing.T) {
	f := []Fence{{Node: "A", Lat: 46.8, Lon: 126.5, Radius: 300}}
	assert.True(t, f[0].Contains(46.802, 126.5))  // 222 m north
	assert.False(t, f[0].Contains(46.803, 126.5)) // 333 m north
	assert.False(t, f[0].Contains(46.8, 126.504)) // 305 m east
	g := NewGeofencer(f)
	at := func(sec int, lat float64) store.Position {
		return store.Position{Plate: plate, Lat: lat, Lon: 126.5, Time: time.Unix(int64(sec), 0), Status: StatusPositioned}
	}
	assert.Empty(t, g.Events([]store.Position{at(1, 46.8)}, nil), "the first position only says where the vehicle is")
	evs := g.Events([]store.Position{at(3, 46.81), at(2, 46.8005), at(0, 46.9)}, map[string]string{plate: "T1"})
	require.Len(t, evs, 1, "in time order; older than the latest is not looked at")
	assert.Equal(t, store.GeofenceEvent{Trip: "T1", Plate: plate, Node: "A", Kind: "departure", Time: time.Unix(3, 0), Lat: 46.81,
		Lon: 126.5}, evs[0])
	assert.Len(t, g.Events([]store.Position{at(4, 46.8)}, nil), 1)

	// After a restart, the latest stored position says where the vehicle
	// was: the first report then shows the departure.
	g = NewGeofencer(f)
	g.Seed([]store.Position{at(4, 46.8)})
	evs = g.Events([]store.Position{at(5, 46.81)}, nil)
	require.Len(t, evs, 1)
	assert.Equal(t, "departure", evs[0].Kind)

	// At the fence's edge: a fix just outside the radius does not make a
	// vehicle inside leave, nor does one without a fix (zeros, positioned
	// bit clear); a fix past the margin does.
	g = NewGeofencer(f)
	g.Events([]store.Position{at(1, 46.8)}, nil)
	assert.Empty(t, g.Events([]store.Position{at(2, 46.8028)}, nil), "311 m north, within the margin")
	assert.Empty(t, g.Events([]store.Position{at(3, 46.8)}, nil))
	lost := store.Position{Plate: plate, Time: time.Unix(4, 0)}
	assert.Empty(t, g.Events([]store.Position{lost}, nil), "no fix")
	assert.Empty(t, g.Events([]store.Position{at(5, 46.8)}, nil))
	evs = g.Events([]store.Position{at(6, 46.8035)}, nil)
	require.Len(t, evs, 1, "389 m north, past the margin")
	assert.Equal(t, "departure", evs[0].Kind)
	sites := []store.Site{{Node: "A", Lat: 1, Lon: 2}, {Node: "B"}, {Node: "C", Lat: 1, Lon: 1, Status: "closed"},
		{Node: "D", Kind: "station", Lat: 1, Lon: 3}}
	assert.Equal(t, []Fence{{Node: "A", Lat: 1, Lon: 2, Radius: 300}, {Node: "D", Lat: 1, Lon: 3, Radius: 300, Approach: DefaultApproachRadius}},
		FencesOf(sites, 300))
}

// A vehicle coming toward a station crosses its approach circle once; a
// fix wandering at the circle's edge does not say it again, nor does
// coming back inside after leaving by less than the margin; one coming
// from inside the station's circle does not approach.
func TestGeofencerApproach(t *testing.T) {
	f := []Fence{{Node: "S", Lat: 46.8, Lon: 126.5, Radius: 300, Approach: 3000}}
	g := NewGeofencer(f)
	at := func(sec int, north float64) store.Position { // north: metres north of the station
		return store.Position{Plate: plate, Lat: 46.8 + north/111195, Lon: 126.5, Time: time.Unix(int64(sec), 0), Speed: 40,
			Status: StatusPositioned}
	}
	assert.Empty(t, g.Events([]store.Position{at(1, 5000)}, nil))
	assert.Empty(t, g.Events([]store.Position{at(2, 3200)}, nil), "outside the approach circle")
	evs := g.Events([]store.Position{at(3, 2900)}, map[string]string{plate: "T1"})
	require.Len(t, evs, 1)
	assert.Equal(t, store.Approach, evs[0].Kind)
	assert.Equal(t, "T1", evs[0].Trip)
	assert.InDelta(t, 2900, evs[0].Distance, 5)
	assert.Equal(t, 40.0, evs[0].Speed)
	assert.InDelta(t, 261, ETA(evs[0]).Sub(time.Unix(3, 0)).Seconds(), 1, "2.9 km at 40 km/h")
	slow := evs[0]
	slow.Speed = 5
	assert.InDelta(t, 522, ETA(slow).Sub(time.Unix(3, 0)).Seconds(), 1, "at 20 km/h at least")
	assert.Empty(t, g.Events([]store.Position{at(4, 3030), at(5, 2950)}, nil), "at the edge, within the margin")
	evs = g.Events([]store.Position{at(6, 200)}, nil)
	require.Len(t, evs, 1)
	assert.Equal(t, "arrival", evs[0].Kind, "no second approach on the way in")
	evs = g.Events([]store.Position{at(7, 400), at(8, 3100)}, nil)
	require.Len(t, evs, 1)
	assert.Equal(t, "departure", evs[0].Kind)
	assert.Empty(t, g.Events([]store.Position{at(9, 3100)}, nil))
	assert.Empty(t, g.Events([]store.Position{at(10, 3200)}, nil), "still away")
	evs = g.Events([]store.Position{at(11, 2500)}, nil)
	require.Len(t, evs, 1, "a second visit approaches again")
	assert.Equal(t, store.Approach, evs[0].Kind)

	// Straight into the station's circle (a sparse report): an arrival,
	// no approach.
	g = NewGeofencer(f)
	g.Events([]store.Position{at(1, 5000)}, nil)
	evs = g.Events([]store.Position{at(2, 100)}, nil)
	require.Len(t, evs, 1)
	assert.Equal(t, "arrival", evs[0].Kind)
}

func TestRoute(t *testing.T) {
	r := Route{{46.8, 126.5}, {46.81, 126.5}, {46.81, 126.52}}
	assert.InDelta(t, 1112+1522, r.Length(), 5)
	p, dir := r.At(0)
	assert.Equal(t, Point{46.8, 126.5}, p)
	assert.Equal(t, 0, dir)
	_, dir = r.At(1500)
	assert.Equal(t, 90, dir)
	p, _ = r.At(1e9)
	assert.Equal(t, Point{46.81, 126.52}, p)
	fixes := Drive{Route: r, SpeedKmH: 36, Step: 10 * time.Second, Start: time.Unix(1e9, 0)}.Fixes(1000)
	assert.Len(t, fixes, 27, "100 m a fix over 2.6 km")
	assert.Equal(t, uint16(360), fixes[0].Speed)
	loop := Drive{Route: r, SpeedKmH: 36, Step: 10 * time.Second, Start: time.Unix(1e9, 0), Loop: true}.Fixes(100)
	assert.Len(t, loop, 100)
}

// A connection that has not authenticated cannot void a terminal's auth
// code, replace its session or make the hub hold sub-packages.
func TestBeforeAuthentication(t *testing.T) {
	ctx := context.Background()
	h := startHub(t, Options{})
	victim := dial(t, h, phone, false)
	rr, err := victim.Register(ctx, vecRegister)
	require.NoError(t, err)
	require.Equal(t, RegisterOK, rr.Result)
	res, err := victim.Authenticate(ctx, rr.AuthCode)
	require.NoError(t, err)
	require.Equal(t, ResultOK, res)

	intruder := dial(t, h, phone, false)
	res, err = intruder.Logout(ctx)
	require.NoError(t, err)
	assert.Equal(t, ResultFail, res, "logout before authenticating")
	parts, err := Split(Packet{Header: Header{ID: MsgBatchLocation, Phone: phone}, Body: make([]byte, 3000)}, 0, 0)
	require.NoError(t, err)
	w := make(chan Packet, 1)
	intruder.mu.Lock()
	intruder.waiters[parts[0].Serial] = w
	intruder.mu.Unlock()
	f, err := Encode(parts[0])
	require.NoError(t, err)
	_, err = intruder.conn.Write(f)
	require.NoError(t, err)
	g, err := ParseGeneralResponse((<-w).Body)
	require.NoError(t, err)
	assert.Equal(t, ResultFail, g.Result, "a sub-package before authenticating")

	select {
	case <-victim.Done():
		t.Fatal("an unauthenticated connection closed the terminal's session")
	default:
	}
	res, err = victim.Heartbeat(ctx)
	require.NoError(t, err)
	assert.Equal(t, ResultOK, res)
	again := dial(t, h, phone, false)
	res, err = again.Authenticate(ctx, rr.AuthCode)
	require.NoError(t, err)
	assert.Equal(t, ResultOK, res, "the auth code is still good")
}

// Until it authenticates, a connection is closed one idle timeout after
// it opened, heartbeats or not.
func TestIdleTimeoutBeforeAuthentication(t *testing.T) {
	ctx := context.Background()
	h := startHub(t, Options{IdleTimeout: 300 * time.Millisecond})
	term := dial(t, h, phone, false)
	deadline := time.After(5 * time.Second)
	for {
		select {
		case <-term.Done():
			return
		case <-deadline:
			t.Fatal("an unauthenticated connection kept open by heartbeats")
		case <-time.After(50 * time.Millisecond):
			term.Send(MsgHeartbeat, nil)
		}
		_ = ctx
	}
}

// A terminal that sends and never reads its answers is closed before
// they fill the hub's memory.
func TestUnreadAnswers(t *testing.T) {
	h := startHub(t, Options{})
	c, err := net.Dial("tcp", h.addr)
	require.NoError(t, err)
	defer c.Close()
	hb, err := Encode(Packet{Header: Header{ID: MsgHeartbeat, Phone: phone}})
	require.NoError(t, err)
	chunk := make([]byte, 0, len(hb)*4096)
	for range 4096 {
		chunk = append(chunk, hb...)
	}
	c.SetWriteDeadline(time.Now().Add(20 * time.Second))
	for sent := 0; sent < 64<<20; sent += len(chunk) {
		if _, err = c.Write(chunk); err != nil {
			break
		}
	}
	require.Error(t, err, "the hub kept reading while its answers piled up")
	var ne net.Error
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "the hub closed the connection: %v", err)
}
