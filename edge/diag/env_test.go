package diag

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cunyou/edge/config"
	"cunyou/edge/station"
	"cunyou/edge/store"
	"cunyou/syncproto"
)

// testNode is the station of every test.
const testNode = "ST-D01"

// env is a station on a real SQLite file in its own data folder, written
// through the real store and station, as serve writes it.
type env struct {
	ctx context.Context
	dir string
	st  *store.Store
	s   *station.Station
	cfg config.Config
	n   int // parcels scanned in so far
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	st, err := store.Open(ctx, filepath.Join(dir, "edge.db"), store.Options{Node: testNode, Kind: syncproto.NodeStation})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.Listen = closedAddr(t)
	e := &env{ctx: ctx, dir: dir, st: st, s: station.New(st, cfg.Location()), cfg: cfg}
	require.NoError(t, e.s.SetShelves(ctx, "boss", []syncproto.Shelf{{No: 1, Layers: 4, Capacity: 500}, {No: 2, Layers: 4, Capacity: 500}}))
	return e
}

// scanIn shelves n more parcels, one op each.
func (e *env) scanIn(t *testing.T, n int) {
	t.Helper()
	for range n {
		e.n++
		_, err := e.s.Inbound(e.ctx, "li", stationInput(e.n))
		require.NoError(t, err)
	}
}

// stationInput is the n-th parcel of a test.
func stationInput(n int) station.InboundInput {
	return station.InboundInput{Waybill: fmt.Sprintf("73%012d", n), ReceiverPhone: fmt.Sprintf("138%08d", n)}
}

// enroll records the hub and token, as cunyou-edge enroll does.
func (e *env) enroll(t *testing.T, hubURL, token, caFile string) {
	t.Helper()
	require.NoError(t, e.st.SetSyncConfig(e.ctx, store.SyncConfig{HubURL: hubURL, Token: token, CAFile: caFile}))
	require.NoError(t, os.Chmod(filepath.Join(e.dir, "edge.db"), 0o600))
}

// backup writes a backup into DATA_DIR/backups dated at.
func (e *env) backup(t *testing.T, at time.Time) string {
	t.Helper()
	dir := filepath.Join(e.dir, "backups")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	p := filepath.Join(dir, "edge-"+at.Format("20060102")+".db")
	require.NoError(t, e.st.Backup(e.ctx, p))
	require.NoError(t, os.Chtimes(p, at, at))
	return p
}

func (e *env) options() Options {
	return Options{Config: e.cfg, Version: "v-test", Timeout: 3 * time.Second}
}

// run runs every check on the station.
func (e *env) run(t *testing.T) Report {
	t.Helper()
	return Run(e.ctx, e.options())
}

// line returns a check's line, which must be in the report.
func line(t *testing.T, r Report, name string) Line {
	t.Helper()
	l, ok := r.Line(name)
	require.True(t, ok, "no check %s in the report", name)
	return l
}

// closedAddr is a loopback address nothing listens on: a connection to
// it is refused at once.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// testHub is a county hub behind a real HTTP server, answering the routes
// diag asks (GET /healthz, POST /sync/v1/hello with the token, GET
// /metrics) as hub/syncapi does, with knobs for what a hub gets wrong.
type testHub struct {
	srv   *httptest.Server
	token string

	mu          sync.Mutex
	skew        time.Duration // its clock minus the real one
	cursors     map[string]uint64
	metricsOpen bool
	dead, quar  int
	hellos      []syncproto.Hello
}

const hubToken = "tok-secret-7f3a9c"

func newTestHub(t *testing.T) *testHub {
	t.Helper()
	h := &testHub{token: hubToken, cursors: map[string]uint64{}, metricsOpen: true}
	h.srv = httptest.NewUnstartedServer(h.handler())
	h.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are the point of some tests
	t.Cleanup(h.srv.Close)
	return h
}

func (h *testHub) now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return time.Now().Add(h.skew)
}

func (h *testHub) handler() http.Handler {
	mux := http.NewServeMux()
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", h.now().UTC().Format(http.TimeFormat))
		writeJSON(w, 200, map[string]any{"ok": true, "version": "hub-test", "proto": syncproto.ProtoVersion, "min_proto": syncproto.MinProtoVersion})
	})
	mux.HandleFunc("POST "+syncproto.PathHello, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+h.token {
			c := syncproto.CodeUnauthorized
			writeJSON(w, 401, syncproto.ErrorBody{Code: c, Name: c.String(), Message: "unknown token"})
			return
		}
		var hello syncproto.Hello
		if err := json.NewDecoder(r.Body).Decode(&hello); err != nil || hello.Node != testNode {
			c := syncproto.CodeWrongNode
			writeJSON(w, 403, syncproto.ErrorBody{Code: c, Name: c.String(), Message: "hello of node " + hello.Node})
			return
		}
		now := h.now()
		h.mu.Lock()
		defer h.mu.Unlock()
		h.hellos = append(h.hellos, hello)
		wel := syncproto.Welcome{Proto: syncproto.ProtoVersion, HubTimeMs: now.UnixMilli(), Cursors: map[string]uint64{}}
		for _, inc := range hello.Incarnations {
			wel.Cursors[inc] = h.cursors[inc]
		}
		writeJSON(w, 200, wel)
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if !h.metricsOpen {
			writeJSON(w, 401, syncproto.ErrorBody{Code: syncproto.CodeUnauthorized, Name: "unauthorized", Message: "metrics token required"})
			return
		}
		fmt.Fprintf(w, "# TYPE cunyou_hub_station_dead_letters gauge\n")
		fmt.Fprintf(w, "cunyou_hub_station_dead_letters{station=\"ST-OTHER\"} 9\n")
		fmt.Fprintf(w, "cunyou_hub_station_dead_letters{station=%q} %d\n", testNode, h.dead)
		fmt.Fprintf(w, "cunyou_hub_station_quarantined{station=%q} %d\n", testNode, h.quar)
	})
	return mux
}

// set changes the hub's knobs.
func (h *testHub) set(fn func(h *testHub)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fn(h)
}

// testCA is a county certificate authority that issues the hub's
// certificates.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  string // the file ca_file names
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testCA{cert: cert, key: key, pem: writePEM(t, der)}
}

// issue makes a server certificate for hosts valid from notBefore to
// notAfter.
func (ca *testCA) issue(t *testing.T, notBefore, notAfter time.Time, hosts ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: hosts[0]},
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// writePEM writes a certificate to a PEM file and returns its path.
func writePEM(t *testing.T, der []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	return p
}
