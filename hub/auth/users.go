package auth

import (
	"context"
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
// earlier one) and returns it with its otpauth:// URI, to show once.
func (s *Service) EnrolTOTP(ctx context.Context, a Actor, username string) (secret, uri string, err error) {
	secret = NewTOTPSecret()
	u, err := s.st.UpdateUser(ctx, storedName(username), func(u *store.User) error {
		u.TOTPSecret, u.TOTPStep = secret, 0
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
