// Package devices runs a station's configured devices (config devices):
// ID-card readers, scan guns, label printers and cameras. It is the host
// of the drivers in cunyou/drivers: each configured device is made by the
// driver its kind names in a registry filled in init, and run with retry
// and backoff; a device absent at start, or unplugged, is a state shown to
// the operator (absent) and looked for again, never a crash.
//
// The Host keeps every device's state (starting, ready, absent, error,
// with a stable code and the operator's sentence in Chinese, and when it
// was last seen), and what the devices bring:
//
//   - the identity of the card last read, held in memory only, for
//     Options.CardTTL (2 minutes: a real card stops answering once read,
//     so its leaving the reader cannot be seen) or until the reader goes
//     or another card is read. Its full ID number never leaves the process:
//     the kiosk's send takes it from the Host on the server, and
//     everything shown or logged is masked. A send that takes the card
//     stores its photo (WLT, as read) with the send, encrypted, for 90
//     days (station.SendWithCard).
//   - the codes scan guns on serial ports read, numbered, for the kiosk
//     page to poll (Scans).
//   - printing: Print sends a label to the label printer, and the print
//     worker drains the station's print queue (print_jobs) oldest first,
//     marking each job printed or failed; a job that failed for a reason
//     an operator can fix (paper out, printer off) waits at the head of
//     the queue, and the queue survives restarts because it is in the
//     database.
//   - camera snapshots, stored content-addressed in the edge's blob folder
//     (and recorded with PutBlob, so they sync to the hub).
//
// Serial devices are found by port, or by USB vendor and product id
// (config usb "VID:PID") through go.bug.st/serial's enumerator, looked up
// again whenever the device is opened, so a reader that comes back on
// another ttyUSB after a replug is found.
//
// Checks gives diag's device checks; while serve runs, the Host writes
// its devices' states to a file in the data folder so that diag, another
// process, reports them without opening ports serve holds.
package devices
