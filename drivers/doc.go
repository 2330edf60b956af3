// Package drivers is the home of the device drivers (ID-card reader, scan
// gun, label printer, camera, SMS modem), one package each with a
// simulator speaking the device's real protocol. The edge imports them;
// they import neither edge nor hub.
//
// This package holds the little that several drivers share word for
// word: the State of a device that a driver watches and retries, the
// Status that reports it once per change, ChanSink and Sleep for the
// event loops, and the MessageTable that turns a driver's errors into
// stable codes and an operator's sentences.
package drivers
