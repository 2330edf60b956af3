package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"cunyou/hub/audit"
	"cunyou/hub/auth"
	"cunyou/hub/config"
	"cunyou/hub/store"
	"cunyou/passwd"
)

// user manages the console's people: add, list, role (change it),
// disable, enable, reset-password, revoke (all sessions), totp (enrol a
// second factor), totp-remove.
// Every change is in the audit log, its actor cli:<the OS user>.
func (m *Main) user(ctx context.Context, args []string) error {
	name, args, err := sub("user", args, "add", "list", "role", "disable", "enable", "reset-password", "revoke", "totp", "totp-remove")
	if err != nil {
		return err
	}
	fs, parse := m.flags("user " + name)
	username := fs.String("username", "", "the user's name: 2-32 of a-z, 0-9, _ . -")
	role := fs.String("role", "", "one of "+strings.Join(auth.Roles, ", "))
	carrier := fs.String("carrier", "", "a carrier viewer's carrier (its code)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (otherwise one is made and shown once)")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if name != "list" && *username == "" {
		return fmt.Errorf("user %s: give --username", name)
	}
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := consoleAuth(c, st)
	if err != nil {
		return err
	}
	actor := cliActor()
	password := func() (string, error) {
		if *fromStdin {
			return readPassword(m.Stdin)
		}
		return passwd.Generate(), nil
	}
	switch name {
	case "add":
		pw, err := password()
		if err != nil {
			return err
		}
		u, err := svc.AddUser(ctx, actor, *username, *role, *carrier, pw)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "user %s added, role %s\n", u.Username, u.Role)
		if !*fromStdin {
			fmt.Fprintf(m.Stdout, "password (shown once; give it to %s in person):\n%s\n", u.Username, pw)
		}
	case "reset-password":
		pw, err := password()
		if err != nil {
			return err
		}
		if err := svc.ResetPassword(ctx, actor, *username, pw); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "password of %s reset; its sessions ended, any lock lifted\n", *username)
		if !*fromStdin {
			fmt.Fprintf(m.Stdout, "new password (shown once):\n%s\n", pw)
		}
	case "role":
		if err := svc.SetRole(ctx, actor, *username, *role, *carrier); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "user %s is now %s; it takes effect on their next request\n", *username, *role)
	case "totp-remove":
		if err := svc.RemoveTOTP(ctx, actor, *username); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "second factor of %s removed; a sign-in needs the password only\n", *username)
	case "disable", "enable":
		if err := svc.SetDisabled(ctx, actor, *username, name == "disable"); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%sd user %s\n", name, *username)
	case "revoke":
		n, err := svc.Revoke(ctx, actor, *username)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "ended %d sessions of %s\n", n, *username)
	case "totp":
		secret, uri, err := svc.EnrolTOTP(ctx, actor, *username)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "second factor of %s enrolled; from now on a sign-in needs the 6-digit code.\n"+
			"Scan this URI as a QR code in an authenticator app, or type the secret (both shown once):\n%s\nsecret: %s\n",
			*username, uri, secret)
	case "list":
		return m.userList(ctx, st)
	}
	return nil
}

// consoleAuth is the console's users and sessions as the config sets them.
// The key sealing the second factors is the data folder's console.key,
// made on first use.
func consoleAuth(c config.Config, st *store.Store) (*auth.Service, error) {
	key, err := auth.LoadKey(c.DataDir)
	if err != nil {
		return nil, err
	}
	return auth.New(auth.Options{Store: st, Audit: audit.New(st), Idle: time.Duration(c.Console.SessionIdle),
		Max: time.Duration(c.Console.SessionMax), MaxFailures: c.Console.LockoutAfter, Lockout: time.Duration(c.Console.LockoutFor),
		Key: key}), nil
}

func (m *Main) userList(ctx context.Context, st *store.Store) error {
	us, err := st.Users(ctx)
	if err != nil {
		return err
	}
	now := st.Now()
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tROLE\tCARRIER\tSTATE\tTOTP\tPASSWORD SET")
	for _, u := range us {
		state := "active"
		switch {
		case u.Disabled:
			state = "disabled"
		case now.Before(u.LockedUntil):
			state = "locked until " + u.LockedUntil.Local().Format("15:04")
		}
		totp := "-"
		if u.TOTPSecret != "" {
			totp = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Username, u.Role, orDash(u.Carrier), state, totp,
			u.PasswordChanged.Local().Format(time.DateOnly))
	}
	return tw.Flush()
}

// cliActor names the person at the hub's console in the audit log.
func cliActor() auth.Actor {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = "unknown"
	}
	return auth.Actor{Name: "cli:" + name, Role: "cli", Remote: "local"}
}

// readPassword reads the first line of r.
func readPassword(r io.Reader) (string, error) {
	if r == nil {
		r = os.Stdin
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("read password: standard input has none")
	}
	return pw, nil
}
