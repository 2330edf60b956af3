package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"

	"cunyou/hub/config"
	"cunyou/hub/notify"
	"cunyou/hub/sms/cloud"
	"cunyou/hub/sms/smpp"
	"cunyou/sms"
)

// smsCmd looks at SMS messages and keeps templates and opt-outs.
func (m *Main) smsCmd(ctx context.Context, args []string) error {
	name, args, err := sub("sms", args, "list", "templates", "template", "optout", "optin", "push")
	if err != nil {
		return err
	}
	fs, parse := m.flags("sms " + name)
	state := fs.String("state", "", "sms list: queued, submitted, delivered, failed, dead, or problems (failed and dead)")
	limit := fs.Int("limit", 50, "sms list: at most this many")
	kind := fs.String("kind", "", "sms template: arrival, arrival_many, reminder, returning, sender_accepted, sender_handed_over or sender_delivered")
	text := fs.String("text", "", "sms template: the text with {variables}")
	var providers multiFlag
	fs.Var(&providers, "provider", "sms template: PROVIDER=TEMPLATE_ID, e.g. aliyun=SMS_15305001 (repeatable)")
	phone := fs.String("phone", "", "sms optout/optin: the phone number")
	station := fs.String("station", "", "sms push: one station (all when empty)")
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
	case "list":
		ms, err := notify.Messages(ctx, st, *state, *limit)
		if err != nil {
			return err
		}
		if ss, err := notify.StationSentCounts(ctx, st); err != nil {
			return err
		} else if ss.Sent > 0 {
			fmt.Fprintf(m.Stdout, "arrival SMS sent by stations' modems: %d (also sent by the hub: %d)\n", ss.Sent, ss.Doubles)
		}
		if len(ms) == 0 {
			fmt.Fprintln(m.Stdout, "no messages")
			return nil
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPHONE\tSTATE\tGATEWAY\tPARTS\tWAYBILLS\tCREATED\tERROR\tTEXT")
		for _, x := range ms {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", x.ID, sms.Mask(x.Phone), x.State, orDash(x.Gateway), x.Parts,
				strings.Join(x.Waybills, " "), x.Created.Local().Format("01-02 15:04:05"), orDash(strings.TrimSpace(x.ErrorCode+" "+x.Error)), x.Text)
		}
		return tw.Flush()
	case "templates":
		ts, err := notify.LoadTemplates(ctx, st)
		if err != nil {
			return err
		}
		for _, k := range []string{"arrival", "arrival_many", "reminder", "returning"} {
			t := ts[k]
			p, err := notify.Check(k, c.SMS.Sign, t.Text)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "%s: %s\n  providers %v\n  e.g. %s (%d characters, %d message(s))\n", k, t.Text, t.Providers, p.Text, p.Chars, p.Parts)
		}
	case "template":
		if *kind == "" || *text == "" {
			return errors.New("sms template: --kind and --text are required")
		}
		var ps map[string]string
		if len(providers) > 0 {
			ps = map[string]string{}
			for _, p := range providers {
				k, v, ok := strings.Cut(p, "=")
				if !ok || k == "" || v == "" {
					return fmt.Errorf("sms template: --provider %q: use PROVIDER=TEMPLATE_ID", p)
				}
				ps[k] = v
			}
		}
		p, err := notify.SetTemplate(ctx, st, *kind, c.SMS.Sign, *text, ps, "cli")
		if err != nil {
			return err
		}
		if err := notify.PushTemplates(ctx, st, c.SMS.Sign, c.SMS.Quiet); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "template %s saved: %s (%d characters, %d message(s))\n", *kind, p.Text, p.Chars, p.Parts)
	case "push":
		var nodes []string
		if *station != "" {
			nodes = []string{*station}
		}
		if err := notify.PushTemplates(ctx, st, c.SMS.Sign, c.SMS.Quiet, nodes...); err != nil {
			return err
		}
		who := "every station"
		if *station != "" {
			who = *station
		}
		fmt.Fprintf(m.Stdout, "queued the arrival SMS texts for %s (they go down with the next sync)\n", who)
	case "optout":
		if err := notify.OptOut(ctx, st, *phone, "dispatcher"); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s gets no more messages\n", sms.Mask(*phone))
	case "optin":
		if err := notify.OptIn(ctx, st, *phone); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s gets messages again\n", sms.Mask(*phone))
	}
	return nil
}

// smsGateways builds the configured gateways, in failover order.
func smsGateways(c config.SMS, log *slog.Logger) ([]sms.Gateway, error) {
	var out []sms.Gateway
	for i, g := range c.Gateways {
		gw, err := newGateway(g, c.Sign, log)
		if err != nil {
			closeGateways(out)
			return nil, fmt.Errorf("sms gateway %d (%s): %w", i+1, g.Type, err)
		}
		out = append(out, gw)
	}
	if len(out) == 0 {
		log.Warn("no SMS gateway configured: arrival notices wait in the hub's queue (see sms.gateways in the README)")
	}
	return out, nil
}

func closeGateways(gs []sms.Gateway) {
	for _, g := range gs {
		g.Close()
	}
}

// runNotifier runs the notifier; stop ends it and waits.
func runNotifier(n *notify.Notifier) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// newGateway builds one gateway of the configuration.
func newGateway(g config.Gateway, sign string, log *slog.Logger) (sms.Gateway, error) {
	switch g.Type {
	case "aliyun":
		return cloud.NewAliyun(cloud.AliyunOptions{Endpoint: g.Endpoint, AccessKeyID: g.KeyID, AccessKeySecret: g.KeySecret,
			SignName: sign, Region: g.Region, Log: log})
	case "smpp":
		return smpp.New(smpp.Options{Addr: g.Addr, SystemID: g.SystemID, Password: g.Password, SourceAddr: g.SourceAddr,
			Window: g.Window, Log: log})
	case "tencent":
		return cloud.NewTencent(cloud.TencentOptions{Endpoint: g.Endpoint, SecretID: g.KeyID, SecretKey: g.KeySecret, AppID: g.AppID,
			SignName: sign, Region: g.Region, Log: log})
	}
	return nil, fmt.Errorf("unknown gateway type %q", g.Type)
}
