// Command cunyou-edge runs a village station or the county sorting centre:
// its local database, the kiosk API and page, and the tools a technician
// needs. Run `cunyou-edge help` for the commands.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // Windows PCs lack the zone database

	"cunyou/edge/config"
	"cunyou/edge/demo"
	"cunyou/edge/diag"
	"cunyou/edge/kiosk"
	"cunyou/edge/messages"
	"cunyou/edge/station"
	"cunyou/edge/store"
	"cunyou/edge/syncer"
	"cunyou/syncproto"
	"cunyou/ui"
)

// version is stamped by the Makefile.
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	if err := m.Run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "cunyou-edge:", err)
		os.Exit(exitCode(err))
	}
}

// Main is the program, with its standard streams, so tests can run it.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Ready, if set, receives the kiosk's address once serve listens.
	Ready chan<- string
}

const usage = `cunyou-edge — 村邮 station and centre node

Usage: cunyou-edge COMMAND [flags]

Commands:
  init      create the node's database (--node ID --kind station|centre)
  enroll    enroll with the county hub: enroll --hub URL --code CODE [--ca FILE]
            (creates the database from the hub's answer when there is none)
  serve     run the kiosk API and page on loopback, and sync with the hub when enrolled
  sync      sync status | sync now | sync export FILE (bundle of ops for a USB stick)
            | sync import FILE (bundle of changes from cunyou-hub sync export)
  user      manage operator accounts: user add | user list | user unlock
  shelves   show or set the shelf layout: shelves set --shelves N --layers N --capacity N
  settings  show or set the station's rules: settings set [--overdue-days N] [--return-days N]
            [--id-for-proxy=true|false] [--id-high-value=true|false] [--id-value-yuan N]
  demo      create or fill a demo station, or a demo centre with --kind centre (used by make run)
  backup    write a consistent copy of the database: backup FILE
  restore   replace the database with a backup; it gets a new incarnation: restore FILE
  check     verify the database: integrity, gap-free outbox, op hashes, derived statuses
  diag      a technician's report: database, disk, backups, clock, hub, sync, devices [--lang en] [--json]
  device    device list [--json]: serial ports and USB devices, and which configured device each is
            | device test idcard|printer|scanner|camera [--port PATH] [--name NAME] [--json] [--timeout D]
  version   print the version

Every command takes --config FILE and --data DIR; see the README for settings.
`

// Run runs one command.
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return errors.New("no command")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "init":
		return m.init(ctx, args)
	case "enroll":
		return m.enroll(ctx, args)
	case "serve":
		return m.serve(ctx, args)
	case "sync":
		return m.sync(ctx, args)
	case "user":
		return m.user(ctx, args)
	case "shelves":
		return m.shelves(ctx, args)
	case "settings":
		return m.settings(ctx, args) // settings.go
	case "demo":
		return m.demo(ctx, args)
	case "backup":
		return m.backup(ctx, args)
	case "restore":
		return m.restore(ctx, args)
	case "check":
		return m.check(ctx, args)
	case "diag":
		return m.diag(ctx, args)
	case "device":
		return m.device(ctx, args)
	case "version":
		fmt.Fprintln(m.Stdout, "cunyou-edge", version, "schema", store.SchemaVersion(), "envelope", syncproto.EnvelopeVersion)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(m.Stdout, usage)
		return nil
	}
	fmt.Fprint(m.Stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// flags returns a flag set with the common --config and --data flags, and
// parse, which parses the arguments and loads the configuration.
func (m *Main) flags(name string) (*flag.FlagSet, func(args []string) (config.Config, error)) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	cfgPath := fs.String("config", "", "config file (JSON)")
	dataDir := fs.String("data", "", "data folder (overrides the config)")
	return fs, func(args []string) (config.Config, error) {
		if err := fs.Parse(args); err != nil {
			return config.Config{}, err
		}
		c, err := config.Load(*cfgPath)
		if err != nil {
			return c, err
		}
		if *dataDir != "" {
			c.DataDir = *dataDir
		}
		return c, nil
	}
}

func (m *Main) open(ctx context.Context, c config.Config, create bool) (*store.Store, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	o := c.StoreOptions()
	if create {
		if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data folder: %w", err)
		}
	} else {
		if _, err := os.Stat(c.DBPath()); err != nil {
			return nil, fmt.Errorf("no database at %s: run `cunyou-edge init` first", c.DBPath())
		}
		o.Node = ""
	}
	st, err := store.Open(ctx, c.DBPath(), o)
	if err != nil {
		return nil, err
	}
	if st.BackupPath != "" {
		fmt.Fprintln(m.Stderr, "database migrated; copy before migration kept at", st.BackupPath)
	}
	return st, nil
}

func (m *Main) init(ctx context.Context, args []string) error {
	fs, parse := m.flags("init")
	node := fs.String("node", "", "node id, e.g. ST-V0101")
	kind := fs.String("kind", "", "station or centre")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if *node != "" {
		c.Node = *node
	}
	if *kind != "" {
		c.Kind = syncproto.NodeKind(*kind)
	}
	if c.Node == "" {
		return errors.New("init: --node is required")
	}
	if _, err := os.Stat(c.DBPath()); err == nil {
		return fmt.Errorf("init: %s already exists", c.DBPath())
	}
	st, err := m.open(ctx, c, true)
	if err != nil {
		return err
	}
	defer st.Close()
	id := st.Identity()
	fmt.Fprintf(m.Stdout, "created %s %s (incarnation %s) at %s\nnext: cunyou-edge user add --data %s --username NAME --role owner\n",
		id.Kind, id.Node, id.Incarnation, c.DBPath(), c.DataDir)
	return nil
}

func (m *Main) logger(c config.Config) *slog.Logger {
	var lvl slog.Level
	lvl.UnmarshalText([]byte(c.LogLevel))
	return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: lvl}))
}

func (m *Main) serve(ctx context.Context, args []string) error {
	fs, parse := m.flags("serve")
	listen := fs.String("listen", "", "kiosk address (overrides the config)")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if *listen != "" {
		c.Listen = *listen
	}
	st, err := m.open(ctx, c, false)
	if err != nil {
		return err
	}
	defer st.Close()
	log := m.logger(c)
	assets, err := ui.Kiosk(c.UIDir)
	if err != nil {
		return err
	}
	stn := station.New(st, c.Location())
	k := kiosk.New(stn, log, version, assets)
	devs, err := newDevices(c, stn, log) // device.go
	if err != nil {
		return err
	}
	k.SetDevices(devs)
	// The devices page's PC check: the config this serve runs with.
	k.SetDiag(diag.Options{Config: c, ConfigFile: fs.Lookup("config").Value.String(), Version: version})
	srv := &http.Server{
		Handler:           k,
		ReadHeaderTimeout: 10 * time.Second,
	}
	sy, err := newSyncer(ctx, c, stn, log, devicesHealth(devs))
	switch {
	case errors.Is(err, syncer.ErrNotEnrolled):
		log.Info("not enrolled with a hub: sync is off (cunyou-edge enroll --hub URL --code CODE)")
	case err != nil:
		// The station works without the hub: a broken sync setting (a
		// missing CA file, say) must not keep the kiosk down.
		log.Error("sync is off: cannot set it up", "err", err)
		sy = nil
	default:
		k.SetSyncer(sy)
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	id := st.Identity()
	log.Info("serving kiosk", "node", id.Node, "kind", id.Kind, "addr", ln.Addr().String(), "version", version)
	fmt.Fprintf(m.Stdout, "kiosk: http://%s/\n", ln.Addr())
	if m.Ready != nil {
		m.Ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	syncCtx, stopSync := context.WithCancel(ctx)
	syncDone := make(chan struct{})
	go func() {
		defer close(syncDone)
		modemDone := make(chan struct{})
		go func() {
			defer close(modemDone)
			if id.Kind == syncproto.NodeStation {
				runModem(syncCtx, c, stn, log)
			}
		}()
		devicesDone := make(chan struct{})
		go func() { defer close(devicesDone); devs.Run(syncCtx) }()
		if sy != nil {
			sy.Run(syncCtx)
		}
		<-modemDone
		<-devicesDone
	}()
	defer func() {
		stopSync()
		<-syncDone // the store closes after the loop has stopped
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

func (m *Main) readSecret(fromStdin bool, flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if !fromStdin {
		return "", errors.New("give the secret with --secret-stdin (read from standard input) or --pin")
	}
	line, err := bufio.NewReader(m.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read secret: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (m *Main) user(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("user: add, list or unlock")
	}
	sub, args := args[0], args[1:]
	fs, parse := m.flags("user " + sub)
	username := fs.String("username", "", "login name")
	name := fs.String("name", "", "display name")
	role := fs.String("role", station.RoleClerk, "owner or clerk")
	pin := fs.String("pin", "", "6-digit PIN (visible in the shell history; prefer --secret-stdin)")
	stdin := fs.Bool("secret-stdin", false, "read a password (or PIN with --kind pin) from standard input")
	kind := fs.String("kind", "password", "secret kind for --secret-stdin: password or pin")
	c, err := parse(args)
	if err != nil {
		return err
	}
	st, err := m.open(ctx, c, false)
	if err != nil {
		return err
	}
	defer st.Close()
	s := station.New(st, c.Location())
	switch sub {
	case "add":
		secret, err := m.readSecret(*stdin, *pin)
		if err != nil {
			return err
		}
		k := *kind
		if *pin != "" {
			k = "pin"
		}
		o, err := s.AddOperator(ctx, "cli", station.OperatorInput{Username: *username, DisplayName: *name, Role: *role, SecretKind: k, Secret: secret})
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(m.Stdout, "added %s (%s, %s)\n", o.Username, o.DisplayName, o.Role)
	case "list":
		ops, err := s.Operators(ctx)
		if err != nil {
			return err
		}
		for _, o := range ops {
			state := "active"
			if o.Disabled {
				state = "disabled"
			} else if o.LockedUntil != nil {
				state = "locked until " + o.LockedUntil.Format(time.DateTime)
			}
			fmt.Fprintf(m.Stdout, "%-16s %-10s %-6s %-8s %s\n", o.Username, o.DisplayName, o.Role, o.SecretKind, state)
		}
	case "unlock":
		if _, err := s.ChangeOperator(ctx, "cli", *username, station.OperatorChange{Unlock: true}); err != nil {
			return describe(err)
		}
		fmt.Fprintln(m.Stdout, "unlocked", *username)
	default:
		return fmt.Errorf("user: unknown subcommand %q", sub)
	}
	return nil
}

// describe turns a station refusal into its code and Chinese sentence.
func describe(err error) error {
	code := station.CodeOf(err)
	return fmt.Errorf("%s: %s (%v)", code, messages.Text(messages.ZH, string(code), station.ArgsOf(err)), err)
}

func (m *Main) shelves(ctx context.Context, args []string) error {
	sub := "show"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	fs, parse := m.flags("shelves")
	n := fs.Int("shelves", 0, "number of shelves")
	layers := fs.Int("layers", 4, "layers per shelf")
	capacity := fs.Int("capacity", 30, "parcels per layer")
	c, err := parse(args)
	if err != nil {
		return err
	}
	st, err := m.open(ctx, c, false)
	if err != nil {
		return err
	}
	defer st.Close()
	s := station.New(st, c.Location())
	if sub == "set" {
		var sh []syncproto.Shelf
		for i := 1; i <= *n; i++ {
			sh = append(sh, syncproto.Shelf{No: i, Layers: *layers, Capacity: *capacity})
		}
		if err := s.SetShelves(ctx, "cli", sh); err != nil {
			return describe(err)
		}
	} else if sub != "show" {
		return fmt.Errorf("shelves: unknown subcommand %q", sub)
	}
	slots, err := s.Shelves(ctx)
	if err != nil {
		return err
	}
	for _, u := range slots {
		fmt.Fprintf(m.Stdout, "shelf %2d layer %d: %3d / %3d\n", u.Shelf, u.Layer, u.Used, u.Capacity)
	}
	return nil
}

func (m *Main) demo(ctx context.Context, args []string) error {
	fs, parse := m.flags("demo")
	node := fs.String("node", "", "demo node id (default ST-V0101, or CENTRE with --kind centre)")
	kind := fs.String("kind", "", "station or centre (default: the config's kind)")
	seed := fs.Uint64("seed", 1, "random seed of the demo data")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if *kind != "" {
		c.Kind = syncproto.NodeKind(*kind)
	}
	c.Node = *node
	if c.Node == "" {
		c.Node = "ST-V0101"
		if c.Kind == syncproto.NodeCentre {
			c.Node = demo.CentreNode
		}
	}
	st, err := m.open(ctx, c, true)
	if err != nil {
		return err
	}
	defer st.Close()
	seedFn, what := demo.Seed, "station"
	if st.Identity().Kind == syncproto.NodeCentre {
		seedFn, what = demo.SeedCentre, "centre"
	}
	seeded, err := seedFn(ctx, station.New(st, c.Location()), *seed)
	if err != nil {
		return err
	}
	if seeded {
		fmt.Fprintf(m.Stdout, "demo %s %s ready at %s\n", what, st.Identity().Node, c.DBPath())
	} else {
		fmt.Fprintf(m.Stdout, "demo %s %s already set up at %s\n", what, st.Identity().Node, c.DBPath())
	}
	return nil
}

func (m *Main) backup(ctx context.Context, args []string) error {
	fs, parse := m.flags("backup")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("backup: give the backup file name")
	}
	st, err := m.open(ctx, c, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, "backed up to", fs.Arg(0))
	return nil
}

func (m *Main) restore(ctx context.Context, args []string) error {
	fs, parse := m.flags("restore")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("restore: give the backup file name")
	}
	if err := c.Validate(); err != nil {
		return err
	}
	st, err := store.Restore(ctx, fs.Arg(0), c.DBPath(), c.StoreOptions())
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(m.Stdout, "restored %s from %s; new incarnation %s; the replaced database is kept as %s\n",
		st.Identity().Node, fs.Arg(0), st.Identity().Incarnation, st.ReplacedPath)
	return nil
}

func (m *Main) check(ctx context.Context, args []string) error {
	_, parse := m.flags("check")
	c, err := parse(args)
	if err != nil {
		return err
	}
	st, err := m.open(ctx, c, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Check(ctx); err != nil {
		return err
	}
	if err := station.New(st, c.Location()).VerifyDerived(ctx); err != nil {
		return err
	}
	ob, err := st.Outbox(ctx)
	if err != nil {
		return err
	}
	id := st.Identity()
	fmt.Fprintf(m.Stdout, "ok: %s %s incarnation %s, %d ops (last seq %d), schema %d\n", id.Kind, id.Node, id.Incarnation, ob.Ops, ob.LastSeq, store.SchemaVersion())
	return nil
}
