package openapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/audit"
	"cunyou/hub/auth"
	"cunyou/hub/gazetteer"
	"cunyou/hub/intake"
	"cunyou/hub/merge"
	"cunyou/hub/openapi"
	"cunyou/hub/store"
	"cunyou/hub/webhook"
	"cunyou/syncproto"
)

const adminToken = "admin-token-0123456789"

var (
	t0       = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	shanghai = time.FixedZone("CST", 8*3600)
)

// clock is a settable wall clock.
type clock struct{ ms atomic.Int64 }

func (c *clock) now() time.Time      { return time.UnixMilli(c.ms.Load()) }
func (c *clock) add(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// The clients every test has: carriers' apps, the county's dispatch
// client, a read-only client of no carrier, a shop writing for no
// carrier, a slow client (3 requests a minute) and a webhooks-only one.
var clients = []store.Client{
	{ID: "zto-app", Name: "ZTO", Carrier: "zto", Scopes: []string{store.ScopeParcelsWrite, store.ScopeParcelsRead, store.ScopeWebhooks, store.ScopeDispatch}},
	{ID: "yto-app", Name: "YTO", Carrier: "yto", Scopes: []string{store.ScopeParcelsWrite, store.ScopeParcelsRead, store.ScopeWebhooks}},
	{ID: "county", Name: "county dispatch", Scopes: []string{store.ScopeDispatch, store.ScopeParcelsRead, store.ScopeWebhooks}},
	{ID: "reader", Name: "read only", Scopes: []string{store.ScopeParcelsRead}},
	{ID: "shop", Name: "a shop", Scopes: []string{store.ScopeParcelsWrite}},
	{ID: "slow", Name: "slow", Carrier: "zto", Scopes: []string{store.ScopeParcelsRead}, RatePerMin: 3},
	{ID: "hooks", Name: "hooks only", Scopes: []string{store.ScopeWebhooks}},
}

// env is a hub on a real database (with the test county) behind a real
// HTTP server.
type env struct {
	t    *testing.T
	ctx  context.Context
	clk  *clock
	st   *store.Store
	m    *merge.Merger
	in   *intake.Service
	wh   *webhook.Dispatcher
	srv  *openapi.Server
	auth *auth.Service
	log  *audit.Log
	ts   *httptest.Server
	keys map[string]string // client id → API key
	seqs map[string]uint64 // node → last seq applied
	recv *receiver
}

type envOptions struct {
	noWebhooks bool
	maxBatch   int
}

func newEnv(t *testing.T, eo ...envOptions) *env {
	t.Helper()
	var o envOptions
	if len(eo) > 0 {
		o = eo[0]
	}
	ctx := context.Background()
	e := &env{t: t, ctx: ctx, clk: &clock{}, keys: map[string]string{}, seqs: map[string]uint64{}, recv: &receiver{}}
	e.clk.ms.Store(t0.UnixMilli())
	st, err := store.Open(ctx, t.TempDir(), store.Options{Now: e.clk.now})
	require.NoError(t, err)
	m, err := merge.New(ctx, st, merge.Options{})
	require.NoError(t, err)
	e.st, e.m = st, m
	t.Cleanup(func() {
		m.Close()
		st.Close()
	})
	c, err := gazetteer.LoadFile("../../testdata/county.json")
	require.NoError(t, err)
	_, err = st.LoadCounty(ctx, c)
	require.NoError(t, err)
	for _, code := range []string{"zto", "yto", "sf"} {
		require.NoError(t, st.PutCarrier(ctx, store.Carrier{Code: code, Name: code}))
	}
	for _, cl := range clients {
		key, err := st.AddClient(ctx, cl)
		require.NoError(t, err)
		e.keys[cl.ID] = key
	}
	e.in = intake.New(st, m, shanghai)
	recv := httptest.NewServer(e.recv)
	t.Cleanup(recv.Close)
	e.wh = webhook.New(st, webhook.EndpointsFunc(func(ctx context.Context, carrier string) (string, string, bool, error) {
		return recv.URL + "/" + carrier, "secret-0123456789abcdef", true, nil
	}), webhook.Options{Log: slog.New(slog.DiscardHandler), RetryBase: time.Millisecond, PollInterval: 10 * time.Millisecond})
	e.log = audit.New(st)
	key, err := auth.LoadKey(t.TempDir())
	require.NoError(t, err)
	e.auth = auth.New(auth.Options{Store: st, Audit: e.log, Now: e.clk.now, Key: key})
	oo := openapi.Options{Store: st, Intake: e.in, Webhooks: e.wh, AdminToken: adminToken, Version: "v-test", Now: e.clk.now,
		MaxBatch: o.maxBatch, Auth: e.auth, Audit: e.log}
	if o.noWebhooks {
		oo.Webhooks = nil
	}
	e.srv = openapi.New(oo)
	t.Cleanup(func() { e.srv.Close() }) // after the HTTP server, before the store
	e.ts = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.ts.Close)
	return e
}

// receiver is a carrier's webhook endpoint that answers 200.
type receiver struct {
	mu     sync.Mutex
	bodies []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.bodies = append(rc.bodies, string(b))
	rc.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// runWebhooks runs the dispatcher until the end of the test.
func (e *env) runWebhooks() {
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- e.wh.Run(ctx) }()
	e.t.Cleanup(func() {
		cancel()
		<-done
	})
}

// enqueue queues webhook events for carriers, as the projection does.
func (e *env) enqueue(evs ...webhook.Event) {
	e.t.Helper()
	require.NoError(e.t, e.st.Write(e.ctx, func(tx *sql.Tx) error {
		for _, ev := range evs {
			if err := e.wh.Enqueue(e.ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	}))
}

// apply merges ops of a station or the centre, as if uploaded.
func (e *env) apply(node string, kind syncproto.EventKind, payload any) {
	e.t.Helper()
	e.seqs[node]++
	seq := e.seqs[node]
	body, err := json.Marshal(payload)
	require.NoError(e.t, err)
	o := syncproto.Op{Node: node, Incarnation: "inc-1", Seq: seq, HLC: syncproto.MakeTimestamp(t0.Add(-time.Hour).UnixMilli()+int64(seq), 0),
		Actor: "clerk", Kind: kind, Payload: body}
	o.Seal()
	b := syncproto.Batch{Header: syncproto.BatchHeader{Proto: syncproto.ProtoVersion, Kind: syncproto.BatchOps, Node: node,
		Incarnation: "inc-1", Count: 1}, Ops: []syncproto.Op{o}}
	_, err = e.m.Apply(e.ctx, node, b)
	require.NoError(e.t, err)
	ctx, cancel := context.WithTimeout(e.ctx, time.Minute)
	defer cancel()
	require.NoError(e.t, e.m.Flush(ctx))
}

// announce records parcels straight through intake.
func (e *env) announce(entries ...intake.Entry) []intake.Result {
	e.t.Helper()
	rs, err := e.in.Announce(e.ctx, "api:test", "", entries)
	require.NoError(e.t, err)
	for _, r := range rs {
		require.NotEqual(e.t, intake.Rejected, r.Outcome, r.Message)
	}
	return rs
}

func entry(wb, carrier, phone, addr string) intake.Entry {
	return intake.Entry{Waybill: wb, Carrier: carrier, ReceiverName: "王秀英", ReceiverPhone: phone, Address: addr, WeightGrams: 800}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request as client ("" none, "admin" the admin token, else a
// client id, or a raw token starting with "raw:").
func (e *env) do(method, path, as string, body []byte, header map[string]string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, bytes.NewReader(body))
	require.NoError(e.t, err)
	switch {
	case as == "":
	case as == "admin":
		req.Header.Set("Authorization", "Bearer "+adminToken)
	case len(as) > 4 && as[:4] == "raw:":
		req.Header.Set("Authorization", "Bearer "+as[4:])
	default:
		key, ok := e.keys[as]
		require.True(e.t, ok, "no client %s", as)
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := e.ts.Client().Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (e *env) get(path, as string) response { return e.do(http.MethodGet, path, as, nil, nil) }

func (e *env) post(path, as string, v any) response {
	e.t.Helper()
	return e.do(http.MethodPost, path, as, jsonBody(v), nil)
}

func jsonBody(v any) []byte {
	if b, ok := v.([]byte); ok {
		return b
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// decode checks the status and decodes a JSON answer into v.
func decode[T any](t *testing.T, r response, status int) T {
	t.Helper()
	var v T
	require.Equal(t, status, r.status, "%s", r.body)
	assert.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
	require.NoError(t, json.Unmarshal(r.body, &v), "%s", r.body)
	return v
}

// problem checks an error answer: status, media type, code, type URI.
func problem(t *testing.T, r response, status int, code string) openapi.Problem {
	t.Helper()
	require.Equal(t, status, r.status, "%s", r.body)
	assert.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
	var p openapi.Problem
	require.NoError(t, json.Unmarshal(r.body, &p), "%s", r.body)
	assert.Equal(t, code, p.Code, "%s", r.body)
	assert.Equal(t, openapi.ProblemBase+code, p.Type)
	assert.Equal(t, status, p.Status)
	assert.NotEmpty(t, p.Title)
	assert.NotEmpty(t, p.Detail)
	return p
}
