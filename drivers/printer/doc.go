// Package printer prints the station's and the centre's labels on thermal
// label printers: the 76×130 mm e-waybill of a parcel sent (寄件), the
// small pickup-code sticker (取件码) and the centre's sort label.
//
// # The model
//
// A Label is the stock's size in millimetres, the printer's resolution
// (203 dpi when 0) and a list of elements placed in dots from the
// top-left corner: Text (size, bold, rotation), Barcode (Code 128), QR,
// Line, Box and Reverse (white on black over what is drawn before it).
// The templates WaybillLabel, PickupLabel and SortLabel take plain
// structs of fields (phones already masked by the caller) and return a
// Label; their fixed captions (收件人 or To …) come from a table per Lang.
//
// Encode writes a Label in one of three languages (PROTOCOLS §3):
//
//   - TSPL, of most Chinese label printers (TSC, Gprinter, Xprinter,
//     HPRT): text in the built-in Simplified-Chinese font TSS24.BF2 as
//     GB18030 bytes.
//   - ZPL, of Zebra and its clones: ^CI26 with the GB18030 table and the
//     SimSun font as font 1 (the printer needs the font installed).
//   - ESC/POS, of receipt printers: Chinese mode (FS &), the label laid
//     out as lines from top to bottom; boxes keep only their top and
//     bottom rules, upright lines are left out, and an element that
//     overlaps the line above it moves down.
//
// Preview draws a Label as a PNG for the kiosk, one pixel a dot. Chinese
// needs a font file from the machine (FindFont looks in the usual places
// on Debian, Windows and macOS; the Go library has none); without one
// every Chinese character is drawn as an empty box and only Latin text
// is legible.
//
// # Printing
//
// A Printer is a Language spoken over a Transport: Serial (USB-serial or
// RS-232), Device (/dev/usb/lp0; a shared Windows printer
// \\localhost\Name), TCP (port 9100) or File (a spool, or a record in
// tests); ParseTransport reads them from the configuration
// ("tcp:192.168.1.50", "serial:/dev/ttyUSB0@9600", "usb:/dev/usb/lp0",
// "file:/var/spool/labels.prn"). Print is synchronous: it asks the
// printer for its status (TSPL <ESC>!?, ZPL ~HS, ESC/POS DLE EOT),
// refuses to send to a printer that is out of paper, open or paused,
// sends the label, and asks again. Over a connection that carries no
// replies it only sends. The print queue that survives restarts lives in
// the edge; it calls Print and keeps a job whose error is Retryable.
//
// The connection is opened at the first print and again after any error,
// so a printer that is missing at start, off or unplugged is an *Error
// with a retryable code (printer.not_found …), never a crash.
//
// # Errors
//
// Every error is an *Error with a stable Code (printer.paper_out,
// printer.head_open, printer.no_reply …; CodeOf) and a sentence for the
// operator in Simplified Chinese (Code.Chinese) and English, from one
// table in errors.go. errors.Is matches the sentinels (ErrPaperOut …). A
// ZPL printer keeps silent while out of paper or open, so for ZPL those
// states arrive as printer.no_reply, whose sentence names them.
//
// # The simulator
//
// Simulator is a printer for tests and the demo: it listens on a
// pseudo-terminal (Path, to open as a serial port) and on a TCP port
// (Addr), reads the real command language (TSPL, ZPL or ESC/POS), keeps
// the labels it printed with their text decoded from GB18030 (Labels,
// PrintedLabel.Texts, PrintedLabel.PNG), answers status queries, and can
// run out of paper, have its head opened or be paused on demand, holding
// what it is sent until the fault clears.
package printer
