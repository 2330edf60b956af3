package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/config"
	"cunyou/syncproto"
)

type runResult struct {
	stdout, stderr string
	err            error
}

// clearEnv keeps the caller's CUNYOU_HUB_* settings out of the test: Load
// ignores empty values.
func clearEnv(t *testing.T) {
	t.Helper()
	for name := range config.Env {
		t.Setenv(name, "")
	}
}

func run(args ...string) runResult {
	var stdout, stderr bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stderr}
	err := m.Run(context.Background(), args)
	return runResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := run(args...)
	require.NoError(t, r.err, "%v\nstdout: %s\nstderr: %s", args, r.stdout, r.stderr)
	return r.stdout
}

var codeRe = regexp.MustCompile(`code(?: for \S+)?: ([0-9A-Z]{4}-[0-9A-Z]{4})`)

func enrollCode(t *testing.T, out string) string {
	t.Helper()
	m := codeRe.FindStringSubmatch(out)
	require.NotNil(t, m, "no enrollment code in %q", out)
	return m[1]
}

func TestVersionHelp(t *testing.T) {
	clearEnv(t)
	assert.Contains(t, mustRun(t, "version"), "envelope 1")
	assert.Contains(t, mustRun(t, "help"), "sync import FILE")
	assert.Error(t, run("nope").err)
	assert.Error(t, run().err)
	assert.ErrorContains(t, run("station").err, "give one of add")
	assert.ErrorContains(t, run("station", "frob").err, "unknown subcommand")
}

func TestStations(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	out := mustRun(t, "station", "add", "--data", dir, "--id", "ST-V0101", "--name", "南岗村驿站")
	assert.Contains(t, out, "added station ST-V0101 (南岗村驿站)")
	code := enrollCode(t, out)
	mustRun(t, "station", "add", "--data", dir, "--id", "CT-01", "--name", "县分拨中心", "--kind", "centre")
	assert.ErrorContains(t, run("station", "add", "--data", dir, "--id", "ST-V0101", "--name", "x").err, "already exists")
	assert.ErrorContains(t, run("station", "add", "--data", dir, "--id", "bad id", "--name", "x").err, "node id")
	assert.ErrorContains(t, run("station", "add", "--data", dir, "--id", "ST-X", "--name", "x", "--kind", "bus").err, "kind")
	assert.ErrorContains(t, run("station", "code", "--data", dir).err, "--id is required")
	assert.ErrorContains(t, run("station", "code", "--data", dir, "--id", "ST-NONE").err, "not found")

	code2 := enrollCode(t, mustRun(t, "station", "code", "--data", dir, "--id", "ST-V0101"))
	assert.NotEqual(t, code, code2)

	list := mustRun(t, "station", "list", "--data", dir)
	assert.Contains(t, list, "NODE")
	assert.Regexp(t, `ST-V0101\s+南岗村驿站\s+station\s+code issued\s+never`, list)
	assert.Regexp(t, `CT-01\s+县分拨中心\s+centre`, list)

	mustRun(t, "station", "disable", "--data", dir, "--id", "CT-01")
	assert.Regexp(t, `CT-01\s+县分拨中心\s+centre\s+disabled`, mustRun(t, "station", "list", "--data", dir))
}

// serve starts `cunyou-hub serve` and returns its address; the hub stops
// with the test.
func serve(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan runResult, 1)
	go func() {
		var stdout, stderr bytes.Buffer
		m := &Main{Stdout: &stdout, Stderr: &stderr, Ready: ready}
		err := m.Run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...))
		done <- runResult{stdout.String(), stderr.String(), err}
	}()
	var addr string
	select {
	case addr = <-ready:
	case r := <-done:
		cancel()
		t.Fatalf("serve stopped: %v\n%s", r.err, r.stderr)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	t.Cleanup(func() {
		cancel()
		r := <-done
		assert.NoError(t, r.err, r.stderr)
	})
	return addr
}

func post(t *testing.T, client *http.Client, url, token string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

// opsEpoch stamps the tests' ops: the same op sealed twice is the same op.
var opsEpoch = time.Now().Add(-time.Hour).UnixMilli()

func sealedOps(node, inc string, from, to uint64) []syncproto.Op {
	var ops []syncproto.Op
	for seq := from; seq <= to; seq++ {
		payload, _ := json.Marshal(syncproto.ParcelInbound{Waybill: fmt.Sprintf("73%s%08d", strings.TrimPrefix(node, "ST-V"), seq), Carrier: "zto",
			ReceiverPhone: "13800138000", Code: fmt.Sprintf("1-1-%04d", seq)})
		o := syncproto.Op{Node: node, Incarnation: inc, Seq: seq, HLC: syncproto.MakeTimestamp(opsEpoch, uint16(seq)),
			Actor: "clerk", Kind: syncproto.KindParcelInbound, Payload: payload}
		o.Seal()
		ops = append(ops, o)
	}
	return ops
}

func TestServe(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	code := enrollCode(t, mustRun(t, "station", "add", "--data", dir, "--id", "ST-V0101", "--name", "南岗村驿站"))
	assert.ErrorContains(t, run("serve", "--data", dir, "--listen", "0.0.0.0:0").err, "not loopback")
	addr := serve(t, "--data", dir, "--max-merges", "2")
	base := "http://" + addr
	client := &http.Client{Timeout: 10 * time.Second}

	resp, body := post(t, client, base+syncproto.PathEnroll, "", []byte(`{"code":"`+code+`","software":"test"}`))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var er syncproto.EnrollResponse
	require.NoError(t, json.Unmarshal(body, &er))

	var batch bytes.Buffer
	require.NoError(t, syncproto.WriteOps(&batch, "ST-V0101", "inc1", sealedOps("ST-V0101", "inc1", 1, 20), time.Now().UnixMilli()))
	resp, body = post(t, client, base+syncproto.PathOps, er.Token, batch.Bytes())
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var res syncproto.OpsResult
	require.NoError(t, json.Unmarshal(body, &res))
	assert.EqualValues(t, 20, res.AckedSeq)

	hr, err := client.Get(base + "/healthz")
	require.NoError(t, err)
	hb, _ := io.ReadAll(hr.Body)
	hr.Body.Close()
	assert.Contains(t, string(hb), `"max_merges":2`)

	// The CLI reads the same database while the server runs.
	list := mustRun(t, "station", "list", "--data", dir)
	assert.Regexp(t, `ST-V0101\s+南岗村驿站\s+station\s+yes\s+\d{4}-`, list)
	assert.Contains(t, list, "inc1:20")

	// The open API is served beside the sync API: a parcel the station
	// scanned in is tracked, for a client with the scope.
	mustRun(t, "carrier", "add", "--data", dir, "--code", "zto", "--name", "中通快递")
	out := mustRun(t, "client", "add", "--data", dir, "--id", "zto-api", "--name", "中通", "--carrier", "zto", "--scopes", "parcels:read")
	key := regexp.MustCompile(`cy_\S+`).FindString(out)
	req, err := http.NewRequest(http.MethodGet, base+"/api/v1/parcels/73010100000003", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	require.Eventually(t, func() bool {
		r, err := client.Do(req)
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		return r.StatusCode == http.StatusOK && strings.Contains(string(b), `"at_station"`) && strings.Contains(string(b), "138****8000")
	}, 10*time.Second, 50*time.Millisecond)
	r, err := client.Get(base + "/q/")
	require.NoError(t, err)
	page, _ := io.ReadAll(r.Body)
	r.Body.Close()
	assert.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, string(page), "<html", "the villagers' page is served")
	r, err = client.Get(base + "/console/")
	require.NoError(t, err)
	page, _ = io.ReadAll(r.Body)
	r.Body.Close()
	assert.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, string(page), `src="app.js"`, "the dispatchers' console is served")
	r, err = client.Get(base + "/api/v1/openapi.json")
	require.NoError(t, err)
	r.Body.Close()
	assert.Equal(t, http.StatusOK, r.StatusCode)
	r, err = client.Get(base + "/api/v1/parcels/73010100000003")
	require.NoError(t, err)
	r.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
}

func TestServeTLS(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	assert.ErrorContains(t, run("serve", "--data", dir, "--tls-cert", cert).err, "go together")
	addr := serve(t, "--data", dir, "--tls-cert", cert, "--tls-key", key)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + addr + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hub"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(k)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "hub.crt"), filepath.Join(dir, "hub.key")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return certFile, keyFile, pool
}

// enrollDirect enrolls a station through the store, as the HTTP route
// would, so that the CLI-only tests need no server.
func enrollDirect(t *testing.T, dir, node string) {
	t.Helper()
	code := enrollCode(t, mustRun(t, "station", "add", "--data", dir, "--id", node, "--name", node+" 驿站"))
	addr := serve(t, "--data", dir)
	resp, body := post(t, http.DefaultClient, "http://"+addr+syncproto.PathEnroll, "", []byte(`{"code":"`+code+`"}`))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
}

func TestSyncImport(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	enrollDirect(t, dir, "ST-A")
	mustRun(t, "station", "add", "--data", dir, "--id", "ST-B", "--name", "not enrolled")

	// A bundle as a station writes it: consecutive ops batches.
	bundle := filepath.Join(dir, "bundle.cysb")
	var buf bytes.Buffer
	now := time.Now().UnixMilli()
	require.NoError(t, syncproto.WriteOps(&buf, "ST-A", "inc1", sealedOps("ST-A", "inc1", 1, 10), now))
	require.NoError(t, syncproto.WriteOps(&buf, "ST-A", "inc1", sealedOps("ST-A", "inc1", 11, 25), now))
	require.NoError(t, syncproto.WriteOps(&buf, "ST-B", "incB", sealedOps("ST-B", "incB", 1, 5), now))
	require.NoError(t, syncproto.WriteOps(&buf, "ST-A", "inc1", sealedOps("ST-A", "inc1", 40, 45), now))
	require.NoError(t, os.WriteFile(bundle, buf.Bytes(), 0o600))

	r := run("sync", "import", "--data", dir, bundle)
	require.ErrorContains(t, r.err, "2 of 4 batches refused")
	assert.Contains(t, r.stdout, "batch 1: ST-A inc inc1 seq 1-10: applied 10, duplicates 0, quarantined 0, dead letters 0; acked 10")
	assert.Contains(t, r.stdout, "batch 2: ST-A inc inc1 seq 11-25: applied 15, duplicates 0, quarantined 0, dead letters 0; acked 25")
	assert.Contains(t, r.stdout, "batch 3: ST-B inc incB seq 1-5: refused: ST-B is not an enrolled, enabled node")
	assert.Contains(t, r.stdout, "batch 4: ST-A inc inc1 seq 40-45: refused: the hub holds up to seq 25; export again from seq 26")

	// The same bundle carried twice: duplicates only.
	var again bytes.Buffer
	require.NoError(t, syncproto.WriteOps(&again, "ST-A", "inc1", sealedOps("ST-A", "inc1", 1, 25), now))
	require.NoError(t, os.WriteFile(bundle, again.Bytes(), 0o600))
	out := mustRun(t, "sync", "import", "--data", dir, bundle)
	assert.Contains(t, out, "applied 0, duplicates 25")
	assert.Contains(t, out, "1 batches merged, 0 refused")

	// A damaged bundle stops at the damage.
	damaged := append([]byte{}, again.Bytes()...)
	damaged[len(damaged)/2] ^= 0xff
	require.NoError(t, os.WriteFile(bundle, damaged, 0o600))
	r = run("sync", "import", "--data", dir, bundle)
	assert.ErrorContains(t, r.err, "batch 1")
	assert.Equal(t, syncproto.CodeBadBatch, syncproto.CodeOf(errors.Unwrap(r.err)))
}

func TestManifestTariffsExport(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	mustRun(t, "station", "add", "--data", dir, "--id", "ST-A", "--name", "甲")
	mustRun(t, "station", "add", "--data", dir, "--id", "ST-B", "--name", "乙")
	mustRun(t, "station", "add", "--data", dir, "--id", "CT-1", "--name", "中心", "--kind", "centre")

	entries := filepath.Join(dir, "manifest.json")
	require.NoError(t, os.WriteFile(entries, []byte(`[
		{"waybill": "ZT100", "carrier": "zto", "receiver_name": "张三", "receiver_phone": "13800138000"},
		{"waybill": "YT200", "carrier": "yto", "receiver_name": "李四", "receiver_phone": "13900139000", "weight_g": 500}
	]`), 0o600))
	out := mustRun(t, "manifest", "add", "--data", dir, "--station", "ST-A", "--file", entries)
	var first, last uint64
	_, err := fmt.Sscanf(out, "queued 2 manifest entries for ST-A (changes %d-%d)", &first, &last)
	require.NoError(t, err, out)
	assert.Equal(t, first+1, last)
	assert.NotContains(t, out, "13800138000")
	assert.ErrorContains(t, run("manifest", "add", "--data", dir, "--station", "ST-NONE", "--file", entries).err, "not found")
	require.NoError(t, os.WriteFile(entries, []byte(`[{"waybill": "", "carrier": "zto"}]`), 0o600))
	assert.ErrorContains(t, run("manifest", "add", "--data", dir, "--station", "ST-A", "--file", entries).err, "entry 1")

	tariffs := filepath.Join(dir, "tariffs.json")
	require.NoError(t, os.WriteFile(tariffs, []byte(`{"tariffs": [
		{"carrier": "zto", "province": "*", "first_g": 1000, "first_fen": 800, "step_g": 1000, "step_fen": 300}
	]}`), 0o600))
	assert.Contains(t, mustRun(t, "tariffs", "set", "--data", dir, "--station", "all", "--file", tariffs),
		"queued a table of 1 tariffs for 2 station(s): ST-A ST-B")
	assert.Contains(t, mustRun(t, "tariffs", "set", "--data", dir, "--station", "CT-1", "--file", tariffs), "for 1 station(s): CT-1")
	require.NoError(t, os.WriteFile(tariffs, []byte(`{"tariffs": [{"carrier": "zto"}]}`), 0o600))
	assert.ErrorContains(t, run("tariffs", "set", "--data", dir, "--station", "all", "--file", tariffs).err, "tariff 1")

	// Export ST-A's changes for the van: its SMS texts (queued when it
	// was added), the manifest, the tariffs.
	file := filepath.Join(dir, "ST-A.changes")
	out = mustRun(t, "sync", "export", "--data", dir, "--station", "ST-A", file)
	var from, to uint64
	_, err = fmt.Sscanf(out, "wrote 6 changes for ST-A (seq %d-%d) in 1 batch(es)", &from, &to)
	require.NoError(t, err, out)
	changes := readChanges(t, file)
	require.Len(t, changes, 6)
	var keys []string
	for _, c := range changes[:3] {
		require.Equal(t, syncproto.ChangeTemplate, c.Type)
		var tp syncproto.Template
		require.NoError(t, json.Unmarshal(c.Payload, &tp))
		keys = append(keys, tp.Key)
		if tp.Key == "sms.arrival" {
			assert.Equal(t, "您的{carrier}包裹已到甲，取件码{code}，营业至傍晚。", tp.Text, "the station's name filled in, the parcel's left")
		}
	}
	assert.ElementsMatch(t, []string{"sms.arrival", "sms.arrival_many", "sms.quiet"}, keys)
	changes = changes[3:]
	assert.Equal(t, first, changes[0].Seq)
	assert.Equal(t, to, changes[2].Seq)
	assert.Equal(t, syncproto.ChangeManifest, changes[0].Type)
	assert.Equal(t, syncproto.ChangeTariffs, changes[2].Type)
	mustRun(t, "sync", "export", "--data", dir, "--station", "ST-A", "--after", fmt.Sprint(changes[1].Seq), file)
	changes = readChanges(t, file)
	require.Len(t, changes, 1)
	assert.Equal(t, to, changes[0].Seq)
	assert.Contains(t, mustRun(t, "sync", "export", "--data", dir, "--station", "ST-A", "--after", fmt.Sprint(to), file), "no changes")
	assert.Empty(t, readChanges(t, file))
}

func readChanges(t *testing.T, path string) []syncproto.Change {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	br := bufio.NewReader(f)
	var out []syncproto.Change
	for {
		b, err := syncproto.ReadBatch(br)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		require.Equal(t, syncproto.BatchChanges, b.Header.Kind)
		out = append(out, b.Changes...)
	}
}

func TestDeadLetters(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	enrollDirect(t, dir, "ST-A")
	assert.Contains(t, mustRun(t, "deadletters", "--data", dir), "no dead letters")
	ops := sealedOps("ST-A", "inc1", 1, 3)
	ops[1] = syncproto.Op{Node: "ST-A", Incarnation: "inc1", Seq: 2, HLC: ops[1].HLC, Actor: "clerk", Kind: syncproto.KindParcelProblem,
		Payload: []byte(`{"waybill":"W","reason":"eaten"}`)}
	ops[1].Seal()
	var buf bytes.Buffer
	require.NoError(t, syncproto.WriteOps(&buf, "ST-A", "inc1", ops, time.Now().UnixMilli()))
	bundle := filepath.Join(dir, "b.cysb")
	require.NoError(t, os.WriteFile(bundle, buf.Bytes(), 0o600))
	assert.Contains(t, mustRun(t, "sync", "import", "--data", dir, bundle), "applied 2, duplicates 0, quarantined 0, dead letters 1; acked 3")
	out := mustRun(t, "deadletters", "--data", dir, "--station", "ST-A")
	assert.Regexp(t, `ST-A\s+inc1\s+2\s+parcel.problem\s+bad_payload\s+problem W: reason "eaten"`, out)
	assert.Contains(t, out, "1 dead letters")
	assert.True(t, strings.HasPrefix(mustRun(t, "deadletters", "--data", dir, "--station", "ST-B"), "no dead letters"))
}

func TestSMSPush(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	mustRun(t, "station", "add", "--data", dir, "--id", "ST-A", "--name", "甲")
	assert.Contains(t, mustRun(t, "sms", "push", "--data", dir), "for every station")
	assert.Contains(t, mustRun(t, "sms", "push", "--data", dir, "--station", "ST-A"), "for ST-A")
	file := filepath.Join(dir, "ST-A.changes")
	mustRun(t, "sync", "export", "--data", dir, "--station", "ST-A", file)
	changes := readChanges(t, file)
	require.Len(t, changes, 9, "added, then pushed twice")
	for _, c := range changes {
		assert.Equal(t, syncproto.ChangeTemplate, c.Type)
	}
	assert.ErrorContains(t, run("sms", "push", "--data", dir, "--station", "ST-NONE").err, "ST-NONE")
}
