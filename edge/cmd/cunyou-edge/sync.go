package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"cunyou/edge/config"
	"cunyou/edge/station"
	"cunyou/edge/store"
	"cunyou/edge/syncer"
	"cunyou/syncproto"
)

// enroll trades a one-time code from the county for this node's identity
// and hub credentials.
func (m *Main) enroll(ctx context.Context, args []string) error {
	fs, parse := m.flags("enroll")
	hub := fs.String("hub", "", "hub address, e.g. https://hub.wangkui.example")
	code := fs.String("code", "", "one-time enrollment code from the county")
	ca := fs.String("ca", "", "PEM file of the county's certificate authority (if the hub uses its own)")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if *hub == "" || *code == "" {
		return errors.New("enroll: --hub and --code are required")
	}
	if err := c.Validate(); err != nil {
		return err
	}
	client, err := syncer.NewClient(*hub, "", *ca)
	if err != nil {
		return fmt.Errorf("enroll: %w", err)
	}
	// An existing database must be this node's: the hub refuses a code
	// made for another node before using it up.
	var st *store.Store
	if _, err := os.Stat(c.DBPath()); err == nil {
		if st, err = m.open(ctx, c, false); err != nil {
			return err
		}
		defer st.Close()
	}
	req := syncproto.EnrollRequest{Code: strings.TrimSpace(*code), Software: "cunyou-edge " + version}
	if st != nil {
		req.Node = st.Identity().Node
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	resp, err := client.Enroll(cctx, req)
	if err != nil {
		switch code := syncer.CodeOf(err); code {
		case syncproto.CodeEnrollCode.String():
			return fmt.Errorf("enroll: the hub refused the code (unknown, used or expired); ask the county for a new one: %w", err)
		case syncproto.CodeWrongNode.String():
			return fmt.Errorf("enroll: the database at %s belongs to node %s, but the code was made for another node; "+
				"use the code made for %s, or another --data folder (the code was not used): %w", c.DBPath(), req.Node, req.Node, err)
		default:
			return fmt.Errorf("enroll: %w\n%s", err, syncer.Advice(code))
		}
	}
	if !store.ValidNodeID(resp.Node) {
		return fmt.Errorf("enroll: the hub named this node %q, which is no valid node id", resp.Node)
	}
	exists := st != nil
	if !exists {
		c.Node, c.Kind = resp.Node, resp.Kind
		if st, err = m.open(ctx, c, true); err != nil {
			return err
		}
		defer st.Close()
	} else if id := st.Identity(); id.Node != resp.Node { // a hub too old to check
		return fmt.Errorf("enroll: the database at %s belongs to node %s, but the code enrolls node %s; "+
			"use the code made for %s, or another --data folder (the code is now used: ask the county for a new one)",
			c.DBPath(), id.Node, resp.Node, id.Node)
	}
	if err := st.SetSyncConfig(ctx, store.SyncConfig{HubURL: strings.TrimRight(*hub, "/"), Token: resp.Token, CAFile: *ca}); err != nil {
		return err
	}
	// The database now holds the hub token: only its owner may read it.
	for _, sfx := range []string{"", "-wal", "-shm"} {
		if err := os.Chmod(c.DBPath()+sfx, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("enroll: protect the database: %w", err)
		}
	}
	id := st.Identity()
	fmt.Fprintf(m.Stdout, "enrolled %s %s (%s) with %s; incarnation %s\n", id.Kind, id.Node, resp.Name, *hub, id.Incarnation)
	if !exists {
		fmt.Fprintf(m.Stdout, "created %s\nnext: cunyou-edge user add --data %s --username NAME --role owner\n", c.DBPath(), c.DataDir)
	}
	return nil
}

// newSyncer builds the sync loop from the stored enrollment and the
// configuration's overrides; ErrNotEnrolled when there is none.
func newSyncer(ctx context.Context, c config.Config, stn *station.Station, log *slog.Logger, health func(context.Context) *syncproto.Health) (*syncer.Syncer, error) {
	cfg, ok, err := stn.Store().SyncConfig(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, syncer.ErrNotEnrolled
	}
	if c.HubURL != "" {
		cfg.HubURL = c.HubURL
	}
	if c.CAFile != "" {
		cfg.CAFile = c.CAFile
	}
	client, err := syncer.NewClient(cfg.HubURL, cfg.Token, cfg.CAFile)
	if err != nil {
		return nil, err
	}
	return syncer.New(stn, client, syncer.Options{
		Interval:     time.Duration(c.SyncInterval),
		SafetyWindow: time.Duration(c.SafetyWindow),
		Watchdog:     time.Duration(c.Watchdog),
		Software:     "cunyou-edge " + version,
		Health:       health,
		Log:          log.With("component", "sync"),
	}), nil
}

func (m *Main) sync(ctx context.Context, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("sync: status, now, export FILE or import FILE")
	}
	sub, args := args[0], args[1:]
	fs, parse := m.flags("sync " + sub)
	c, err := parse(args)
	if err != nil {
		return err
	}
	st, err := m.open(ctx, c, false)
	if err != nil {
		return err
	}
	defer st.Close()
	stn := station.New(st, c.Location())
	switch sub {
	case "status":
		s, err := syncer.StoredStatus(ctx, st)
		if err != nil {
			return err
		}
		m.printStatus(s, st.Now())
		return nil
	case "now":
		sy, err := newSyncer(ctx, c, stn, m.logger(c), nil)
		if err != nil {
			return err
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		if err := sy.SyncOnce(cctx); err != nil {
			code := syncer.CodeOf(err)
			return fmt.Errorf("sync failed (%s): %w\n%s", code, err, syncer.Advice(code))
		}
		s, err := sy.Status(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "sync ok: %d ops waiting, changes applied up to %d\n", s.Backlog, s.DownCursor)
		return nil
	case "export":
		if fs.NArg() != 1 {
			return errors.New("sync export: give the bundle file name")
		}
		var ops, batches int
		err := writeAtomically(fs.Arg(0), func(w io.Writer) error {
			var err error
			ops, batches, err = syncer.ExportBundle(ctx, st, w)
			return err
		})
		if err != nil {
			return fmt.Errorf("sync export: %w", err)
		}
		fmt.Fprintf(m.Stdout, "exported %d ops in %d batches to %s; they stay queued until the hub confirms them\n", ops, batches, fs.Arg(0))
		return nil
	case "import":
		if fs.NArg() != 1 {
			return errors.New("sync import: give the bundle file name")
		}
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("sync import: %w", err)
		}
		defer f.Close()
		res, batches, err := syncer.ImportChanges(ctx, stn, f)
		if err != nil {
			return fmt.Errorf("sync import: %w (batches before it were applied)", err)
		}
		for _, o := range res.Refused {
			fmt.Fprintf(m.Stderr, "refused change %s\n", o)
		}
		ss, err := st.SyncState(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "imported %d batches: %d changes applied, %d skipped (unknown type), %d refused; down cursor %d\n",
			batches, res.Applied, len(res.Skipped), len(res.Refused), ss.DownCursor)
		return nil
	}
	return fmt.Errorf("sync: unknown subcommand %q", sub)
}

func (m *Main) printStatus(s syncer.Status, now time.Time) {
	when := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return fmt.Sprintf("%s (%s ago)", t.Local().Format(time.DateTime), now.Sub(t).Round(time.Second))
	}
	w := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	hub := s.HubURL
	if !s.Enrolled {
		hub = "not enrolled (cunyou-edge enroll --hub URL --code CODE)"
	}
	fmt.Fprintf(w, "hub\t%s\n", hub)
	fmt.Fprintf(w, "ops waiting\t%d\n", s.Backlog)
	if !s.OldestUnacked.IsZero() {
		fmt.Fprintf(w, "oldest waiting\t%s\n", when(s.OldestUnacked))
	}
	fmt.Fprintf(w, "last success\t%s\n", when(s.LastSuccess))
	fmt.Fprintf(w, "last attempt\t%s\n", when(s.LastAttempt))
	if e := s.LastError; e != nil {
		state := "since recovered"
		if s.Failing {
			state = "FAILING"
		}
		fmt.Fprintf(w, "last error\t%s %s at %s: %s\n", state, e.Code, e.At.Local().Format(time.DateTime), e.Message)
		if s.Failing {
			fmt.Fprintf(w, "what to do\t%s\n", syncer.Advice(e.Code))
		}
	}
	fmt.Fprintf(w, "clock skew\t%s (hub − this PC)\n", s.Skew)
	fmt.Fprintf(w, "down cursor\t%d\n", s.DownCursor)
	fmt.Fprintf(w, "photos waiting\t%d\n", s.BlobBacklog)
	if s.ChangesSkipped > 0 {
		fmt.Fprintf(w, "changes skipped\t%d (unknown to this version: upgrade)\n", s.ChangesSkipped)
	}
	w.Flush()
	fmt.Fprintln(m.Stdout)
	w = tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "incarnation\t\tlast seq\thub has\twaiting")
	for _, in := range s.Incarnations {
		cur := ""
		if in.Current {
			cur = "current"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\n", in.ID, cur, in.LastSeq, in.Acked, in.Pending)
	}
	w.Flush()
}

// writeAtomically writes a file through a temporary name beside it, so a
// pulled USB stick never leaves a half bundle under the final name.
func writeAtomically(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".bundle-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
