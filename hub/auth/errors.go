package auth

import (
	"errors"

	"cunyou/passwd"
)

var (
	// ErrBadCredentials: the name is unknown or the password is wrong
	// (which of the two is not said).
	ErrBadCredentials = errors.New("auth: wrong user name or password")
	// ErrLocked: too many wrong passwords; the account is locked for a
	// while.
	ErrLocked = errors.New("auth: account locked after repeated failures")
	// ErrDisabled: the account is disabled.
	ErrDisabled = errors.New("auth: account disabled")
	// ErrTOTPRequired: the account has a second factor and no code came.
	ErrTOTPRequired = errors.New("auth: a one-time code is required")
	// ErrTOTPInvalid: the one-time code is wrong, old or used.
	ErrTOTPInvalid = errors.New("auth: wrong one-time code")
	// ErrSession: the session token is unknown, expired or revoked.
	ErrSession = errors.New("auth: unknown, expired or revoked session")
	// ErrInvalid: a user name or role breaks a rule.
	ErrInvalid = errors.New("auth: invalid")
	// ErrWeakPassword: the password breaks the policy.
	ErrWeakPassword = passwd.ErrWeak
)
