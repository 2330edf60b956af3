//go:build !race

package trackbench_test

const raceEnabled = false
