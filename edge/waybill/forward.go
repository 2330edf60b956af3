// Package waybill forwards to cunyou/waybill, where waybill numbers now
// live (the hub needs them too). Import cunyou/waybill; this package goes
// away once nothing imports it.
package waybill

import "cunyou/waybill"

type (
	Carrier   = waybill.Carrier
	Candidate = waybill.Candidate
)

var (
	Carriers  = waybill.Carriers
	Lookup    = waybill.Lookup
	Detect    = waybill.Detect
	Valid     = waybill.Valid
	Normalize = waybill.Normalize
)
