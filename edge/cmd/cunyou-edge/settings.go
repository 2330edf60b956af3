package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"cunyou/edge/station"
)

// settings shows the station's rules (overdue parcels, the ID card at
// pickup) or, with set, changes those the flags name, as the owner does in
// the kiosk: the change is an op like any other.
func (m *Main) settings(ctx context.Context, args []string) error {
	sub := "show"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	fs, parse := m.flags("settings")
	overdue := fs.Int("overdue-days", 0, "days on the shelf before a reminder is due")
	ret := fs.Int("return-days", 0, "days on the shelf before the parcel is due back")
	proxy := fs.Bool("id-for-proxy", false, "a proxy's ID card must be read at pickup")
	high := fs.Bool("id-high-value", false, "a valuable parcel's collector must have their ID card read")
	yuan := fs.Int("id-value-yuan", 0, "a parcel is valuable from this declared value, in yuan")
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
	cur, err := s.Settings(ctx)
	if err != nil {
		return err
	}
	switch sub {
	case "show":
	case "set":
		set := 0
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "overdue-days":
				cur.OverdueDays, set = *overdue, set+1
			case "return-days":
				cur.ReturnDays, set = *ret, set+1
			case "id-for-proxy":
				cur.IDForProxy, set = *proxy, set+1
			case "id-high-value":
				cur.IDHighValue, set = *high, set+1
			case "id-value-yuan":
				cur.IDValueYuan, set = *yuan, set+1
			}
		})
		if set == 0 {
			return fmt.Errorf("settings set: name a setting to change, e.g. --id-for-proxy=false")
		}
		if err := s.SetSettings(ctx, "cli", cur); err != nil {
			return describe(err)
		}
		if cur, err = s.Settings(ctx); err != nil {
			return err
		}
	default:
		return fmt.Errorf("settings: unknown subcommand %q", sub)
	}
	fmt.Fprintf(m.Stdout, "overdue_days   %d\nreturn_days    %d\nid_for_proxy   %t\nid_high_value  %t\nid_value_yuan  %d\n",
		cur.OverdueDays, cur.ReturnDays, cur.IDForProxy, cur.IDHighValue, cur.IDValueYuan)
	return nil
}
