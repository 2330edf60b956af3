package openapi

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"cunyou/hub/auth"
	"cunyou/hub/store"
	"cunyou/passwd"
)

// The console's people, for the admin: every user with their role and
// state, and what each role may do (hub/auth's one table). Users are
// added and changed here or with the cunyou-hub user commands.

// UserInfo is one console user; never a password hash or TOTP secret.
type UserInfo struct {
	Username        string    `json:"username"`
	Role            string    `json:"role"`
	Carrier         string    `json:"carrier,omitempty"`
	TOTP            bool      `json:"totp"` // a second factor is enrolled
	Disabled        bool      `json:"disabled"`
	LockedUntil     time.Time `json:"locked_until,omitzero"`
	Created         time.Time `json:"created"`
	PasswordChanged time.Time `json:"password_changed,omitzero"`
}

// RoleInfo is a role and its permissions.
type RoleInfo struct {
	Role        string            `json:"role"`
	Permissions []auth.Permission `json:"permissions"`
}

// UserList is GET /users.
type UserList struct {
	Users []UserInfo `json:"users"`
	Roles []RoleInfo `json:"roles"`
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	if s.o.Auth == nil {
		s.writeProblem(w, r, problem(CodeUnavailable, "this hub has no console users"))
		return
	}
	us, err := s.o.Auth.Users(r.Context())
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	now := s.now()
	out := UserList{Users: []UserInfo{}, Roles: []RoleInfo{}}
	for _, u := range us {
		v := UserInfo{Username: u.Username, Role: u.Role, Carrier: u.Carrier, TOTP: u.TOTPSecret != "", Disabled: u.Disabled,
			Created: u.Created.In(s.loc), PasswordChanged: u.PasswordChanged.In(s.loc)}
		if u.LockedUntil.After(now) {
			v.LockedUntil = u.LockedUntil.In(s.loc)
		}
		out.Users = append(out.Users, v)
	}
	for _, role := range auth.Roles {
		out.Roles = append(out.Roles, RoleInfo{Role: role, Permissions: auth.PermissionsOf(role)})
	}
	s.write(w, ok(http.StatusOK, out))
}

// The admin's changes to users (POST /users, PATCH /users/{username}, a
// new password, the end of their sessions, a second factor) and a user's
// change of their own password. The auth service audits each change that
// succeeds, with its detail; the audited middleware records only the
// refused and failed ones of these routes (serviceAudited).

// serviceAudited are the routes whose successful changes hub/auth writes
// to the audit log itself.
var serviceAudited = map[string]bool{
	"POST /api/v1/users":                     true,
	"PATCH /api/v1/users/{username}":         true,
	"POST /api/v1/users/{username}/password": true,
	"POST /api/v1/users/{username}/revoke":   true,
	"PUT /api/v1/users/{username}/totp":      true,
	"DELETE /api/v1/users/{username}/totp":   true,
	"PUT /api/v1/me/password":                true,
}

// Codes of the users' routes.
const (
	CodeUserExists    = "user_exists"    // POST /users: the name is taken
	CodeLastAdmin     = "last_admin"     // the change would leave no enabled admin
	CodeWeakPassword  = "weak_password"  // under the policy: 8 characters of three classes
	CodeWrongPassword = "wrong_password" // PUT /me/password: the current password is wrong
	// CodeTOTPUnreadable: sign-in: the account's sealed second factor does
	// not open with the hub's console.key (replaced or lost).
	CodeTOTPUnreadable = "totp_unreadable"
)

func init() {
	problems[CodeUserExists] = problemKind{http.StatusConflict, "User exists"}
	problems[CodeLastAdmin] = problemKind{http.StatusConflict, "Last admin"}
	problems[CodeWeakPassword] = problemKind{http.StatusUnprocessableEntity, "Weak password"}
	problems[CodeWrongPassword] = problemKind{http.StatusForbidden, "Wrong password"}
	problems[CodeTOTPUnreadable] = problemKind{http.StatusConflict, "Second factor unreadable"}
}

// userProblem maps hub/auth's and the store's errors about users.
func userProblem(err error) error {
	switch {
	case errors.Is(err, store.ErrExists):
		return problem(CodeUserExists, "%s: choose another user name", plain(err))
	case errors.Is(err, store.ErrLastAdmin):
		return problem(CodeLastAdmin, "the hub needs an enabled admin: make another user admin first")
	case errors.Is(err, auth.ErrWeakPassword):
		return problem(CodeWeakPassword, "at least %d characters of %d classes (upper case, lower case, digits, other)",
			passwd.MinLength, passwd.MinClasses)
	case errors.Is(err, auth.ErrInvalid):
		return problem(CodeInvalid, "%s", strings.TrimPrefix(err.Error(), "auth: invalid: "))
	case errors.Is(err, auth.ErrBadCredentials):
		return problem(CodeWrongPassword, "the current password is wrong")
	case errors.Is(err, auth.ErrLocked):
		return problem(CodeAccountLocked, "locked after repeated wrong passwords: wait, or ask the admin to reset the password")
	case errors.Is(err, auth.ErrNoKey):
		return problem(CodeUnavailable, "this hub has no key to seal second factors")
	}
	return err
}

// NewUser is the body of POST /users.
type NewUser struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Carrier  string `json:"carrier,omitempty"` // a carrier viewer's carrier
	// Password is the first password; when empty the hub makes one.
	Password string `json:"password,omitempty"`
}

// UserPatch is the body of PATCH /users/{username}: what to change.
type UserPatch struct {
	Role     *string `json:"role,omitempty"`
	Carrier  *string `json:"carrier,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// NewPassword answers POST /users and POST /users/{username}/password: the
// password the hub made, shown once (absent when the admin chose it).
type NewPassword struct {
	User     UserInfo `json:"user"`
	Password string   `json:"password,omitempty"`
}

// TOTPEnrolment answers PUT /users/{username}/totp, shown once.
type TOTPEnrolment struct {
	Username string `json:"username"`
	Secret   string `json:"secret"` // base32, to type into an authenticator app
	URI      string `json:"uri"`    // otpauth://, for a QR code
}

// PasswordChange is the body of PUT /me/password.
type PasswordChange struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// userBody reads a small JSON body into v.
func userBody(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<10))
	if err != nil {
		return problem(CodeBadRequest, "read the body: %v", err)
	}
	return decodeJSON(body, v)
}

// userChange runs an admin's change to users: the auth service there, the
// actor the caller.
func (s *Server) userChange(w http.ResponseWriter, r *http.Request, body any, run func(auth.Actor) (any, error)) {
	if s.o.Auth == nil {
		s.writeProblem(w, r, problem(CodeUnavailable, "this hub has no console users"))
		return
	}
	if body != nil {
		if err := userBody(w, r, body); err != nil {
			s.writeProblem(w, r, err)
			return
		}
	}
	c := callerOf(r)
	role := auth.Admin
	if c.user != nil {
		role = c.user.Role
	}
	out, err := run(auth.Actor{Name: c.actor(), Role: role, Remote: remoteOf(r)})
	if err != nil {
		s.writeProblem(w, r, userProblem(err))
		return
	}
	s.write(w, ok(http.StatusOK, out))
}

// userInfo reads a user back as the API shows it.
func (s *Server) userInfo(r *http.Request, username string) (UserInfo, error) {
	u, err := s.st.User(r.Context(), strings.ToLower(strings.TrimSpace(username)))
	if err != nil {
		return UserInfo{}, err
	}
	v := UserInfo{Username: u.Username, Role: u.Role, Carrier: u.Carrier, TOTP: u.TOTPSecret != "", Disabled: u.Disabled,
		Created: u.Created.In(s.loc), PasswordChanged: u.PasswordChanged.In(s.loc)}
	if u.LockedUntil.After(s.now()) {
		v.LockedUntil = u.LockedUntil.In(s.loc)
	}
	return v, nil
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request) {
	var req NewUser
	s.userChange(w, r, &req, func(a auth.Actor) (any, error) {
		pw, made := req.Password, req.Password == ""
		if made {
			pw = passwd.Generate()
		}
		u, err := s.o.Auth.AddUser(r.Context(), a, req.Username, req.Role, req.Carrier, pw)
		if err != nil {
			return nil, err
		}
		out := NewPassword{}
		if out.User, err = s.userInfo(r, u.Username); err != nil {
			return nil, err
		}
		if made {
			out.Password = pw
		}
		return out, nil
	})
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "username")
	var req UserPatch
	s.userChange(w, r, &req, func(a auth.Actor) (any, error) {
		if req.Role == nil && req.Carrier == nil && req.Disabled == nil {
			return nil, problem(CodeBadRequest, "give role (and carrier), or disabled")
		}
		if req.Role != nil || req.Carrier != nil {
			cur, err := s.userInfo(r, name)
			if err != nil {
				return nil, err
			}
			role, carrier := cur.Role, cur.Carrier
			if req.Role != nil {
				role = *req.Role
				if role != auth.Carrier {
					carrier = ""
				}
			}
			if req.Carrier != nil {
				carrier = *req.Carrier
			}
			if err := s.o.Auth.SetRole(r.Context(), a, name, role, carrier); err != nil {
				return nil, err
			}
		}
		if req.Disabled != nil {
			if err := s.o.Auth.SetDisabled(r.Context(), a, name, *req.Disabled); err != nil {
				return nil, err
			}
		}
		return s.userInfo(r, name)
	})
}

func (s *Server) resetUserPassword(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "username")
	s.userChange(w, r, nil, func(a auth.Actor) (any, error) {
		pw := passwd.Generate()
		if err := s.o.Auth.ResetPassword(r.Context(), a, name, pw); err != nil {
			return nil, err
		}
		u, err := s.userInfo(r, name)
		return NewPassword{User: u, Password: pw}, err
	})
}

// SessionsEnded answers POST /users/{username}/revoke.
type SessionsEnded struct {
	Username string `json:"username"`
	Ended    int    `json:"ended"`
}

func (s *Server) revokeUser(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "username")
	s.userChange(w, r, nil, func(a auth.Actor) (any, error) {
		n, err := s.o.Auth.Revoke(r.Context(), a, name)
		return SessionsEnded{Username: strings.ToLower(strings.TrimSpace(name)), Ended: n}, err
	})
}

func (s *Server) userTOTP(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "username")
	s.userChange(w, r, nil, func(a auth.Actor) (any, error) {
		if r.Method == http.MethodDelete {
			if err := s.o.Auth.RemoveTOTP(r.Context(), a, name); err != nil {
				return nil, err
			}
			return s.userInfo(r, name)
		}
		secret, uri, err := s.o.Auth.EnrolTOTP(r.Context(), a, name)
		if err != nil {
			return nil, err
		}
		u, err := s.userInfo(r, name)
		return TOTPEnrolment{Username: u.Username, Secret: secret, URI: uri}, err
	})
}

// changeOwnPassword is a signed-in user's change of their own password.
func (s *Server) changeOwnPassword(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	if c.user == nil {
		s.writeProblem(w, r, problem(CodeBadRequest, "only a console session changes its password"))
		return
	}
	var req PasswordChange
	s.userChange(w, r, &req, func(a auth.Actor) (any, error) {
		if err := s.o.Auth.ChangePassword(r.Context(), *c.user, bearer(r), req.Current, req.New, remoteOf(r)); err != nil {
			if errors.Is(err, auth.ErrBadCredentials) || errors.Is(err, auth.ErrLocked) {
				auditedByService(w) // with its result: bad_credentials, locked
			}
			return nil, err
		}
		return s.userInfo(r, c.user.Username)
	})
}
