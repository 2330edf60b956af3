package syncapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/merge"
	"cunyou/hub/store"
	"cunyou/hub/syncapi"
	"cunyou/syncproto"
)

// clock is a settable wall clock.
type clock struct{ ms atomic.Int64 }

func (c *clock) now() time.Time            { return time.UnixMilli(c.ms.Load()) }
func (c *clock) add(d time.Duration)       { c.ms.Add(d.Milliseconds()) }
func newClock(t time.Time) *clock          { c := &clock{}; c.ms.Store(t.UnixMilli()); return c }
func (e *env) stamp(d time.Duration) int64 { return e.clk.now().Add(d).UnixMilli() }

// env is a hub on a real database behind a real HTTP server.
type env struct {
	t   *testing.T
	dir string
	clk *clock
	o   syncapi.Options
	st  *store.Store
	m   *merge.Merger
	srv *syncapi.Server
	ts  *httptest.Server
}

func newEnv(t *testing.T, o syncapi.Options) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clk: newClock(time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)), o: o}
	e.start()
	t.Cleanup(e.stop)
	return e
}

func (e *env) start() {
	e.t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, e.dir, store.Options{Now: e.clk.now})
	require.NoError(e.t, err)
	m, err := merge.New(ctx, st, merge.Options{})
	require.NoError(e.t, err)
	e.st, e.m = st, m
	e.srv = syncapi.New(st, m, e.o)
	e.ts = httptest.NewServer(e.srv.Handler())
}

// stop shuts the hub down; start brings it back on the same data.
func (e *env) stop() {
	if e.ts == nil {
		return
	}
	e.ts.Close()
	e.m.Close()
	e.st.Close()
	e.ts = nil
}

func (e *env) restart() {
	e.stop()
	e.start()
}

// enroll adds a station and enrolls it; it returns the node's token.
func (e *env) enroll(node string) string {
	e.t.Helper()
	code, err := e.st.AddNode(context.Background(), node, syncproto.NodeStation, node+" 驿站")
	require.NoError(e.t, err)
	resp := e.do(http.MethodPost, syncproto.PathEnroll, "", jsonBody(syncproto.EnrollRequest{Code: code, Software: "test"}), nil)
	require.Equal(e.t, http.StatusOK, resp.status, resp.body)
	var er syncproto.EnrollResponse
	require.NoError(e.t, json.Unmarshal([]byte(resp.body), &er))
	return er.Token
}

type response struct {
	status int
	header http.Header
	body   string
}

// errBody decodes an error answer.
func (r response) errBody(t *testing.T) syncproto.ErrorBody {
	t.Helper()
	var b syncproto.ErrorBody
	require.NoError(t, json.Unmarshal([]byte(r.body), &b), r.body)
	return b
}

func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func (e *env) do(method, path, token string, body []byte, header map[string]string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, bytes.NewReader(body))
	require.NoError(e.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := e.ts.Client().Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// opsBody encodes sealed inbound ops from..to of node as a wire batch.
func (e *env) opsBody(node, inc string, from, to uint64) []byte {
	e.t.Helper()
	var ops []syncproto.Op
	for seq := from; seq <= to; seq++ {
		payload := jsonBody(syncproto.ParcelInbound{Waybill: fmt.Sprintf("%s-W%04d", node, seq), Carrier: "zto",
			ReceiverPhone: "13800138000", Shelf: 1, Layer: 1, Code: fmt.Sprintf("1-1-%04d", seq)})
		o := syncproto.Op{Node: node, Incarnation: inc, Seq: seq, HLC: syncproto.MakeTimestamp(e.stamp(-time.Minute), uint16(seq)),
			Actor: "clerk", Kind: syncproto.KindParcelInbound, Payload: payload}
		o.Seal()
		ops = append(ops, o)
	}
	var buf bytes.Buffer
	require.NoError(e.t, syncproto.WriteOps(&buf, node, inc, ops, e.stamp(0)))
	return buf.Bytes()
}

func (e *env) postOps(token string, body []byte) response {
	e.t.Helper()
	return e.do(http.MethodPost, syncproto.PathOps, token, body, map[string]string{"Content-Type": "application/octet-stream"})
}

func opsResult(t *testing.T, r response) syncproto.OpsResult {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, r.body)
	var res syncproto.OpsResult
	require.NoError(t, json.Unmarshal([]byte(r.body), &res))
	return res
}

func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	require.NoError(e.t, e.st.DB().QueryRow(query, args...).Scan(&n))
	return n
}

func assertCode(t *testing.T, r response, status int, code syncproto.Code) syncproto.ErrorBody {
	t.Helper()
	assert.Equal(t, status, r.status, r.body)
	b := r.errBody(t)
	assert.Equal(t, code, b.Code, r.body)
	assert.Equal(t, code.String(), b.Name)
	return b
}
