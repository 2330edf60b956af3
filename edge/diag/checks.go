package diag

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io/fs"
	"net"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"cunyou/confkit"
	"cunyou/edge/messages"
	"cunyou/edge/store"
	"cunyou/syncproto"
)

// The bounds the checks judge by. Each is explained where it is used and
// in the README ("Diagnosing a station").
const (
	// The background checkpointer restarts the WAL once it holds about
	// 64 MiB (sqlitedb's walLimitFrames), so a busy moment leaves a WAL
	// file of about that size; twice that means checkpoints cannot
	// finish (a reader holds them back), and past 1 GiB reads slow down
	// and the disk fills.
	walWarn = 128 << 20
	walFail = 1 << 30
	// Free disk: below 2 GiB a backup or a migration copy of a grown
	// database may not fit; below 500 MiB SQLite may fail to grow the
	// database or its WAL and scans in stop.
	diskWarn = 2 << 30
	diskFail = 500 << 20
	// A database past 8 GiB is far beyond years of a station's or the
	// centre's data: something is bloating it.
	dbLarge = 8 << 30
	// Backups: one a day is the rule, so a newest backup older than two
	// days means the daily backup stopped; older than a week (the sync
	// safety window) it no longer covers what the hub could refill.
	backupWarn = 48 * time.Hour
	backupFail = 7 * 24 * time.Hour
	// Clock: the sync loop logs a skew over a minute; the hub counts ops
	// more than 5 minutes ahead of its clock as skewed (the HLC's bound),
	// and day close and overdue dates follow this clock.
	skewWarn = time.Minute
	skewFail = syncproto.DefaultMaxSkew
	// A clock before this year is a PC whose clock was reset (an empty
	// mainboard battery).
	saneYear = 2024
	// The hub's certificate should be renewed before its last fortnight.
	certSoon = 14 * 24 * time.Hour
	// Backlog: about 2-3 days of a busy station's ops; it is no fault by
	// itself (sync.oldest judges whether sync is stuck).
	backlogWarn      = 5000
	blobsBacklogWarn = 500
	// The oldest op waiting: arrival SMS go out only once the scan
	// reaches the hub, so an hour's delay is felt by villagers; a day
	// means the county's tracking is a day behind.
	oldestWarn = time.Hour
	oldestFail = 24 * time.Hour
)

func checkVersion(f *facts) Result {
	want := store.SchemaVersion()
	schema := "?"
	if f.db.openErr == nil && f.db.exists {
		schema = strconv.Itoa(f.db.schema)
	}
	detail := join(M("version.ok", f.o.Version, schema, want, syncproto.MinProtoVersion, syncproto.ProtoVersion))
	if f.hub.status == 200 && f.hub.health.Proto > 0 {
		detail = join(detail, M("version.hub", f.hub.health.Version, f.hub.health.MinProto, f.hub.health.Proto))
	}
	hp := f.hub.health
	switch {
	case f.db.exists && f.db.openErr == nil && f.db.schema > want:
		return Fail(join(M("version.db_newer", f.db.schema, want), detail), M("fix.version_db"))
	case hp.MinProto > syncproto.ProtoVersion:
		return Fail(join(M("version.hub_newer", hp.MinProto, syncproto.ProtoVersion), detail), M("fix.version_edge"))
	case hp.Proto > 0 && hp.Proto < syncproto.MinProtoVersion:
		return Fail(join(M("version.hub_older", hp.Proto, syncproto.MinProtoVersion), detail), M("fix.version_hub"))
	case f.db.exists && f.db.openErr == nil && f.db.schema > 0 && f.db.schema < want:
		return Warn(join(M("version.db_older", f.db.schema, want), detail), M("fix.version_restart"))
	}
	return OK(detail)
}

func checkConfig(f *facts) Result {
	c := f.o.Config
	if f.o.ConfigErr != nil {
		return Fail(M("config.load", f.o.ConfigFile, f.o.ConfigErr), M("fix.config"))
	}
	if err := c.Validate(); err != nil {
		return Fail(M("config.invalid", err), M("fix.config"))
	}
	detail := M("config.default", c.DataDir)
	if f.o.ConfigFile != "" {
		detail = M("config.ok", f.o.ConfigFile, c.DataDir)
	}
	if f.hub.overrides != "" {
		detail = join(detail, M("config.hub_url", redactURL(c.HubURL), redactURL(f.hub.overrides)))
	}
	var warns, fixes []Msg
	if host, _, err := net.SplitHostPort(c.Listen); err == nil && !confkit.IsLoopback(host) {
		warns, fixes = append(warns, M("config.remote", c.Listen)), append(fixes, M("fix.config_remote"))
	}
	if strings.EqualFold(c.Synchronous, "NORMAL") {
		warns, fixes = append(warns, M("config.normal")), append(fixes, M("fix.config_normal"))
	}
	if len(warns) > 0 {
		return Warn(join(append(warns, detail)...), join(fixes...))
	}
	return OK(detail)
}

// dbProblem is the result of a database that cannot be read, shared by
// the checks that need its content; ok is false when it can be.
func dbProblem(f *facts) (Result, bool) {
	d := f.db
	switch {
	case !d.exists:
		return Fail(M("db.missing", f.o.Config.DataDir), M("fix.db_missing", f.o.Config.DataDir)), true
	case errors.Is(d.openErr, fs.ErrPermission):
		return Fail(M("db.denied", d.path), M("fix.db_denied")), true
	case errors.Is(d.openErr, store.ErrCorrupt):
		return Fail(M("db.corrupt", d.openErr), M("fix.db_restore")), true
	case d.openErr != nil:
		return Fail(M("db.open", d.openErr), M("fix.db_restore")), true
	case d.uninitialized:
		return Fail(M("db.uninitialized", d.path), M("fix.db_missing", f.o.Config.DataDir)), true
	}
	return Result{}, false
}

func checkIntegrity(f *facts) Result {
	if r, bad := dbProblem(f); bad {
		return r
	}
	if len(f.db.problems) > 0 {
		return Fail(M("db.check_bad", f.db.check, Plain(strings.Join(f.db.problems, " | "))), M("fix.db_restore"))
	}
	return OK(M("db.check_ok", f.db.check))
}

func checkDBSize(f *facts) Result {
	if !f.db.exists {
		return Fail(M("db.not_checked"), M("fix.db_first"))
	}
	sz := size(f.db.size)
	switch {
	case f.disk.err != nil:
		// disk.free says why the free space is unknown.
		if f.db.size > dbLarge {
			return Warn(M("db.size_large", sz), M("fix.db_large"))
		}
		return OK(M("db.size_nofree", sz))
	case uint64(f.db.size) > f.disk.free:
		return Fail(M("db.size_nocopy", sz, size(f.disk.free)), M("fix.disk_room", size(uint64(f.db.size)-f.disk.free+diskWarn)))
	case uint64(f.db.size)*2 > f.disk.free:
		return Warn(M("db.size_nocopy", sz, size(f.disk.free)), M("fix.disk_room", size(uint64(f.db.size)*2-f.disk.free+diskWarn)))
	case f.db.size > dbLarge:
		return Warn(M("db.size_large", sz), M("fix.db_large"))
	}
	return OK(M("db.size", sz, size(f.disk.free)))
}

func checkWAL(f *facts) Result {
	switch {
	case f.db.wal < 0:
		return OK(M("wal.none"))
	case f.db.wal > walFail:
		return Fail(M("wal.big", size(f.db.wal), size(walFail)), M("fix.wal"))
	case f.db.wal > walWarn:
		return Warn(M("wal.big", size(f.db.wal), size(walWarn)), M("fix.wal"))
	}
	return OK(M("wal.ok", size(f.db.wal)))
}

func checkDisk(f *facts) Result {
	d := f.disk
	switch {
	case d.err != nil:
		return Warn(M("disk.unknown", d.path, d.err), M("fix.disk_unknown"))
	case d.free < diskFail:
		return Fail(M("disk.low", d.path, size(d.free), size(d.total)), M("fix.disk"))
	case d.free < diskWarn:
		return Warn(M("disk.low", d.path, size(d.free), size(d.total)), M("fix.disk"))
	}
	return OK(M("disk.ok", size(d.free), size(d.total), d.path))
}

func checkBackups(f *facts) Result {
	b := f.backups
	target := filepath.Join(f.o.BackupDir, "edge-"+f.now.Format("20060102")+".db")
	fix := M("fix.backup", f.o.Config.DataDir, target)
	if b.count == 0 {
		return Fail(M("backup.none", f.o.BackupDir, f.o.Config.DataDir), fix)
	}
	age := f.now.Sub(b.at)
	switch {
	case age > backupFail:
		return Fail(M("backup.old", b.newest, dur(age), size(b.size)), fix)
	case age > backupWarn:
		return Warn(M("backup.old", b.newest, dur(age), size(b.size)), fix)
	}
	return OK(M("backup.ok", b.newest, dur(max(age, 0)), size(b.size)))
}

func checkClock(f *facts) Result {
	if f.now.Year() < saneYear {
		return Fail(M("clock.insane", f.at(f.now)), M("fix.clock"))
	}
	if hwm := f.db.id.hwm; hwm.Sub(f.now) > skewFail {
		return Warn(M("clock.went_back", f.at(hwm), dur(hwm.Sub(f.now))), M("fix.clock"))
	}
	skew, src, ok := f.skew()
	if !ok {
		detail := M("clock.unmeasured", f.at(f.now))
		if f.hub.url == nil {
			return OK(detail) // no hub to compare with: hub.reach says so
		}
		return Warn(detail, M("fix.clock_measure"))
	}
	// skew is the hub's clock minus this PC's: positive when this PC is
	// behind.
	dir := M("clock.behind")
	if skew < 0 {
		dir = M("clock.ahead")
	}
	switch {
	case skew.Abs() > skewFail:
		return Fail(M("clock.off", dir, dur(skew), M(src)), M("fix.clock"))
	case skew.Abs() > skewWarn:
		return Warn(M("clock.off", dir, dur(skew), M(src)), M("fix.clock"))
	}
	return OK(M("clock.ok", dur(max(skew.Abs().Round(time.Second), time.Second)), M(src)))
}

func checkHubReach(f *facts) Result {
	h := f.hub
	if h.url == nil && h.reachErr == nil {
		return Warn(M("hub.none"), M("fix.enroll"))
	}
	where := ""
	if h.url != nil {
		where = h.url.Redacted()
	}
	var (
		dns *net.DNSError
		ne  net.Error
	)
	switch err := h.reachErr; {
	case err == nil && h.status == 200:
		return OK(M("hub.ok", where, dur(h.latency), Plain(h.health.Version)))
	case err == nil:
		return Fail(M("hub.status", where, h.status), M("fix.hub_status"))
	case h.url == nil:
		return Fail(M("config.invalid", err), M("fix.config"))
	case tlsFailure(err):
		return Fail(M("hub.tls_failed", where), M("fix.see_tls"))
	case errors.As(err, &dns):
		return Fail(M("hub.dns", h.url.Hostname(), Plain(dns.Err)), M("fix.hub_net"))
	case errors.Is(err, syscall.ECONNREFUSED):
		return Fail(M("hub.refused", where), M("fix.hub_refused"))
	case errors.As(err, &ne) && ne.Timeout():
		return Fail(M("hub.timeout", where, dur(f.o.Timeout)), M("fix.hub_net"))
	}
	return Fail(M("hub.neterr", where, h.reachErr), M("fix.hub_net"))
}

// tlsFailure reports whether err is a failed TLS handshake.
func tlsFailure(err error) bool {
	var (
		cv *tls.CertificateVerificationError
		rh tls.RecordHeaderError
		ua x509.UnknownAuthorityError
		ci x509.CertificateInvalidError
		hn x509.HostnameError
		ae tls.AlertError
	)
	return errors.As(err, &cv) || errors.As(err, &rh) || errors.As(err, &ua) || errors.As(err, &ci) ||
		errors.As(err, &hn) || errors.As(err, &ae)
}

func checkHubTLS(f *facts) Result {
	h := f.hub
	if h.url == nil {
		return Warn(M("hub.no_url"), M("fix.see_reach"))
	}
	if h.url.Scheme == "http" {
		if confkit.IsLoopback(h.url.Hostname()) {
			return OK(M("tls.plain_local"))
		}
		return Warn(M("tls.plain"), M("fix.tls_plain"))
	}
	switch {
	case h.caErr != nil:
		return Fail(M("tls.ca_read", h.caFile, h.caErr), M("fix.tls_ca_wrong"))
	case h.caNoPEM:
		return Fail(M("tls.ca_pem", h.caFile), M("fix.tls_ca_wrong"))
	}
	var (
		cv *tls.CertificateVerificationError
		ua x509.UnknownAuthorityError
		ci x509.CertificateInvalidError
		hn x509.HostnameError
	)
	err := h.reachErr
	var leaf *x509.Certificate
	if errors.As(err, &cv) && len(cv.UnverifiedCertificates) > 0 {
		leaf = cv.UnverifiedCertificates[0]
	}
	switch {
	case err == nil && h.peer != nil:
		if left := h.peer.NotAfter.Sub(f.now); left < certSoon {
			return Warn(M("tls.soon", f.at(h.peer.NotAfter), dur(left)), M("fix.tls_renew"))
		}
		return OK(M("tls.ok", Plain(issuer(h.peer)), f.at(h.peer.NotAfter)))
	case err == nil:
		return OK(M("tls.ok", Plain("?"), "?"))
	case errors.As(err, &ua):
		by := "?"
		if ua.Cert != nil {
			by = issuer(ua.Cert)
		} else if leaf != nil {
			by = issuer(leaf)
		}
		if h.caFile != "" {
			return Fail(M("tls.unknown_ca_own", Plain(by), h.caFile), M("fix.tls_ca_wrong"))
		}
		return Fail(M("tls.unknown_ca", Plain(by)), M("fix.tls_ca"))
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		cert := ci.Cert
		if cert == nil {
			cert = leaf
		}
		if cert != nil && f.now.Before(cert.NotBefore) {
			return Fail(M("tls.not_yet", f.at(cert.NotBefore), f.at(f.now)), M("fix.tls_clock"))
		}
		var notAfter time.Time
		if cert != nil {
			notAfter = cert.NotAfter
		}
		return Fail(M("tls.expired", f.at(notAfter), f.at(f.now)), M("fix.tls_renew"))
	case errors.As(err, &hn):
		var names []string
		if hn.Certificate != nil {
			names = append(names, hn.Certificate.DNSNames...)
			for _, ip := range hn.Certificate.IPAddresses {
				names = append(names, ip.String())
			}
		}
		return Fail(M("tls.name", Plain(strings.Join(names, ", ")), hn.Host), M("fix.tls_name"))
	case tlsFailure(err):
		return Fail(M("tls.other", err), M("fix.tls_other"))
	}
	return Warn(M("hub.not_checked"), M("fix.see_reach"))
}

// issuer names who issued a certificate.
func issuer(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return c.Issuer.CommonName
	}
	if len(c.Issuer.Organization) > 0 {
		return c.Issuer.Organization[0]
	}
	return c.Issuer.String()
}

func checkHubCredentials(f *facts) Result {
	h := f.hub
	if !f.db.enrolled {
		return Warn(M("hub.not_enrolled"), M("fix.enroll"))
	}
	if h.welcome == nil && h.helloErr == nil {
		return Warn(M("hub.not_checked"), M("fix.see_reach"))
	}
	var a *hubAnswer
	if errors.As(h.helloErr, &a) {
		why := Plain(a.Error())
		switch a.body.Code {
		case syncproto.CodeUnauthorized:
			return Fail(M("cred.unauthorized", why), M("fix.cred_reenroll"))
		case syncproto.CodeWrongNode:
			return Fail(M("cred.wrong_node", why), M("fix.cred_wrongnode"))
		case syncproto.CodeUnsupportedVersion:
			return Fail(M("cred.version", why), M("fix.version_edge"))
		}
		if a.status == 401 || a.status == 403 {
			return Fail(M("cred.unauthorized", why), M("fix.cred_reenroll"))
		}
		return Warn(M("cred.other", why), M("fix.hub_status"))
	}
	if h.helloErr != nil {
		return Warn(M("cred.other", h.helloErr), M("fix.hub_net"))
	}
	// The database holds the token: only its owner may read it (enroll
	// makes it so; a copied or restored file may have lost that).
	if runtime.GOOS != "windows" && f.db.mode&0o077 != 0 {
		return Warn(join(M("cred.perm", uint32(f.db.mode)), M("cred.ok", f.db.id.node)), M("fix.cred_perm", f.db.path))
	}
	return OK(M("cred.ok", f.db.id.node))
}

func checkBacklog(f *facts) Result {
	if _, bad := dbProblem(f); bad {
		return Fail(M("db.not_checked"), M("fix.db_first"))
	}
	if f.db.readErr != nil {
		return Fail(M("db.open", f.db.readErr), M("fix.db_restore"))
	}
	b := f.db.backlog
	detail := M("backlog.ok", b.ops, b.blobs)
	if w := f.hub.welcome; w != nil {
		if cur, ok := w.Cursors[f.db.id.incarnation]; ok {
			detail = join(detail, M("backlog.hub", cur, b.lastSeq))
		}
	}
	switch {
	case !f.db.enrolled && b.ops > 0:
		return Warn(M("backlog.unenrolled", b.ops), M("fix.enroll"))
	case b.ops >= backlogWarn || b.blobs >= blobsBacklogWarn:
		return Warn(join(M("backlog.big", b.ops, b.blobs), detail), M("fix.backlog"))
	}
	return OK(detail)
}

func checkOldest(f *facts) Result {
	if _, bad := dbProblem(f); bad || f.db.readErr != nil {
		return Fail(M("db.not_checked"), M("fix.db_first"))
	}
	s := f.db.state
	last := any(M("oldest.never"))
	if !s.lastSuccess.IsZero() {
		last = f.at(s.lastSuccess)
	}
	var lastErr Msg
	if s.failing() {
		lastErr = M("oldest.error", s.lastErrorCode, f.at(s.lastErrorAt), Plain(clip(s.lastError, 200)))
	}
	b := f.db.backlog
	if b.ops == 0 {
		return OK(join(M("oldest.none", last), lastErr))
	}
	age := max(f.now.Sub(b.oldest), 0)
	detail := join(M("oldest.age", dur(age), f.at(b.oldest), last), lastErr)
	fix := syncFix(f)
	switch {
	case age > oldestFail:
		return Fail(detail, fix)
	case age > oldestWarn:
		return Warn(detail, fix)
	}
	return OK(detail)
}

// syncFix says what to do about sync that does not move: the advice for
// the last sync error, else start the service, else look closer.
func syncFix(f *facts) Msg {
	s := f.db.state
	switch {
	case !f.db.enrolled:
		return M("fix.enroll")
	case s.failing():
		key := "fix.sync." + s.lastErrorCode
		if _, ok := table[messages.ZH][key]; ok {
			return M(key)
		}
		return M("fix.sync.other")
	case f.serve.err != nil:
		return M("fix.sync_serve")
	}
	return M("fix.sync_now")
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// Sync error codes after which the hub may hold ops it set aside.
var (
	deadCodes = map[string]bool{syncproto.CodeBadOp.String(): true, syncproto.CodeUnknownKind.String(): true,
		syncproto.CodeHashMismatch.String(): true, syncproto.CodeBadPayload.String(): true}
	lostCodes = map[string]bool{"pruned": true, "diverged": true}
)

func checkDeadLetters(f *facts) Result {
	h := f.hub
	node := f.db.id.node
	if h.metricsRead {
		switch {
		case h.quarantined > 0:
			return Fail(join(M("dead.quarantined", h.quarantined), deadCount(h.dead)), M("fix.quarantine"))
		case h.dead > 0:
			return Warn(M("dead.some", h.dead), M("fix.dead", node))
		}
		return OK(M("dead.none"))
	}
	// The edge keeps no list of what the hub set aside: what it knows is
	// the last sync error.
	why := M("hub.not_checked")
	switch {
	case h.url == nil:
		why = M("hub.not_enrolled")
	case h.metricsErr != nil:
		why = Plain(h.metricsErr.Error())
	}
	s := f.db.state
	last := M("dead.last_none")
	if s.lastErrorCode != "" {
		last = M("dead.last", s.lastErrorCode)
	}
	detail := M("dead.local", why, last)
	switch {
	case lostCodes[s.lastErrorCode] && s.failing():
		return Fail(detail, M("fix.sync."+s.lastErrorCode))
	case deadCodes[s.lastErrorCode] && s.failing():
		return Warn(detail, M("fix.dead", node))
	}
	return OK(detail)
}

func deadCount(n int) Msg {
	if n == 0 {
		return Msg{}
	}
	return M("dead.some", n)
}

func checkServe(f *facts) Result {
	s := f.serve
	switch {
	case s.err != nil:
		return Warn(M("serve.down", s.addr), M("fix.serve"))
	case f.db.id.node != "" && s.node != f.db.id.node:
		return Warn(M("serve.other", s.addr, Plain(s.node)), M("fix.serve_other"))
	}
	return OK(M("serve.ok", s.addr))
}
