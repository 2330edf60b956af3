package printer_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"cunyou/drivers/printer"
)

// The station prints a pickup sticker on the label printer of its
// configuration; a printer that is out of paper or absent is a
// retryable error with a sentence for the operator.
func ExamplePrinter_Print() {
	tr, err := printer.ParseTransport("serial:/dev/ttyUSB0@9600")
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := printer.New(printer.Options{Language: printer.TSPL, Transport: tr, Log: slog.Default()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	label := printer.PickupLabel(printer.Pickup{Code: "3-2-0417", PhoneTail: "5678", Waybill: "73100000000001", Date: "05-14"})
	if err := p.Print(ctx, label); err != nil {
		code := printer.CodeOf(err)
		fmt.Println(code, printer.Retryable(err), code.Chinese())
	}
}

// The kiosk shows the label before it is printed.
func ExamplePreviewPNG() {
	font, _ := printer.FindFont() // nil when the machine has none: Chinese shows as boxes
	label := printer.WaybillLabel(printer.Waybill{
		Carrier: "中通快递", Number: "73100000000001",
		Sender:      printer.Party{Name: "王小明", Phone: "139****1234", Address: "黑龙江省绥化市望奎县南岗村"},
		Receiver:    printer.Party{Name: "张三", Phone: "138****5678", Address: "北京市海淀区中关村大街27号"},
		WeightGrams: 1250, Date: "2026-05-14 10:32",
	})
	f, err := os.CreateTemp("", "waybill-*.png")
	if err != nil {
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	fmt.Println(printer.PreviewPNG(f, label, font))
	// Output: <nil>
}

// A test prints through the real serial code to the simulator and reads
// back what it printed.
func ExampleSimulator() {
	sim, err := printer.NewSimulator(printer.SimOptions{Language: printer.ZPL})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sim.Close()
	p, _ := printer.New(printer.Options{Language: printer.ZPL, Transport: printer.TCP(sim.Addr()), StatusTimeout: 200 * time.Millisecond})
	defer p.Close()

	ctx := context.Background()
	err = p.Print(ctx, printer.PickupLabel(printer.Pickup{Code: "3-2-0417", PhoneTail: "5678", Waybill: "73100000000001"}))
	fmt.Println(err)
	labels, _ := sim.Wait(ctx, 1)
	fmt.Println(labels[0].Texts()[1])

	sim.SetPaperOut(true)
	err = p.Print(ctx, printer.PickupLabel(printer.Pickup{Code: "3-2-0418"}))
	fmt.Println(printer.CodeOf(err)) // a Zebra keeps silent when out of paper
	// Output:
	// <nil>
	// 3-2-0417
	// printer.no_reply
}
