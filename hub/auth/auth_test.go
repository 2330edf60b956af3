package auth_test

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/argon2"

	"cunyou/hub/audit"
	"cunyou/hub/auth"
	"cunyou/hub/store"
	"cunyou/passwd"
)

// RFC 6238 appendix B.
func TestTOTPVectors(t *testing.T) {
	seeds := map[string]struct {
		key string
		h   func() hash.Hash
	}{
		"SHA1":   {"12345678901234567890", sha1.New},
		"SHA256": {"12345678901234567890123456789012", sha256.New},
		"SHA512": {"1234567890123456789012345678901234567890123456789012345678901234", sha512.New},
	}
	tests := []struct {
		unix int64
		want map[string]string
	}{
		{59, map[string]string{"SHA1": "94287082", "SHA256": "46119246", "SHA512": "90693936"}},
		{1111111109, map[string]string{"SHA1": "07081804", "SHA256": "68084774", "SHA512": "25091201"}},
		{1111111111, map[string]string{"SHA1": "14050471", "SHA256": "67062674", "SHA512": "99943326"}},
		{1234567890, map[string]string{"SHA1": "89005924", "SHA256": "91819424", "SHA512": "93441116"}},
		{2000000000, map[string]string{"SHA1": "69279037", "SHA256": "90698825", "SHA512": "38618901"}},
		{20000000000, map[string]string{"SHA1": "65353130", "SHA256": "77737706", "SHA512": "47863826"}},
	}
	for _, tt := range tests {
		for alg, want := range tt.want {
			s := seeds[alg]
			got := auth.TOTPCode([]byte(s.key), uint64(tt.unix/30), 8, s.h)
			assert.Equal(t, want, got, "%s at %d", alg, tt.unix)
		}
	}
}

func TestCheckTOTP(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	at := time.Unix(1111111111, 0)
	code := auth.TOTPCode([]byte("12345678901234567890"), uint64(at.Unix()/30), 6, sha1.New)
	assert.Equal(t, "050471", code) // the 8-digit vector's last 6 digits
	step, ok := auth.CheckTOTP(secret, code, at, 0)
	assert.True(t, ok)
	assert.Equal(t, at.Unix()/30, step)
	_, ok = auth.CheckTOTP(secret, code, at.Add(30*time.Second), 0)
	assert.True(t, ok, "a step late")
	_, ok = auth.CheckTOTP(secret, code, at.Add(90*time.Second), 0)
	assert.False(t, ok, "three steps late")
	_, ok = auth.CheckTOTP(secret, code, at, step)
	assert.False(t, ok, "used once")
	_, ok = auth.CheckTOTP(secret, "123456", at, 0)
	assert.False(t, ok)
	_, ok = auth.CheckTOTP("not base32!", code, at, 0)
	assert.False(t, ok)

	s := auth.NewTOTPSecret()
	assert.Len(t, s, 32)
	assert.Equal(t, "otpauth://totp/cunyou:wang?algorithm=SHA1&digits=6&issuer=cunyou&period=30&secret="+s,
		auth.TOTPURI("cunyou", "wang", s))
}

func TestRoles(t *testing.T) {
	for _, r := range auth.Roles {
		assert.True(t, auth.ValidRole(r))
		assert.True(t, auth.Allows(r, auth.Self), r)
		assert.Equal(t, r == auth.Admin, auth.Allows(r, auth.UsersManage), r)
		assert.Equal(t, r == auth.Admin, auth.Allows(r, auth.AuditRead), r)
		assert.Equal(t, r == auth.Admin || r == auth.Dispatcher, auth.Allows(r, auth.PersonalData), r)
	}
	assert.False(t, auth.ValidRole("root"))
	assert.False(t, auth.Allows("root", auth.Self))
	assert.Equal(t, auth.Permissions, auth.PermissionsOf(auth.Admin))
	assert.ElementsMatch(t, []auth.Permission{auth.Self, auth.StatisticsRead, auth.RegistryRead}, auth.PermissionsOf(auth.Government))
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	ctx context.Context
	clk *clock
	st  *store.Store
	log *audit.Log
	a   *auth.Service
	key []byte
}

var cli = auth.Actor{Name: "cli:root", Remote: "local"}

const pw = "Cunyou-2026"

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{ctx: context.Background(), clk: &clock{t: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}}
	var err error
	e.st, err = store.Open(e.ctx, t.TempDir(), store.Options{Now: e.clk.now})
	require.NoError(t, err)
	t.Cleanup(func() { e.st.Close() })
	e.log = audit.New(e.st)
	e.key, err = auth.LoadKey(t.TempDir())
	require.NoError(t, err)
	e.a = auth.New(auth.Options{Store: e.st, Audit: e.log, Key: e.key})
	_, err = e.a.AddUser(e.ctx, cli, " Wang ", auth.Dispatcher, "", pw)
	require.NoError(t, err)
	return e
}

// actions lists the audit rows' action/result, oldest first.
func (e *env) actions(t *testing.T) []string {
	t.Helper()
	rows, err := e.log.List(e.ctx, store.AuditQuery{Limit: 100})
	require.NoError(t, err)
	var out []string
	for i := len(rows) - 1; i >= 0; i-- {
		out = append(out, rows[i].Action+"/"+rows[i].Result)
	}
	return out
}

func TestAddUser(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, user, role, carrier, password string
		want                                error
	}{
		{"taken, any case", "WANG", auth.Dispatcher, "", pw, store.ErrExists},
		{"bad name", "王", auth.Dispatcher, "", pw, auth.ErrInvalid},
		{"bad role", "li", "root", "", pw, auth.ErrInvalid},
		{"weak", "li", auth.Dispatcher, "", "cunyou2026", auth.ErrWeakPassword},
		{"carrier viewer with no carrier", "li", auth.Carrier, "", pw, auth.ErrInvalid},
		{"carrier on another role", "li", auth.Dispatcher, "ZTO", pw, auth.ErrInvalid},
	}
	for _, tt := range tests {
		_, err := e.a.AddUser(e.ctx, cli, tt.user, tt.role, tt.carrier, tt.password)
		assert.ErrorIs(t, err, tt.want, tt.name)
	}
	us, err := e.a.Users(e.ctx)
	require.NoError(t, err)
	require.Len(t, us, 1)
	assert.Equal(t, "wang", us[0].Username)
	assert.True(t, strings.HasPrefix(us[0].PasswordHash, "$argon2id$"))
	assert.Equal(t, []string{"user.add/ok"}, e.actions(t))
}

func TestLoginAndSessions(t *testing.T) {
	e := newEnv(t)
	token, id, err := e.a.Login(e.ctx, "wang", pw, "", "10.0.0.7")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(token, "cys_"))
	assert.Equal(t, auth.Dispatcher, id.Role)
	assert.Equal(t, e.clk.now().Add(auth.DefaultMax), id.Expires)
	assert.True(t, id.Can(auth.PersonalData))

	got, err := e.a.Session(e.ctx, token)
	require.NoError(t, err)
	assert.Equal(t, "wang", got.Username)
	_, err = e.a.Session(e.ctx, token+"x")
	assert.ErrorIs(t, err, auth.ErrSession)
	_, err = e.a.Session(e.ctx, "cy_someapikey")
	assert.ErrorIs(t, err, auth.ErrSession)

	// Used every 11 hours, the session lasts until its absolute end.
	for e.clk.now().Add(11 * time.Hour).Before(id.Expires) {
		e.clk.add(11 * time.Hour)
		_, err = e.a.Session(e.ctx, token)
		require.NoError(t, err, "at %s", e.clk.now())
	}
	e.clk.add(11 * time.Hour)
	_, err = e.a.Session(e.ctx, token)
	assert.ErrorIs(t, err, auth.ErrSession, "past 7 days")

	// Idle for 12 hours: over.
	token, _, err = e.a.Login(e.ctx, "wang", pw, "", "10.0.0.7")
	require.NoError(t, err)
	e.clk.add(12 * time.Hour)
	_, err = e.a.Session(e.ctx, token)
	assert.ErrorIs(t, err, auth.ErrSession, "idle")

	// Logout, revocation of all, disabled.
	t1, id, err := e.a.Login(e.ctx, "wang", pw, "", "10.0.0.7")
	require.NoError(t, err)
	t2, _, err := e.a.Login(e.ctx, "wang", pw, "", "10.0.0.8")
	require.NoError(t, err)
	t3, _, err := e.a.Login(e.ctx, "wang", pw, "", "10.0.0.9")
	require.NoError(t, err)
	require.NoError(t, e.a.Logout(e.ctx, id, t1, "10.0.0.7"))
	_, err = e.a.Session(e.ctx, t1)
	assert.ErrorIs(t, err, auth.ErrSession, "logged out")
	_, err = e.a.Session(e.ctx, t2)
	assert.NoError(t, err)
	n, err := e.a.Revoke(e.ctx, cli, "wang")
	require.NoError(t, err)
	assert.Equal(t, 3, n, "t2, t3 and the idle one")
	for _, tok := range []string{t2, t3} {
		_, err = e.a.Session(e.ctx, tok)
		assert.ErrorIs(t, err, auth.ErrSession, "revoked")
	}
	t4, _, err := e.a.Login(e.ctx, "wang", pw, "", "10.0.0.7")
	require.NoError(t, err)
	require.NoError(t, e.a.SetDisabled(e.ctx, cli, "wang", true))
	_, err = e.a.Session(e.ctx, t4)
	assert.ErrorIs(t, err, auth.ErrSession, "disabled")
	_, _, err = e.a.Login(e.ctx, "wang", pw, "", "10.0.0.7")
	assert.ErrorIs(t, err, auth.ErrDisabled)
	require.NoError(t, e.a.SetDisabled(e.ctx, cli, "wang", false))
	_, _, err = e.a.Login(e.ctx, "wang", pw, "", "10.0.0.7")
	assert.NoError(t, err)

	_, err = e.log.Verify(e.ctx)
	assert.NoError(t, err)
}

func TestLockout(t *testing.T) {
	e := newEnv(t)
	for i := range 4 {
		_, _, err := e.a.Login(e.ctx, "wang", "Wrong-2026", "", "10.0.0.7")
		assert.ErrorIs(t, err, auth.ErrBadCredentials, "try %d", i+1)
	}
	_, _, err := e.a.Login(e.ctx, "wang", pw, "", "10.0.0.7")
	require.NoError(t, err, "a good login resets the count")
	for range 5 {
		_, _, err = e.a.Login(e.ctx, "wang", "Wrong-2026", "", "10.0.0.7")
		assert.ErrorIs(t, err, auth.ErrBadCredentials)
	}
	_, _, err = e.a.Login(e.ctx, "wang", pw, "", "10.0.0.7")
	assert.ErrorIs(t, err, auth.ErrLocked, "locked: even the right password")
	e.clk.add(auth.DefaultLockout - time.Second)
	_, _, err = e.a.Login(e.ctx, "wang", pw, "", "10.0.0.7")
	assert.ErrorIs(t, err, auth.ErrLocked)
	e.clk.add(time.Second)
	_, _, err = e.a.Login(e.ctx, "wang", pw, "", "10.0.0.7")
	assert.NoError(t, err, "the lock is over")

	// An admin's reset lifts a lock.
	for range 5 {
		_, _, _ = e.a.Login(e.ctx, "wang", "Wrong-2026", "", "10.0.0.7")
	}
	require.NoError(t, e.a.ResetPassword(e.ctx, cli, "wang", "Neu-Pass-1"))
	_, _, err = e.a.Login(e.ctx, "wang", pw, "", "10.0.0.7")
	assert.ErrorIs(t, err, auth.ErrBadCredentials, "the old password")
	_, _, err = e.a.Login(e.ctx, "wang", "Neu-Pass-1", "", "10.0.0.7")
	assert.NoError(t, err)
	assert.ErrorIs(t, e.a.ResetPassword(e.ctx, cli, "wang", "short"), auth.ErrWeakPassword)

	_, _, err = e.a.Login(e.ctx, "nobody", pw, "", "10.0.0.7")
	assert.ErrorIs(t, err, auth.ErrBadCredentials)

	bad := "login/bad_credentials"
	want := []string{"user.add/ok", bad, bad, bad, bad, "login/ok", bad, bad, bad, bad, bad, "user.lock/ok",
		"login/locked", "login/locked", "login/ok", bad, bad, bad, bad, bad, "user.lock/ok",
		"user.reset_password/ok", bad, "login/ok", bad}
	assert.Equal(t, want, e.actions(t))
	rows, err := e.log.List(e.ctx, store.AuditQuery{Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, "unknown", rows[0].Actor, "an unknown name is not written down")
	assert.Empty(t, rows[0].Target)
}

func TestTOTPLogin(t *testing.T) {
	e := newEnv(t)
	_, err := e.a.AddUser(e.ctx, cli, "boss", auth.Admin, "", pw)
	require.NoError(t, err)
	secret, uri, err := e.a.EnrolTOTP(e.ctx, cli, "boss")
	require.NoError(t, err)
	assert.Contains(t, uri, "secret="+secret)
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	require.NoError(t, err)
	code := func() string {
		return auth.TOTPCode(key, uint64(e.clk.now().Unix()/30), 6, sha1.New)
	}

	_, _, err = e.a.Login(e.ctx, "boss", pw, "", "10.0.0.7")
	assert.ErrorIs(t, err, auth.ErrTOTPRequired)
	_, _, err = e.a.Login(e.ctx, "boss", "Wrong-2026", "", "10.0.0.7")
	assert.ErrorIs(t, err, auth.ErrBadCredentials, "the password first")
	_, _, err = e.a.Login(e.ctx, "boss", pw, "000000", "10.0.0.7")
	assert.ErrorIs(t, err, auth.ErrTOTPInvalid)
	c := code()
	_, id, err := e.a.Login(e.ctx, "boss", pw, c, "10.0.0.7")
	require.NoError(t, err)
	assert.Equal(t, auth.Admin, id.Role)
	_, _, err = e.a.Login(e.ctx, "boss", pw, c, "10.0.0.7")
	assert.ErrorIs(t, err, auth.ErrTOTPInvalid, "a code is good once")
	e.clk.add(30 * time.Second)
	_, _, err = e.a.Login(e.ctx, "boss", pw, code(), "10.0.0.7")
	assert.NoError(t, err)

	// The database holds the secret sealed: neither it nor its bytes in
	// any encoding are there, and with another hub's key (a copy of the
	// database elsewhere, a replaced key file) it does not open.
	u, err := e.st.User(e.ctx, "boss")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(u.TOTPSecret, "v1:"), u.TOTPSecret)
	assert.NotContains(t, u.TOTPSecret, secret)
	other, err := auth.LoadKey(t.TempDir())
	require.NoError(t, err)
	elsewhere := auth.New(auth.Options{Store: e.st, Audit: e.log, Key: other})
	e.clk.add(30 * time.Second)
	_, _, err = elsewhere.Login(e.ctx, "boss", pw, code(), "10.0.0.7")
	assert.ErrorIs(t, err, auth.ErrSealed)
	// Every sign-in is audited, this one too.
	acts := e.actions(t)
	assert.Equal(t, "login/totp_unreadable", acts[len(acts)-1])
	// Nor does a sealed secret copied onto another user.
	_, err = e.st.UpdateUser(e.ctx, "wang", func(w *store.User) error { w.TOTPSecret = u.TOTPSecret; return nil })
	require.NoError(t, err)
	_, _, err = e.a.Login(e.ctx, "wang", pw, code(), "10.0.0.7")
	assert.ErrorIs(t, err, auth.ErrSealed)

	// Without a key, no second factor is enrolled.
	keyless := auth.New(auth.Options{Store: e.st, Audit: e.log})
	_, _, err = keyless.EnrolTOTP(e.ctx, cli, "wang")
	assert.ErrorIs(t, err, auth.ErrNoKey)
}

// A second factor stored before sealing still signs in, and is sealed
// by that sign-in.
func TestTOTPSealedAtNextLogin(t *testing.T) {
	e := newEnv(t)
	secret := auth.NewTOTPSecret()
	_, err := e.st.UpdateUser(e.ctx, "wang", func(u *store.User) error { u.TOTPSecret = secret; return nil })
	require.NoError(t, err)
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	require.NoError(t, err)
	_, _, err = e.a.Login(e.ctx, "wang", pw, auth.TOTPCode(key, uint64(e.clk.now().Unix()/30), 6, sha1.New), "10.0.0.7")
	require.NoError(t, err)
	u, err := e.st.User(e.ctx, "wang")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(u.TOTPSecret, "v1:"), "sealed now")
	e.clk.add(30 * time.Second)
	_, _, err = e.a.Login(e.ctx, "wang", pw, auth.TOTPCode(key, uint64(e.clk.now().Unix()/30), 6, sha1.New), "10.0.0.7")
	assert.NoError(t, err, "and still signs in")
}

// The key file is made once, readable by the hub's user only, and read
// back the same; a damaged one is refused with what to do.
func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	k1, err := auth.LoadKey(dir)
	require.NoError(t, err)
	assert.Len(t, k1, auth.KeySize)
	fi, err := os.Stat(filepath.Join(dir, auth.KeyFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	k2, err := auth.LoadKey(dir)
	require.NoError(t, err)
	assert.Equal(t, k1, k2)
	require.NoError(t, os.WriteFile(filepath.Join(dir, auth.KeyFile), []byte("abc\n"), 0o600))
	_, err = auth.LoadKey(dir)
	assert.ErrorContains(t, err, "restore it from the backup")
}

// A sign-in checks the password (argon2id, tens of milliseconds) before
// it takes the store's one writer, so that sign-ins do not hold up the
// hub's merges: with the writer busy, the check is done by the time the
// writer is free, and what is left is quick.
func TestLoginChecksPasswordOutsideTheWriter(t *testing.T) {
	e := newEnv(t)
	// A dearer hash than Hash makes (Verify takes the parameters it
	// records), so that the check stands out from the writes' time.
	salt := []byte("0123456789abcdef")
	b64 := base64.RawStdEncoding
	phc := fmt.Sprintf("$argon2id$v=%d$m=%d,t=10,p=1$%s$%s", argon2.Version, 19*1024, b64.EncodeToString(salt),
		b64.EncodeToString(argon2.IDKey([]byte(pw), salt, 10, 19*1024, 1, 32)))
	u, err := e.st.UpdateUser(e.ctx, "wang", func(u *store.User) error { u.PasswordHash = phc; return nil })
	require.NoError(t, err)
	verify := time.Hour
	for range 3 {
		start := time.Now()
		passwd.Verify(u.PasswordHash, pw)
		verify = min(verify, time.Since(start))
	}
	held, release := make(chan struct{}), make(chan struct{})
	go e.st.Write(e.ctx, func(*sql.Tx) error { close(held); <-release; return nil })
	<-held
	done := make(chan error, 1)
	go func() { _, _, err := e.a.Login(e.ctx, "wang", pw, "", "10.0.0.7"); done <- err }()
	time.Sleep(max(4*verify, 200*time.Millisecond))
	released := time.Now()
	close(release)
	require.NoError(t, <-done)
	after := time.Since(released)
	assert.Less(t, after, verify/2, "the writer was held %v after its release (one check costs %v)", after, verify)
}

// The user commands find a user by the name as it was given to user add
// (" Wang " is stored as "wang").
func TestUserCommandsFoldTheName(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.a.SetDisabled(e.ctx, cli, "Wang", true))
	_, _, err := e.a.Login(e.ctx, "wang", pw, "", "10.0.0.7")
	assert.ErrorIs(t, err, auth.ErrDisabled)
	require.NoError(t, e.a.SetDisabled(e.ctx, cli, " WANG ", false))
	require.NoError(t, e.a.ResetPassword(e.ctx, cli, "Wang", "Neu-Pass-1"))
	_, err = e.a.Revoke(e.ctx, cli, "Wang")
	require.NoError(t, err)
	_, _, err = e.a.EnrolTOTP(e.ctx, cli, "Wang")
	require.NoError(t, err)
	_, _, err = e.a.Login(e.ctx, "wang", "Neu-Pass-1", "", "10.0.0.7")
	assert.ErrorIs(t, err, auth.ErrTOTPRequired)
}
