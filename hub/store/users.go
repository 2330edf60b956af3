package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The console's people (hub/auth decides; the store keeps): users and
// their sessions. A session token is kept only as its SHA-256.

// User is a console account. PasswordHash and TOTPSecret never leave the
// hub.
type User struct {
	ID              int64
	Username        string
	Role            string
	Carrier         string // a carrier viewer's carrier
	PasswordHash    string
	TOTPSecret      string // base32; "" when no second factor is enrolled
	TOTPStep        int64  // the last time step accepted
	Disabled        bool
	Failures        int
	LockedUntil     time.Time // zero when not locked
	Created         time.Time
	PasswordChanged time.Time
}

const userSelect = `SELECT id, username, role, carrier, password_hash, totp_secret, totp_step, disabled, failures,
	locked_until_ms, created_ms, password_changed_ms FROM users`

func scanUser(r scanner) (User, error) {
	var u User
	var locked, created, changed int64
	err := r.Scan(&u.ID, &u.Username, &u.Role, &u.Carrier, &u.PasswordHash, &u.TOTPSecret, &u.TOTPStep, &u.Disabled,
		&u.Failures, &locked, &created, &changed)
	if locked > 0 {
		u.LockedUntil = time.UnixMilli(locked)
	}
	u.Created, u.PasswordChanged = time.UnixMilli(created), time.UnixMilli(changed)
	return u, err
}

// AddUser creates u (its name checked and lower-cased by the caller);
// ErrExists when the name is taken, ErrInvalid when its carrier is
// unknown.
func (s *Store) AddUser(ctx context.Context, u User) (User, error) {
	now := s.now()
	err := s.Write(ctx, func(tx *sql.Tx) error {
		var one int
		if u.Carrier != "" {
			if err := tx.QueryRowContext(ctx, "SELECT 1 FROM carriers WHERE code = ?", u.Carrier).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%w: carrier %s: no such carrier", ErrInvalid, u.Carrier)
			} else if err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, "SELECT 1 FROM users WHERE username = ?", u.Username).Scan(&one); err == nil {
			return fmt.Errorf("%w: user %s", ErrExists, u.Username)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO users (username, role, carrier, password_hash, created_ms, password_changed_ms)
			VALUES (?, ?, ?, ?, ?, ?)`, u.Username, u.Role, u.Carrier, u.PasswordHash, now.UnixMilli(), now.UnixMilli())
		if err != nil {
			return err
		}
		u.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return User{}, err
	}
	return s.User(ctx, u.Username)
}

// User returns the user called name, or ErrNotFound.
func (s *Store) User(ctx context.Context, name string) (User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, userSelect+" WHERE username = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("%w: user %s", ErrNotFound, name)
	}
	return u, classify(err)
}

// Users returns every user, by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	return queryAll(ctx, s, "users", scanUser, userSelect+" ORDER BY username")
}

// ErrLastAdmin: the change would leave the hub without an enabled admin.
var ErrLastAdmin = errors.New("store: the last enabled admin cannot be disabled or given another role")

// UpdateUser reads the user called name, lets change alter it and writes
// the fields it may change (role and carrier, password, second factor,
// disabled, failures, lockout), all in one transaction; ErrNotFound when
// there is none, ErrInvalid when a new carrier is unknown, ErrLastAdmin
// when it would leave no enabled admin. An error from change writes
// nothing and is returned with the user as read.
func (s *Store) UpdateUser(ctx context.Context, name string, change func(u *User) error) (User, error) {
	var u User
	err := s.Write(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, userSelect+" WHERE username = ?", name))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: user %s", ErrNotFound, name)
		} else if err != nil {
			return err
		}
		before := u
		if err := change(&u); err != nil {
			return err
		}
		if u.PasswordHash != before.PasswordHash {
			u.PasswordChanged = s.now()
		}
		if u.Carrier != before.Carrier && u.Carrier != "" {
			var one int
			if err := tx.QueryRowContext(ctx, "SELECT 1 FROM carriers WHERE code = ?", u.Carrier).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%w: carrier %s: no such carrier", ErrInvalid, u.Carrier)
			} else if err != nil {
				return err
			}
		}
		if before.Role == "admin" && !before.Disabled && (u.Role != "admin" || u.Disabled) {
			var others int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id <> ?",
				u.ID).Scan(&others); err != nil {
				return err
			}
			if others == 0 {
				return ErrLastAdmin
			}
		}
		var locked int64
		if !u.LockedUntil.IsZero() {
			locked = u.LockedUntil.UnixMilli()
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET role = ?, carrier = ?, password_hash = ?, totp_secret = ?, totp_step = ?,
			disabled = ?, failures = ?, locked_until_ms = ?, password_changed_ms = ? WHERE id = ?`,
			u.Role, u.Carrier, u.PasswordHash, u.TOTPSecret, u.TOTPStep, u.Disabled, u.Failures, locked,
			u.PasswordChanged.UnixMilli(), u.ID)
		return err
	})
	return u, err
}

// Session is a console login.
type Session struct {
	User     User
	Created  time.Time
	LastSeen time.Time
	Expires  time.Time // the absolute end
	Remote   string
	Revoked  bool
}

// AddSession records a session of user id for token (kept as its
// SHA-256), ending at expires at the latest.
func (s *Store) AddSession(ctx context.Context, token string, userID int64, expires time.Time, remote string) error {
	now := s.now().UnixMilli()
	return s.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_ms, last_seen_ms, expires_ms, remote)
			VALUES (?, ?, ?, ?, ?, ?)`, hashSecret(token), userID, now, now, expires.UnixMilli(), remote)
		return err
	})
}

// SessionOf returns the session of token with its user, or
// ErrUnauthorized when there is none (expiry and revocation are the
// caller's to judge).
func (s *Store) SessionOf(ctx context.Context, token string) (Session, error) {
	var sess Session
	var created, seen, expires, revoked int64
	row := s.r.QueryRowContext(ctx, `SELECT created_ms, last_seen_ms, expires_ms, remote, revoked_ms, user_id
		FROM sessions WHERE token_hash = ?`, hashSecret(token))
	var uid int64
	err := row.Scan(&created, &seen, &expires, &sess.Remote, &revoked, &uid)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrUnauthorized
	} else if err != nil {
		return Session{}, fmt.Errorf("read session: %w", classify(err))
	}
	sess.User, err = scanUser(s.r.QueryRowContext(ctx, userSelect+" WHERE id = ?", uid))
	if err != nil {
		return Session{}, fmt.Errorf("read session's user: %w", classify(err))
	}
	sess.Created, sess.LastSeen, sess.Expires = time.UnixMilli(created), time.UnixMilli(seen), time.UnixMilli(expires)
	sess.Revoked = revoked != 0
	return sess, nil
}

// TouchSession records that token's session was used at.
func (s *Store) TouchSession(ctx context.Context, token string, at time.Time) error {
	return s.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE sessions SET last_seen_ms = ? WHERE token_hash = ?", at.UnixMilli(), hashSecret(token))
		return err
	})
}

// RevokeSession ends token's session.
func (s *Store) RevokeSession(ctx context.Context, token string) error {
	return s.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE sessions SET revoked_ms = ? WHERE token_hash = ? AND revoked_ms = 0",
			s.now().UnixMilli(), hashSecret(token))
		return err
	})
}

// RevokeSessions ends every open session of user id and returns how many
// it ended; sessions past their end are dropped.
func (s *Store) RevokeSessions(ctx context.Context, userID int64) (int, error) {
	return s.revokeSessions(ctx, userID, "")
}

// RevokeOtherSessions is RevokeSessions but for token's session, which
// stays (a user who changed their password keeps the console they did
// it in).
func (s *Store) RevokeOtherSessions(ctx context.Context, userID int64, token string) (int, error) {
	return s.revokeSessions(ctx, userID, hashSecret(token))
}

func (s *Store) revokeSessions(ctx context.Context, userID int64, keep string) (int, error) {
	var n int64
	now := s.now().UnixMilli()
	err := s.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_ms = ?
			WHERE user_id = ? AND revoked_ms = 0 AND expires_ms > ? AND token_hash <> ?`, now, userID, now, keep)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ? AND expires_ms <= ?", userID, now)
		return err
	})
	return int(n), err
}
