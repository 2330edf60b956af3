//go:build race

package trackbench_test

// raceEnabled: the race detector makes merging ten times slower.
const raceEnabled = true
