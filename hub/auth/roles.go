package auth

import "slices"

// Permission is one action a console user may be allowed: the unit the
// open API checks on every call (hub/openapi names one for each route).
type Permission string

// The permissions.
const (
	Self              Permission = "self"                // see oneself, sign out
	ParcelsWrite      Permission = "parcels.write"       // announce parcels, manifests, carriers' events
	ParcelsRead       Permission = "parcels.read"        // search, track, timeline (masked)
	PersonalData      Permission = "parcels.personal"    // names, phones and addresses unmasked; phone search across carriers
	ParcelsAssign     Permission = "parcels.destination" // set a parcel's destination station
	ExceptionsRead    Permission = "exceptions.read"     // unresolved destinations, problems, overdue
	ExceptionsResolve Permission = "exceptions.resolve"  // resolve a contradiction with a note
	ParcelsMarkLost   Permission = "parcels.lost"        // declare a parcel lost
	OpsRepair         Permission = "ops.repair"          // retry or discard dead letters, acknowledge quarantined ops
	StationsRead      Permission = "stations.read"       // stations' health and sync state
	StationsManage    Permission = "stations.manage"     // add a station or centre, disable and enable one
	StationsEnroll    Permission = "stations.enroll"     // issue a station a new one-time enrollment code
	StatisticsRead    Permission = "statistics.read"     // counts
	RegistryRead      Permission = "registry.read"       // carriers, sites, lines
	TripsRead         Permission = "trips.read"
	TripsWrite        Permission = "trips.write"
	FleetRead         Permission = "fleet.read" // vehicles and drivers
	SMSMessagesRead   Permission = "sms.messages.read"
	SMSTemplatesRead  Permission = "sms.templates.read"
	SMSTemplatesWrite Permission = "sms.templates.write"
	SMSOptOutsWrite   Permission = "sms.optouts.write"
	WebhooksRead      Permission = "webhooks.read"
	WebhooksReplay    Permission = "webhooks.replay"
	AuditRead         Permission = "audit.read"
	UsersManage       Permission = "users.manage"
)

// Permissions lists every permission, in the order above.
var Permissions = []Permission{Self, ParcelsWrite, ParcelsRead, PersonalData, ParcelsAssign, ExceptionsRead,
	ExceptionsResolve, ParcelsMarkLost, OpsRepair,
	StationsRead, StationsManage, StationsEnroll, StatisticsRead, RegistryRead, TripsRead, TripsWrite, FleetRead, SMSMessagesRead,
	SMSTemplatesRead, SMSTemplatesWrite, SMSOptOutsWrite, WebhooksRead, WebhooksReplay, AuditRead, UsersManage}

// Roles.
const (
	Admin      = "admin"
	Dispatcher = "dispatcher"
	Centre     = "centre_staff"
	Carrier    = "carrier_viewer"
	Government = "government_viewer"
	Technician = "technician"
)

// Roles lists every role.
var Roles = []string{Admin, Dispatcher, Centre, Carrier, Government, Technician}

// grants is the one table of who may do what (README "People, roles and
// the audit log" shows it). A carrier viewer's parcels and deliveries are
// further kept to its carrier; a role without PersonalData sees names,
// phones and addresses masked.
var grants = map[string][]Permission{
	Admin: Permissions,
	Dispatcher: {Self, ParcelsRead, PersonalData, ParcelsAssign, ExceptionsRead, StationsRead, StationsManage, StationsEnroll, StatisticsRead,
		RegistryRead, TripsRead, TripsWrite, FleetRead, SMSMessagesRead, SMSTemplatesRead, SMSOptOutsWrite,
		ExceptionsResolve, ParcelsMarkLost, OpsRepair},
	Centre:     {Self, ParcelsRead, RegistryRead, TripsRead},
	Carrier:    {Self, ParcelsRead, WebhooksRead},
	Government: {Self, StatisticsRead, RegistryRead},
	// A technician replacing a station's PC on site issues its new code
	// without waiting for a dispatcher; adding or disabling stations
	// changes the county's registry and stays with dispatchers.
	Technician: {Self, StationsRead, StationsEnroll, RegistryRead},
}

// ValidRole reports whether role is one of Roles.
func ValidRole(role string) bool { _, ok := grants[role]; return ok }

// Allows reports whether role holds p.
func Allows(role string, p Permission) bool { return slices.Contains(grants[role], p) }

// PermissionsOf returns role's permissions, in the order of Permissions.
func PermissionsOf(role string) []Permission { return slices.Clone(grants[role]) }
