package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cunyou/hub/audit"
	"cunyou/hub/store"
	"cunyou/passwd"
)

// The users' administration (the admin's, by `cunyou-hub user`): each
// change is audited with its actor.

// AddUser creates a user with a role (and a carrier for a carrier
// viewer, only for one) and a password under the policy.
func (s *Service) AddUser(ctx context.Context, a Actor, username, role, carrier, password string) (store.User, error) {
	name, err := NormalizeUsername(username)
	if err != nil {
		return store.User{}, err
	}
	if !ValidRole(role) {
		return store.User{}, fmt.Errorf("%w: role %q: use one of %v", ErrInvalid, role, Roles)
	}
	if (role == Carrier) != (carrier != "") {
		return store.User{}, fmt.Errorf("%w: a carrier viewer, and only one, names its carrier", ErrInvalid)
	}
	if err := passwd.Check(password); err != nil {
		return store.User{}, err
	}
	u, err := s.st.AddUser(ctx, store.User{Username: name, Role: role, Carrier: carrier, PasswordHash: passwd.Hash(password)})
	if err != nil {
		return store.User{}, err
	}
	detail := "role " + role
	if carrier != "" {
		detail += ", carrier " + carrier
	}
	return u, s.record(ctx, a, "user.add", name, audit.OK, detail)
}

// storedName is username as AddUser stored it (trimmed, lower case), so
// that `user disable --username Wang` finds the user "wang" that
// `user add --username Wang` made.
func storedName(username string) string { return strings.ToLower(strings.TrimSpace(username)) }

// Users returns every user, by name.
func (s *Service) Users(ctx context.Context) ([]store.User, error) { return s.st.Users(ctx) }

// SetDisabled disables (and signs out) or enables a user.
func (s *Service) SetDisabled(ctx context.Context, a Actor, username string, disabled bool) error {
	u, err := s.st.UpdateUser(ctx, storedName(username), func(u *store.User) error {
		u.Disabled = disabled
		return nil
	})
	if err != nil {
		return err
	}
	action := "user.enable"
	if disabled {
		action = "user.disable"
		if _, err := s.st.RevokeSessions(ctx, u.ID); err != nil {
			return err
		}
	}
	return s.record(ctx, a, action, u.Username, audit.OK, "")
}

// ResetPassword sets a new password, lifts a lockout and ends the user's
// sessions.
func (s *Service) ResetPassword(ctx context.Context, a Actor, username, password string) error {
	if err := passwd.Check(password); err != nil {
		return err
	}
	h := passwd.Hash(password)
	u, err := s.st.UpdateUser(ctx, storedName(username), func(u *store.User) error {
		u.PasswordHash, u.Failures, u.LockedUntil = h, 0, time.Time{}
		return nil
	})
	if err != nil {
		return err
	}
	if _, err := s.st.RevokeSessions(ctx, u.ID); err != nil {
		return err
	}
	return s.record(ctx, a, "user.reset_password", u.Username, audit.OK, "")
}

// Revoke ends every open session of a user and returns how many.
func (s *Service) Revoke(ctx context.Context, a Actor, username string) (int, error) {
	u, err := s.st.User(ctx, storedName(username))
	if err != nil {
		return 0, err
	}
	n, err := s.st.RevokeSessions(ctx, u.ID)
	if err != nil {
		return 0, err
	}
	return n, s.record(ctx, a, "user.revoke", u.Username, audit.OK, strconv.Itoa(n)+" sessions")
}

// EnrolTOTP gives a user a new second-factor secret (replacing any
// earlier one), kept sealed with the service's key, and returns it with
// its otpauth:// URI, to show once.
func (s *Service) EnrolTOTP(ctx context.Context, a Actor, username string) (secret, uri string, err error) {
	secret = NewTOTPSecret()
	u, err := s.st.UpdateUser(ctx, storedName(username), func(u *store.User) error {
		sealed, err := seal(s.o.Key, u.Username, secret)
		if err != nil {
			return err
		}
		u.TOTPSecret, u.TOTPStep = sealed, 0
		return nil
	})
	if err != nil {
		return "", "", err
	}
	if err := s.record(ctx, a, "user.totp", u.Username, audit.OK, "second factor enrolled"); err != nil {
		return "", "", err
	}
	return secret, TOTPURI(Issuer, u.Username, secret), nil
}

// SetRole gives a user another role (and, for a carrier viewer, its
// carrier). It takes effect on the user's next request: a session reads
// its user's role each time.
func (s *Service) SetRole(ctx context.Context, a Actor, username, role, carrier string) error {
	if !ValidRole(role) {
		return fmt.Errorf("%w: role %q: use one of %v", ErrInvalid, role, Roles)
	}
	if (role == Carrier) != (carrier != "") {
		return fmt.Errorf("%w: a carrier viewer, and only one, names its carrier", ErrInvalid)
	}
	var was string
	u, err := s.st.UpdateUser(ctx, storedName(username), func(u *store.User) error {
		was = u.Role
		u.Role, u.Carrier = role, carrier
		return nil
	})
	if err != nil {
		return err
	}
	detail := "role " + was + " → " + role
	if carrier != "" {
		detail += ", carrier " + carrier
	}
	return s.record(ctx, a, "user.role", u.Username, audit.OK, detail)
}

// RemoveTOTP removes a user's second factor (a lost phone): the next
// sign-in needs the password only, until one is enrolled again.
func (s *Service) RemoveTOTP(ctx context.Context, a Actor, username string) error {
	u, err := s.st.UpdateUser(ctx, storedName(username), func(u *store.User) error {
		u.TOTPSecret, u.TOTPStep = "", 0
		return nil
	})
	if err != nil {
		return err
	}
	return s.record(ctx, a, "user.totp_remove", u.Username, audit.OK, "second factor removed")
}

// ChangePassword is a signed-in user's change of their own password: the
// current one must be right (a wrong one counts toward the lockout as at
// sign-in), the new one meet the policy and differ. The user's other
// sessions end; the one asking (token) stays.
func (s *Service) ChangePassword(ctx context.Context, id Identity, token, current, next, remote string) error {
	a := id.Actor(remote)
	if err := passwd.Check(next); err != nil {
		return err
	}
	if current == next {
		return fmt.Errorf("%w: the new password is the current one", ErrInvalid)
	}
	u, err := s.st.User(ctx, id.Username)
	if err != nil {
		return err
	}
	now := s.now()
	if now.Before(u.LockedUntil) {
		return errors.Join(ErrLocked, s.record(ctx, a, "user.password", u.Username, "locked", ""))
	}
	checked, good := u.PasswordHash, passwd.Verify(u.PasswordHash, current)
	h := ""
	if good {
		h = passwd.Hash(next)
	}
	var fail error
	locked := false
	u, err = s.st.UpdateUser(ctx, u.Username, func(u *store.User) error {
		if u.PasswordHash != checked {
			checked, good = u.PasswordHash, passwd.Verify(u.PasswordHash, current)
			if good {
				h = passwd.Hash(next)
			}
		}
		if !good {
			fail = ErrBadCredentials
			u.Failures++
			if u.Failures >= s.o.MaxFailures {
				u.Failures, u.LockedUntil, locked = 0, now.Add(s.o.Lockout), true
			}
			return nil
		}
		u.PasswordHash, u.Failures = h, 0
		return nil
	})
	if err != nil {
		return err
	}
	if fail != nil {
		rerr := s.record(ctx, a, "user.password", u.Username, "bad_credentials", "")
		if locked {
			rerr = errors.Join(rerr, s.record(ctx, a, "user.lock", u.Username, audit.OK,
				fmt.Sprintf("%d failures: locked until %s", s.o.MaxFailures, u.LockedUntil.UTC().Format(time.RFC3339))))
		}
		return errors.Join(fail, rerr)
	}
	if _, err := s.st.RevokeOtherSessions(ctx, u.ID, token); err != nil {
		return err
	}
	return s.record(ctx, a, "user.password", u.Username, audit.OK, "changed by the user; other sessions ended")
}
