// Package systest holds the system tests and benchmarks of delta sync
// (DESIGN §4, §7): real edges (edge/store, edge/station, edge/syncer) and a
// real hub (hub/store, hub/merge, hub/syncapi) on SQLite files in temporary
// folders, joined through the seeded chaos proxy of systest/chaos, and the
// two programs themselves built and killed at random moments.
//
// It has no code of its own outside its tests. The tests are the only
// place where edge and hub packages meet in one program; neither imports
// the other.
//
//	go test -race ./systest/                            # the quick set
//	CUNYOU_SEED=0x2a go test -run Faults -v ./systest/   # replay one seed, with the link's and the loops' logs
//	CUNYOU_SOAK=1000 go test -run Faults -timeout 2h ./systest/  # N seeds from CUNYOU_SOAK_BASE (1000); or -args -soak 1000
//	CUNYOU_KILL_SEED=3 go test -run RealBinaries -v ./systest/   # other kill moments for the programs
//	go test -run '^$' -bench . -benchtime 1x ./systest/  # the drain and bytes-per-op figures (CUNYOU_DRAIN_LOG=1: the loop's warnings)
//
// The benchmarks build a station of 30 days (60,000 ops) once and keep it
// in the system's temporary folder (cunyou-systest-30days-*.db).
package systest
