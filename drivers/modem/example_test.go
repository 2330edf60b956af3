package modem_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"cunyou/drivers/modem"
	"cunyou/sms"
)

// The edge's fallback sender: open the modem once, send while the data
// link is down, poll for receipts, show Status in diag.
func ExampleOpen() {
	g, err := modem.Open(modem.Options{Port: "/dev/ttyUSB2", Log: slog.Default()})
	if errors.Is(err, modem.ErrNotFound) {
		return // no modem on this station: normal, try again later
	} else if err != nil {
		fmt.Println("modem:", err)
		return
	}
	defer g.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sent, err := g.Send(ctx, sms.Message{ID: "arrival-7f3a", Phone: "13912345678",
		Text: "【望奎村邮】您的包裹已到南岗村驿站，取件码 5-2-0001，营业至 19:30。"})
	switch sms.KindOf(err) {
	case sms.Permanent: // never retry this message
	case sms.Misconfigured: // no SIM, PIN, barred: tell a person
	default: // Temporary, Throttled: keep it queued
	}
	if err == nil {
		fmt.Println("provider id", sent.ProviderID, "parts", sent.Parts)
	}

	receipts, _ := g.Receipts(ctx, 100)
	for _, r := range receipts {
		fmt.Println(r.MessageID, r.Status)
	}

	st, err := g.Status(ctx)
	if err == nil {
		fmt.Printf("%s %s, SIM %s, %s on %s, %d dBm\n", st.Manufacturer, st.Model, st.SIM, st.Registration, st.Operator, st.SignalDBm)
	}
}
