package notify_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/gazetteer"
	"cunyou/hub/merge"
	"cunyou/hub/notify"
	"cunyou/hub/store"
	"cunyou/sms"
	"cunyou/syncproto"
)

var cst = time.FixedZone("CST", 8*3600)

type clock struct{ ms atomic.Int64 }

func (c *clock) now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *clock) set(t time.Time)         { c.ms.Store(t.UnixMilli()) }
func (c *clock) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// gateway records what it is asked to send; fail holds the errors of the
// next sends.
type gateway struct {
	name     string
	mu       sync.Mutex
	sent     []sms.Message
	fail     []error
	receipts []sms.Receipt
}

func (g *gateway) Name() string { return g.name }
func (g *gateway) Send(ctx context.Context, m sms.Message) (sms.Sent, error) {
	if err := m.Check(); err != nil {
		return sms.Sent{}, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.fail) > 0 {
		err := g.fail[0]
		g.fail = g.fail[1:]
		return sms.Sent{}, err
	}
	g.sent = append(g.sent, m)
	_, parts := sms.Count(m.Text)
	return sms.Sent{ProviderID: fmt.Sprintf("%s-%d", g.name, len(g.sent)), Parts: parts}, nil
}
func (g *gateway) Receipts(ctx context.Context, limit int) ([]sms.Receipt, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := g.receipts
	g.receipts = nil
	return out, nil
}
func (g *gateway) Close() error { return nil }
func (g *gateway) texts() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, m := range g.sent {
		out = append(out, m.Text)
	}
	return out
}

type env struct {
	st  *store.Store
	m   *merge.Merger
	n   *notify.Notifier
	clk *clock
	gws []*gateway
	seq map[string]uint64
}

func newEnv(t *testing.T, at time.Time, gws ...*gateway) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{clk: &clock{}, seq: map[string]uint64{}, gws: gws}
	e.clk.set(at)
	st, err := store.Open(ctx, t.TempDir(), store.Options{Now: e.clk.now})
	require.NoError(t, err)
	m, err := merge.New(ctx, st, merge.Options{})
	require.NoError(t, err)
	t.Cleanup(func() {
		m.Close()
		st.Close()
	})
	c, err := gazetteer.LoadFile("../../testdata/county.json")
	require.NoError(t, err)
	_, err = st.LoadCounty(ctx, c)
	require.NoError(t, err)
	var gs []sms.Gateway
	for _, g := range gws {
		gs = append(gs, g)
	}
	e.st, e.m = st, m
	e.n = notify.New(notify.Options{Store: st, Gateways: gs, Sign: "望奎村邮", Location: cst, Now: e.clk.now})
	return e
}

// inbound scans a parcel in at node with the receiver's phone.
func (e *env) scan(t *testing.T, node, wb, phone string) {
	t.Helper()
	e.op(t, node, syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: wb, Carrier: "zto", ReceiverPhone: phone,
		Shelf: 1, Layer: 1, Code: "1-1-" + wb[len(wb)-4:]})
}

func (e *env) op(t *testing.T, node string, kind syncproto.EventKind, payload any) {
	t.Helper()
	e.opAt(t, e.clk.now(), node, kind, payload)
}

// opAt merges an op that happened at when.
func (e *env) opAt(t *testing.T, when time.Time, node string, kind syncproto.EventKind, payload any) {
	t.Helper()
	ctx := context.Background()
	e.seq[node]++
	o := syncproto.Op{Node: node, Incarnation: "inc", Seq: e.seq[node], HLC: syncproto.MakeTimestamp(when.UnixMilli(), 0),
		Actor: "clerk", Kind: kind}
	o.Payload, _ = jsonMarshal(payload)
	o.Seal()
	_, err := e.m.Apply(ctx, node, syncproto.Batch{Header: syncproto.BatchHeader{Proto: syncproto.ProtoVersion,
		Kind: syncproto.BatchOps, Node: node, Incarnation: "inc", Count: 1}, Ops: []syncproto.Op{o}})
	require.NoError(t, err)
	require.NoError(t, e.m.Flush(ctx))
}

func (e *env) pass(t *testing.T) {
	t.Helper()
	require.NoError(t, e.n.Pass(context.Background()))
}

func (e *env) state(t *testing.T, q string, args ...any) string {
	t.Helper()
	var s string
	require.NoError(t, e.st.DB().QueryRow(q, args...).Scan(&s))
	return s
}

var morning = time.Date(2026, 11, 27, 10, 0, 0, 0, cst)

func enroll(t *testing.T, e *env, nodes ...string) {
	t.Helper()
	for _, n := range nodes {
		code, err := e.st.NewEnrollCode(context.Background(), n)
		require.NoError(t, err)
		_, _, err = e.st.Enroll(context.Background(), code, n, "test")
		require.NoError(t, err)
	}
}

func TestArrivalOnceAndCombined(t *testing.T) {
	g := &gateway{name: "aliyun"}
	e := newEnv(t, morning, g)
	enroll(t, e, "ST-V0101", "ST-V0102")
	e.scan(t, "ST-V0101", "73100000000001", "13912345678")
	e.scan(t, "ST-V0101", "73100000000001", "13912345678") // a re-scan
	e.pass(t)
	assert.Empty(t, g.texts(), "the batching window has not passed")
	e.scan(t, "ST-V0101", "73100000000002", "13912345678")
	e.scan(t, "ST-V0101", "73100000000003", "13912345678")
	e.scan(t, "ST-V0102", "73100000000004", "13700001111")
	e.clk.advance(3 * time.Second)
	e.pass(t)
	assert.ElementsMatch(t, []string{
		"【望奎村邮】您有3件包裹已到南岗村驿站，取件码1-1-0001、1-1-0002、1-1-0003，营业至19:30。",
		"【望奎村邮】您的中通包裹已到新兴村驿站，取件码1-1-0004，营业至21:00。",
	}, g.texts())
	e.pass(t)
	assert.Len(t, g.texts(), 2, "never twice")
	assert.Equal(t, "submitted", e.state(t, "SELECT state FROM sms_messages WHERE phone = '13700001111'"))

	// The receipts come back: the single parcel's message failed.
	single := e.state(t, "SELECT provider_id FROM sms_messages WHERE phone = '13700001111'")
	combined := e.state(t, "SELECT provider_id FROM sms_messages WHERE phone = '13912345678'")
	g.mu.Lock()
	g.receipts = []sms.Receipt{{ProviderID: combined, Status: sms.Delivered, Code: "DELIVRD", At: e.clk.now()},
		{ProviderID: single, Status: sms.Failed, Code: "UNDELIV", At: e.clk.now()}}
	g.mu.Unlock()
	n, err := e.n.Receipts(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	ms, err := notify.Messages(context.Background(), e.st, "problems", 10)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	assert.Equal(t, "UNDELIV", ms[0].ErrorCode)
	assert.Len(t, ms[0].Waybills, 1)
}

func TestPickedUpBeforeTheNoticeQuietHoursOptOut(t *testing.T) {
	g := &gateway{name: "aliyun"}
	e := newEnv(t, time.Date(2026, 11, 27, 22, 30, 0, 0, cst), g)
	enroll(t, e, "ST-V0101")
	e.scan(t, "ST-V0101", "73100000000001", "13912345678")
	e.scan(t, "ST-V0101", "73100000000002", "13800001111")
	e.op(t, "ST-V0101", syncproto.KindParcelsPickedUp, syncproto.ParcelsPickedUp{Waybills: []string{"73100000000002"},
		Collector: syncproto.Collector{Kind: "receiver"}})
	e.clk.advance(time.Minute)
	e.pass(t)
	assert.Empty(t, g.texts(), "quiet hours: nothing at night")
	assert.Equal(t, "cancelled", e.state(t, "SELECT state FROM notices WHERE waybill = '73100000000002'"))
	assert.Equal(t, time.Date(2026, 11, 28, 8, 0, 0, 0, cst).UnixMilli(),
		mustInt(t, e, "SELECT due_ms FROM notices WHERE waybill = '73100000000001'"), "held till 08:00")

	require.NoError(t, notify.OptOut(context.Background(), e.st, "13700002222", "reply TD"))
	e.scan(t, "ST-V0101", "73100000000003", "13700002222")
	e.clk.set(time.Date(2026, 11, 28, 8, 0, 1, 0, cst))
	e.pass(t)
	assert.Equal(t, []string{"【望奎村邮】您的中通包裹已到南岗村驿站，取件码1-1-0001，营业至19:30。"}, g.texts())
	assert.Equal(t, "suppressed", e.state(t, "SELECT state FROM notices WHERE waybill = '73100000000003'"))
}

func mustInt(t *testing.T, e *env, q string) int64 {
	var n int64
	require.NoError(t, e.st.DB().QueryRow(q).Scan(&n))
	return n
}

func TestFailoverRetryAndDead(t *testing.T) {
	a, b := &gateway{name: "aliyun"}, &gateway{name: "smpp:sim"}
	e := newEnv(t, morning, a, b)
	enroll(t, e, "ST-V0101")
	a.fail = []error{&sms.Error{Kind: sms.Temporary, Msg: "timeout"}}
	e.scan(t, "ST-V0101", "73100000000001", "13912345678")
	e.clk.advance(3 * time.Second)
	e.pass(t)
	assert.Len(t, b.texts(), 1, "the second gateway took it")
	assert.Equal(t, "smpp:sim", e.state(t, "SELECT gateway FROM sms_messages"))

	// Every gateway busy: retried later, not lost.
	a.fail = []error{&sms.Error{Kind: sms.Throttled, RetryAfter: time.Minute}}
	b.fail = []error{&sms.Error{Kind: sms.Temporary}}
	e.scan(t, "ST-V0101", "73100000000002", "13800001111")
	e.clk.advance(3 * time.Second)
	e.pass(t)
	assert.Equal(t, "queued", e.state(t, "SELECT state FROM sms_messages WHERE phone = '13800001111'"))
	e.clk.advance(11 * time.Minute)
	e.pass(t)
	assert.Equal(t, "submitted", e.state(t, "SELECT state FROM sms_messages WHERE phone = '13800001111'"))

	// A permanent refusal: dead at once, with the reason, for dispatchers.
	a.fail = []error{&sms.Error{Kind: sms.Permanent, Code: "isv.MOBILE_NUMBER_ILLEGAL", Msg: "bad number"}}
	e.scan(t, "ST-V0101", "73100000000003", "13700001111")
	e.clk.advance(3 * time.Second)
	e.pass(t)
	assert.Equal(t, "dead", e.state(t, "SELECT state FROM sms_messages WHERE phone = '13700001111'"))
	assert.Equal(t, "isv.MOBILE_NUMBER_ILLEGAL", e.state(t, "SELECT error_code FROM sms_messages WHERE phone = '13700001111'"))
	assert.Equal(t, 3, int(mustInt(t, e, "SELECT count(*) FROM sms_attempts WHERE ok = 0")), "every refusal logged")
}

func TestPerPhoneLimits(t *testing.T) {
	g := &gateway{name: "aliyun"}
	e := newEnv(t, morning, g)
	e.n = notify.New(notify.Options{Store: e.st, Gateways: []sms.Gateway{g}, Sign: "望奎村邮", Location: cst, Now: e.clk.now,
		Limits: notify.Limits{PerMinute: 1, PerHour: 2, PerDay: 10}})
	enroll(t, e, "ST-V0101", "ST-V0102", "ST-V0103")
	for i, node := range []string{"ST-V0101", "ST-V0102", "ST-V0103"} {
		e.scan(t, node, fmt.Sprintf("7310000000000%d", i+1), "13912345678")
	}
	e.clk.advance(3 * time.Second)
	e.pass(t)
	assert.Len(t, g.texts(), 1, "one a minute")
	e.clk.advance(time.Minute)
	e.pass(t)
	assert.Len(t, g.texts(), 2)
	e.clk.advance(time.Minute)
	e.pass(t)
	assert.Len(t, g.texts(), 2, "two an hour")
	e.clk.advance(time.Hour)
	e.pass(t)
	assert.Len(t, g.texts(), 3)
}

func TestRecoverAndTemplates(t *testing.T) {
	g := &gateway{name: "aliyun"}
	e := newEnv(t, morning, g)
	ctx := context.Background()
	p, err := notify.SetTemplate(ctx, e.st, "arrival", "望奎村邮", "{carrier}快递到{station}了，凭{code}取件，{close}关门。",
		map[string]string{"aliyun": "SMS_1001"}, "admin")
	require.NoError(t, err)
	assert.Equal(t, "【望奎村邮】中通快递到南岗村驿站了，凭5-2-3001取件，19:30关门。", p.Text)
	assert.Equal(t, 1, p.Parts)
	_, err = notify.SetTemplate(ctx, e.st, "arrival", "望奎村邮", "到了 {phone}", nil, "admin")
	assert.ErrorContains(t, err, "{phone} is not a variable")
	_, err = notify.SetTemplate(ctx, e.st, "nope", "望奎村邮", "x", nil, "admin")
	assert.ErrorIs(t, err, store.ErrInvalid)

	enroll(t, e, "ST-V0101")
	e.scan(t, "ST-V0101", "73100000000001", "13912345678")
	e.clk.advance(3 * time.Second)
	e.pass(t)
	require.Len(t, g.sent, 1)
	assert.Equal(t, "SMS_1001", g.sent[0].Template, "the provider's template id")
	assert.Equal(t, []sms.Param{{Name: "carrier", Value: "中通"}, {Name: "station", Value: "南岗村驿站"}, {Name: "code", Value: "1-1-0001"},
		{Name: "close", Value: "19:30"}}, g.sent[0].Params)

	_, err = e.st.DB().Exec("SELECT 1") // read pool fine
	require.NoError(t, err)
	require.NoError(t, e.st.Write(ctx, func(tx *sqlTx) error {
		_, err := tx.Exec("UPDATE sms_messages SET state = 'sending'")
		return err
	}))
	n, err := e.n.Recover(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, "queued", e.state(t, "SELECT state FROM sms_messages"))
}

type sqlTx = sql.Tx

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func TestReminderAndReturning(t *testing.T) {
	g := &gateway{name: "aliyun"}
	e := newEnv(t, morning, g)
	enroll(t, e, "ST-V0101")
	e.scan(t, "ST-V0101", "73100000000001", "13912345678")
	e.scan(t, "ST-V0101", "73100000000002", "13800001111")
	e.clk.advance(3 * time.Second)
	e.pass(t)
	require.Len(t, g.texts(), 2)

	// Three days on: each waiting parcel's receiver is reminded, once.
	e.clk.advance(73 * time.Hour)
	e.pass(t)
	e.clk.advance(2 * time.Hour)
	e.pass(t)
	texts := g.texts()
	require.Len(t, texts, 4)
	assert.Contains(t, texts[2:], "【望奎村邮】您的中通包裹在南岗村驿站已等候3天，取件码1-1-0001，营业至19:30，请尽快领取。")

	// One goes back unclaimed: its receiver is told.
	e.op(t, "ST-V0101", syncproto.KindParcelsReturned, syncproto.ParcelsReturned{Waybills: []string{"73100000000002"}, Reason: "overdue"})
	e.pass(t)
	assert.Equal(t, "【望奎村邮】您在南岗村驿站的中通包裹（取件码1-1-0002）超期未取，已退回。如有疑问请联系驿站。", g.texts()[4])
	e.clk.advance(2 * time.Hour)
	e.pass(t)
	assert.Len(t, g.texts(), 5, "no reminder for a parcel gone back")
}

// A station that sent the arrival SMS through its own modem (its link
// down) tells the hub with parcel.notified: the hub sends none for those
// parcels, and counts the ones it had sent already.
func TestStationSentTheArrivalItself(t *testing.T) {
	g := &gateway{name: "aliyun"}
	e := newEnv(t, morning, g)
	ctx := context.Background()
	enroll(t, e, "ST-V0101")

	// Both ops arrive together after the link came back.
	e.scan(t, "ST-V0101", "73100000000001", "13912345678")
	e.op(t, "ST-V0101", syncproto.KindParcelsNotified, syncproto.ParcelsNotified{Waybills: []string{"73100000000001"}, Via: "modem", Parts: 1})
	e.clk.advance(3 * time.Second)
	e.pass(t)
	assert.Empty(t, g.texts(), "the station sent it")
	assert.Equal(t, "cancelled sent by the station", e.state(t, "SELECT state || ' ' || reason FROM notices"))

	// The hub merged the inbound op and sent the SMS; the station never
	// got the acknowledgement and sent it too: one double, counted.
	e.scan(t, "ST-V0101", "73100000000002", "13800001111")
	e.clk.advance(3 * time.Second)
	e.pass(t)
	require.Len(t, g.texts(), 1)
	e.op(t, "ST-V0101", syncproto.KindParcelsNotified, syncproto.ParcelsNotified{Waybills: []string{"73100000000002"}, Via: "modem"})
	ss, err := notify.StationSentCounts(ctx, e.st)
	require.NoError(t, err)
	assert.Equal(t, notify.StationSent{Sent: 2, Doubles: 1}, ss)
	tl, err := e.st.Timeline(ctx, "73100000000002", "")
	require.NoError(t, err)
	assert.Equal(t, "arrival SMS sent by the station's modem", tl[len(tl)-1].Detail)
}

// A scan-in that arrives late (its station was offline) holds its notice
// for a minute: the station's parcel.notified, a batch or two behind in
// the same backlog, cancels it; without one the hub sends it then.
func TestLateScanInHoldsItsNotice(t *testing.T) {
	g := &gateway{name: "aliyun"}
	e := newEnv(t, morning, g)
	enroll(t, e, "ST-V0101")
	offline := e.clk.now().Add(-20 * time.Minute)
	inbound := func(wb string) syncproto.ParcelInbound {
		return syncproto.ParcelInbound{Waybill: wb, Carrier: "zto", ReceiverPhone: "13912345678", Shelf: 1, Layer: 1, Code: "1-1-" + wb[len(wb)-4:]}
	}
	e.opAt(t, offline, "ST-V0101", syncproto.KindParcelInbound, inbound("73100000000001"))
	e.opAt(t, offline, "ST-V0101", syncproto.KindParcelInbound, func() syncproto.ParcelInbound {
		p := inbound("73100000000002")
		p.ReceiverPhone = "13800001111"
		return p
	}())
	e.clk.advance(3 * time.Second)
	e.pass(t)
	assert.Empty(t, g.texts(), "held: the station may have sent them")
	e.opAt(t, offline.Add(10*time.Minute), "ST-V0101", syncproto.KindParcelsNotified,
		syncproto.ParcelsNotified{Waybills: []string{"73100000000001"}, Via: "modem"})
	e.clk.advance(time.Minute)
	e.pass(t)
	require.Len(t, g.texts(), 1, "the one the station did not send")
	assert.Contains(t, g.texts()[0], "1-1-0002")
}

// A villager who sends a parcel hears when the station accepted it, when
// the centre handed it to the carrier and when the carrier delivered it.
func TestSenderNotices(t *testing.T) {
	g := &gateway{name: "aliyun"}
	e := newEnv(t, morning, g)
	ctx := context.Background()
	enroll(t, e, "ST-V0101", "CENTRE")
	const wb = "78100000012345"
	e.op(t, "ST-V0101", syncproto.KindParcelAccepted, syncproto.ParcelAccepted{Waybill: wb, Carrier: "zto", WaybillSource: "range",
		Sender: syncproto.Party{Name: "王秀英", Phone: "13912345678"}, Receiver: syncproto.Party{Name: "李四", Phone: "13800001111", Province: "广东省"},
		WeightGrams: 800, PriceFen: 1000})
	e.clk.advance(3 * time.Second)
	e.pass(t)
	e.op(t, "CENTRE", syncproto.KindParcelCollected, syncproto.ParcelCollected{Waybill: wb, Carrier: "zto", Direction: syncproto.CollectedOutbound,
		From: "ST-V0101"})
	e.op(t, "CENTRE", syncproto.KindParcelsHandedOver, syncproto.ParcelsHandedOver{Carrier: "zto", List: "HO-1", Waybills: []string{wb}})
	e.clk.advance(time.Minute)
	e.pass(t)
	require.NoError(t, e.m.Record(ctx, []merge.Fact{{Kind: syncproto.KindCarrierEvent, Actor: "api:zto",
		Payload: syncproto.CarrierEvent{Waybill: wb, Carrier: "zto", Code: "signed", AtMs: e.clk.now().UnixMilli()}}}))
	require.NoError(t, e.m.Flush(ctx))
	e.clk.advance(time.Minute)
	e.pass(t)
	assert.Equal(t, []string{
		"【望奎村邮】您在南岗村驿站寄出的中通快递已收寄，运单号78100000012345。",
		"【望奎村邮】您在南岗村驿站寄出的中通快递78100000012345已交快递公司发出。",
		"【望奎村邮】您在南岗村驿站寄出的中通快递78100000012345已签收。",
	}, g.texts())
	for _, m := range g.sent {
		assert.Equal(t, "13912345678", m.Phone, "the sender, not the receiver")
	}
}

// A scan-in undone while the message telling of it and of another parcel
// waits for a busy gateway: that message is not sent (it tells the code
// given up); the other parcel's arrival goes in a message of its own,
// once.
func TestInboundUndoneInACombinedMessage(t *testing.T) {
	g := &gateway{name: "aliyun"}
	e := newEnv(t, morning, g)
	enroll(t, e, "ST-V0101")
	g.fail = []error{&sms.Error{Kind: sms.Throttled, RetryAfter: time.Minute}}
	e.scan(t, "ST-V0101", "73100000000001", "13912345678")
	e.scan(t, "ST-V0101", "73100000000002", "13912345678")
	e.clk.advance(3 * time.Second)
	e.pass(t)
	assert.Equal(t, "queued", e.state(t, "SELECT state FROM sms_messages"))

	e.op(t, "ST-V0101", syncproto.KindParcelInboundUndone, syncproto.ParcelInboundUndone{Waybill: "73100000000001", Code: "1-1-0001",
		Shelf: 1, Layer: 1})
	e.clk.advance(2 * time.Minute)
	e.pass(t)
	e.pass(t)
	assert.Equal(t, []string{"【望奎村邮】您的中通包裹已到南岗村驿站，取件码1-1-0002，营业至19:30。"}, g.texts())
	assert.Equal(t, 2, int(mustInt(t, e, "SELECT count(*) FROM sms_messages")))
}
