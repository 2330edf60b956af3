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
//	go test -race ./systest/                          # the quick set
//	CUNYOU_SEED=0x2a go test -run Faults -v ./systest/ # replay one seed, with the link's log
//	CUNYOU_SOAK=500 go test -run Faults -timeout 2h ./systest/   # or: go test ./systest/ -args -soak 500
//	go test -run '^$' -bench Drain -benchtime 1x ./systest/
package systest
