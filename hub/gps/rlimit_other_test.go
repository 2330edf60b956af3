//go:build !unix

package gps

// raiseFiles: Windows has no per-process limit of sockets to raise.
func raiseFiles() int { return 1 << 20 }
