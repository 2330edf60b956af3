package config

import (
	"fmt"
	"time"
)

// Console configures the console's people (hub/auth): how long a session
// lasts and when repeated wrong passwords lock an account.
type Console struct {
	// SessionIdle ends a session not used for this long.
	SessionIdle Duration `json:"session_idle"`
	// SessionMax ends a session this long after sign-in, used or not.
	SessionMax Duration `json:"session_max"`
	// LockoutAfter wrong passwords in a row lock the account for
	// LockoutFor (DESIGN §6).
	LockoutAfter int      `json:"lockout_after"`
	LockoutFor   Duration `json:"lockout_for"`
}

// DefaultConsole is 12 h idle, 7 days at most, 5 failures → 15 minutes.
func DefaultConsole() Console {
	return Console{SessionIdle: Duration(12 * time.Hour), SessionMax: Duration(7 * 24 * time.Hour),
		LockoutAfter: 5, LockoutFor: Duration(15 * time.Minute)}
}

func (c Console) validate() error {
	switch {
	case c.SessionIdle < Duration(5*time.Minute) || c.SessionIdle > Duration(24*time.Hour):
		return fmt.Errorf("config: console.session_idle %s: use 5m to 24h", time.Duration(c.SessionIdle))
	case c.SessionMax < c.SessionIdle || c.SessionMax > Duration(30*24*time.Hour):
		return fmt.Errorf("config: console.session_max %s: use console.session_idle to 720h (30 days)", time.Duration(c.SessionMax))
	case c.LockoutAfter < 3 || c.LockoutAfter > 10:
		return fmt.Errorf("config: console.lockout_after %d: use 3-10 wrong passwords", c.LockoutAfter)
	case c.LockoutFor < Duration(time.Minute) || c.LockoutFor > Duration(24*time.Hour):
		return fmt.Errorf("config: console.lockout_for %s: use 1m to 24h", time.Duration(c.LockoutFor))
	}
	return nil
}
