package systest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if bins.dir != "" {
		os.RemoveAll(bins.dir)
	}
	os.Exit(code)
}

// bins are cunyou-hub and cunyou-edge, built once per run of the package.
var bins struct {
	once      sync.Once
	dir       string
	hub, edge string
	err       error
}

// buildBinaries builds both programs as `make build` does (CGO_ENABLED=0)
// into a temporary folder, once, and returns their paths.
func buildBinaries(tb testing.TB) (hub, edge string) {
	tb.Helper()
	bins.once.Do(func() {
		bins.dir, bins.err = os.MkdirTemp("", "cunyou-systest-bin-")
		if bins.err != nil {
			return
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		for _, b := range []struct {
			dst *string
			pkg string
		}{{&bins.hub, "cunyou/hub/cmd/cunyou-hub"}, {&bins.edge, "cunyou/edge/cmd/cunyou-edge"}} {
			out := filepath.Join(bins.dir, filepath.Base(b.pkg))
			cmd := exec.Command(goTool, "build", "-trimpath", "-o", out, b.pkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if msg, err := cmd.CombinedOutput(); err != nil {
				bins.err = fmt.Errorf("go build %s: %v\n%s", b.pkg, err, msg)
				return
			}
			*b.dst = out
		}
	})
	if bins.err != nil {
		tb.Fatal(bins.err)
	}
	return bins.hub, bins.edge
}
