// Package auth is who may use the hub's console and open API as a
// person (DESIGN §6): users with a role, the roles' permissions (one
// table, roles.go), argon2id passwords under the policy of package
// passwd, lockout after repeated failures, sessions that end when idle,
// at an absolute time or when revoked, and an optional TOTP second
// factor (RFC 6238). Every login, lockout and change to a user is
// written to the audit log.
//
// A session token is 32 random bytes (base64url, prefixed "cys_"), shown
// once at login; the hub keeps only its SHA-256.
package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"cunyou/hub/audit"
	"cunyou/hub/store"
	"cunyou/passwd"
)

// Defaults of Options.
const (
	DefaultIdle        = 12 * time.Hour
	DefaultMax         = 7 * 24 * time.Hour
	DefaultMaxFailures = 5
	DefaultLockout     = 15 * time.Minute
	// touchEvery bounds how often a session's last use is written.
	touchEvery = time.Minute
	// Issuer names the hub in authenticator apps.
	Issuer = "cunyou"
)

// Options configure a Service.
type Options struct {
	Store *store.Store
	Audit *audit.Log
	// Idle ends a session not used for this long; Max ends it this long
	// after login whatever its use.
	Idle, Max time.Duration
	// MaxFailures wrong passwords in a row lock an account for Lockout.
	MaxFailures int
	Lockout     time.Duration
	// Now is the clock; the store's when nil.
	Now func() time.Time
	// Key seals the users' second factors (LoadKey); without it none can
	// be enrolled.
	Key []byte
}

// Service keeps the users and their sessions.
type Service struct {
	o   Options
	st  *store.Store
	log *audit.Log
	now func() time.Time
}

// New returns a service; Store and Audit are required.
func New(o Options) *Service {
	if o.Idle <= 0 {
		o.Idle = DefaultIdle
	}
	if o.Max <= 0 {
		o.Max = DefaultMax
	}
	if o.MaxFailures <= 0 {
		o.MaxFailures = DefaultMaxFailures
	}
	if o.Lockout <= 0 {
		o.Lockout = DefaultLockout
	}
	s := &Service{o: o, st: o.Store, log: o.Audit, now: o.Now}
	if s.now == nil {
		s.now = o.Store.Now
	}
	return s
}

// Actor is who asks for a change, for the audit log.
type Actor struct {
	Name   string // user:NAME, admin, cli:OSUSER
	Role   string
	Remote string
}

// Identity is a signed-in user.
type Identity struct {
	Username    string
	Role        string
	Carrier     string // a carrier viewer's carrier
	Expires     time.Time
	Permissions []Permission
}

// Can reports whether the identity holds p.
func (id Identity) Can(p Permission) bool { return Allows(id.Role, p) }

// Actor is the identity as the audit log names it.
func (id Identity) Actor(remote string) Actor {
	return Actor{Name: "user:" + id.Username, Role: id.Role, Remote: remote}
}

func identity(u store.User, expires time.Time) Identity {
	return Identity{Username: u.Username, Role: u.Role, Carrier: u.Carrier, Expires: expires, Permissions: PermissionsOf(u.Role)}
}

var usernameRe = regexp.MustCompile(`^[a-z0-9_.-]{2,32}$`)

// NormalizeUsername returns name trimmed and lower case, or ErrInvalid.
func NormalizeUsername(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if !usernameRe.MatchString(n) {
		return "", fmt.Errorf("%w: user name %q: 2-32 of a-z, 0-9, _ . -", ErrInvalid, name)
	}
	return n, nil
}

func (s *Service) record(ctx context.Context, a Actor, action, target, result, detail string) error {
	_, err := s.log.Append(ctx, audit.Entry{Actor: a.Name, Role: a.Role, Action: action, Target: target,
		Remote: a.Remote, Result: result, Detail: detail})
	return err
}

// Login checks a user's password (and one-time code when enrolled) and
// opens a session. Wrong passwords count up to MaxFailures, which locks
// the account for Lockout; a locked account is refused whatever the
// password. Every attempt is audited (action login), with the name of an
// unknown user left out.
func (s *Service) Login(ctx context.Context, username, password, code, remote string) (token string, id Identity, err error) {
	name, nerr := NormalizeUsername(username)
	u, uerr := s.st.User(ctx, name)
	if nerr != nil || errors.Is(uerr, store.ErrNotFound) {
		passwd.Waste(password)
		return "", Identity{}, errors.Join(ErrBadCredentials,
			s.record(ctx, Actor{Name: "unknown", Remote: remote}, "login", "", "bad_credentials", ""))
	}
	if uerr != nil {
		return "", Identity{}, uerr
	}
	a := Actor{Name: "user:" + u.Username, Role: u.Role, Remote: remote}
	now := s.now()
	// The password is checked before the store's one writer is taken: an
	// argon2id check costs tens of milliseconds, and every sign-in would
	// otherwise hold up the hub's merges for that long. The transaction
	// checks only if the password changed in between (or was not checked,
	// the account being locked when read).
	checked, good := "", false // the hash checked, and whether the password is its
	if !now.Before(u.LockedUntil) {
		checked, good = u.PasswordHash, passwd.Verify(u.PasswordHash, password)
	}
	var fail error
	locked := false
	u, err = s.st.UpdateUser(ctx, u.Username, func(u *store.User) error {
		if u.PasswordHash != checked && !now.Before(u.LockedUntil) {
			checked, good = u.PasswordHash, passwd.Verify(u.PasswordHash, password)
		}
		switch {
		case now.Before(u.LockedUntil):
			fail = ErrLocked
			return nil
		case !good:
			fail = ErrBadCredentials
		case u.TOTPSecret != "" && strings.TrimSpace(code) == "":
			fail = ErrTOTPRequired
			return nil // not a failure: the client asks for the code
		case u.TOTPSecret != "":
			secret, legacy, err := unseal(s.o.Key, u.Username, u.TOTPSecret)
			if err != nil {
				return err
			}
			step, ok := checkTOTP(secret, code, now, u.TOTPStep)
			if !ok {
				fail = ErrTOTPInvalid
			} else {
				u.TOTPStep = step
			}
			if legacy && ok && len(s.o.Key) == KeySize { // written before sealing: sealed now
				if u.TOTPSecret, err = seal(s.o.Key, u.Username, secret); err != nil {
					return err
				}
			}
		}
		if fail == nil && u.Disabled {
			fail = ErrDisabled
			return nil
		}
		if fail != nil {
			u.Failures++
			if u.Failures >= s.o.MaxFailures {
				u.Failures, u.LockedUntil, locked = 0, now.Add(s.o.Lockout), true
			}
			return nil
		}
		u.Failures, u.LockedUntil = 0, time.Time{}
		return nil
	})
	if errors.Is(err, ErrSealed) { // the password was right; the second factor cannot be read
		return "", Identity{}, errors.Join(err, s.record(ctx, a, "login", u.Username, "totp_unreadable", ""))
	}
	if err != nil {
		return "", Identity{}, err
	}
	if fail != nil {
		result := map[error]string{ErrLocked: "locked", ErrBadCredentials: "bad_credentials", ErrTOTPRequired: "totp_required",
			ErrTOTPInvalid: "bad_totp", ErrDisabled: "disabled"}[fail]
		rerr := s.record(ctx, a, "login", u.Username, result, "")
		if locked {
			rerr = errors.Join(rerr, s.record(ctx, a, "user.lock", u.Username, audit.OK,
				fmt.Sprintf("%d failures: locked until %s", s.o.MaxFailures, u.LockedUntil.UTC().Format(time.RFC3339))))
		}
		return "", Identity{}, errors.Join(fail, rerr)
	}
	token = "cys_" + store.NewToken()
	expires := now.Add(s.o.Max)
	if err := s.st.AddSession(ctx, token, u.ID, expires, remote); err != nil {
		return "", Identity{}, err
	}
	if err := s.record(ctx, a, "login", u.Username, audit.OK, ""); err != nil {
		return "", Identity{}, err
	}
	return token, identity(u, expires), nil
}

// Session returns the identity of token's session: ErrSession when it is
// unknown, revoked, past its end or idle too long, or its user is
// disabled.
func (s *Service) Session(ctx context.Context, token string) (Identity, error) {
	if !strings.HasPrefix(token, "cys_") {
		return Identity{}, ErrSession
	}
	sess, err := s.st.SessionOf(ctx, token)
	if errors.Is(err, store.ErrUnauthorized) {
		return Identity{}, ErrSession
	} else if err != nil {
		return Identity{}, err
	}
	now := s.now()
	if sess.Revoked || sess.User.Disabled || !now.Before(sess.Expires) || now.Sub(sess.LastSeen) >= s.o.Idle {
		return Identity{}, ErrSession
	}
	if now.Sub(sess.LastSeen) >= touchEvery {
		if err := s.st.TouchSession(ctx, token, now); err != nil {
			return Identity{}, err
		}
	}
	end := now.Add(s.o.Idle)
	if sess.Expires.Before(end) {
		end = sess.Expires
	}
	return identity(sess.User, end), nil
}

// Logout revokes token's session.
func (s *Service) Logout(ctx context.Context, id Identity, token, remote string) error {
	if err := s.st.RevokeSession(ctx, token); err != nil {
		return err
	}
	return s.record(ctx, id.Actor(remote), "logout", id.Username, audit.OK, "")
}
