// Package drivers is the home of the device drivers (ID-card reader, scan
// gun, label printer, camera), one package each with a simulator speaking
// the device's real protocol. The edge imports them; they import neither
// edge nor hub.
package drivers
