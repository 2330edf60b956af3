package trackbench

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"cunyou/hub/gazetteer"
	"cunyou/hub/store"
	"cunyou/syncproto"
)

// The simulation: the county's parcels day by day, each with its real
// journey, as the ops the hub receives. It knows nothing of SQL; Round is
// what it hands to a writer.

// Op is one op as its node (or the hub) recorded it. The hub's own facts
// (Node syncproto.HubNode) have no Seq or HLC yet: the hub gives them when
// it records them.
type Op struct {
	Seq     uint64
	HLC     syncproto.Timestamp
	Actor   string
	Kind    syncproto.EventKind
	Payload any // a pointer to the syncproto payload type of Kind
}

// Delivery is what one node uploads in one round (one ops batch), or the
// hub's own facts recorded in that round (Node syncproto.HubNode).
type Delivery struct {
	Node, Incarnation string
	Ops               []Op
}

// Round is one sync round: at AtMs every node with new ops uploads them,
// the hub records the facts it made since the last round, and the
// projector applies them all before the next round. Deliveries come in the
// order the hub receives them: the hub's facts, the centre, the stations.
type Round struct {
	AtMs       int64
	Deliveries []Delivery
}

// Carrier shares of the county's parcels, with their waybill formats.
type carrierKind struct {
	code, name string
	share      float64
	prefix     string
	digits     int
}

var carrierKinds = []carrierKind{
	{"zto", "中通快递", 0.22, "73", 12},
	{"yto", "圆通速递", 0.15, "YT", 13},
	{"yunda", "韵达速递", 0.14, "43", 11},
	{"jt", "极兔速递", 0.14, "JT", 13},
	{"sto", "申通快递", 0.10, "77", 13},
	{"ems", "中国邮政速递物流", 0.10, "98", 11},
	{"jd", "京东物流", 0.08, "JDV", 12},
	{"sf", "顺丰速运", 0.07, "SF", 13},
}

// Kinds of destination decisions and of fates, drawn per parcel.
const (
	destVillage = iota
	destPhone
	destDispatched     // unresolved, a dispatcher decides before the centre scans it
	destDispatchedLate // unresolved at the centre: scanned in without a station, sorted once decided
)

const (
	fatePickedUp = iota
	fateOverdue  // never collected: back to the carrier after 7 days
	fateProblem  // damaged, refused, …: back to the carrier
	// Sorted to the wrong station at the centre: it arrives there (two
	// exceptions for a dispatcher), goes back as a wrong-station problem
	// and is sorted again to its own station.
	fateMissorted
)

// Steps of a parcel's journey: the event its next heap entry stands for.
const (
	stepAnnounce = iota
	stepCarrierEvent
	stepDispatch
	stepCentreScan
	stepCentreRescan
	stepLoad
	stepArrive
	stepPickup
	stepProblem
	stepReturning
	stepCollect
	stepAccept
	stepDone
)

type parcel struct {
	wb      string
	carrier int8
	out     bool
	dest    int8 // destVillage, …
	fate    int8
	step    int8
	onShelf bool
	st      *station // its destination
	at      *station // the station it goes to or is at: st, or the wrong one
	recv    int32    // receiver (inbound) or sender (outbound)
	trip    *trip
	arrived int64
	code    string
}

type station struct {
	idx            int
	id             string
	villageCode    string
	village, town  string
	openMin        int // minutes of the day
	closeMin       int
	weight         float64
	line           *line
	stopMin        int // minutes from the line's departure
	node           *node
	codeNext       int
	day            syncproto.DayCounts
	shelf          map[int32][]*parcel // on-shelf parcels by receiver, for joint pickups
	firstReceiver  int32
	receiversCount int32
}

type line struct {
	code       string
	departures []int // minutes of the day
	endMin     int   // minutes from departure back at the centre
	plate      string
	driver     string
}

type trip struct {
	id       string
	line     *line
	dep      int64
	waybills []string
}

type node struct {
	id, inc string
	seq     uint64
	last    syncproto.Timestamp
	actor   string
	pending []Op
}

// sim is the county's state while the days run.
type sim struct {
	spec     Spec
	rng      *rand.Rand
	loc      *time.Location
	start    int64 // ms: midnight of the first day
	end      int64 // ms: the moment the database shows
	county   *gazetteer.County
	centre   *node
	hubOps   []Op
	stations []*station
	lines    []*line
	weights  []float64 // cumulative station weights
	trips    map[string]*trip
	events   eventHeap
	ord      uint64
	nextIn   []uint64 // next waybill number per carrier, inbound
	nextOut  []uint64 // outbound
	handover [][]string
	cshare   []float64 // cumulative carrier shares
	roundEnd int64
	stats    Stats
}

// Stats count what a simulation produced.
type Stats struct {
	Parcels, Inbound, Outbound int
	Ops, HubOps                int
	Rounds                     int
	Receivers                  int
	Trips                      int
}

const (
	minute = int64(time.Minute / time.Millisecond)
	hour   = 60 * minute
	day    = 24 * hour
)

// receiversPerStation is how many villagers of a station receive parcels.
const receiversPerStation = 1800

func newSim(spec Spec, c *gazetteer.County, lines []store.Line, loc *time.Location) (*sim, error) {
	s := &sim{spec: spec, rng: rand.New(rand.NewPCG(spec.Seed, 0x7a3c)), loc: loc, county: c, trips: map[string]*trip{}}
	// The database shows the county on 14 March 2026 at 11:00: the
	// morning trips are out, the afternoon's parcels being sorted.
	today := time.Date(2026, 3, 14, 0, 0, 0, 0, loc)
	s.end = today.Add(11 * time.Hour).UnixMilli()
	s.start = today.AddDate(0, 0, -spec.Days).UnixMilli()
	s.centre = &node{id: c.Centre.ID, inc: s.incarnation(), actor: "sorter"}
	byVillage := map[string]*station{}
	for i, st := range c.Stations {
		v, _ := c.Village(st.Village)
		t, _ := c.TownOf(st.Village)
		x := &station{idx: i, id: st.ID, villageCode: st.Village, village: v.Name, town: t.Name, openMin: 8 * 60, closeMin: 20 * 60,
			weight: 0.5 + 1.5*s.rng.Float64(), codeNext: 1000 + s.rng.IntN(8000), shelf: map[int32][]*parcel{},
			firstReceiver: int32(i * receiversPerStation), receiversCount: receiversPerStation}
		if o, cl, ok := parseHours(st.Hours); ok {
			x.openMin, x.closeMin = o, cl
		}
		x.node = &node{id: st.ID, inc: s.incarnation(), actor: "clerk-" + strings.TrimPrefix(st.ID, "ST-")}
		s.stations = append(s.stations, x)
		byVillage[st.ID] = x
	}
	for i, l := range lines {
		ln := &line{code: l.Code, plate: fmt.Sprintf("黑M%05d", 31000+i*137), driver: fmt.Sprintf("D%02d", i+1)}
		for _, d := range l.Departures {
			if m, ok := clock(d); ok {
				ln.departures = append(ln.departures, m)
			}
		}
		for _, stop := range l.Stops {
			if x := byVillage[stop.Node]; x != nil && x.line == nil {
				x.line, x.stopMin = ln, stop.Minutes
			}
			ln.endMin = max(ln.endMin, stop.Minutes)
		}
		s.lines = append(s.lines, ln)
	}
	var sum float64
	for _, x := range s.stations {
		if x.line == nil {
			return nil, fmt.Errorf("station %s is on no line", x.id)
		}
		sum += x.weight
		s.weights = append(s.weights, sum)
	}
	sum = 0
	for _, ck := range carrierKinds {
		sum += ck.share
		s.cshare = append(s.cshare, sum)
		// Inbound numbers start in the lower part of the carrier's range,
		// outbound ones (the stations' own blocks) in the upper: never the
		// same number twice.
		span := uint64(math.Pow10(ck.digits))
		s.nextIn = append(s.nextIn, s.rng.Uint64N(span*4/10))
		s.nextOut = append(s.nextOut, span/2+s.rng.Uint64N(span*4/10))
	}
	s.handover = make([][]string, len(carrierKinds))
	s.stats.Receivers = len(s.stations) * receiversPerStation
	return s, nil
}

func (s *sim) incarnation() string { return fmt.Sprintf("%016x", s.rng.Uint64()) }

func parseHours(h string) (int, int, bool) {
	a, b, ok := strings.Cut(h, "-")
	o, ok1 := clock(a)
	c, ok2 := clock(b)
	return o, c, ok && ok1 && ok2 && c > o
}

func clock(hm string) (int, bool) {
	h, m, ok := strings.Cut(hm, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	return hh*60 + mm, ok && err1 == nil && err2 == nil
}

// The event heap: the next step of each parcel in flight, and the
// county's scheduled events (trips, handovers, day closes, planning).
const (
	evParcel = iota
	evDepart
	evHandover
	evDayClose
	evPlan
)

type event struct {
	at   int64
	ord  uint64
	kind int8
	p    *parcel
	t    *trip
	st   *station
	day  int
	c    int
}

type eventHeap []event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].ord < h[j].ord
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func (s *sim) push(e event) {
	s.ord++
	e.ord = s.ord
	heap.Push(&s.events, e)
}

func (s *sim) schedule(p *parcel, step int8, at int64) {
	p.step = step
	s.push(event{at: at, kind: evParcel, p: p})
}

// later is t, moved past the round of prev when needed: a fact at another
// node than the one before it reaches the hub in a later round, so the
// hub never receives an effect before its cause.
func (s *sim) later(prev, t int64) int64 {
	r := s.spec.Round.Milliseconds()
	if floor := (prev/r + 1) * r; t <= floor {
		return floor + 1 + s.rng.Int64N(r/2)
	}
	return t
}

func (s *sim) uniform(lo, hi int64) int64 { return lo + s.rng.Int64N(hi-lo+1) }

// run plays the days and hands each round to emit.
func (s *sim) run(emit func(Round) error) error {
	r := s.spec.Round.Milliseconds()
	s.roundEnd = (s.start/r + 1) * r
	for d := 0; d <= s.spec.Days; d++ {
		s.push(event{at: s.start + int64(d)*day - 8*hour, kind: evPlan, day: d})
		for _, st := range s.stations {
			s.push(event{at: s.start + int64(d)*day + 21*hour + int64(st.idx)*7000, kind: evDayClose, st: st, day: d})
		}
		for c := range carrierKinds {
			s.push(event{at: s.start + int64(d)*day + 17*hour + int64(c)*5*minute, kind: evHandover, c: c, day: d})
		}
	}
	for s.events.Len() > 0 {
		e := heap.Pop(&s.events).(event)
		if e.at > s.end {
			break
		}
		for e.at > s.roundEnd {
			if err := s.flush(emit); err != nil {
				return err
			}
			s.roundEnd += r
		}
		s.handle(e)
	}
	return s.flush(emit)
}

// flush hands over the round ending at roundEnd, if anything happened.
func (s *sim) flush(emit func(Round) error) error {
	rd := Round{AtMs: s.roundEnd}
	if len(s.hubOps) > 0 {
		rd.Deliveries = append(rd.Deliveries, Delivery{Node: syncproto.HubNode, Ops: s.hubOps})
		s.hubOps = nil
	}
	for _, n := range append([]*node{s.centre}, s.stationNodes()...) {
		if len(n.pending) > 0 {
			rd.Deliveries = append(rd.Deliveries, Delivery{Node: n.id, Incarnation: n.inc, Ops: n.pending})
			n.pending = nil
		}
	}
	if len(rd.Deliveries) == 0 {
		return nil
	}
	s.stats.Rounds++
	return emit(rd)
}

func (s *sim) stationNodes() []*node {
	out := make([]*node, len(s.stations))
	for i, st := range s.stations {
		out[i] = st.node
	}
	return out
}

// record adds an op of node n at time at.
func (s *sim) record(n *node, at int64, kind syncproto.EventKind, payload any) {
	hlc := syncproto.MakeTimestamp(at, 0)
	if hlc <= n.last {
		hlc = n.last + 1
	}
	n.last = hlc
	n.seq++
	n.pending = append(n.pending, Op{Seq: n.seq, HLC: hlc, Actor: n.actor, Kind: kind, Payload: payload})
	s.stats.Ops++
}

// hub adds a fact the hub records itself.
func (s *sim) hub(actor string, kind syncproto.EventKind, payload any) {
	s.hubOps = append(s.hubOps, Op{Actor: actor, Kind: kind, Payload: payload})
	s.stats.Ops++
	s.stats.HubOps++
}

func (s *sim) handle(e event) {
	switch e.kind {
	case evPlan:
		s.plan(e.day)
	case evDepart:
		t := e.t
		delete(s.trips, t.id)
		if len(t.waybills) == 0 {
			return
		}
		s.record(s.centre, e.at, syncproto.KindTripDeparted, &syncproto.TripDeparted{Trip: t.id, Vehicle: t.line.plate,
			Driver: t.line.driver, Waybills: t.waybills})
	case evHandover:
		wbs := s.handover[e.c]
		if len(wbs) == 0 {
			return
		}
		s.handover[e.c] = nil
		ck := carrierKinds[e.c]
		date := time.UnixMilli(e.at).In(s.loc).Format("20060102")
		s.record(s.centre, e.at, syncproto.KindParcelsHandedOver, &syncproto.ParcelsHandedOver{Carrier: ck.code,
			List: "HO-" + date + "-" + ck.code + "-001", Courier: ck.name + "县网点", Waybills: wbs})
	case evDayClose:
		st := e.st
		date := time.UnixMilli(e.at).In(s.loc).Format(time.DateOnly)
		from := s.start + int64(e.day)*day
		s.record(st.node, e.at, syncproto.KindDayClosed, &syncproto.DayClosed{Date: date, FromMs: from, ToMs: from + day,
			Total: st.day, OpeningOnShelf: st.day.OnShelf})
		st.day = syncproto.DayCounts{OnShelf: st.day.OnShelf}
	case evParcel:
		s.step(e.p, e.at)
	}
}

// season scales a day's parcels: Double 11 and the weeks after it are
// busy, the Spring Festival quiet, weekends a little lighter.
func (s *sim) season(d int) float64 {
	t := time.UnixMilli(s.start + int64(d)*day).In(s.loc)
	f := 1.0
	switch {
	case t.Month() == time.November && t.Day() >= 11 && t.Day() <= 25:
		f = 2.2
	case t.Month() == time.February && t.Day() <= 20:
		f = 0.5
	}
	if t.Weekday() == time.Sunday {
		f *= 0.85
	}
	return f
}

// plan announces the parcels of day d: inbound ones for its trips,
// outbound ones the stations accept that day.
func (s *sim) plan(d int) {
	base := s.start + int64(d)*day
	n := int(math.Round(float64(s.spec.PerDay) * s.season(d)))
	for range n {
		st := s.pickStation()
		p := &parcel{carrier: s.pickCarrier(), st: st}
		p.wb = s.waybill(p.carrier, false)
		p.recv = st.firstReceiver + int32(float64(st.receiversCount)*math.Pow(s.rng.Float64(), 2))
		switch r := s.rng.Float64(); {
		case r < 0.91:
			p.dest = destVillage
		case r < 0.97:
			p.dest = destPhone
		case r < 0.99:
			p.dest = destDispatched
		default:
			p.dest = destDispatchedLate
		}
		switch r := s.rng.Float64(); {
		case r < 0.025:
			p.fate = fateOverdue
		case r < 0.04:
			p.fate = fateProblem
		case r < 0.042 && p.dest == destVillage:
			p.fate = fateMissorted
		}
		p.at = st
		deps := st.line.departures
		dep := base + int64(deps[s.rng.IntN(len(deps))])*minute
		if s.rng.Float64() < 0.25 {
			dep = base + int64(deps[0])*minute // the morning trip is the big one
		}
		p.trip = s.tripAt(st.line, dep)
		s.schedule(p, stepAnnounce, max(dep-s.uniform(1*hour, 14*hour), s.start-day))
	}
	for range int(math.Round(float64(n) * 0.08)) {
		st := s.pickStation()
		p := &parcel{carrier: s.pickCarrier(), st: st, at: st, out: true}
		p.wb = s.waybill(p.carrier, true)
		p.recv = st.firstReceiver + s.rng.Int32N(st.receiversCount)
		s.schedule(p, stepAccept, base+s.uniform(int64(st.openMin)*minute, int64(st.closeMin)*minute-30*minute))
	}
}

func (s *sim) pickStation() *station {
	i, _ := slices.BinarySearch(s.weights, s.rng.Float64()*s.weights[len(s.weights)-1])
	return s.stations[min(i, len(s.stations)-1)]
}

func (s *sim) pickCarrier() int8 {
	i, _ := slices.BinarySearch(s.cshare, s.rng.Float64()*s.cshare[len(s.cshare)-1])
	return int8(min(i, len(carrierKinds)-1))
}

func (s *sim) waybill(c int8, out bool) string {
	ck := carrierKinds[c]
	next := &s.nextIn[c]
	if out {
		next = &s.nextOut[c]
	}
	*next += 1 + uint64(s.rng.IntN(40)) // numbers between go to other counties
	num := strconv.FormatUint(*next%uint64(math.Pow10(ck.digits)), 10)
	return ck.prefix + strings.Repeat("0", max(ck.digits-len(num), 0)) + num
}

// tripAt is the trip of line leaving at dep, made (with its departure
// scheduled) the first time a parcel is planned on it.
func (s *sim) tripAt(l *line, dep int64) *trip {
	t := time.UnixMilli(dep).In(s.loc)
	id := store.TripID(l.code, t.Format(time.DateOnly), t.Format("15:04"))
	if tr, ok := s.trips[id]; ok {
		return tr
	}
	tr := &trip{id: id, line: l, dep: dep}
	s.trips[id] = tr
	s.stats.Trips++
	s.push(event{at: dep + s.uniform(0, 4*minute), kind: evDepart, t: tr})
	return tr
}

// nextTrip is the first trip of st's line leaving after at.
func (s *sim) nextTrip(st *station, at int64) *trip {
	base := (at + 8*hour) / day * day // midnight in county time (UTC+8)
	base -= 8 * hour
	for d := int64(0); ; d++ {
		for _, m := range st.line.departures {
			if dep := base + d*day + int64(m)*minute; dep > at {
				return s.tripAt(st.line, dep)
			}
		}
	}
}

// backAt is when a trip passing st after at is back at the centre.
func (s *sim) backAt(st *station, at int64) int64 {
	base := (at+8*hour)/day*day - 8*hour
	for d := int64(0); ; d++ {
		for _, m := range st.line.departures {
			if dep := base + d*day + int64(m)*minute; dep+int64(st.stopMin)*minute > at {
				return dep + int64(st.line.endMin)*minute
			}
		}
	}
}

// openAt is the first moment from at when st is open, plus a little.
func (s *sim) openAt(st *station, at int64) int64 {
	base := (at+8*hour)/day*day - 8*hour
	m := (at - base) / minute
	switch {
	case m < int64(st.openMin):
		return base + int64(st.openMin)*minute + s.uniform(0, 90*minute)
	case m >= int64(st.closeMin)-10:
		return base + day + int64(st.openMin)*minute + s.uniform(0, 90*minute)
	}
	return at
}

// Receivers: a villager's name and phone are functions of their number.
var (
	surnames = []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文")
	given    = []rune("秀英桂芳玉兰春梅凤霞建国明华军伟丽敏静海燕红志强永刚文斌淑珍玉珍俊杰宏亮丹颖雪梅德福长林树森金凤桂荣")
	prefixes = []string{"130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "157",
		"158", "159", "176", "177", "178", "180", "181", "182", "183", "185", "186", "187", "188", "189", "191", "199"}
	shops = []string{"拼多多商家", "淘宝店铺", "京东自营", "抖音小店", "天猫旗舰店", "快手小店", "唯品会", "农资直营店"}
)

func receiverName(i int32) string {
	h := uint32(i) * 2654435761
	name := []rune{surnames[h%uint32(len(surnames))], given[(h>>8)%uint32(len(given))]}
	if h>>20%3 != 0 {
		name = append(name, given[(h>>13)%uint32(len(given))])
	}
	return string(name)
}

// receiverPhone is unique per receiver: the eight digits are i under a
// multiplication that is a bijection modulo 10⁸.
func receiverPhone(i int32) string {
	x := (uint64(i)*48271 + 12345678) % 1e8
	p := prefixes[uint64(i)*7%uint64(len(prefixes))]
	d := strconv.FormatUint(x, 10)
	return p + strings.Repeat("0", 8-len(d)) + d
}

// outsidePhone is a phone outside the county (receivers of outbound parcels).
func (s *sim) outsidePhone() string {
	return prefixes[s.rng.IntN(len(prefixes))] + fmt.Sprintf("%08d", s.rng.IntN(1e8))
}

var groups = []string{"一组", "二组", "三组", "四组", "五组", "六组", "七组", "八组"}

func (s *sim) address(p *parcel) string {
	g := groups[int(p.recv)%len(groups)]
	switch int(p.recv) % 4 {
	case 0:
		return s.county.Province + s.county.City + s.county.Name + p.st.town + p.st.village + g
	case 1:
		return p.st.town + p.st.village + g
	case 2:
		return s.county.Name + p.st.town + p.st.village + g + strconv.Itoa(1+int(p.recv)%60) + "号"
	}
	return p.st.village + g
}

func (s *sim) hex64() string {
	return fmt.Sprintf("%016x%016x%016x%016x", s.rng.Uint64(), s.rng.Uint64(), s.rng.Uint64(), s.rng.Uint64())
}

func (s *sim) weight() int { return int(math.Min(30000, 100+math.Exp(5+2.5*s.rng.Float64()))) }

// step runs the parcel's next event and schedules the one after.
func (s *sim) step(p *parcel, at int64) {
	ck := carrierKinds[p.carrier]
	api := "api:" + ck.code + "-api"
	switch p.step {
	case stepAnnounce:
		m := &syncproto.ParcelManifested{Waybill: p.wb, Carrier: ck.code, ReceiverName: receiverName(p.recv),
			ReceiverPhone: receiverPhone(p.recv), Address: s.address(p), WeightGrams: s.weight(), Source: api}
		if s.rng.IntN(3) == 0 {
			m.ValueFen = 1000 + s.rng.IntN(50000)
		}
		if s.rng.IntN(2) == 0 {
			m.SenderName = shops[s.rng.IntN(len(shops))]
		}
		switch p.dest {
		case destVillage:
			m.Station, m.Reason = p.st.id, syncproto.DestVillage
			m.Detail = fmt.Sprintf("%s (%s) of %s from %q", p.st.village, p.st.villageCode, p.st.town, p.st.village)
		case destPhone:
			m.Address = ""
			m.Station, m.Reason = p.st.id, syncproto.DestPhone
			m.Detail = "the station this phone collected at last (address: no address)"
		default:
			m.Address = s.county.Name + "城区快递自提"
			m.Reason, m.Detail = syncproto.DestUnresolved, "no village: no village of "+s.county.Name
		}
		if m.Station != "" && s.rng.IntN(10) < 7 {
			m.Trip = p.trip.id
		}
		s.hub(api, syncproto.KindParcelManifested, m)
		s.stats.Parcels++
		s.stats.Inbound++
		scan := p.trip.dep - s.uniform(25*minute, 2*hour)
		switch {
		case p.dest == destDispatched:
			s.schedule(p, stepDispatch, s.later(at, at+s.uniform(10*minute, max(scan-at-40*minute, 11*minute))))
		case s.rng.IntN(5) == 0:
			s.schedule(p, stepCarrierEvent, at+s.uniform(5*minute, 30*minute))
		default:
			s.schedule(p, stepCentreScan, s.later(at, scan))
		}
	case stepCarrierEvent:
		s.hub(api, syncproto.KindCarrierEvent, &syncproto.CarrierEvent{Waybill: p.wb, Carrier: ck.code, Code: "arrived",
			Text: "快件已到达绥化转运中心", Location: "绥化转运中心", AtMs: at - s.uniform(30*minute, 3*hour)})
		s.schedule(p, stepCentreScan, s.later(at, p.trip.dep-s.uniform(25*minute, 2*hour)))
	case stepDispatch:
		s.hub("api:county-desk", syncproto.KindParcelDestination, &syncproto.ParcelDestination{Waybill: p.wb, Station: p.st.id,
			Reason: syncproto.DestManual, Note: "电话确认"})
		if p.dest == destDispatchedLate {
			s.schedule(p, stepCentreRescan, s.later(at, at+s.uniform(15*minute, 60*minute)))
			return
		}
		s.schedule(p, stepCentreScan, s.later(at, max(p.trip.dep-s.uniform(25*minute, 2*hour), at+5*minute)))
	case stepCentreScan, stepCentreRescan:
		if at >= p.trip.dep-3*minute {
			p.trip = s.nextTrip(p.st, at+20*minute)
		}
		c := &syncproto.ParcelAtCentre{Waybill: p.wb, Carrier: ck.code, Manifested: true, ReceiverName: receiverName(p.recv),
			ReceiverPhone: receiverPhone(p.recv), WeightGrams: s.weight()}
		if p.dest == destDispatchedLate && p.step == stepCentreScan {
			s.record(s.centre, at, syncproto.KindParcelAtCentre, c)
			s.schedule(p, stepDispatch, s.later(at, at+s.uniform(15*minute, 90*minute)))
			return
		}
		if p.fate == fateMissorted && p.at == p.st {
			p.at = s.stations[(p.st.idx+1+s.rng.IntN(len(s.stations)-1))%len(s.stations)]
			p.trip = s.nextTrip(p.at, at+20*minute)
		}
		c.Station, c.Trip = p.at.id, p.trip.id
		s.record(s.centre, at, syncproto.KindParcelAtCentre, c)
		s.schedule(p, stepLoad, min(at+s.uniform(1*minute, 15*minute), p.trip.dep-2*minute))
	case stepLoad:
		var bag string
		if s.rng.IntN(2) == 0 {
			bag = fmt.Sprintf("B%s-%02d", strings.TrimPrefix(p.at.id, "ST-"), 1+s.rng.IntN(3))
		}
		s.record(s.centre, at, syncproto.KindParcelLoaded, &syncproto.ParcelLoaded{Waybill: p.wb, Trip: p.trip.id, Bag: bag})
		p.trip.waybills = append(p.trip.waybills, p.wb)
		s.schedule(p, stepArrive, s.later(p.trip.dep+4*minute,
			p.trip.dep+int64(p.at.stopMin)*minute+s.uniform(5*minute, 40*minute)))
	case stepArrive:
		st := p.at
		shelf, layer := 1+s.rng.IntN(8), 1+s.rng.IntN(4)
		p.code = fmt.Sprintf("%d-%d-%04d", shelf, layer, st.codeNext)
		st.codeNext++
		if st.codeNext > 9999 {
			st.codeNext = 1000
		}
		s.record(st.node, at, syncproto.KindParcelInbound, &syncproto.ParcelInbound{Waybill: p.wb, Carrier: ck.code,
			ReceiverName: receiverName(p.recv), ReceiverPhone: receiverPhone(p.recv), Manifested: st == p.st, Shelf: shelf, Layer: layer,
			Code: p.code})
		p.arrived, p.onShelf = at, true
		st.shelf[p.recv] = append(st.shelf[p.recv], p)
		st.day.In++
		st.day.OnShelf++
		switch {
		case p.fate == fateOverdue:
			s.schedule(p, stepReturning, s.openAt(st, at+7*day))
		case p.fate == fateProblem:
			s.schedule(p, stepProblem, s.openAt(st, at+s.uniform(10*minute, day)))
		case st != p.st:
			s.schedule(p, stepProblem, s.openAt(st, at+s.uniform(10*minute, 4*hour)))
		default:
			s.schedule(p, stepPickup, s.openAt(st, at+s.pickupDelay()))
		}
	case stepPickup:
		if !p.onShelf {
			return // collected with another parcel of the same receiver
		}
		st := p.at
		wbs := []string{p.wb}
		s.offShelf(p)
		for _, q := range slices.Clone(st.shelf[p.recv]) {
			if len(wbs) < 4 && q.fate == fatePickedUp {
				wbs = append(wbs, q.wb)
				s.offShelf(q)
			}
		}
		col := syncproto.Collector{Kind: "receiver", Name: receiverName(p.recv), Phone: receiverPhone(p.recv)}
		if s.rng.IntN(5) == 0 {
			col = syncproto.Collector{Kind: "proxy", Name: receiverName(p.recv + 7), Phone: receiverPhone(p.recv + 7),
				IDHash: s.hex64(), IDLast4: fmt.Sprintf("%04d", s.rng.IntN(10000))}
		}
		var photo string
		if s.rng.IntN(10) < 8 {
			photo = s.hex64()
		}
		s.record(st.node, at, syncproto.KindParcelsPickedUp, &syncproto.ParcelsPickedUp{Waybills: wbs, Collector: col, PhotoSHA256: photo})
		st.day.Out += len(wbs)
	case stepProblem:
		reasons := []string{syncproto.ReasonDamaged, syncproto.ReasonRefused, syncproto.ReasonWrongStation, syncproto.ReasonAddressUnknown}
		pr := &syncproto.ParcelProblem{Waybill: p.wb, Reason: reasons[s.rng.IntN(len(reasons))]}
		switch {
		case p.at != p.st:
			pr.Reason, pr.Text = syncproto.ReasonWrongStation, "应送"+p.st.village
		case pr.Reason == syncproto.ReasonDamaged:
			pr.Text = "外包装破损"
		}
		s.record(p.at.node, at, syncproto.KindParcelProblem, pr)
		p.at.day.Problems++
		wait := s.uniform(4*hour, 2*day)
		if p.at != p.st {
			wait = s.uniform(10*minute, hour) // sent on the next bus
		}
		s.schedule(p, stepReturning, s.openAt(p.at, at+wait))
	case stepReturning:
		if !p.onShelf {
			return
		}
		s.offShelf(p)
		reason := "overdue"
		switch {
		case p.at != p.st:
			reason = syncproto.ReasonWrongStation
		case p.fate == fateProblem:
			reason = "problem"
		}
		s.record(p.at.node, at, syncproto.KindParcelsReturned, &syncproto.ParcelsReturned{Waybills: []string{p.wb}, Reason: reason})
		p.at.day.Returns++
		s.schedule(p, stepCollect, s.later(at, s.backAt(p.at, at+10*minute)+s.uniform(10*minute, 60*minute)))
	case stepAccept:
		st := p.st
		s.record(st.node, at, syncproto.KindParcelAccepted, &syncproto.ParcelAccepted{Waybill: p.wb, Carrier: ck.code,
			WaybillSource: "range",
			Sender: syncproto.Party{Name: receiverName(p.recv), Phone: receiverPhone(p.recv), IDHash: s.hex64(),
				IDLast4: fmt.Sprintf("%03dX", s.rng.IntN(1000))},
			Receiver: syncproto.Party{Name: receiverName(s.rng.Int32N(1e6) + 1e7), Phone: s.outsidePhone(),
				Province: provinces[s.rng.IntN(len(provinces))], Address: "城区某街道 100 号"},
			WeightGrams: s.weight(), PriceFen: 800 + s.rng.IntN(2000)})
		st.day.Sent++
		s.stats.Parcels++
		s.stats.Outbound++
		s.schedule(p, stepCollect, s.later(at, s.backAt(st, at+10*minute)+s.uniform(10*minute, 60*minute)))
	case stepCollect:
		dir, from := syncproto.CollectedReturn, p.at.id
		if p.out {
			dir = syncproto.CollectedOutbound
		}
		s.record(s.centre, at, syncproto.KindParcelCollected, &syncproto.ParcelCollected{Waybill: p.wb, Carrier: ck.code,
			Direction: dir, From: from})
		if p.at != p.st {
			// Back from the wrong station: sorted again, to its own.
			p.at, p.fate = p.st, fatePickedUp
			p.trip = s.nextTrip(p.st, at+30*minute)
			s.schedule(p, stepCentreRescan, at+s.uniform(5*minute, 20*minute))
			return
		}
		s.handover[p.carrier] = append(s.handover[p.carrier], p.wb)
		p.step = stepDone
	}
}

var provinces = []string{"广东", "浙江", "江苏", "北京", "上海", "山东", "辽宁", "吉林", "黑龙江", "四川"}

func (s *sim) offShelf(p *parcel) {
	p.onShelf = false
	st := p.at
	list := st.shelf[p.recv]
	if i := slices.Index(list, p); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	if len(list) == 0 {
		delete(st.shelf, p.recv)
	} else {
		st.shelf[p.recv] = list
	}
	st.day.OnShelf--
}

// pickupDelay: most villagers come the same day or the next, a few wait.
func (s *sim) pickupDelay() int64 {
	switch r := s.rng.Float64(); {
	case r < 0.45:
		return s.uniform(10*minute, 5*hour)
	case r < 0.80:
		return s.uniform(16*hour, 30*hour)
	case r < 0.95:
		return s.uniform(30*hour, 3*day)
	}
	return s.uniform(3*day, 6*day)
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }
