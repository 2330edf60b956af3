package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"cunyou/hub/audit"
	"cunyou/hub/intake"
	"cunyou/hub/store"
)

// deadletters lists dead letters (the default, or list), retries one
// through the merge, or discards one; each repair names who (cli:OSUSER)
// and why (--note), and is written to the audit log like the console's.
func (m *Main) deadletters(ctx context.Context, args []string) error {
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "list":
		return m.deadlettersList(ctx, args)
	case "retry", "discard":
		return m.deadlettersRepair(ctx, sub, args)
	default:
		return fmt.Errorf("deadletters %s: give list, retry or discard", sub)
	}
}

func (m *Main) deadlettersList(ctx context.Context, args []string) error {
	fs, parse := m.flags("deadletters list")
	node := fs.String("station", "", "only this station's")
	all := fs.Bool("all", false, "also those applied or discarded")
	c, err := parse(args)
	if err != nil {
		return err
	}
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	dl, err := st.DeadLettersOf(ctx, *node, !*all)
	if err != nil {
		return err
	}
	if len(dl) == 0 {
		fmt.Fprintln(m.Stdout, "no dead letters")
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECEIVED\tNODE\tINCARNATION\tSEQ\tKIND\tCODE\tREASON\tSTATE\tRETRIES\tBY\tNOTE")
	for _, d := range dl {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.Received.Local().Format("2006-01-02 15:04:05"), d.Node,
			d.Incarnation, d.Seq, d.Kind, d.Code, d.Reason, d.State, d.Attempts, orDash(d.HandledBy), orDash(d.Note))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "%d dead letters\n", len(dl))
	return nil
}

// deadlettersRepair retries or discards the dead letter --station,
// --incarnation, --seq.
func (m *Main) deadlettersRepair(ctx context.Context, sub string, args []string) error {
	fs, parse := m.flags("deadletters " + sub)
	node := fs.String("station", "", "the node that sent the op (required)")
	inc := fs.String("incarnation", "", "its incarnation (required; see deadletters list)")
	seq := fs.Uint64("seq", 0, "its seq (required)")
	note := fs.String("note", "", "why, what was done (required)")
	c, err := parse(args)
	if err != nil {
		return err
	}
	*note = strings.TrimSpace(*note)
	switch {
	case *node == "" || *inc == "" || *seq == 0:
		return fmt.Errorf("deadletters %s: give --station, --incarnation and --seq of the dead letter (deadletters list shows them)", sub)
	case *note == "" || utf8.RuneCountInString(*note) > 200:
		return fmt.Errorf("deadletters %s: give --note, up to 200 characters: why, what was done", sub)
	}
	who := cliActor()
	ref := fmt.Sprintf("%s/%s/%d", *node, *inc, *seq)
	return m.withIntake(ctx, c, func(st *store.Store, svc *intake.Service) error {
		var err error
		var line string
		if sub == "retry" {
			var applied bool
			res, rerr := svc.RetryDeadLetter(ctx, who.Name, *node, *inc, *seq, *note)
			applied, err = res.Applied, rerr
			switch {
			case err != nil:
			case applied:
				line = fmt.Sprintf("dead letter %s applied", ref)
			default:
				line = fmt.Sprintf("dead letter %s still refused: %s: %s", ref, res.Code, res.Reason)
			}
		} else {
			_, err = st.DiscardDeadLetter(ctx, *node, *inc, *seq, who.Name, *note)
			line = fmt.Sprintf("dead letter %s discarded", ref)
		}
		result := audit.OK
		switch {
		case errors.Is(err, store.ErrNotFound):
			result = "not_found"
		case errors.Is(err, store.ErrResolved):
			result = "already_resolved"
		case err != nil:
			result = audit.Failed
		}
		if _, aerr := audit.New(st).Append(ctx, audit.Entry{Actor: who.Name, Role: who.Role, Action: "deadletter." + sub, Target: ref,
			Remote: who.Remote, Result: result, Detail: *note}); aerr != nil && err == nil {
			err = aerr
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(m.Stdout, line)
		return nil
	})
}
