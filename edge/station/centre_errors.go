package station

import "errors"

// Codes of the county centre's refusals (centre mode). Like the station's,
// each keys a sentence in edge/messages.
const (
	CodeNotCentre           Code = "not_centre"
	CodeTripNotFound        Code = "trip_not_found"
	CodeTripCancelled       Code = "trip_cancelled"
	CodeTripDeparted        Code = "trip_departed"
	CodeParcelNotScanned    Code = "parcel_not_scanned"
	CodeParcelUnresolved    Code = "parcel_unresolved"
	CodeLoadWrongTrip       Code = "load_wrong_trip"
	CodeLoadedElsewhere     Code = "parcel_loaded_elsewhere"
	CodeParcelDeparted      Code = "parcel_departed"
	CodeBagInvalid          Code = "bag_invalid"
	CodeDirectionInvalid    Code = "direction_invalid"
	CodeStationInvalid      Code = "station_invalid"
	CodeParcelNotCollected  Code = "parcel_not_collected"
	CodeParcelCollected     Code = "parcel_collected"
	CodeParcelHandedOver    Code = "parcel_handed_over"
	CodeHandoverCarrier     Code = "handover_carrier_mismatch"
	CodeHandoverEmpty       Code = "handover_empty"
	CodeHandoverNotFound    Code = "handover_not_found"
	CodePrintJobNotFound    Code = "print_job_not_found"
	CodeCentreStateInvalid  Code = "state_invalid"
	CodeCourierInvalid      Code = "courier_invalid"
	CodeCentreTripIDInvalid Code = "trip_invalid"
)

// ErrPrintJobNotQueued: a printer driver tried to finish a job that is not
// waiting to be printed (already printed or failed).
var ErrPrintJobNotQueued = errors.New("station: print job is not queued")
