// Command cunyou-hub runs the county hub: the sync API the stations and the
// centre upload their ops to and take their downstream changes from, and
// the commands the county's technician uses to enroll stations, queue
// manifests and tariffs, carry sync bundles on a USB stick and look at dead
// letters. Run `cunyou-hub help` for the commands.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
	_ "time/tzdata" // Windows servers lack the zone database

	"cunyou/hub/audit"
	"cunyou/hub/config"
	"cunyou/hub/console"
	"cunyou/hub/intake"
	"cunyou/hub/merge"
	"cunyou/hub/notify"
	"cunyou/hub/openapi"
	"cunyou/hub/public"
	"cunyou/hub/store"
	"cunyou/hub/syncapi"
	"cunyou/hub/webhook"
	"cunyou/syncproto"
)

// version is stamped by the Makefile.
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr}
	if err := m.Run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "cunyou-hub:", err)
		os.Exit(1)
	}
}

// Main is the program, with its standard streams, so tests can run it.
type Main struct {
	Stdout, Stderr io.Writer
	// Stdin is read by user add|reset-password --password-stdin; os.Stdin
	// when nil.
	Stdin io.Reader
	// Ready, if set, receives the sync API's address once serve listens.
	Ready chan<- string
}

const usage = `cunyou-hub — 村邮 county hub

Usage: cunyou-hub COMMAND [flags]

Commands:
  serve        run the sync API: serve [--listen ADDR] [--tls-cert F --tls-key F] [--max-merges N]
  station      manage stations and centres:
                 station add --id ID --name NAME [--kind station|centre] [--village CODE]   prints the one-time enrollment code
                 station code --id ID      a new code for a replaced PC; revokes the old token
                 station list              enrollment, last contact, acked seqs, lag, dead letters
                 station disable|enable --id ID
                 station show --id ID | station set --id ID [--address A] [--hours 07:30-19:30] [--contact-name N] [--contact PHONE] [--status open|suspended|closed]
  county       county load FILE            the gazetteer, stations (prints new enrollment codes), centre, lines
  carrier      carrier add --code zto --name 中通快递 [--webhook URL --secret S] [--pattern RE]... | carrier list
  client       open API clients: client add --id ID --name NAME --scopes parcels:write,parcels:read [--carrier C]
                 (prints the API key once) | client list | client disable|enable --id ID
  manifest     manifest import FILE.csv|FILE.xlsx [--carrier C]   announce parcels; reports every bad row
                 manifest add --station ID --file ENTRIES.json    queue raw entries to one station (no tracking)
  unresolved   the dispatchers' queue: parcels whose destination is not decided [--limit N]
  assign       assign --waybill W --station ST [--note TEXT]     decide a parcel's destination
  trips        trips plan [--date D] | trips list [--date D] | trips set --id T [--vehicle P] [--driver D] [--status S]
  vehicle      vehicle add --plate P [--kind bus|van|truck] [--capacity N] [--terminal PHONE] | vehicle list
  driver       driver add --id D --name NAME [--phone P] | driver list
  track        track WAYBILL               a parcel, its timeline and exceptions
  gps          vehicle GPS (JT/T 808): gps positions --vehicle PLATE [--limit N] | gps track --trip ID | gps terminals
  sms          sms list [--state S] | sms templates | sms template --kind K --text T [--provider aliyun=SMS_1]...
                 | sms optout --phone P | sms optin --phone P | sms push [--station ID]
  tariffs      tariffs set --station ID|all --file TARIFFS.json   the county's table (all) and the stations' copies
  user         console users: user add --username U --role R [--carrier C] [--password-stdin]
                 (without --password-stdin a password is made and shown once) | user list
                 | user disable|enable|revoke|totp|totp-remove|reset-password --username U [--password-stdin]
                 | user role --username U --role R [--carrier C]   (the last enabled admin keeps the role)
  audit        audit list [--user U] [--action A] [--limit N] | audit verify   (exit 1 naming the first broken row)
  sync         carry sync on a USB stick:
                 sync import FILE                          merge a bundle of ops batches written by a station
                 sync export --station ID [--after N] FILE  write the station's pending downstream changes
  deadletters  ops the hub received but could not apply: deadletters [list] [--station ID] [--all]
                 | deadletters retry|discard --station ID --incarnation INC --seq N --note TEXT
                 (retry: judged again by this build, applied if it now passes)
  version      print the version
  help         show this help

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
	case "serve":
		return m.serve(ctx, args)
	case "station":
		return m.station(ctx, args)
	case "manifest":
		return m.manifest(ctx, args)
	case "county":
		return m.county(ctx, args)
	case "carrier":
		return m.carrier(ctx, args)
	case "client":
		return m.client(ctx, args)
	case "unresolved":
		return m.unresolved(ctx, args)
	case "assign":
		return m.assign(ctx, args)
	case "trips":
		return m.trips(ctx, args)
	case "vehicle":
		return m.vehicle(ctx, args)
	case "driver":
		return m.driver(ctx, args)
	case "track":
		return m.track(ctx, args)
	case "gps":
		return m.gps(ctx, args)
	case "sms":
		return m.smsCmd(ctx, args)
	case "tariffs":
		return m.tariffs(ctx, args)
	case "user":
		return m.user(ctx, args)
	case "audit":
		return m.auditCmd(ctx, args)
	case "sync":
		return m.sync(ctx, args)
	case "deadletters":
		return m.deadletters(ctx, args)
	case "version":
		fmt.Fprintln(m.Stdout, "cunyou-hub", version, "schema", store.SchemaVersion(), "envelope", syncproto.EnvelopeVersion,
			"proto", strconv.Itoa(syncproto.MinProtoVersion)+"-"+strconv.Itoa(syncproto.ProtoVersion))
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(m.Stdout, usage)
		return nil
	}
	fmt.Fprint(m.Stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// sub splits a subcommand off args.
func sub(name string, args []string, subs ...string) (string, []string, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return "", nil, fmt.Errorf("%s: give one of %s", name, strings.Join(subs, ", "))
	}
	if !slices.Contains(subs, args[0]) {
		return "", nil, fmt.Errorf("%s: unknown subcommand %q; use %s", name, args[0], strings.Join(subs, ", "))
	}
	return args[0], args[1:], nil
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

func (m *Main) open(ctx context.Context, c config.Config) (*store.Store, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, c.DataDir, c.StoreOptions())
	if err != nil {
		return nil, err
	}
	if st.BackupPath != "" {
		fmt.Fprintln(m.Stderr, "database migrated; copy before migration kept at", st.BackupPath)
	}
	return st, nil
}

func (m *Main) logger(c config.Config) *slog.Logger {
	var lvl slog.Level
	lvl.UnmarshalText([]byte(c.LogLevel))
	return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: lvl}))
}

func (m *Main) serve(ctx context.Context, args []string) error {
	fs, parse := m.flags("serve")
	listen := fs.String("listen", "", "sync API address (overrides the config)")
	cert := fs.String("tls-cert", "", "TLS certificate (PEM); serve HTTPS")
	key := fs.String("tls-key", "", "TLS key (PEM)")
	merges := fs.Int("max-merges", 0, "concurrent ops merges (overrides the config)")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if *listen != "" {
		c.Listen = *listen
	}
	if *cert != "" || *key != "" {
		c.TLSCert, c.TLSKey = *cert, *key
	}
	if *merges != 0 {
		c.MaxMerges = *merges
	}
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	log := m.logger(c)
	hooks := webhook.New(st, &endpoints{st: st}, webhook.Options{Version: version, Log: log})
	gateways, err := smsGateways(c.SMS, log)
	if err != nil {
		return err
	}
	defer closeGateways(gateways)
	notifier := notify.New(notify.Options{Store: st, Gateways: gateways, Sign: c.SMS.Sign, Quiet: c.SMS.Quiet, Location: c.Location(),
		Limits: notify.Limits{PerMinute: c.SMS.PerMinute, PerHour: c.SMS.PerHour, PerDay: c.SMS.PerDay}, Log: log})
	if _, err := notifier.Recover(ctx); err != nil {
		return err
	}
	if err := notifier.Resume(ctx); err != nil {
		return err
	}
	mo := c.MergeOptions()
	mo.Log, mo.Outbox = log, outbox{hooks}
	mo.Projected = func() { hooks.Notify(); notifier.Kick() }
	mo.LateHold = time.Duration(c.SMS.LateHold)
	if mo.LateHold == 0 {
		mo.LateHold = -1
	}
	mo.NoticeWindow = time.Duration(c.SMS.Window)
	if mo.NoticeWindow == 0 {
		mo.NoticeWindow = -1 // none asked: send at once
	}
	mg, err := merge.New(ctx, st, mo)
	if err != nil {
		return err
	}
	defer mg.Close()
	defer runWebhooks(hooks, st, log)()
	defer runNotifier(notifier)()
	api := syncapi.New(st, mg, syncapi.Options{
		MaxMerges: c.MaxMerges, MergeWait: time.Duration(c.MergeWait), MaxUploads: c.MaxUploads,
		MaxBatchBytes: c.MaxBatchBytes, MaxBlobBytes: c.MaxBlobBytes, MetricsToken: c.MetricsToken, Version: version, Log: log,
	})
	people, err := consoleAuth(c, st)
	if err != nil {
		return err
	}
	open := openapi.New(openapi.Options{Store: st, Intake: intake.New(st, mg, c.Location()), Webhooks: hooks,
		AdminToken: c.AdminToken, Version: version, Log: log, Location: c.Location(), SMSSign: c.SMS.Sign, SMSQuiet: c.SMS.Quiet,
		Auth: people, Audit: audit.New(st)})
	defer open.Close() // its lookups' read pool, before the store closes
	stopGPS, err := m.startGPS(ctx, c, st, mg, log)
	if err != nil {
		return err
	}
	defer stopGPS()
	villagers := public.New(public.Options{Store: st, Location: c.Location(), Log: log, TrustedProxies: c.Proxies()})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", open.Handler())
	mux.Handle(public.Prefix, villagers.Handler())
	mux.Handle(console.Prefix, console.Handler(nil))
	mux.Handle("/", api.Handler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		// A 32 MiB batch over a 1 Mbit/s link takes about 5 minutes.
		ReadTimeout:  10 * time.Minute,
		WriteTimeout: 10 * time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	scheme := "http"
	if c.TLSCert != "" {
		scheme = "https"
	} else if c.AllowRemote {
		log.Warn("serving plain HTTP beyond loopback: tokens travel in clear unless a TLS proxy is in front")
	}
	log.Info("serving sync API", "addr", ln.Addr().String(), "tls", c.TLSCert != "", "data", c.DataDir, "version", version,
		"max_merges", c.MaxMerges)
	fmt.Fprintf(m.Stdout, "hub: %s://%s/\n", scheme, ln.Addr())
	if m.Ready != nil {
		m.Ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() {
		if c.TLSCert != "" {
			errc <- srv.ServeTLS(ln, c.TLSCert, c.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

func (m *Main) station(ctx context.Context, args []string) error {
	name, args, err := sub("station", args, "add", "code", "list", "disable", "enable", "set", "show")
	if err != nil {
		return err
	}
	fs, parse := m.flags("station " + name)
	id := fs.String("id", "", "node id, e.g. ST-V0101")
	display := fs.String("name", "", "station name, e.g. 南岗村驿站")
	kind := fs.String("kind", string(syncproto.NodeStation), "station or centre")
	village := fs.String("village", "", "the gazetteer's code of the village the station serves (station add)")
	var u store.SiteUpdate
	fs.Func("address", "street address (station set)", func(v string) error { u.Address = &v; return nil })
	fs.Func("hours", "opening hours HH:MM-HH:MM (station set)", func(v string) error { u.Hours = &v; return nil })
	fs.Func("contact-name", "contact person (station set)", func(v string) error { u.ContactName = &v; return nil })
	fs.Func("contact", "contact phone, shown to villagers (station set)", func(v string) error { u.Contact = &v; return nil })
	fs.Func("status", "open, suspended or closed (station set)", func(v string) error { u.Status = &v; return nil })
	c, err := parse(args)
	if err != nil {
		return err
	}
	if name != "list" && *id == "" {
		return fmt.Errorf("station %s: --id is required", name)
	}
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	switch name {
	case "add":
		e, err := st.CreateNode(ctx, store.NewNode{ID: *id, Kind: syncproto.NodeKind(*kind), Name: *display, Village: *village})
		if err != nil {
			return err
		}
		code := e.Code
		if syncproto.NodeKind(*kind) == syncproto.NodeStation {
			// Its texts for an arrival SMS sent through its own modem.
			if err := notify.PushTemplates(ctx, st, c.SMS.Sign, c.SMS.Quiet, *id); err != nil {
				return err
			}
		}
		fmt.Fprintf(m.Stdout, "added %s %s (%s)\nenrollment code: %s  (one use, valid until %s)\n", *kind, *id, strings.TrimSpace(*display),
			code, st.Now().Add(store.EnrollTTL).Format("2006-01-02 15:04"))
	case "code":
		code, err := st.NewEnrollCode(ctx, *id)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "new enrollment code for %s: %s  (one use, valid until %s); the old token no longer works\n", *id, code,
			st.Now().Add(store.EnrollTTL).Format("2006-01-02 15:04"))
	case "disable", "enable":
		if err := st.SetDisabled(ctx, *id, name == "disable"); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%sd %s\n", name, *id)
	case "list":
		return m.stationList(ctx, st)
	case "set":
		if err := st.UpdateSite(ctx, *id, u); err != nil {
			return err
		}
		if n, err := st.Node(ctx, *id); err == nil && n.Kind == syncproto.NodeStation {
			if err := notify.PushTemplates(ctx, st, c.SMS.Sign, c.SMS.Quiet, *id); err != nil {
				return err
			}
		}
		fmt.Fprintf(m.Stdout, "station %s updated\n", *id)
		fallthrough
	case "show":
		site, err := st.Site(ctx, *id)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s %s (%s) %s%s\n  address %s  location %.5f,%.5f\n  hours %s  contact %s %s  status %s  enrolled %v\n",
			site.Node, site.Name, site.Kind, site.TownName, site.VillageName, orDash(site.Address), site.Lat, site.Lon,
			orDash(site.Hours), orDash(site.ContactName), orDash(site.Contact), site.Status, site.Enrolled)
		n, err := st.Node(ctx, *id)
		if err != nil {
			return err
		}
		if h := n.Health; h != nil {
			fmt.Fprintf(m.Stdout, "  at its last hello (%s): %d ops waiting, the oldest %s\n", n.LastContact.Local().Format("2006-01-02 15:04:05"),
				h.Backlog, time.Duration(h.OldestUnsentS)*time.Second)
			for _, d := range h.Devices {
				fmt.Fprintf(m.Stdout, "  device %s (%s): %s %s\n", d.Name, d.Kind, d.State, d.Code)
			}
		}
		closes, err := st.DayCloses(ctx, *id, 7)
		if err != nil {
			return err
		}
		for _, d := range closes {
			fmt.Fprintf(m.Stdout, "  day %s closed by %s: in %d, picked up %d, sent %d, problems %d, returns %d, on the shelves %d (opening %d, mismatch %d)\n",
				d.Date, d.Actor, d.Total.In, d.Total.Out, d.Total.Sent, d.Total.Problems, d.Total.Returns, d.Total.OnShelf, d.OpeningOnShelf, d.Mismatch)
		}
	}
	return nil
}

func (m *Main) stationList(ctx context.Context, st *store.Store) error {
	stations, err := st.Stations(ctx)
	if err != nil {
		return err
	}
	now := st.Now()
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tNAME\tKIND\tENROLLED\tLAST CONTACT\tACKED SEQS\tLAG\tSKEW\tDEAD LETTERS\tQUARANTINED\tDEVICES")
	for _, s := range stations {
		enrolled := "no"
		switch {
		case s.Disabled:
			enrolled = "disabled"
		case s.Enrolled:
			enrolled = "yes"
		case s.CodePending:
			enrolled = "code issued"
		}
		contact := "never"
		if !s.LastContact.IsZero() {
			contact = s.LastContact.Local().Format("2006-01-02 15:04:05")
		}
		incs := make([]string, 0, len(s.Cursors))
		for inc, seq := range s.Cursors {
			incs = append(incs, fmt.Sprintf("%s:%d", inc, seq))
		}
		sort.Strings(incs)
		acked := strings.Join(incs, " ")
		if acked == "" {
			acked = "-"
		}
		lag := "-"
		if s.LastOpHLC != 0 {
			lag = s.Lag(now).Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", s.ID, s.Name, s.Kind, enrolled, contact, acked, lag,
			s.LastSkew.Round(time.Second), s.DeadLetters, s.Quarantined, devicesSummary(s.Health))
	}
	return tw.Flush()
}

// devicesSummary says how many of a node's devices are ready, naming the
// others: "3/4 ready; labels printer.paper_out".
func devicesSummary(h *syncproto.Health) string {
	if h == nil || len(h.Devices) == 0 {
		return "-"
	}
	ready := 0
	var others []string
	for _, d := range h.Devices {
		if d.State == "ready" {
			ready++
		} else {
			others = append(others, d.Name+" "+orDash(d.Code))
		}
	}
	s := fmt.Sprintf("%d/%d ready", ready, len(h.Devices))
	if len(others) > 0 {
		s += "; " + strings.Join(others, ", ")
	}
	return s
}

// readJSONFile decodes a JSON file into v, refusing unknown fields.
func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func (m *Main) manifest(ctx context.Context, args []string) error {
	name, args, err := sub("manifest", args, "import", "add")
	if err != nil {
		return err
	}
	if name == "import" {
		return m.manifestImport(ctx, args)
	}
	fs, parse := m.flags("manifest add")
	node := fs.String("station", "", "station id")
	file := fs.String("file", "", "JSON array of manifest entries")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if *node == "" || *file == "" {
		return errors.New("manifest add: --station and --file are required")
	}
	var entries []syncproto.ManifestEntry
	if err := readJSONFile(*file, &entries); err != nil {
		return fmt.Errorf("manifest add: %w", err)
	}
	out := make([]store.Outgoing, 0, len(entries))
	for i, e := range entries {
		if strings.TrimSpace(e.Waybill) == "" || strings.TrimSpace(e.Carrier) == "" {
			return fmt.Errorf("manifest add: entry %d: waybill and carrier are required", i+1)
		}
		out = append(out, store.Outgoing{Node: *node, Type: syncproto.ChangeManifest, Payload: e})
	}
	if len(out) == 0 {
		return errors.New("manifest add: the file holds no entries")
	}
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	seqs, err := st.AddChanges(ctx, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "queued %d manifest entries for %s (changes %d-%d)\n", len(seqs), *node, seqs[0], seqs[len(seqs)-1])
	return nil
}

func (m *Main) tariffs(ctx context.Context, args []string) error {
	_, args, err := sub("tariffs", args, "set")
	if err != nil {
		return err
	}
	fs, parse := m.flags("tariffs set")
	target := fs.String("station", "", `station id, or "all" for every enabled station`)
	file := fs.String("file", "", "JSON tariff table: {\"tariffs\": [...]}")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if *target == "" || *file == "" {
		return errors.New("tariffs set: --station and --file are required")
	}
	var t syncproto.Tariffs
	if err := readJSONFile(*file, &t); err != nil {
		return fmt.Errorf("tariffs set: %w", err)
	}
	for i, tr := range t.Tariffs {
		if tr.Carrier == "" || tr.Province == "" || tr.FirstGrams <= 0 || tr.FirstFen < 0 || tr.StepGrams <= 0 || tr.StepFen < 0 {
			return fmt.Errorf("tariffs set: tariff %d: carrier, province, first_g > 0, step_g > 0 and prices ≥ 0 are required", i+1)
		}
	}
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	nodes := []string{*target}
	if *target == "all" {
		if err := st.SetTariffs(ctx, t.Tariffs); err != nil {
			return err
		}
		all, err := st.Nodes(ctx)
		if err != nil {
			return err
		}
		nodes = nodes[:0]
		for _, n := range all {
			if n.Kind == syncproto.NodeStation && !n.Disabled {
				nodes = append(nodes, n.ID)
			}
		}
		if len(nodes) == 0 {
			return errors.New("tariffs set: no enabled station")
		}
	}
	out := make([]store.Outgoing, len(nodes))
	for i, n := range nodes {
		out[i] = store.Outgoing{Node: n, Type: syncproto.ChangeTariffs, Payload: t}
	}
	if _, err := st.AddChanges(ctx, out); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "queued a table of %d tariffs for %d station(s): %s\n", len(t.Tariffs), len(nodes), strings.Join(nodes, " "))
	return nil
}

func (m *Main) sync(ctx context.Context, args []string) error {
	name, args, err := sub("sync", args, "import", "export")
	if err != nil {
		return err
	}
	if name == "import" {
		return m.syncImport(ctx, args)
	}
	return m.syncExport(ctx, args)
}

// syncImport merges a bundle file: consecutive ops batches, each merged
// exactly as if its station had uploaded it, the station standing for its
// own batches by being enrolled.
func (m *Main) syncImport(ctx context.Context, args []string) error {
	fs, parse := m.flags("sync import")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("sync import: give the bundle file")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("sync import: %w", err)
	}
	defer f.Close()
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	mo := c.MergeOptions()
	mo.Log = m.logger(c)
	mg, err := merge.New(ctx, st, mo)
	if err != nil {
		return err
	}
	defer mg.Close()
	br := bufio.NewReader(f)
	var merged, refused int
	for i := 1; ; i++ {
		b, err := syncproto.ReadBatch(br)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("sync import: batch %d: %w; the batches after it were not read (%d merged, %d refused)", i, err, merged, refused)
		}
		h := b.Header
		where := fmt.Sprintf("batch %d: %s inc %s", i, h.Node, h.Incarnation)
		if len(b.Ops) > 0 {
			where += fmt.Sprintf(" seq %d-%d", b.Ops[0].Seq, b.Ops[len(b.Ops)-1].Seq)
		}
		if h.Kind != syncproto.BatchOps {
			fmt.Fprintf(m.Stdout, "batch %d: a %s batch, not ops: skipped\n", i, h.Kind)
			refused++
			continue
		}
		n, err := st.Node(ctx, h.Node)
		if err != nil || !n.Enrolled || n.Disabled {
			fmt.Fprintf(m.Stdout, "%s: refused: %s is not an enrolled, enabled node\n", where, h.Node)
			refused++
			continue
		}
		res, err := mg.Apply(ctx, h.Node, b)
		var gap *merge.GapError
		switch {
		case errors.As(err, &gap):
			fmt.Fprintf(m.Stdout, "%s: refused: the hub holds up to seq %d; export again from seq %d\n", where, gap.Cursor, gap.Cursor+1)
			refused++
		case err != nil:
			fmt.Fprintf(m.Stdout, "%s: refused: %v\n", where, err)
			refused++
		default:
			fmt.Fprintf(m.Stdout, "%s: applied %d, duplicates %d, quarantined %d, dead letters %d; acked %d\n", where,
				res.Applied, res.Duplicates, res.Quarantined, res.DeadLettered, res.AckedSeq)
			merged++
		}
	}
	fmt.Fprintf(m.Stdout, "%d batches merged, %d refused\n", merged, refused)
	if refused > 0 {
		return fmt.Errorf("sync import: %d of %d batches refused", refused, merged+refused)
	}
	return nil
}

// syncExport writes a station's downstream changes after --after (by
// default after the last cursor the station reported) as consecutive
// changes batches, for the van's driver to carry.
func (m *Main) syncExport(ctx context.Context, args []string) error {
	fs, parse := m.flags("sync export")
	node := fs.String("station", "", "station id")
	after := fs.Int64("after", -1, "export changes after this seq (default: what the station last reported having)")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if *node == "" || fs.NArg() != 1 {
		return errors.New("sync export: give --station ID and the file to write")
	}
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Node(ctx, *node)
	if err != nil {
		return fmt.Errorf("sync export: %w", err)
	}
	from := n.ChangesAfter
	if *after >= 0 {
		from = uint64(*after)
	}
	path := fs.Arg(0)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("sync export: %w", err)
	}
	defer os.Remove(tmp)
	defer f.Close()
	w := bufio.NewWriter(f)
	var total, batches int
	var first, last uint64
	for cursor := from; ; {
		ch, err := st.Changes(ctx, n.ID, cursor, syncapi.MaxChangesLimit)
		if err != nil {
			return err
		}
		if len(ch) > 0 || batches == 0 {
			if err := syncproto.WriteChanges(w, n.ID, ch, st.Now().UnixMilli()); err != nil {
				return fmt.Errorf("sync export: %w", err)
			}
			batches++
		}
		if len(ch) == 0 {
			break
		}
		if first == 0 {
			first = ch[0].Seq
		}
		last = ch[len(ch)-1].Seq
		total += len(ch)
		cursor = last
		if len(ch) < syncapi.MaxChangesLimit {
			break
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("sync export: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync export: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sync export: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("sync export: %w", err)
	}
	if total == 0 {
		fmt.Fprintf(m.Stdout, "no changes for %s after seq %d; wrote an empty batch to %s\n", n.ID, from, filepath.Base(path))
		return nil
	}
	fmt.Fprintf(m.Stdout, "wrote %d changes for %s (seq %d-%d) in %d batch(es) to %s\n", total, n.ID, first, last, batches, path)
	return nil
}
