package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"cunyou/hub/config"
	"cunyou/hub/gazetteer"
	"cunyou/hub/intake"
	"cunyou/hub/merge"
	"cunyou/hub/store"
	"cunyou/mask"
)

// county loads the county file into the registries.
func (m *Main) county(ctx context.Context, args []string) error {
	_, args, err := sub("county", args, "load")
	if err != nil {
		return err
	}
	fs, parse := m.flags("county load")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("county load: give the county file, e.g. county load testdata/county.json")
	}
	county, err := gazetteer.LoadFile(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("county load: %w", err)
	}
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.LoadCounty(ctx, county)
	if err != nil {
		return fmt.Errorf("county load: %w", err)
	}
	fmt.Fprintf(m.Stdout, "loaded %s%s%s: %d towns, %d villages, %d stations, %d lines\n", county.Province, county.City, county.Name,
		rep.Towns, rep.Villages, rep.Stations, rep.Lines)
	if len(rep.Codes) == 0 {
		fmt.Fprintln(m.Stdout, "no new nodes")
		return nil
	}
	ids := make([]string, 0, len(rep.Codes))
	for id := range rep.Codes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	fmt.Fprintf(m.Stdout, "%d new nodes; their one-time enrollment codes (valid until %s):\n", len(ids),
		st.Now().Add(store.EnrollTTL).Format("2006-01-02 15:04"))
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	for _, id := range ids {
		fmt.Fprintf(tw, "%s\t%s\n", id, rep.Codes[id])
	}
	return tw.Flush()
}

// carrier registers carriers and their webhooks.
func (m *Main) carrier(ctx context.Context, args []string) error {
	name, args, err := sub("carrier", args, "add", "list")
	if err != nil {
		return err
	}
	fs, parse := m.flags("carrier " + name)
	code := fs.String("code", "", "carrier code, e.g. zto")
	display := fs.String("name", "", "carrier name, e.g. 中通快递")
	hook := fs.String("webhook", "", "webhook URL for its parcels' events (https://…)")
	secret := fs.String("secret", "", "webhook signing secret (16+ characters)")
	var patterns multiFlag
	fs.Var(&patterns, "pattern", "regular expression of its waybill numbers (repeatable)")
	c, err := parse(args)
	if err != nil {
		return err
	}
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	if name == "add" {
		if err := st.PutCarrier(ctx, store.Carrier{Code: *code, Name: *display, Patterns: patterns, WebhookURL: *hook,
			WebhookSecret: *secret}); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "carrier %s (%s) saved\n", *code, *display)
		return nil
	}
	cs, err := st.Carriers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tNAME\tWEBHOOK\tPATTERNS")
	for _, c := range cs {
		hook := c.WebhookURL
		if hook == "" {
			hook = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Code, c.Name, hook, strings.Join(c.Patterns, " "))
	}
	return tw.Flush()
}

type multiFlag []string

func (f *multiFlag) String() string     { return strings.Join(*f, ",") }
func (f *multiFlag) Set(v string) error { *f = append(*f, v); return nil }

// client manages the open API's clients.
func (m *Main) client(ctx context.Context, args []string) error {
	name, args, err := sub("client", args, "add", "list", "disable", "enable")
	if err != nil {
		return err
	}
	fs, parse := m.flags("client " + name)
	id := fs.String("id", "", "client id, e.g. zto-api")
	display := fs.String("name", "", "who it is, e.g. 中通快递 黑龙江")
	carrier := fs.String("carrier", "", "limit the client to this carrier's parcels")
	scopes := fs.String("scopes", "", "comma-separated: "+strings.Join(store.Scopes, ", "))
	rate := fs.Int("rate", 600, "requests per minute")
	c, err := parse(args)
	if err != nil {
		return err
	}
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	switch name {
	case "add":
		key, err := st.AddClient(ctx, store.Client{ID: *id, Name: *display, Carrier: *carrier,
			Scopes: strings.FieldsFunc(*scopes, func(r rune) bool { return r == ',' || r == ' ' }), RatePerMin: *rate})
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "client %s added; its API key (shown once, keep it secret):\n%s\n", *id, key)
	case "disable", "enable":
		if err := st.SetClientDisabled(ctx, *id, name == "disable"); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%sd client %s\n", name, *id)
	case "list":
		cs, err := st.Clients(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCARRIER\tSCOPES\tRATE/MIN\tSTATE")
		for _, cl := range cs {
			state := "active"
			if cl.Disabled {
				state = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", cl.ID, cl.Name, orDash(cl.Carrier), strings.Join(cl.Scopes, ","), cl.RatePerMin, state)
		}
		return tw.Flush()
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// withIntake opens the store with a merger and the intake service, for
// commands that record the hub's own facts.
func (m *Main) withIntake(ctx context.Context, c config.Config, fn func(st *store.Store, svc *intake.Service) error) error {
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	mg, err := merge.New(ctx, st, c.MergeOptions())
	if err != nil {
		return err
	}
	defer mg.Close()
	return fn(st, intake.New(st, mg, c.Location()))
}

// manifestImport announces the parcels of a CSV or XLSX file.
func (m *Main) manifestImport(ctx context.Context, args []string) error {
	fs, parse := m.flags("manifest import")
	source := fs.String("source", "", `who sent the file (default "file:<name>")`)
	carrier := fs.String("carrier", "", "accept only this carrier's parcels")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("manifest import: give the file (.csv or .xlsx)")
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("manifest import: %w", err)
	}
	defer f.Close()
	if *source == "" {
		*source = "file:" + filepath.Base(path)
	}
	return m.withIntake(ctx, c, func(st *store.Store, svc *intake.Service) error {
		rs, err := svc.AnnounceFile(ctx, *source, *carrier, filepath.Base(path), f)
		if err != nil {
			return fmt.Errorf("manifest import: %w", err)
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		for _, r := range rs {
			if r.Outcome == intake.Rejected {
				fmt.Fprintf(tw, "row %d\t%s\trejected\t%s\t%s\n", r.Row, r.Waybill, r.Code, r.Message)
			} else if r.Station == "" {
				fmt.Fprintf(tw, "row %d\t%s\t%s\tunresolved\t%s\n", r.Row, r.Waybill, r.Outcome, r.Detail)
			}
		}
		tw.Flush()
		s := intake.Summarize(rs)
		fmt.Fprintf(m.Stdout, "%s: %d created, %d updated, %d unchanged, %d rejected; %d wait for a dispatcher (cunyou-hub unresolved)\n",
			filepath.Base(path), s.Created, s.Updated, s.Unchanged, s.Rejected, s.Unresolved)
		return nil
	})
}

// unresolved lists the dispatchers' queue.
func (m *Main) unresolved(ctx context.Context, args []string) error {
	fs, parse := m.flags("unresolved")
	limit := fs.Int("limit", 100, "at most this many")
	c, err := parse(args)
	if err != nil {
		return err
	}
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	ps, err := st.Unresolved(ctx, *limit)
	if err != nil {
		return err
	}
	if len(ps) == 0 {
		fmt.Fprintln(m.Stdout, "no parcel waits for a destination")
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WAYBILL\tCARRIER\tRECEIVER\tPHONE\tADDRESS\tWHY\tSINCE")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Waybill, p.Carrier, mask.Name(p.ReceiverName), mask.Phone(p.ReceiverPhone),
			p.Address, p.DestDetail, p.Created.Local().Format("01-02 15:04"))
	}
	return tw.Flush()
}

// assign sets a parcel's destination (a dispatcher's decision).
func (m *Main) assign(ctx context.Context, args []string) error {
	fs, parse := m.flags("assign")
	wb := fs.String("waybill", "", "waybill number")
	station := fs.String("station", "", "destination station id")
	note := fs.String("note", "", "why (kept in the timeline)")
	by := fs.String("by", "", "who decides (default: the user running the command)")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if *wb == "" || *station == "" {
		return errors.New("assign: --waybill and --station are required")
	}
	if *by == "" {
		*by = os.Getenv("USER")
	}
	if *by == "" {
		*by = "cli"
	}
	return m.withIntake(ctx, c, func(st *store.Store, svc *intake.Service) error {
		if err := svc.Assign(ctx, "dispatcher:"+*by, *wb, *station, *note); err != nil {
			return fmt.Errorf("assign: %w", err)
		}
		fmt.Fprintf(m.Stdout, "%s goes to %s\n", *wb, *station)
		return nil
	})
}

// trips plans and lists trips and assigns their vehicles and drivers.
func (m *Main) trips(ctx context.Context, args []string) error {
	name, args, err := sub("trips", args, "plan", "list", "set")
	if err != nil {
		return err
	}
	fs, parse := m.flags("trips " + name)
	date := fs.String("date", "", "day, YYYY-MM-DD (default: today in the county)")
	id := fs.String("id", "", "trip id (trips set)")
	vehicle := fs.String("vehicle", "", "plate number (trips set)")
	driver := fs.String("driver", "", "driver id (trips set)")
	status := fs.String("status", "", "planned, departed, arrived or cancelled (trips set)")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if *date == "" {
		*date = time.Now().In(c.Location()).Format(time.DateOnly)
	}
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	var trips []store.Trip
	switch name {
	case "plan":
		if trips, err = st.PlanTrips(ctx, *date); err != nil {
			return err
		}
	case "set":
		if *id == "" {
			return errors.New("trips set: --id is required")
		}
		var u store.TripUpdate
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "vehicle":
				u.Vehicle = vehicle
			case "driver":
				u.Driver = driver
			case "status":
				u.Status = status
			}
		})
		if err := st.UpdateTrip(ctx, *id, u); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "trip %s updated\n", *id)
		return nil
	case "list":
		if trips, err = st.Trips(ctx, *date); err != nil {
			return err
		}
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRIP\tLINE\tDEPARTS\tVEHICLE\tDRIVER\tSTATUS\tSTOPS")
	for _, t := range trips {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", t.ID, t.LineName, t.Departure, orDash(t.Vehicle), orDash(t.Driver), t.Status, len(t.Stops))
	}
	return tw.Flush()
}

// vehicle and driver keep the fleet.
func (m *Main) vehicle(ctx context.Context, args []string) error {
	name, args, err := sub("vehicle", args, "add", "list")
	if err != nil {
		return err
	}
	fs, parse := m.flags("vehicle " + name)
	plate := fs.String("plate", "", "plate number, e.g. 黑M12345")
	kind := fs.String("kind", "bus", "bus, van or truck")
	capacity := fs.Int("capacity", 0, "parcels it can carry")
	terminal := fs.String("terminal", "", "its JT/T 808 terminal's phone number")
	c, err := parse(args)
	if err != nil {
		return err
	}
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	if name == "add" {
		if err := st.PutVehicle(ctx, store.Vehicle{Plate: *plate, Kind: *kind, Capacity: *capacity, Terminal: *terminal, Active: true}); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "vehicle %s saved\n", *plate)
		return nil
	}
	vs, err := st.Vehicles(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PLATE\tKIND\tCAPACITY\tTERMINAL")
	for _, v := range vs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", v.Plate, v.Kind, v.Capacity, orDash(v.Terminal))
	}
	return tw.Flush()
}

func (m *Main) driver(ctx context.Context, args []string) error {
	name, args, err := sub("driver", args, "add", "list")
	if err != nil {
		return err
	}
	fs, parse := m.flags("driver " + name)
	id := fs.String("id", "", "driver id, e.g. D001")
	display := fs.String("name", "", "name")
	phone := fs.String("phone", "", "mobile number")
	c, err := parse(args)
	if err != nil {
		return err
	}
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	if name == "add" {
		if err := st.PutDriver(ctx, store.Driver{ID: *id, Name: *display, Phone: *phone, Active: true}); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "driver %s saved\n", *id)
		return nil
	}
	ds, err := st.Drivers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPHONE")
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", d.ID, d.Name, mask.Phone(d.Phone))
	}
	return tw.Flush()
}

// track prints a parcel and its timeline.
func (m *Main) track(ctx context.Context, args []string) error {
	fs, parse := m.flags("track")
	c, err := parse(args)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("track: give a waybill number")
	}
	st, err := m.open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	ps, err := st.ParcelsByWaybill(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	for _, p := range ps {
		fmt.Fprintf(m.Stdout, "%s (%s) %s: %s", p.Waybill, p.Direction, p.Carrier, p.Status)
		if p.Node != "" {
			fmt.Fprintf(m.Stdout, " at %s", p.Node)
		}
		if p.Dest != "" {
			fmt.Fprintf(m.Stdout, ", destination %s (%s)", p.Dest, p.DestReason)
		} else if p.Direction == "in" {
			fmt.Fprint(m.Stdout, ", destination unresolved")
		}
		if p.Trip != "" {
			fmt.Fprintf(m.Stdout, ", trip %s", p.Trip)
		}
		fmt.Fprintf(m.Stdout, "\n  receiver %s %s\n", mask.Name(p.ReceiverName), mask.Phone(p.ReceiverPhone))
	}
	facts, err := st.Timeline(ctx, fs.Arg(0), "")
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	for _, f := range facts {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", f.HLC.Time().Local().Format("01-02 15:04:05"), f.Node, strings.TrimPrefix(string(f.Kind), "parcel."), f.Detail)
	}
	tw.Flush()
	ex, err := st.Exceptions(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	for _, e := range ex {
		fmt.Fprintf(m.Stdout, "  exception: %s\n", e.Reason)
	}
	return nil
}
