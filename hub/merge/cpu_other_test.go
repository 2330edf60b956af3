//go:build !unix

package merge_test

import "time"

func processCPU() time.Duration { return 0 }
