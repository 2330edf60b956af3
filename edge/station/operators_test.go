package station

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

const (
	bossPassword = "Boss-2025!"
	liPIN        = "246810"
)

func ptr[T any](v T) *T { return &v }

func TestCheckSecret(t *testing.T) {
	tests := []struct {
		kind, secret string
		want         Code
	}{
		{"password", "Abcdef1!", ""},
		{"password", "Abcdefg1", ""},              // upper, lower, digit
		{"password", "abc-def1", ""},              // lower, other, digit
		{"password", "ABC DEF!x", ""},             // upper, other, lower
		{"password", "密码密码Ab12", ""},              // 8 characters, not 8 bytes
		{"password", "Abcdef1", CodePasswordWeak}, // 7
		{"password", "abcdefg1", CodePasswordWeak},
		{"password", "ABCDEFGH", CodePasswordWeak},
		{"password", "12345678", CodePasswordWeak},
		{"password", "密码密码密码密码", CodePasswordWeak},
		{"password", "", CodePasswordWeak},
		{"pin", "123456", ""},
		{"pin", "000000", ""},
		{"pin", "12345", CodePINInvalid},
		{"pin", "1234567", CodePINInvalid},
		{"pin", "12345a", CodePINInvalid},
		{"pin", "12 456", CodePINInvalid},
		{"pin", "１２３４５６", CodePINInvalid},
		{"pin", "", CodePINInvalid},
		{"fingerprint", "123456", CodeBadRequest},
		{"", "Abcdef1!", CodeBadRequest},
	}
	for _, tt := range tests {
		err := checkSecret(tt.kind, tt.secret)
		if tt.want == "" {
			assert.NoError(t, err, "%s %q", tt.kind, tt.secret)
			continue
		}
		assert.Equal(t, tt.want, CodeOf(err), "%s %q", tt.kind, tt.secret)
	}
}

func TestHashSecret(t *testing.T) {
	h := HashSecret(liPIN)
	assert.Regexp(t, `^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`, h)
	assert.NotContains(t, h, liPIN)
	assert.True(t, verifySecret(h, liPIN))
	for _, bad := range []string{"", "$argon2i$v=19$m=19456,t=2,p=1$AAAA$AAAA", "$argon2id$v=19$m=x$AAAA$AAAA", strings.Replace(h, "$argon2id$", "$bcrypt$", 1)} {
		assert.False(t, verifySecret(bad, liPIN), "%q", bad)
	}
}

// newOperatorsEnv is a station with an owner (boss, a password) and a
// clerk (li, a PIN).
func newOperatorsEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	_, err := e.s.AddOperator(e.ctx, "setup", OperatorInput{Username: "boss", DisplayName: "王老板", Role: RoleOwner, SecretKind: "password", Secret: bossPassword})
	require.NoError(t, err)
	_, err = e.s.AddOperator(e.ctx, "boss", OperatorInput{Username: "li", DisplayName: "小李", Role: RoleClerk, SecretKind: "pin", Secret: liPIN})
	require.NoError(t, err)
	t.Cleanup(func() { e.checkNoSecrets(t, bossPassword, liPIN, "Neu-Pass1", "135790", "Wang-Pass1") })
	return e
}

// checkNoSecrets asserts that no secret is stored in the clear and that
// every operator op decodes as OperatorChanged, which has no field for a
// secret or its hash.
func (e *env) checkNoSecrets(t *testing.T, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		assert.Empty(t, e.whereStored(t, s), "secret %q stored", s)
	}
	for _, op := range e.opsSince(t, 0) {
		if op.Kind != syncproto.KindOperatorChanged {
			continue
		}
		payload[syncproto.OperatorChanged](t, op)
		assert.NotContains(t, string(op.Payload), "argon2")
	}
}

func (e *env) login(t *testing.T, user, secret string) Session {
	t.Helper()
	before := e.lastSeq(t)
	sess, err := e.s.Login(e.ctx, user, secret)
	require.NoError(t, err)
	require.NotEmpty(t, sess.Token)
	assert.Equal(t, before, e.lastSeq(t), "a login records no op")
	return sess
}

func (e *env) authLog(t *testing.T, user string) []string {
	t.Helper()
	rows, err := e.st.DB().QueryContext(e.ctx, "SELECT event FROM auth_log WHERE username = ? ORDER BY id", user)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ev string
		require.NoError(t, rows.Scan(&ev))
		out = append(out, ev)
	}
	return out
}

func TestAddOperator(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		in   OperatorInput
		want Code
	}{
		{"username too short", OperatorInput{Username: "a", Role: RoleOwner, SecretKind: "pin", Secret: liPIN}, CodeUsernameInvalid},
		{"username with space", OperatorInput{Username: "wang er", Role: RoleOwner, SecretKind: "pin", Secret: liPIN}, CodeUsernameInvalid},
		{"username in hanzi", OperatorInput{Username: "王二", Role: RoleOwner, SecretKind: "pin", Secret: liPIN}, CodeUsernameInvalid},
		{"username too long", OperatorInput{Username: strings.Repeat("a", 33), Role: RoleOwner, SecretKind: "pin", Secret: liPIN}, CodeUsernameInvalid},
		{"role", OperatorInput{Username: "boss", Role: "admin", SecretKind: "pin", Secret: liPIN}, CodeRoleInvalid},
		{"no role", OperatorInput{Username: "boss", SecretKind: "pin", Secret: liPIN}, CodeRoleInvalid},
		{"weak password", OperatorInput{Username: "boss", Role: RoleOwner, SecretKind: "password", Secret: "password"}, CodePasswordWeak},
		{"bad PIN", OperatorInput{Username: "boss", Role: RoleOwner, SecretKind: "pin", Secret: "1234"}, CodePINInvalid},
		{"no secret kind", OperatorInput{Username: "boss", Role: RoleOwner, Secret: bossPassword}, CodeBadRequest},
		{"first account a clerk", OperatorInput{Username: "li", Role: RoleClerk, SecretKind: "pin", Secret: liPIN}, CodeLastOwner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.refused(t, tt.want, func() error {
				_, err := e.s.AddOperator(e.ctx, "setup", tt.in)
				return err
			})
		})
	}

	var boss Operator
	op := e.oneOp(t, syncproto.KindOperatorChanged, func() {
		var err error
		boss, err = e.s.AddOperator(e.ctx, "setup", OperatorInput{Username: " Boss ", DisplayName: " 王老板 ", Role: RoleOwner, SecretKind: "password", Secret: bossPassword})
		require.NoError(t, err)
	})
	assert.Equal(t, Operator{ID: boss.ID, Username: "boss", DisplayName: "王老板", Role: RoleOwner, SecretKind: "password"}, boss)
	assert.Equal(t, syncproto.OperatorChanged{Username: "boss", DisplayName: "王老板", Role: RoleOwner, Created: true, SecretChanged: true},
		payload[syncproto.OperatorChanged](t, op))
	assert.Equal(t, "setup", op.Actor)

	op = e.oneOp(t, syncproto.KindOperatorChanged, func() {
		_, err := e.s.AddOperator(e.ctx, "boss", OperatorInput{Username: "li", Role: RoleClerk, SecretKind: "pin", Secret: liPIN})
		require.NoError(t, err)
	})
	assert.Equal(t, syncproto.OperatorChanged{Username: "li", DisplayName: "li", Role: RoleClerk, Created: true, SecretChanged: true},
		payload[syncproto.OperatorChanged](t, op))

	err := e.refused(t, CodeUsernameTaken, func() error {
		_, err := e.s.AddOperator(e.ctx, "boss", OperatorInput{Username: "BOSS", Role: RoleClerk, SecretKind: "pin", Secret: "111111"})
		return err
	})
	assert.Equal(t, map[string]string{"username": "boss"}, ArgsOf(err))

	ops, err := e.s.Operators(e.ctx)
	require.NoError(t, err)
	require.Len(t, ops, 2)
	assert.Equal(t, []string{"boss", "li"}, []string{ops[0].Username, ops[1].Username})
	assert.Equal(t, "pin", ops[1].SecretKind)
	e.checkNoSecrets(t, bossPassword, liPIN)
}

func TestLogin(t *testing.T) {
	e := newOperatorsEnv(t)
	sess := e.login(t, " BOSS ", bossPassword)
	assert.Equal(t, "boss", sess.Operator.Username)
	assert.Equal(t, RoleOwner, sess.Operator.Role)
	assert.True(t, t0.Add(SessionTTL).Equal(sess.Expires))
	o, err := e.s.Authenticate(e.ctx, sess.Token)
	require.NoError(t, err)
	assert.Equal(t, sess.Operator, o)
	_, err = e.s.Authenticate(e.ctx, sess.Token+"x")
	requireCode(t, err, CodeUnauthorized)
	var stored string
	require.NoError(t, e.st.DB().QueryRowContext(e.ctx, "SELECT token_hash FROM sessions").Scan(&stored))
	assert.NotEqual(t, sess.Token, stored, "only the token's hash is kept")

	// An unknown name is answered as a known one is, so answers do not
	// reveal which names exist.
	_, known := e.s.Login(e.ctx, "li", "000000")
	requireCode(t, known, CodeLoginFailed)
	_, err = e.s.Login(e.ctx, "nobody", bossPassword)
	requireCode(t, err, CodeLoginFailed)
	assert.Equal(t, ArgsOf(known), ArgsOf(err))
	assert.Equal(t, []string{"login"}, e.authLog(t, "boss"))
	assert.Equal(t, []string{"unknown_user"}, e.authLog(t, "nobody"))

	// The session ends after SessionTTL, or at logout.
	e.clock.Advance(SessionTTL - time.Millisecond)
	_, err = e.s.Authenticate(e.ctx, sess.Token)
	require.NoError(t, err)
	e.clock.Advance(time.Millisecond)
	_, err = e.s.Authenticate(e.ctx, sess.Token)
	requireCode(t, err, CodeUnauthorized)
	e.clock.Advance(time.Millisecond)
	sess = e.login(t, "boss", bossPassword)
	require.NoError(t, e.s.Logout(e.ctx, sess.Token))
	_, err = e.s.Authenticate(e.ctx, sess.Token)
	requireCode(t, err, CodeUnauthorized)
	assert.Zero(t, e.countRows(t, "sessions"), "expired sessions are swept at login")
}

func TestLoginLockout(t *testing.T) {
	e := newOperatorsEnv(t)
	wrong := func(wantCode Code, wantArgs map[string]string) {
		t.Helper()
		before := e.snapshot(t, "auth_log", "operators")
		_, err := e.s.Login(e.ctx, "li", "000000")
		requireCode(t, err, wantCode)
		assert.Equal(t, wantArgs, ArgsOf(err))
		assert.Equal(t, before, e.snapshot(t, "auth_log", "operators"), "a failed login records no op and no session")
	}
	// Wrong secrets count down, the fifth locks the account.
	for left := MaxFailures - 1; left >= 1; left-- {
		wrong(CodeLoginFailed, map[string]string{"left": string(rune('0' + left))})
	}
	wrong(CodeAccountLocked, map[string]string{"until": "09:15"})
	ops, err := e.s.Operators(e.ctx)
	require.NoError(t, err)
	require.NotNil(t, ops[1].LockedUntil)
	assert.True(t, t0.Add(LockoutPeriod).Equal(*ops[1].LockedUntil))

	// Locked, even the right secret is refused.
	e.clock.Advance(LockoutPeriod - time.Minute)
	_, err = e.s.Login(e.ctx, "li", liPIN)
	requireCode(t, err, CodeAccountLocked)
	assert.Equal(t, map[string]string{"until": "09:15"}, ArgsOf(err))

	// The lock expires; the count starts again.
	e.clock.Advance(time.Minute)
	wrong(CodeLoginFailed, map[string]string{"left": "4"})
	e.login(t, "li", liPIN)

	// Locked again, an owner unlocks it.
	for range MaxFailures - 1 {
		_, err := e.s.Login(e.ctx, "li", "999999")
		requireCode(t, err, CodeLoginFailed)
	}
	e.clock.Advance(time.Minute)
	_, err = e.s.Login(e.ctx, "li", "999999")
	requireCode(t, err, CodeAccountLocked)
	assert.Equal(t, map[string]string{"until": "09:31"}, ArgsOf(err))
	op := e.oneOp(t, syncproto.KindOperatorChanged, func() {
		o, err := e.s.ChangeOperator(e.ctx, "boss", "li", OperatorChange{Unlock: true})
		require.NoError(t, err)
		assert.Nil(t, o.LockedUntil)
	})
	assert.Equal(t, syncproto.OperatorChanged{Username: "li", DisplayName: "小李", Role: RoleClerk, Unlocked: true}, payload[syncproto.OperatorChanged](t, op))
	assert.Equal(t, "boss", op.Actor)
	e.login(t, "li", liPIN)

	assert.Equal(t, []string{"bad_secret", "bad_secret", "bad_secret", "bad_secret", "lockout", "locked", "bad_secret", "login",
		"bad_secret", "bad_secret", "bad_secret", "bad_secret", "lockout", "login"}, e.authLog(t, "li"))
}

func TestChangeOperatorSessions(t *testing.T) {
	e := newOperatorsEnv(t)
	sess := e.login(t, "li", liPIN)

	// Disabling ends the sessions and refuses logins.
	op := e.oneOp(t, syncproto.KindOperatorChanged, func() {
		o, err := e.s.ChangeOperator(e.ctx, "boss", "li", OperatorChange{Disabled: ptr(true)})
		require.NoError(t, err)
		assert.True(t, o.Disabled)
	})
	assert.Equal(t, syncproto.OperatorChanged{Username: "li", DisplayName: "小李", Role: RoleClerk, Disabled: true}, payload[syncproto.OperatorChanged](t, op))
	_, err := e.s.Authenticate(e.ctx, sess.Token)
	requireCode(t, err, CodeUnauthorized)
	_, err = e.s.Login(e.ctx, "li", liPIN)
	requireCode(t, err, CodeAccountDisabled)
	assert.Zero(t, e.countRows(t, "sessions"))

	// Enabled again, with a new name.
	e.oneOp(t, syncproto.KindOperatorChanged, func() {
		o, err := e.s.ChangeOperator(e.ctx, "boss", "li", OperatorChange{Disabled: ptr(false), DisplayName: ptr(" 李会计 ")})
		require.NoError(t, err)
		assert.False(t, o.Disabled)
		assert.Equal(t, "李会计", o.DisplayName)
	})
	sess = e.login(t, "li", liPIN)
	assert.Equal(t, "李会计", sess.Operator.DisplayName)

	// A new secret ends the sessions; the old one no longer works.
	op = e.oneOp(t, syncproto.KindOperatorChanged, func() {
		o, err := e.s.ChangeOperator(e.ctx, "li", "li", OperatorChange{SecretKind: ptr("pin"), Secret: ptr("135790")})
		require.NoError(t, err)
		assert.Equal(t, "pin", o.SecretKind)
	})
	assert.True(t, payload[syncproto.OperatorChanged](t, op).SecretChanged)
	_, err = e.s.Authenticate(e.ctx, sess.Token)
	requireCode(t, err, CodeUnauthorized)
	_, err = e.s.Login(e.ctx, "li", liPIN)
	requireCode(t, err, CodeLoginFailed)
	e.login(t, "li", "135790")

	// A refused change changes nothing.
	tests := []struct {
		name string
		user string
		ch   OperatorChange
		want Code
	}{
		{"weak password", "li", OperatorChange{SecretKind: ptr("password"), Secret: ptr("abc")}, CodePasswordWeak},
		{"bad PIN for a PIN account", "li", OperatorChange{Secret: ptr("abc")}, CodePINInvalid},
		{"bad PIN", "li", OperatorChange{SecretKind: ptr("pin"), Secret: ptr("12")}, CodePINInvalid},
		{"bad role", "li", OperatorChange{Role: ptr("admin")}, CodeRoleInvalid},
		{"unknown", "zhao", OperatorChange{Disabled: ptr(true)}, CodeOperatorNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.refused(t, tt.want, func() error {
				_, err := e.s.ChangeOperator(e.ctx, "boss", tt.user, tt.ch)
				return err
			})
		})
	}
}

func TestLastOwner(t *testing.T) {
	e := newOperatorsEnv(t)
	for _, ch := range []OperatorChange{{Role: ptr(RoleClerk)}, {Disabled: ptr(true)}, {Role: ptr(RoleClerk), Disabled: ptr(true)}} {
		e.refused(t, CodeLastOwner, func() error {
			_, err := e.s.ChangeOperator(e.ctx, "boss", "boss", ch)
			return err
		})
	}
	// A disabled owner does not count.
	_, err := e.s.ChangeOperator(e.ctx, "boss", "li", OperatorChange{Role: ptr(RoleOwner)})
	require.NoError(t, err)
	_, err = e.s.ChangeOperator(e.ctx, "boss", "li", OperatorChange{Disabled: ptr(true)})
	require.NoError(t, err)
	e.refused(t, CodeLastOwner, func() error {
		_, err := e.s.ChangeOperator(e.ctx, "boss", "boss", OperatorChange{Role: ptr(RoleClerk)})
		return err
	})
	// With a second enabled owner, the first may step down.
	_, err = e.s.AddOperator(e.ctx, "boss", OperatorInput{Username: "wang", Role: RoleOwner, SecretKind: "password", Secret: "Wang-Pass1"})
	require.NoError(t, err)
	op := e.oneOp(t, syncproto.KindOperatorChanged, func() {
		o, err := e.s.ChangeOperator(e.ctx, "wang", "boss", OperatorChange{Role: ptr(RoleClerk)})
		require.NoError(t, err)
		assert.Equal(t, RoleClerk, o.Role)
	})
	assert.Equal(t, RoleClerk, payload[syncproto.OperatorChanged](t, op).Role)
	e.refused(t, CodeLastOwner, func() error {
		_, err := e.s.ChangeOperator(e.ctx, "wang", "wang", OperatorChange{Disabled: ptr(true)})
		return err
	})
	// Changing a clerk never needs an owner count.
	_, err = e.s.ChangeOperator(e.ctx, "wang", "boss", OperatorChange{Disabled: ptr(true)})
	require.NoError(t, err)
}

// An unknown name must answer exactly as a known name with a wrong secret,
// over time too: the count-down does not restart for one and not the
// other, and a lockout names the same end.
func TestLoginUnknownUserIndistinguishable(t *testing.T) {
	e := newOperatorsEnv(t)
	both := func(known, unknown string) {
		t.Helper()
		_, errKnown := e.s.Login(e.ctx, known, "000000")
		_, errUnknown := e.s.Login(e.ctx, unknown, "000000")
		assert.Equal(t, CodeOf(errKnown), CodeOf(errUnknown), "at %s", e.clock.Now().Format("15:04"))
		assert.Equal(t, ArgsOf(errKnown), ArgsOf(errUnknown), "at %s", e.clock.Now().Format("15:04"))
	}
	// A failure long ago still counts for a known name.
	both("li", "nobody")
	e.clock.Advance(LockoutPeriod + time.Minute)
	both("li", "nobody")

	// Once locked, the lock ends at a fixed time.
	e.clock.Set(t0.Add(time.Hour))
	for range MaxFailures {
		both("boss", "ghost")
	}
	e.clock.Advance(5 * time.Minute)
	both("boss", "ghost")
}
