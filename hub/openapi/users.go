package openapi

import (
	"net/http"
	"time"

	"cunyou/hub/auth"
)

// The console's people, for the admin: every user with their role and
// state, and what each role may do (hub/auth's one table). Users are
// added and changed with the cunyou-hub user commands.

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
