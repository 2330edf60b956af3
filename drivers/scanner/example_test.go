package scanner_test

import (
	"context"
	"fmt"

	"cunyou/drivers/scanner"
)

// A scan gun on a serial port, here the simulator's: codes arrive in the
// sink, and so does the device's state.
func Example() {
	sim, err := scanner.NewSimulator(scanner.SimOptions{Suffix: scanner.CRLF})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sim.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan scanner.Event, 8)
	s, err := scanner.New(scanner.Options{Port: sim.Path(), Name: "gun1", Suffix: scanner.CRLF, Sink: scanner.ChanSink(ctx, events)})
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()

	fmt.Println((<-events).(scanner.StateChange).State)
	sim.Scan("YT2412345678901")
	sim.Scan("JT3098765432100")
	for range 2 {
		c := (<-events).(scanner.Code)
		fmt.Println(c.Device, c.Text)
	}
	cancel()
	<-done
	// Output:
	// open
	// gun1 YT2412345678901
	// gun1 JT3098765432100
}
