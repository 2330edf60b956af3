package idcard_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"cunyou/drivers/idcard"
)

// The edge runs the reader for as long as it runs: events go to a
// channel the kiosk reads; an absent reader is shown, not fatal.
func ExampleWatch() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan idcard.Event, 16)
	go idcard.Watch(ctx, idcard.Options{Port: "/dev/ttyUSB0", Log: slog.Default()}, func(e idcard.Event) {
		select {
		case events <- e:
		case <-ctx.Done():
		}
	})
	for e := range events {
		switch e.Kind {
		case idcard.EventCard:
			id := e.Identity
			fmt.Println("read", id, id.Nation(), id.Expired(time.Now())) // masked: 张* 男 231221********0139
			// id.Number.Full() goes to the (encrypted) store, never to a log.
		case idcard.EventError, idcard.EventAbsent:
			zh, _ := idcard.Sentence(e.Err)
			fmt.Println(idcard.Code(e.Err), zh) // e.g. idcard.no_card 未找到身份证：…
		}
	}
}

// The simulator in a test or the showroom: place a demo card, read it.
func ExampleSimulator() {
	sim, err := idcard.NewSimulator(idcard.SimOptions{})
	if err != nil {
		return // no pseudo-terminals on this platform
	}
	defer sim.Close()
	sim.PlaceCard(idcard.DemoCards()[0])

	r, err := idcard.Open(idcard.Options{Port: sim.Path()})
	if err != nil {
		return
	}
	defer r.Close()
	id, err := r.ReadCard(context.Background())
	if err == nil {
		fmt.Println(id)
	}

	sim.FailNext(0x41)
	_, err = r.ReadCard(context.Background())
	fmt.Println(idcard.Code(err))
}
