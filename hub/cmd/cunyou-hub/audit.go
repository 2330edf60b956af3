package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"cunyou/hub/audit"
	"cunyou/hub/store"
)

// auditCmd lists the audit log (newest first) or verifies its chain:
// exit status 0 when intact, an error naming the first broken row when
// not.
func (m *Main) auditCmd(ctx context.Context, args []string) error {
	name, args, err := sub("audit", args, "list", "verify")
	if err != nil {
		return err
	}
	fs, parse := m.flags("audit " + name)
	who := fs.String("user", "", "a console user's name, or an actor as written (api:zto-app, admin, cli:root)")
	action := fs.String("action", "", "an action (login, parcel.read) or a prefix ending in a dot (user.)")
	limit := fs.Int("limit", 50, "the most rows")
	c, err := parse(args)
	if err != nil {
		return err
	}
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	log := audit.New(st)
	if name == "verify" {
		rep, err := log.Verify(ctx)
		var be *audit.BrokenError
		if errors.As(err, &be) {
			fmt.Fprintf(m.Stdout, "BROKEN at row %d: %s\n", be.Seq, be.Reason)
			return fmt.Errorf("audit verify: the chain is broken at row %d; restore the database from a backup taken before, and find out who changed it", be.Seq)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "intact: %d rows", rep.Rows)
		if rep.Rows > 0 {
			fmt.Fprintf(m.Stdout, ", the last at %s, hash %s", rep.At.Local().Format("2006-01-02 15:04:05"), rep.Last)
		}
		fmt.Fprintln(m.Stdout)
		return nil
	}
	actor := *who
	if actor != "" && !strings.Contains(actor, ":") && actor != "admin" && actor != "unknown" {
		actor = "user:" + actor
	}
	rows, err := log.List(ctx, store.AuditQuery{Actor: actor, Action: *action, Limit: *limit})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tAT\tACTOR\tROLE\tACTION\tTARGET\tFROM\tRESULT\tDETAIL")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Seq, r.At.Local().Format("2006-01-02 15:04:05"), r.Actor,
			orDash(r.Role), r.Action, orDash(r.Target), r.Remote, r.Result, orDash(r.Detail))
	}
	return tw.Flush()
}
