package diag

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/config"
	"cunyou/edge/messages"
	"cunyou/edge/store"
	"cunyou/syncproto"
)

func TestNoDatabase(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.Listen = closedAddr(t)
	rep := Run(context.Background(), Options{Config: cfg, Version: "v-test"})

	l := line(t, rep, "db.integrity")
	assert.Equal(t, StatusFail, l.Status)
	assert.Contains(t, l.Detail.Text(messages.ZH), "没有数据库 edge.db")
	assert.Contains(t, l.Fix.Text(messages.ZH), "cunyou-edge init --node")
	assert.Contains(t, l.Fix.Text(messages.EN), "cunyou-edge init --node")
	for _, name := range []string{"db.size", "sync.backlog", "sync.oldest"} {
		assert.Equal(t, StatusFail, line(t, rep, name).Status, name)
		assert.Equal(t, "deal with db.integrity first", line(t, rep, name).Fix.Text(messages.EN), name)
	}
	assert.Equal(t, 2, rep.ExitCode())
	_, err := os.Stat(cfg.DataDir)
	assert.ErrorIs(t, err, os.ErrNotExist, "diag creates nothing")
}

func TestHealthyStationNotEnrolled(t *testing.T) {
	e := newEnv(t)
	e.scanIn(t, 12)
	e.backup(t, time.Now().Add(-2*time.Hour))
	rep := e.run(t)

	for _, name := range []string{"version", "config", "db.integrity", "db.size", "db.wal", "backup.recent", "clock.skew",
		"sync.oldest", "sync.deadletters", "devices"} {
		l := line(t, rep, name)
		assert.Equal(t, StatusOK, l.Status, "%s: %s / %s", name, l.Detail.Text(messages.EN), l.Fix.Text(messages.EN))
	}
	assert.Equal(t, "13 ops waiting to be sent, but this station is not enrolled", line(t, rep, "sync.backlog").Detail.Text(messages.EN))
	assert.Equal(t, "quick_check passed", line(t, rep, "db.integrity").Detail.Text(messages.EN))
	for _, name := range []string{"sync.backlog", "hub.reach", "hub.tls", "hub.credentials", "serve"} {
		assert.Equal(t, StatusWarn, line(t, rep, name).Status, name)
	}
	assert.Contains(t, line(t, rep, "hub.reach").Fix.Text(messages.ZH), "cunyou-edge enroll")
	assert.Equal(t, 1, rep.ExitCode())
	assert.Equal(t, testNode, rep.Node)
}

// The backlog diag counts itself must be the store's own figure.
func TestBacklogAgreesWithStore(t *testing.T) {
	e := newEnv(t)
	e.scanIn(t, 30)
	inc := e.st.Identity().Incarnation
	require.NoError(t, e.st.SetAcked(e.ctx, inc, 10))

	f := &facts{o: e.options(), now: time.Now(), loc: time.Local}
	f.o.defaults()
	f.gatherLocal(e.ctx)
	require.NoError(t, f.db.readErr)
	want, err := e.st.Backlog(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, 21, want.Ops)
	assert.Equal(t, want.Ops, f.db.backlog.ops)
	assert.True(t, want.Oldest.Equal(f.db.backlog.oldest), "%v != %v", want.Oldest, f.db.backlog.oldest)
	assert.Equal(t, uint64(31), f.db.backlog.lastSeq)
	assert.Equal(t, uint64(10), f.db.backlog.acked)
	assert.Equal(t, []string{inc}, f.db.backlog.incarnations)
	assert.Equal(t, testNode, f.db.id.node)
}

// diag runs beside a station that keeps writing, as it does beside serve:
// it never waits for or takes the write lock, and its figures are the
// store's.
func TestRunBesideAWritingStation(t *testing.T) {
	e := newEnv(t)
	hub := newTestHub(t)
	hub.srv.Start()
	e.enroll(t, hub.srv.URL, hubToken, "")
	e.scanIn(t, 5)
	const writes = 60
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		for i := range writes {
			_, err := e.s.Inbound(e.ctx, "li", stationInput(1000+i))
			if !assert.NoError(t, err) {
				return
			}
		}
	})
	prev, runs := 0, 0
	for running := true; running || runs < 3; runs++ {
		select {
		case <-done:
			running = false
		default:
		}
		rep := e.run(t)
		for _, l := range rep.Lines {
			for _, lang := range []messages.Lang{messages.EN, messages.ZH} {
				text := strings.ToLower(l.Detail.Text(lang))
				assert.NotContains(t, text, "locked", l.Name)
				assert.NotContains(t, text, "busy", l.Name)
			}
		}
		for _, name := range []string{"db.integrity", "db.wal", "sync.backlog", "sync.oldest", "hub.reach", "hub.credentials"} {
			assert.Equal(t, StatusOK, line(t, rep, name).Status, "%s: %s", name, line(t, rep, name).Detail.Text(messages.EN))
		}
		var n, photos int
		_, err := fmt.Sscanf(line(t, rep, "sync.backlog").Detail.Text(messages.EN), "%d ops and %d photos", &n, &photos)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, n, prev, "the backlog only grows while nothing is sent")
		assert.LessOrEqual(t, n, 1+5+writes)
		prev = n
	}
	wg.Wait()
	t.Logf("%d reports while and after %d writes", runs, writes)
	want, err := e.st.Backlog(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, 1+5+writes, want.Ops)
	assert.Equal(t, want.Ops, prev, "after the writer stopped diag counts what the store counts")
}

func TestCorruptDatabase(t *testing.T) {
	e := newEnv(t)
	e.scanIn(t, 60)
	require.NoError(t, e.st.Close())
	path := filepath.Join(e.dir, "edge.db")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	fh, err := os.OpenFile(path, os.O_WRONLY, 0)
	require.NoError(t, err)
	// Scribble over the pages after the schema: the tables' b-trees.
	junk := []byte(strings.Repeat("\xde\xad\xbe\xef", 2048))
	for off := int64(8192); off+int64(len(junk)) < fi.Size(); off += 3 * 4096 {
		_, err := fh.WriteAt(junk, off)
		require.NoError(t, err)
	}
	require.NoError(t, fh.Close())

	for _, full := range []bool{false, true} {
		o := e.options()
		o.Full = full
		rep := Run(e.ctx, o)
		l := line(t, rep, "db.integrity")
		assert.Equal(t, StatusFail, l.Status, l.Detail.Text(messages.EN))
		assert.Contains(t, l.Fix.Text(messages.EN), "cunyou-edge restore")
		assert.Contains(t, l.Fix.Text(messages.ZH), "cunyou-edge restore")
		assert.Equal(t, 2, rep.ExitCode())
	}
}

func TestFullCheck(t *testing.T) {
	e := newEnv(t)
	o := e.options()
	o.Full = true
	rep := Run(e.ctx, o)
	assert.Equal(t, "integrity_check passed", line(t, rep, "db.integrity").Detail.Text(messages.EN))
}

func TestUninitializedDatabase(t *testing.T) {
	dir := t.TempDir()
	// A database file with no identity (an interrupted init).
	st, err := store.Open(context.Background(), filepath.Join(dir, "edge.db"), store.Options{})
	require.ErrorIs(t, err, store.ErrNotInitialized)
	assert.Nil(t, st)
	cfg := config.Default()
	cfg.DataDir, cfg.Listen = dir, closedAddr(t)
	rep := Run(context.Background(), Options{Config: cfg})
	l := line(t, rep, "db.integrity")
	assert.Equal(t, StatusFail, l.Status)
	assert.Contains(t, l.Detail.Text(messages.EN), "no node identity")
	assert.Contains(t, l.Fix.Text(messages.EN), "cunyou-edge init")
}

// judge runs one check on facts made by hand.
func judge(check func(*facts) Result, fn func(f *facts)) Result {
	cfg := config.Default()
	cfg.DataDir = "/var/lib/cunyou-edge"
	f := &facts{o: Options{Config: cfg, Version: "v-test", Timeout: 5 * time.Second, BackupDir: "/var/lib/cunyou-edge/backups"},
		now: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC), loc: time.UTC}
	f.db = dbFacts{path: "/var/lib/cunyou-edge/edge.db", exists: true, size: 50 << 20, wal: -1, schema: store.SchemaVersion(),
		check: "quick_check", id: identity{node: testNode, incarnation: "inc1"}, mode: 0o600}
	f.disk = diskFacts{path: cfg.DataDir, free: 40 << 30, total: 100 << 30}
	fn(f)
	return check(f)
}

func TestLocalChecks(t *testing.T) {
	const MiB, GiB = 1 << 20, 1 << 30
	tests := []struct {
		name  string
		check func(*facts) Result
		set   func(f *facts)
		want  Status
		text  string // in the English detail
	}{
		{"wal none", checkWAL, func(f *facts) {}, StatusOK, "no WAL file"},
		{"wal small", checkWAL, func(f *facts) { f.db.wal = 4 * MiB }, StatusOK, "WAL file 4.0 MiB"},
		{"wal at the checkpointer's reset", checkWAL, func(f *facts) { f.db.wal = 66 * MiB }, StatusOK, "WAL file 66.0 MiB"},
		{"wal warn", checkWAL, func(f *facts) { f.db.wal = 300 * MiB }, StatusWarn, "300.0 MiB, over 128.0 MiB"},
		{"wal fail", checkWAL, func(f *facts) { f.db.wal = 3 * GiB }, StatusFail, "3.0 GiB, over 1.0 GiB"},

		{"disk ok", checkDisk, func(f *facts) {}, StatusOK, "40.0 GiB free (of 100.0 GiB)"},
		{"disk warn", checkDisk, func(f *facts) { f.disk.free = 1 * GiB }, StatusWarn, "only 1.0 GiB free"},
		{"disk fail", checkDisk, func(f *facts) { f.disk.free = 100 * MiB }, StatusFail, "only 100.0 MiB free"},
		{"disk unknown", checkDisk, func(f *facts) { f.disk.err = errors.New("not supported") }, StatusWarn, "cannot read the free space"},

		{"db size ok", checkDBSize, func(f *facts) {}, StatusOK, "edge.db 50.0 MiB, 40.0 GiB free"},
		{"db size no room for two copies", checkDBSize, func(f *facts) { f.db.size, f.disk.free = 3*GiB, 5*GiB }, StatusWarn, "no room for a backup"},
		{"db size no room for a copy", checkDBSize, func(f *facts) { f.db.size, f.disk.free = 3*GiB, 2*GiB }, StatusFail, "no room for a backup"},
		{"db size huge", checkDBSize, func(f *facts) { f.db.size, f.disk.free = 9*GiB, 900*GiB }, StatusWarn, "far more than years"},
		{"db missing", checkDBSize, func(f *facts) { f.db.exists = false }, StatusFail, "not checked"},

		{"clock ok by hello", checkClock, func(f *facts) { f.hub.helloSkew = ptr(1200 * time.Millisecond) }, StatusOK, "within 1 s of the hub's (measured by a sync hello"},
		{"clock behind", checkClock, func(f *facts) { f.hub.helloSkew = ptr(3 * time.Minute) }, StatusWarn, "behind the hub's by 3 min"},
		{"clock ahead", checkClock, func(f *facts) { f.hub.dateSkew = ptr(-2 * time.Hour) }, StatusFail, "ahead of the hub's by 2 h (from the hub's Date header"},
		{"clock hello wins over date", checkClock, func(f *facts) { f.hub.helloSkew, f.hub.dateSkew = ptr(time.Second), ptr(time.Hour) }, StatusOK, "hello"},
		{"clock stored", checkClock, func(f *facts) { f.db.state.skew, f.db.state.skewKnown = 10*time.Minute, true }, StatusFail, "as measured at the last sync"},
		{"clock reset to 2000", checkClock, func(f *facts) { f.now = time.Date(2000, 1, 1, 0, 5, 0, 0, time.UTC) }, StatusFail, "2000-01-01 00:05:00 is plainly wrong"},
		{"clock set back", checkClock, func(f *facts) { f.db.id.hwm = f.now.Add(26 * time.Hour) }, StatusWarn, "the clock was set back"},
		{"clock unmeasured, no hub", checkClock, func(f *facts) {}, StatusOK, "not compared with the hub"},
		{"clock unmeasured, hub down", checkClock, func(f *facts) { f.hub.url = mustURL("https://hub.example") }, StatusWarn, "not compared"},

		{"version ok", checkVersion, func(f *facts) {}, StatusOK, "cunyou-edge v-test"},
		{"version db newer", checkVersion, func(f *facts) { f.db.schema = store.SchemaVersion() + 1 }, StatusFail, "a newer cunyou-edge wrote it"},
		{"version db older", checkVersion, func(f *facts) { f.db.schema = store.SchemaVersion() - 1 }, StatusWarn, "is older than this program's"},
		{"version hub too new", checkVersion, func(f *facts) {
			f.hub.status, f.hub.health.Proto, f.hub.health.MinProto = 200, syncproto.ProtoVersion+2, syncproto.ProtoVersion+1
		}, StatusFail, "the hub accepts protocol"},
		{"version hub ok", checkVersion, func(f *facts) {
			f.hub.status, f.hub.health.Version, f.hub.health.Proto, f.hub.health.MinProto = 200, "v9", syncproto.ProtoVersion, syncproto.MinProtoVersion
		}, StatusOK, "hub cunyou-hub v9"},

		{"config default", checkConfig, func(f *facts) {}, StatusOK, "no config file"},
		{"config file", checkConfig, func(f *facts) { f.o.ConfigFile = "/etc/cunyou/edge.json" }, StatusOK, "config file /etc/cunyou/edge.json"},
		{"config does not load", checkConfig, func(f *facts) { f.o.ConfigFile, f.o.ConfigErr = "/etc/cunyou/edge.json", errors.New("bad JSON") }, StatusFail, "cannot read config file /etc/cunyou/edge.json: bad JSON"},
		{"config invalid", checkConfig, func(f *facts) { f.o.Config.Timezone = "Mars/Olympus" }, StatusFail, "timezone"},
		{"config remote", checkConfig, func(f *facts) { f.o.Config.Listen, f.o.Config.AllowRemote = "0.0.0.0:8700", true }, StatusWarn, "open to the network"},
		{"config normal", checkConfig, func(f *facts) { f.o.Config.Synchronous = "NORMAL" }, StatusWarn, "power cut"},

		{"backlog ok", checkBacklog, func(f *facts) { f.db.enrolled, f.db.backlog.ops = true, 40 }, StatusOK, "40 ops and 0 photos"},
		{"backlog large", checkBacklog, func(f *facts) { f.db.enrolled, f.db.backlog.ops = true, 6000 }, StatusWarn, "a large backlog"},
		{"backlog photos", checkBacklog, func(f *facts) { f.db.enrolled, f.db.backlog.blobs = true, 800 }, StatusWarn, "800 photos"},
		{"backlog not enrolled", checkBacklog, func(f *facts) { f.db.backlog.ops = 3 }, StatusWarn, "not enrolled"},
		{"backlog hub cursor", checkBacklog, func(f *facts) {
			f.db.enrolled, f.db.backlog.ops, f.db.backlog.lastSeq = true, 4, 9
			f.hub.welcome = &syncproto.Welcome{Cursors: map[string]uint64{"inc1": 7}}
		}, StatusOK, "the hub holds this incarnation's ops up to seq 7 (this PC has 9)"},
		{"backlog unreadable", checkBacklog, func(f *facts) { f.db.readErr = errors.New("no such table: outbox") }, StatusFail, "no such table"},

		{"oldest none", checkOldest, func(f *facts) { f.db.enrolled = true }, StatusOK, "nothing waits to be sent; last successful sync: never"},
		{"oldest fresh", checkOldest, func(f *facts) {
			f.db.enrolled, f.db.backlog.ops, f.db.backlog.oldest = true, 3, f.now.Add(-5*time.Minute)
		}, StatusOK, "waited 5 min"},
		{"oldest warn", checkOldest, func(f *facts) {
			f.db.enrolled, f.db.backlog.ops, f.db.backlog.oldest = true, 3, f.now.Add(-3*time.Hour)
			f.serve.err = errors.New("refused")
		}, StatusWarn, "waited 3 h"},
		{"oldest fail", checkOldest, func(f *facts) {
			f.db.enrolled, f.db.backlog.ops, f.db.backlog.oldest = true, 3, f.now.Add(-50*time.Hour)
			f.db.state = syncState{lastErrorCode: "network", lastError: "dial tcp: connection refused", lastErrorAt: f.now.Add(-time.Minute)}
		}, StatusFail, "waited 2 d 2 h"},

		{"dead letters none", checkDeadLetters, func(f *facts) { f.hub.url, f.hub.metricsRead = mustURL("https://hub.example"), true }, StatusOK, "no dead letters"},
		{"dead letters some", checkDeadLetters, func(f *facts) { f.hub.url, f.hub.metricsRead, f.hub.dead = mustURL("https://hub.example"), true, 3 }, StatusWarn, "3 dead letters"},
		{"quarantined", checkDeadLetters, func(f *facts) {
			f.hub.url, f.hub.metricsRead, f.hub.quarantined = mustURL("https://hub.example"), true, 2
		}, StatusFail, "quarantined 2 ops"},
		{"dead letters unknown", checkDeadLetters, func(f *facts) {
			f.hub.url, f.hub.metricsErr = mustURL("https://hub.example"), errors.New("HTTP 401")
		}, StatusOK, "keeps no record of dead letters and the hub's figures cannot be read (HTTP 401); no recent sync error"},
		{"dead letters: the hub refused an op", checkDeadLetters, func(f *facts) {
			f.db.state = syncState{lastErrorCode: "bad_payload", lastErrorAt: f.now}
		}, StatusWarn, "last sync error: bad_payload"},
		{"dead letters: ops lost", checkDeadLetters, func(f *facts) {
			f.db.state = syncState{lastErrorCode: "pruned", lastErrorAt: f.now}
		}, StatusFail, "last sync error: pruned"},

		{"tls plain http", checkHubTLS, func(f *facts) { f.hub.url = mustURL("http://hub.example:8600") }, StatusWarn, "plain HTTP: the token and data cross the network unencrypted"},
		{"tls no hub", checkHubTLS, func(f *facts) {}, StatusWarn, "no hub address"},
		{"reach timeout", checkHubReach, func(f *facts) {
			f.hub.url, f.hub.reachErr = mustURL("https://hub.example"), &net.OpError{Op: "dial", Err: timeoutErr{}}
		}, StatusFail, "connecting to the hub https://hub.example timed out (5 s)"},
		{"reach dns", checkHubReach, func(f *facts) {
			f.hub.url, f.hub.reachErr = mustURL("https://hub.example"), &net.DNSError{Err: "no such host", Name: "hub.example"}
		}, StatusFail, "cannot find the hub's address hub.example: no such host"},
		{"reach 502", checkHubReach, func(f *facts) { f.hub.url, f.hub.status = mustURL("https://hub.example"), 502 }, StatusFail, "answered HTTP 502"},

		{"serve running", checkServe, func(f *facts) { f.serve = serveFacts{addr: "127.0.0.1:8700", node: testNode} }, StatusOK, "is running"},
		{"serve down", checkServe, func(f *facts) { f.serve = serveFacts{addr: "127.0.0.1:8700", err: errors.New("refused")} }, StatusWarn, "not running"},
		{"serve other node", checkServe, func(f *facts) { f.serve = serveFacts{addr: "127.0.0.1:8700", node: "ST-X"} }, StatusWarn, "another node, ST-X"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := judge(tt.check, tt.set)
			assert.Equal(t, tt.want, got.Status, got.Detail.Text(messages.EN))
			assert.Contains(t, got.Detail.Text(messages.EN), tt.text)
			assert.NotEmpty(t, got.Detail.Text(messages.ZH))
			if got.Status != StatusOK {
				assert.False(t, got.Fix.IsZero(), "every warning and failure names its fix")
				assert.NotEqual(t, got.Fix.Text(messages.ZH), got.Fix.Text(messages.EN))
			}
		})
	}
}

func TestBackups(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name string
		ages []time.Duration // of backups in DATA_DIR/backups
		want Status
		text string
	}{
		{"none", nil, StatusFail, "no backup in"},
		{"today", []time.Duration{3 * time.Hour}, StatusOK, "3 h ago"},
		{"newest counts", []time.Duration{20 * 24 * time.Hour, 5 * time.Hour}, StatusOK, "5 h ago"},
		{"three days", []time.Duration{75 * time.Hour}, StatusWarn, "is 3 d 3 h old"},
		{"ten days", []time.Duration{10 * 24 * time.Hour}, StatusFail, "is 10 d old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			for _, age := range tt.ages {
				e.backup(t, now.Add(-age))
			}
			// Not backups: the files beside the live database, a restore's
			// leftovers, and a file that only has the name of one.
			for name, content := range map[string]string{
				"edge.db.replaced-20260101T000000": "SQLite format 3\x00…",
				"edge.db.restoring":                "SQLite format 3\x00…",
				"notes.bak":                        "not a database",
			} {
				require.NoError(t, os.WriteFile(filepath.Join(e.dir, name), []byte(content), 0o600))
			}
			got := line(t, e.run(t), "backup.recent")
			assert.Equal(t, tt.want, got.Status, got.Detail.Text(messages.EN))
			assert.Contains(t, got.Detail.Text(messages.EN), tt.text)
			if tt.want != StatusOK {
				assert.Contains(t, got.Fix.Text(messages.EN), "cunyou-edge backup --data "+e.dir+" "+filepath.Join(e.dir, "backups", "edge-"))
			}
		})
	}
	// The copy kept before a migration counts.
	e := newEnv(t)
	require.NoError(t, e.st.Backup(e.ctx, filepath.Join(e.dir, "edge.db.v3-20260310T010000.bak")))
	assert.Equal(t, StatusOK, line(t, e.run(t), "backup.recent").Status)
}

func TestDiskSpace(t *testing.T) {
	free, total, err := diskSpace(t.TempDir())
	require.NoError(t, err)
	assert.Positive(t, total)
	assert.LessOrEqual(t, free, total)
	d := measureDisk(filepath.Join(t.TempDir(), "not", "yet"))
	assert.NoError(t, d.err, "a data folder not made yet is measured on its parent's disk")
}

// timeoutErr is a network timeout.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func ptr[T any](v T) *T { return &v }

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
