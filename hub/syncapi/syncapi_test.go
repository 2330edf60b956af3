package syncapi_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/store"
	"cunyou/hub/syncapi"
	"cunyou/syncproto"
)

func TestEnroll(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, syncapi.Options{})
	code, err := e.st.AddNode(ctx, "ST-V0101", syncproto.NodeStation, "南岗村驿站")
	require.NoError(t, err)
	assert.Regexp(t, `^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$`, code)

	enroll := func(code string) response {
		return e.do(http.MethodPost, syncproto.PathEnroll, "", jsonBody(syncproto.EnrollRequest{Code: code, Software: "cunyou-edge test"}), nil)
	}
	assertCode(t, enroll("ABCD-EFGH"), http.StatusForbidden, syncproto.CodeEnrollCode)
	assertCode(t, e.do(http.MethodPost, syncproto.PathEnroll, "", []byte("{"), nil), http.StatusBadRequest, syncproto.CodeBadOp)

	// A station whose database belongs to another node keeps the code
	// unused.
	r := e.do(http.MethodPost, syncproto.PathEnroll, "", jsonBody(syncproto.EnrollRequest{Code: code, Node: "ST-V0999"}), nil)
	assertCode(t, r, http.StatusForbidden, syncproto.CodeWrongNode)
	assert.Contains(t, r.body, "stays unused")

	// The code works once, typed any way.
	r = enroll(" " + strings.ToLower(strings.ReplaceAll(code, "-", "")) + " ")
	require.Equal(t, http.StatusOK, r.status, r.body)
	var er syncproto.EnrollResponse
	require.NoError(t, json.Unmarshal([]byte(r.body), &er))
	assert.Equal(t, syncproto.EnrollResponse{Node: "ST-V0101", Kind: syncproto.NodeStation, Name: "南岗村驿站", Token: er.Token}, er)
	raw, err := base64.RawURLEncoding.DecodeString(er.Token)
	require.NoError(t, err)
	assert.Len(t, raw, 32)
	var stored string
	require.NoError(t, e.st.DB().QueryRow("SELECT token_hash FROM nodes WHERE node_id = 'ST-V0101'").Scan(&stored))
	sum := sha256.Sum256([]byte(er.Token))
	assert.Equal(t, hex.EncodeToString(sum[:]), stored, "the hub keeps only the token's hash")
	assertCode(t, enroll(code), http.StatusForbidden, syncproto.CodeEnrollCode)

	// The token authenticates. The station reports its health.
	health := &syncproto.Health{Backlog: 12, OldestUnsentS: 90, Devices: []syncproto.DeviceHealth{
		{Name: "reader", Kind: "idcard", State: "ready", Code: "device_ready"},
		{Name: "labels", Kind: "printer", State: "error", Code: "printer.paper_out"}}}
	hello := syncproto.Hello{Proto: 1, MinProto: 1, Node: "ST-V0101", TimeMs: e.stamp(0), Health: health}
	assert.Equal(t, http.StatusOK, e.do(http.MethodPost, syncproto.PathHello, er.Token, jsonBody(hello), nil).status)
	n, err := e.st.Node(ctx, "ST-V0101")
	require.NoError(t, err)
	assert.Equal(t, health, n.Health)
	hello.Health = nil // an older station's hello: the last report stays
	assert.Equal(t, http.StatusOK, e.do(http.MethodPost, syncproto.PathHello, er.Token, jsonBody(hello), nil).status)
	n, err = e.st.Node(ctx, "ST-V0101")
	require.NoError(t, err)
	assert.Equal(t, health, n.Health)

	// A new code (the PC was replaced) revokes the old token.
	code2, err := e.st.NewEnrollCode(ctx, "ST-V0101")
	require.NoError(t, err)
	assertCode(t, e.do(http.MethodPost, syncproto.PathHello, er.Token, jsonBody(hello), nil), http.StatusUnauthorized, syncproto.CodeUnauthorized)

	// Codes expire after 7 days.
	e.clk.add(store.EnrollTTL + time.Second)
	assertCode(t, enroll(code2), http.StatusForbidden, syncproto.CodeEnrollCode)
	code3, err := e.st.NewEnrollCode(ctx, "ST-V0101")
	require.NoError(t, err)
	e.clk.add(store.EnrollTTL - time.Minute)
	require.Equal(t, http.StatusOK, enroll(code3).status)
}

func TestEnrollGuessing(t *testing.T) {
	e := newEnv(t, syncapi.Options{})
	for range 10 {
		r := e.do(http.MethodPost, syncproto.PathEnroll, "", jsonBody(syncproto.EnrollRequest{Code: "AAAA-AAAA"}), nil)
		require.Equal(t, http.StatusForbidden, r.status)
	}
	r := e.do(http.MethodPost, syncproto.PathEnroll, "", jsonBody(syncproto.EnrollRequest{Code: "AAAA-AAAA"}), nil)
	b := assertCode(t, r, http.StatusTooManyRequests, syncproto.CodeBusy)
	assert.Positive(t, b.RetryAfterMs)
	assert.NotEmpty(t, r.header.Get("Retry-After"))
	e.clk.add(11 * time.Minute)
	r = e.do(http.MethodPost, syncproto.PathEnroll, "", jsonBody(syncproto.EnrollRequest{Code: "AAAA-AAAA"}), nil)
	assert.Equal(t, http.StatusForbidden, r.status, "the wait is over")
}

func TestAuthOnEveryRoute(t *testing.T) {
	e := newEnv(t, syncapi.Options{})
	token := e.enroll("ST-A")
	sha := strings.Repeat("ab", 32)
	routes := []struct{ method, path string }{
		{http.MethodPost, syncproto.PathHello},
		{http.MethodPost, syncproto.PathOps},
		{http.MethodGet, syncproto.PathChanges},
		{http.MethodHead, syncproto.PathBlobs + sha},
		{http.MethodPatch, syncproto.PathBlobs + sha},
	}
	for _, rt := range routes {
		for _, tok := range []string{"", "not-a-token", token + "x"} {
			r := e.do(rt.method, rt.path, tok, nil, nil)
			assert.Equal(t, http.StatusUnauthorized, r.status, "%s %s with %q", rt.method, rt.path, tok)
			assert.Contains(t, r.header.Get("WWW-Authenticate"), "Bearer")
			if rt.method != http.MethodHead {
				assert.Equal(t, syncproto.CodeUnauthorized, r.errBody(t).Code)
			}
		}
	}
	// Unknown routes answer in the protocol's shape.
	assertCode(t, e.do(http.MethodGet, "/sync/v1/nothing", token, nil, nil), http.StatusNotFound, syncproto.CodeNotFound)
	// A disabled station is locked out.
	require.NoError(t, e.st.SetDisabled(context.Background(), "ST-A", true))
	assertCode(t, e.do(http.MethodGet, syncproto.PathChanges, token, nil, nil), http.StatusUnauthorized, syncproto.CodeUnauthorized)
}

func TestHello(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, syncapi.Options{})
	token := e.enroll("ST-A")
	opsRes := opsResult(t, e.postOps(token, e.opsBody("ST-A", "inc-1", 1, 7)))
	require.EqualValues(t, 7, opsRes.AckedSeq)
	seqs, err := e.st.AddChanges(ctx, []store.Outgoing{{Node: "ST-A", Type: syncproto.ChangeTemplate, Payload: syncproto.Template{Key: "k", Text: "t"}}})
	require.NoError(t, err)

	hello := syncproto.Hello{Proto: syncproto.ProtoVersion, MinProto: syncproto.MinProtoVersion, Node: "ST-A", Software: "cunyou-edge 1.2",
		TimeMs: e.stamp(90 * time.Second), Incarnations: []string{"inc-1", "inc-2"}}
	r := e.do(http.MethodPost, syncproto.PathHello, token, jsonBody(hello), nil)
	require.Equal(t, http.StatusOK, r.status, r.body)
	var wel syncproto.Welcome
	require.NoError(t, json.Unmarshal([]byte(r.body), &wel))
	assert.Equal(t, syncproto.Welcome{Proto: 1, HubTimeMs: e.stamp(0), Cursors: map[string]uint64{"inc-1": 7, "inc-2": 0}, ChangesSeq: seqs[0]}, wel)
	n, err := e.st.Node(ctx, "ST-A")
	require.NoError(t, err)
	assert.Equal(t, 90*time.Second, n.LastSkew)
	assert.Equal(t, "cunyou-edge 1.2", n.Software)

	// An edge too new for this hub is told so.
	tooNew := hello
	tooNew.Proto, tooNew.MinProto = 99, 99
	b := assertCode(t, e.do(http.MethodPost, syncproto.PathHello, token, jsonBody(tooNew), nil), http.StatusBadRequest, syncproto.CodeUnsupportedVersion)
	assert.Contains(t, b.Message, "other end speaks 99-99, this end 1-1; upgrade this program")
	// A hello in another node's name.
	other := hello
	other.Node = "ST-B"
	assertCode(t, e.do(http.MethodPost, syncproto.PathHello, token, jsonBody(other), nil), http.StatusForbidden, syncproto.CodeWrongNode)
}

func TestOps(t *testing.T) {
	e := newEnv(t, syncapi.Options{MaxBatchBytes: 1 << 20})
	tokA, tokB := e.enroll("ST-A"), e.enroll("ST-B")

	res := opsResult(t, e.postOps(tokA, e.opsBody("ST-A", "inc-1", 1, 50)))
	assert.Equal(t, syncproto.OpsResult{Incarnation: "inc-1", AckedSeq: 50, Applied: 50}, res)
	// A retry after a lost answer.
	res = opsResult(t, e.postOps(tokA, e.opsBody("ST-A", "inc-1", 41, 60)))
	assert.Equal(t, syncproto.OpsResult{Incarnation: "inc-1", AckedSeq: 60, Applied: 10, Duplicates: 10}, res)

	// A gap: 409 with where to resume.
	b := assertCode(t, e.postOps(tokA, e.opsBody("ST-A", "inc-1", 70, 80)), http.StatusConflict, syncproto.CodeGap)
	require.NotNil(t, b.Cursor)
	assert.EqualValues(t, 60, *b.Cursor)
	// Another station's ops.
	assertCode(t, e.postOps(tokB, e.opsBody("ST-A", "inc-1", 61, 62)), http.StatusForbidden, syncproto.CodeWrongNode)

	// A damaged batch: 400, nothing of it applied.
	body := e.opsBody("ST-A", "inc-1", 61, 70)
	for _, bad := range [][]byte{
		corrupt(body, len(body)/2),
		body[:len(body)-5],
		append(append([]byte{}, body...), body...),
		nil,
		[]byte("hello"),
	} {
		assertCode(t, e.postOps(tokA, bad), http.StatusBadRequest, syncproto.CodeBadBatch)
	}
	assert.Equal(t, 60, e.count("SELECT count(*) FROM ops"))
	// Too large.
	big := make([]byte, 2<<20)
	assertCode(t, e.postOps(tokA, big), http.StatusRequestEntityTooLarge, syncproto.CodeTooLarge)

	res = opsResult(t, e.postOps(tokA, body))
	assert.EqualValues(t, 70, res.AckedSeq)

	m := e.do(http.MethodGet, "/metrics", "", nil, nil)
	require.Equal(t, http.StatusOK, m.status)
	for _, want := range []string{
		"cunyou_hub_ops_applied_total 70",
		"cunyou_hub_ops_duplicates_total 10",
		`cunyou_hub_batches_rejected_total{code="bad_batch"} 5`,
		`cunyou_hub_batches_rejected_total{code="gap"} 1`,
		`cunyou_hub_batches_rejected_total{code="wrong_node"} 1`,
		`cunyou_hub_batches_rejected_total{code="too_large"} 1`,
		`cunyou_hub_station_acked_seq{station="ST-A",incarnation="inc-1"} 70`,
		`cunyou_hub_station_lag_seconds{station="ST-A"} 60.000`,
		`cunyou_hub_station_lag_seconds{station="ST-B"} 0.000`,
	} {
		assert.Contains(t, m.body, want)
	}
}

func corrupt(b []byte, i int) []byte {
	c := append([]byte{}, b...)
	c[i] ^= 0x55
	return c
}

func TestBusy(t *testing.T) {
	e := newEnv(t, syncapi.Options{MaxMerges: 1})
	tok := e.enroll("ST-A")
	require.True(t, e.srv.Merges().Acquire(context.Background(), 0))
	for range 5 {
		r := e.postOps(tok, e.opsBody("ST-A", "inc-1", 1, 5))
		b := assertCode(t, r, http.StatusServiceUnavailable, syncproto.CodeBusy)
		secs, err := strconv.Atoi(r.header.Get("Retry-After"))
		require.NoError(t, err)
		assert.GreaterOrEqual(t, secs, 1)
		assert.LessOrEqual(t, secs, 5)
		assert.GreaterOrEqual(t, b.RetryAfterMs, int64(1000))
		assert.LessOrEqual(t, b.RetryAfterMs, int64(5000))
		assert.InDelta(t, float64(b.RetryAfterMs)/1000, float64(secs), 1)
	}
	assert.Zero(t, e.count("SELECT count(*) FROM ops"))
	e.srv.Merges().Release()
	assert.EqualValues(t, 5, opsResult(t, e.postOps(tok, e.opsBody("ST-A", "inc-1", 1, 5))).AckedSeq)
	assert.Contains(t, e.do(http.MethodGet, "/metrics", "", nil, nil).body, "cunyou_hub_busy_total 5")
}

func TestChanges(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, syncapi.Options{})
	tok := e.enroll("ST-A")
	e.enroll("ST-B")
	var out []store.Outgoing
	for i := range 5 {
		out = append(out, store.Outgoing{Node: "ST-A", Type: syncproto.ChangeManifest,
			Payload: syncproto.ManifestEntry{Waybill: "ZT" + strconv.Itoa(i), Carrier: "zto", ReceiverName: "张三", ReceiverPhone: "13800138000"}})
		out = append(out, store.Outgoing{Node: "ST-B", Type: syncproto.ChangeManifest, Payload: syncproto.ManifestEntry{Waybill: "YT" + strconv.Itoa(i)}})
	}
	seqs, err := e.st.AddChanges(ctx, out)
	require.NoError(t, err)
	require.Len(t, seqs, 10)

	get := func(query string) []syncproto.Change {
		t.Helper()
		r := e.do(http.MethodGet, syncproto.PathChanges+query, tok, nil, nil)
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "application/octet-stream", r.header.Get("Content-Type"))
		b, err := syncproto.ReadBatch(bufio.NewReader(strings.NewReader(r.body)))
		require.NoError(t, err)
		assert.Equal(t, syncproto.BatchChanges, b.Header.Kind)
		assert.Equal(t, "ST-A", b.Header.Node)
		return b.Changes
	}
	all := get("")
	require.Len(t, all, 5)
	var m syncproto.ManifestEntry
	require.NoError(t, json.Unmarshal(all[0].Payload, &m))
	assert.Equal(t, "ZT0", m.Waybill)
	assert.Equal(t, seqs[0], all[0].Seq)
	assert.Equal(t, all[3:], get("?after="+strconv.FormatUint(all[2].Seq, 10)))
	assert.Equal(t, all[:2], get("?limit=2"))
	assert.Empty(t, get("?after="+strconv.FormatUint(all[4].Seq, 10)))
	assertCode(t, e.do(http.MethodGet, syncproto.PathChanges+"?after=x", tok, nil, nil), http.StatusBadRequest, syncproto.CodeBadOp)
	assertCode(t, e.do(http.MethodGet, syncproto.PathChanges+"?limit=0", tok, nil, nil), http.StatusBadRequest, syncproto.CodeBadOp)
	n, err := e.st.Node(ctx, "ST-A")
	require.NoError(t, err)
	assert.Equal(t, all[4].Seq, n.ChangesAfter, "the hub notes how far the node has applied")
}

func TestBlobs(t *testing.T) {
	e := newEnv(t, syncapi.Options{})
	tok := e.enroll("ST-A")
	data := make([]byte, 300_000)
	rand.Read(data)
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	path := syncproto.PathBlobs + sha
	head := func() response {
		t.Helper()
		r := e.do(http.MethodHead, path, tok, nil, nil)
		require.Equal(t, http.StatusOK, r.status)
		return r
	}
	patch := func(off int, chunk []byte) response {
		t.Helper()
		return e.do(http.MethodPatch, path, tok, chunk, map[string]string{
			"Upload-Offset": strconv.Itoa(off), "Upload-Length": strconv.Itoa(len(data)), "Content-Type": "application/offset+octet-stream"})
	}
	status := func(r response) syncproto.BlobStatus {
		t.Helper()
		require.Equal(t, http.StatusOK, r.status, r.body)
		var st syncproto.BlobStatus
		require.NoError(t, json.Unmarshal([]byte(r.body), &st))
		return st
	}
	assert.Equal(t, "0", head().header.Get("Upload-Offset"))

	assert.Equal(t, syncproto.BlobStatus{SHA256: sha, Offset: 100_000}, status(patch(0, data[:100_000])))
	e.restart() // the hub restarts between chunks
	assert.Equal(t, "100000", head().header.Get("Upload-Offset"))
	assert.Equal(t, "300000", head().header.Get("Upload-Length"))

	// A chunk at the wrong offset: 409 with where the hub stands.
	r := patch(50_000, data[50_000:150_000])
	b := assertCode(t, r, http.StatusConflict, syncproto.CodeGap)
	assert.EqualValues(t, 100_000, *b.Cursor)
	assert.Equal(t, "100000", r.header.Get("Upload-Offset"))

	assert.Equal(t, syncproto.BlobStatus{SHA256: sha, Offset: 200_000}, status(patch(100_000, data[100_000:200_000])))
	assert.Equal(t, syncproto.BlobStatus{SHA256: sha, Offset: 300_000, Complete: true}, status(patch(200_000, data[200_000:])))
	got, err := os.ReadFile(e.st.BlobPath(sha))
	require.NoError(t, err)
	assert.Equal(t, data, got)
	assert.Equal(t, "true", head().header.Get("Upload-Complete"))
	assert.Equal(t, "300000", head().header.Get("Upload-Offset"))
	assert.True(t, strings.HasSuffix(e.st.BlobPath(sha), sha[:2]+string(os.PathSeparator)+sha))

	// Bytes that do not hash to the name: 422 and the partial copy goes.
	bad := append([]byte{}, data...)
	bad[len(bad)-1] ^= 1
	sum2 := sha256.Sum256(append([]byte("other"), data...))
	sha2 := hex.EncodeToString(sum2[:])
	path = syncproto.PathBlobs + sha2
	status(patch(0, bad[:150_000]))
	assertCode(t, patch(150_000, bad[150_000:]), http.StatusUnprocessableEntity, syncproto.CodeBlobMismatch)
	assert.Equal(t, "0", head().header.Get("Upload-Offset"))
	_, err = os.Stat(e.st.BlobPath(sha2) + ".part")
	assert.True(t, os.IsNotExist(err))

	// Bad requests.
	path = syncproto.PathBlobs + sha
	assertCode(t, e.do(http.MethodPatch, syncproto.PathBlobs+"nothex", tok, []byte("x"), map[string]string{"Upload-Offset": "0", "Upload-Length": "1"}),
		http.StatusBadRequest, syncproto.CodeBadOp)
	assertCode(t, e.do(http.MethodPatch, syncproto.PathBlobs+sha2, tok, []byte("x"), nil), http.StatusBadRequest, syncproto.CodeBadOp)
	assertCode(t, e.do(http.MethodPatch, syncproto.PathBlobs+sha2, tok, []byte("x"), map[string]string{"Upload-Offset": "0", "Upload-Length": "999999999"}),
		http.StatusRequestEntityTooLarge, syncproto.CodeTooLarge)
}

// The console's station list moved to hub/openapi (with its tests);
// health stays here.
func TestHealth(t *testing.T) {
	e := newEnv(t, syncapi.Options{Version: "v-test"})
	h := e.do(http.MethodGet, "/healthz", "", nil, nil)
	require.Equal(t, http.StatusOK, h.status)
	assert.Contains(t, h.body, `"version":"v-test"`)
	assertCode(t, e.do(http.MethodGet, "/api/v1/stations", "", nil, nil), http.StatusNotFound, syncproto.CodeNotFound)
}

func TestMetricsToken(t *testing.T) {
	e := newEnv(t, syncapi.Options{MetricsToken: "scrape-0123456789abcdef"})
	assertCode(t, e.do(http.MethodGet, "/metrics", "", nil, nil), http.StatusUnauthorized, syncproto.CodeUnauthorized)
	assertCode(t, e.do(http.MethodGet, "/metrics", "wrong-token", nil, nil), http.StatusUnauthorized, syncproto.CodeUnauthorized)
	r := e.do(http.MethodGet, "/metrics", "scrape-0123456789abcdef", nil, nil)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, "cunyou_hub_ops_applied_total")
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/healthz", "", nil, nil).status, "health stays open")
}
