// Package notify sends the arrival SMS from the station itself, through its
// LTE modem, when the station's data link is down but SMS still works.
//
// Normally the hub sends every arrival SMS as soon as a parcel's inbound op
// reaches it. A parcel whose inbound op the hub has not acknowledged
// within After (10 minutes by default) is owed its SMS by the station: the
// notifier sends it through the modem, combining one phone's parcels into
// one message, outside the station's quiet hours, and records it with a
// parcel.notified op in the same transaction, so the hub sends none of
// its own when the ops reach it.
//
// The one way a villager gets two messages: the hub merged the inbound op
// and sent its SMS, but its acknowledgement never reached the station, and
// the link stayed down for After. The hub counts those doubles
// (`cunyou-hub sms list`). A larger After makes them rarer and the
// station's own message later.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"cunyou/edge/station"
	"cunyou/sms"
	"cunyou/waybill"
)

// Sender sends one SMS: drivers/modem's Gateway.
type Sender interface {
	Send(ctx context.Context, m sms.Message) (sms.Sent, error)
}

// Keys of the texts the hub sends down (hub/notify.PushTemplates) and the
// texts used until it has.
const (
	keyArrival     = "sms.arrival"
	keyArrivalMany = "sms.arrival_many"
	keyQuiet       = "sms.quiet"

	defaultArrival     = "您的{carrier}包裹已到驿站，取件码{code}，请及时领取。"
	defaultArrivalMany = "您有{count}个包裹已到驿站，取件码{codes}，请及时领取。"
	defaultQuiet       = "21:00-08:00"
)

// Options configure a Notifier.
type Options struct {
	Station *station.Station
	Modem   Sender
	// After is how long a parcel's inbound op may wait for the hub's
	// acknowledgement before the station sends the SMS itself (10 min).
	After time.Duration
	// Interval is how often the notifier looks (30 s).
	Interval time.Duration
	// Location is the station's time zone, for quiet hours.
	Location *time.Location
	Now      func() time.Time
	Log      *slog.Logger
}

// Notifier sends the station's own arrival SMS.
type Notifier struct {
	o                    Options
	sent, failed, unsure atomic.Int64
}

// New returns a notifier.
func New(o Options) *Notifier {
	if o.After <= 0 {
		o.After = 10 * time.Minute
	}
	if o.Interval <= 0 {
		o.Interval = 30 * time.Second
	}
	if o.Location == nil {
		o.Location = time.FixedZone("CST", 8*3600)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{o: o}
}

// Run settles messages a stop caught mid-send, then looks every Interval
// until ctx ends.
func (n *Notifier) Run(ctx context.Context) error {
	if _, err := n.Recover(ctx); err != nil {
		n.o.Log.Error("station sms: recover", "err", err)
	}
	t := time.NewTicker(n.o.Interval)
	defer t.Stop()
	for {
		if _, err := n.Pass(ctx); err != nil && ctx.Err() == nil {
			n.o.Log.Warn("station sms", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Recover records the messages a stop caught while the modem had them as
// sent, uncertain: the modem cannot be asked whether it sent them, and
// sending again could give the villager two. Their op tells the hub.
func (n *Notifier) Recover(ctx context.Context) (int, error) {
	msgs, err := n.o.Station.InterruptedSMS(ctx)
	if err != nil {
		return 0, err
	}
	for _, wbs := range msgs {
		if err := n.o.Station.SentSMS(ctx, wbs, 0, true); err != nil {
			return 0, err
		}
		n.unsure.Add(1)
		n.o.Log.Warn("station sms: a stop caught a message mid-send; recorded as sent", "parcels", len(wbs))
	}
	return len(msgs), nil
}

// Pass sends the SMS owed now and returns how many messages went.
func (n *Notifier) Pass(ctx context.Context) (int, error) {
	now := n.o.Now()
	texts, err := n.o.Station.Templates(ctx)
	if err != nil {
		return 0, err
	}
	if _, quiet := sms.QuietUntil(now.In(n.o.Location), or(texts[keyQuiet], defaultQuiet)); quiet {
		return 0, nil
	}
	owed, err := n.o.Station.UnsentArrivals(ctx, now.Add(-n.o.After))
	if err != nil {
		return 0, err
	}
	sent := 0
	for i := 0; i < len(owed); {
		j := i + 1
		for j < len(owed) && owed[j].Phone == owed[i].Phone {
			j++
		}
		group := owed[i:j]
		i = j
		if !sms.ValidPhone(group[0].Phone) {
			continue
		}
		ok, err := n.send(ctx, group, texts)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// send sends one phone's message and records it; ok is false when the
// modem refused it (it is tried again next pass).
func (n *Notifier) send(ctx context.Context, group []station.Arrival, texts map[string]string) (ok bool, err error) {
	wbs := make([]string, len(group))
	codes := make([]string, len(group))
	for k, a := range group {
		wbs[k], codes[k] = a.Waybill, a.Code
	}
	text := strings.NewReplacer("{carrier}", carrierName(group[0].Carrier), "{code}", group[0].Code).
		Replace(or(texts[keyArrival], defaultArrival))
	if len(group) > 1 {
		text = strings.NewReplacer("{count}", fmt.Sprint(len(group)), "{codes}", sms.JoinCodes(codes)).
			Replace(or(texts[keyArrivalMany], defaultArrivalMany))
	}
	if err := n.o.Station.SendingSMS(ctx, group[0].Phone, text, wbs); errors.Is(err, station.ErrArrivalGone) {
		return false, nil // undone or handed out since the list was made: the next pass knows
	} else if err != nil {
		return false, err
	}
	s, err := n.o.Modem.Send(ctx, sms.Message{ID: "st-" + wbs[0], Phone: group[0].Phone, Text: text})
	if err != nil {
		n.failed.Add(1)
		n.o.Log.Warn("station sms: the modem did not send", "phone", sms.Mask(group[0].Phone), "kind", sms.KindOf(err).String(), "err", err)
		return false, n.o.Station.FailedSMS(ctx, wbs, sms.KindOf(err) == sms.Permanent)
	}
	n.sent.Add(1)
	n.o.Log.Info("station sms: sent through the modem", "phone", sms.Mask(group[0].Phone), "parcels", len(wbs), "parts", s.Parts)
	return true, n.o.Station.SentSMS(ctx, wbs, s.Parts, false)
}

// Stats counts messages since the notifier started.
type Stats struct {
	Sent      int64 // through the modem
	Failed    int64 // refused by the modem (tried again, unless for good)
	Uncertain int64 // caught mid-send by a stop, recorded as sent
}

// Stats returns the counts.
func (n *Notifier) Stats() Stats {
	return Stats{Sent: n.sent.Load(), Failed: n.failed.Load(), Uncertain: n.unsure.Load()}
}

func or(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func carrierName(code string) string {
	if c, ok := waybill.Lookup(code); ok {
		return c.Short
	}
	return code
}
