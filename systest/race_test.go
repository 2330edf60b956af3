//go:build race

package systest

// raceEnabled: the race detector slows this package's own work (seeding
// stations) several times over; tests that seed thousands of ops seed
// fewer.
const raceEnabled = true
