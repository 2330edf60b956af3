package station

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"cunyou/edge/store"
	"cunyou/passwd"
	"cunyou/syncproto"
)

// Roles.
const (
	RoleOwner = "owner" // runs the station: operators, shelves, settings, plus everything a clerk does
	RoleClerk = "clerk" // daily work: inbound, pickup, send, problems, returns, stocktake, day close
)

// Lockout policy (DESIGN §6).
const (
	MaxFailures   = 5
	LockoutPeriod = 15 * time.Minute
	SessionTTL    = 12 * time.Hour
)

// Operator is a station account.
type Operator struct {
	ID          int64      `json:"id"`
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	Role        string     `json:"role"`
	SecretKind  string     `json:"secret_kind"` // password | pin
	Disabled    bool       `json:"disabled"`
	LockedUntil *time.Time `json:"locked_until,omitempty"`
}

// OperatorInput creates or changes an operator. Secret is a password (at
// least 8 characters of three classes) or a 6-digit PIN.
type OperatorInput struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	SecretKind  string `json:"secret_kind"`
	Secret      string `json:"secret"`
}

var usernameRe = regexp.MustCompile(`^[a-z0-9_.-]{2,32}$`)

func checkSecret(kind, secret string) error {
	switch kind {
	case "pin":
		if len(secret) != 6 || strings.Trim(secret, "0123456789") != "" {
			return fail(CodePINInvalid)
		}
	case "password":
		if passwd.Check(secret) != nil {
			return fail(CodePasswordWeak)
		}
	default:
		return fail(CodeBadRequest, "field", "secret_kind")
	}
	return nil
}

// dummyHash is checked against when a name is unknown, so that a login
// costs the same whether or not the name exists.
var dummyHash = sync.OnceValue(func() string { return HashSecret("cunyou: no such operator") })

// HashSecret returns the argon2id PHC string of secret.
func HashSecret(secret string) string {
	return passwd.Hash(secret)
}

// verifySecret checks secret against a PHC string from HashSecret, using
// the parameters recorded in it.
func verifySecret(phc, secret string) bool {
	return passwd.Verify(phc, secret)
}

// AddOperator creates an account. The first account of a station must be
// an owner; after that only an owner may add accounts (checked by the
// caller's role at the API).
func (s *Station) AddOperator(ctx context.Context, actor string, in OperatorInput) (Operator, error) {
	return s.addOperator(ctx, actor, in, false)
}

// SetupOwner creates the first owner of a new station, and is refused with
// CodeForbidden once any account exists: the check and the insert share one
// transaction, so two setups at once cannot both succeed.
func (s *Station) SetupOwner(ctx context.Context, in OperatorInput) (Operator, error) {
	in.Role = RoleOwner
	return s.addOperator(ctx, "setup", in, true)
}

func (s *Station) addOperator(ctx context.Context, actor string, in OperatorInput, firstOnly bool) (Operator, error) {
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if !usernameRe.MatchString(in.Username) {
		return Operator{}, fail(CodeUsernameInvalid)
	}
	if in.Role != RoleOwner && in.Role != RoleClerk {
		return Operator{}, fail(CodeRoleInvalid)
	}
	if in.DisplayName == "" {
		in.DisplayName = in.Username
	}
	if err := checkSecret(in.SecretKind, in.Secret); err != nil {
		return Operator{}, err
	}
	phc := HashSecret(in.Secret)
	var op Operator
	err := s.st.Write(ctx, actor, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM operators WHERE username = ?", in.Username).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fail(CodeUsernameTaken, "username", in.Username)
		}
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM operators").Scan(&n); err != nil {
			return err
		}
		if n == 0 && in.Role != RoleOwner {
			return fail(CodeLastOwner)
		}
		if n > 0 && firstOnly {
			return fail(CodeForbidden)
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO operators (username, display_name, role, secret_kind, secret, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, in.Username, in.DisplayName, in.Role, in.SecretKind, phc, tx.Now().UnixMilli())
		if err != nil {
			return err
		}
		id, _ := r.LastInsertId()
		op = Operator{ID: id, Username: in.Username, DisplayName: in.DisplayName, Role: in.Role, SecretKind: in.SecretKind}
		_, err = tx.Append(syncproto.KindOperatorChanged, syncproto.OperatorChanged{Username: in.Username,
			DisplayName: in.DisplayName, Role: in.Role, Created: true, SecretChanged: true})
		return err
	})
	return op, err
}

const operatorCols = "id, username, display_name, role, secret_kind, disabled, locked_until"

func scanOperator(r scanner, now time.Time) (Operator, error) {
	var o Operator
	var disabled int
	var locked int64
	if err := r.Scan(&o.ID, &o.Username, &o.DisplayName, &o.Role, &o.SecretKind, &disabled, &locked); err != nil {
		return o, err
	}
	o.Disabled = disabled != 0
	if locked > now.UnixMilli() {
		t := time.UnixMilli(locked)
		o.LockedUntil = &t
	}
	return o, nil
}

// Operators lists the station's accounts.
func (s *Station) Operators(ctx context.Context) ([]Operator, error) {
	rows, err := s.st.DB().QueryContext(ctx, "SELECT "+operatorCols+" FROM operators ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Operator
	for rows.Next() {
		o, err := scanOperator(rows, s.st.Now())
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// OperatorChange changes an account; nil fields stay as they are.
type OperatorChange struct {
	DisplayName *string `json:"display_name,omitempty"`
	Role        *string `json:"role,omitempty"`
	Disabled    *bool   `json:"disabled,omitempty"`
	SecretKind  *string `json:"secret_kind,omitempty"`
	Secret      *string `json:"secret,omitempty"`
	Unlock      bool    `json:"unlock,omitempty"`
}

// ChangeOperator applies a change. The station always keeps one enabled
// owner.
func (s *Station) ChangeOperator(ctx context.Context, actor, username string, ch OperatorChange) (Operator, error) {
	var phc string
	if ch.Secret != nil {
		if ch.SecretKind == nil {
			var kind string
			err := s.st.DB().QueryRowContext(ctx, "SELECT secret_kind FROM operators WHERE username = ?", username).Scan(&kind)
			if errors.Is(err, sql.ErrNoRows) {
				return Operator{}, fail(CodeOperatorNotFound, "username", username)
			}
			if err != nil {
				return Operator{}, err
			}
			ch.SecretKind = &kind // a new PIN for a PIN account, a password for a password account
		}
		if err := checkSecret(*ch.SecretKind, *ch.Secret); err != nil {
			return Operator{}, err
		}
		phc = HashSecret(*ch.Secret)
	}
	if ch.Role != nil && *ch.Role != RoleOwner && *ch.Role != RoleClerk {
		return Operator{}, fail(CodeRoleInvalid)
	}
	var o Operator
	err := s.st.Write(ctx, actor, func(tx *store.Tx) error {
		cur, err := scanOperator(tx.QueryRowContext(ctx, "SELECT "+operatorCols+" FROM operators WHERE username = ?", username), tx.Now())
		if errors.Is(err, sql.ErrNoRows) {
			return fail(CodeOperatorNotFound, "username", username)
		}
		if err != nil {
			return err
		}
		o = cur
		if ch.DisplayName != nil && strings.TrimSpace(*ch.DisplayName) != "" {
			o.DisplayName = strings.TrimSpace(*ch.DisplayName)
		}
		if ch.Role != nil {
			o.Role = *ch.Role
		}
		if ch.Disabled != nil {
			o.Disabled = *ch.Disabled
		}
		if cur.Role == RoleOwner && !cur.Disabled && (o.Role != RoleOwner || o.Disabled) {
			var owners int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM operators WHERE role = 'owner' AND disabled = 0").Scan(&owners); err != nil {
				return err
			}
			if owners <= 1 {
				return fail(CodeLastOwner)
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE operators SET display_name = ?, role = ?, disabled = ? WHERE id = ?",
			o.DisplayName, o.Role, o.Disabled, o.ID); err != nil {
			return err
		}
		if phc != "" {
			o.SecretKind = *ch.SecretKind
			if _, err := tx.ExecContext(ctx, "UPDATE operators SET secret = ?, secret_kind = ? WHERE id = ?", phc, o.SecretKind, o.ID); err != nil {
				return err
			}
		}
		if ch.Unlock || phc != "" {
			o.LockedUntil = nil
			if _, err := tx.ExecContext(ctx, "UPDATE operators SET failed = 0, locked_until = 0 WHERE id = ?", o.ID); err != nil {
				return err
			}
		}
		if o.Disabled || phc != "" {
			if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE operator_id = ?", o.ID); err != nil {
				return err
			}
		}
		_, err = tx.Append(syncproto.KindOperatorChanged, syncproto.OperatorChanged{Username: o.Username, DisplayName: o.DisplayName,
			Role: o.Role, Disabled: o.Disabled, SecretChanged: phc != "", Unlocked: ch.Unlock})
		return err
	})
	return o, err
}

// Session is a logged-in operator.
type Session struct {
	Token    string    `json:"token"`
	Operator Operator  `json:"operator"`
	Expires  time.Time `json:"expires"`
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Login checks a username and secret. After MaxFailures wrong secrets in a
// row the account is locked for LockoutPeriod; every attempt is logged.
func (s *Station) Login(ctx context.Context, username, secret string) (Session, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	var sess Session
	var loginErr error
	err := s.st.Write(ctx, username, func(tx *store.Tx) error {
		now := tx.Now()
		logAuth := func(event string) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO auth_log (at, username, event) VALUES (?, ?, ?)", now.UnixMilli(), username, event)
			return err
		}
		// Known and unknown names take the same path: same count-down, same
		// lockout, one argon2 check each, the disabled state told only to
		// whoever knows the secret. Answers never reveal which names exist.
		var (
			phc         string
			failed      int
			lockedUntil int64
		)
		o, err := scanOperator(tx.QueryRowContext(ctx, "SELECT "+operatorCols+" FROM operators WHERE username = ?", username), now)
		known := err == nil
		switch {
		case known:
			err = tx.QueryRowContext(ctx, "SELECT secret, failed, locked_until FROM operators WHERE id = ?", o.ID).Scan(&phc, &failed, &lockedUntil)
		case errors.Is(err, sql.ErrNoRows):
			phc = dummyHash()
			err = tx.QueryRowContext(ctx, "SELECT failed, locked_until FROM login_failures WHERE username = ?", username).Scan(&failed, &lockedUntil)
			if errors.Is(err, sql.ErrNoRows) {
				err = nil
			}
		}
		if err != nil {
			return err
		}
		if lockedUntil > now.UnixMilli() {
			loginErr = fail(CodeAccountLocked, "until", time.UnixMilli(lockedUntil).In(s.loc).Format("15:04"))
			return logAuth("locked")
		}
		if !verifySecret(phc, secret) || !known {
			failed++
			lockedUntil = 0
			if failed >= MaxFailures {
				until := now.Add(LockoutPeriod)
				lockedUntil, failed = until.UnixMilli(), 0
				loginErr = fail(CodeAccountLocked, "until", until.In(s.loc).Format("15:04"))
			} else {
				loginErr = fail(CodeLoginFailed, "left", strconv.Itoa(MaxFailures-failed))
			}
			q := "UPDATE operators SET failed = ?, locked_until = ? WHERE username = ?"
			if !known {
				q = `INSERT INTO login_failures (failed, locked_until, username) VALUES (?, ?, ?)
					ON CONFLICT (username) DO UPDATE SET failed = excluded.failed, locked_until = excluded.locked_until`
			}
			if _, err := tx.ExecContext(ctx, q, failed, lockedUntil, username); err != nil {
				return err
			}
			switch {
			case lockedUntil != 0:
				return logAuth("lockout")
			case !known:
				return logAuth("unknown_user")
			}
			return logAuth("bad_secret")
		}
		if o.Disabled {
			loginErr = fail(CodeAccountDisabled)
			return logAuth("disabled")
		}
		var raw [32]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return err
		}
		sess = Session{Token: base64.RawURLEncoding.EncodeToString(raw[:]), Operator: o, Expires: now.Add(SessionTTL)}
		if _, err := tx.ExecContext(ctx, "UPDATE operators SET failed = 0 WHERE id = ?", o.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at < ?", now.UnixMilli()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO sessions (token_hash, operator_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
			tokenHash(sess.Token), o.ID, now.UnixMilli(), sess.Expires.UnixMilli()); err != nil {
			return err
		}
		return logAuth("login")
	})
	if err != nil {
		return sess, err
	}
	return sess, loginErr
}

// Authenticate returns the operator of a live session.
func (s *Station) Authenticate(ctx context.Context, token string) (Operator, error) {
	o, err := scanOperator(s.st.DB().QueryRowContext(ctx, "SELECT o."+strings.ReplaceAll(operatorCols, ", ", ", o.")+
		` FROM sessions s JOIN operators o ON o.id = s.operator_id WHERE s.token_hash = ? AND s.expires_at > ? AND o.disabled = 0`,
		tokenHash(token), s.st.Now().UnixMilli()), s.st.Now())
	if errors.Is(err, sql.ErrNoRows) {
		return o, fail(CodeUnauthorized)
	}
	return o, err
}

// Logout ends a session.
func (s *Station) Logout(ctx context.Context, token string) error {
	return s.st.Write(ctx, "", func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE token_hash = ?", tokenHash(token))
		return err
	})
}
