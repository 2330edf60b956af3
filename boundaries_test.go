// The import boundaries of DESIGN §3: edge and hub never import each
// other, syncproto imports neither (nor drivers), sqlitedb, confkit,
// waybill, sms, mask, idnum and passwd (shared by all) import nothing of
// ours, ui imports nothing of ours, and production code never imports testing (test
// helper packages named like httptest, e.g. sms/smstest, may).
package cunyou_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

type pkg struct {
	ImportPath string
	Deps       []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps=false", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func under(path, root string) bool { return path == root || strings.HasPrefix(path, root+"/") }

// violations lists every import that breaks a boundary rule.
func violations(pkgs []pkg) []string {
	rules := []struct {
		from   string
		banned []string
	}{
		{"cunyou/edge", []string{"cunyou/hub"}},
		{"cunyou/hub", []string{"cunyou/edge", "cunyou/drivers"}},
		{"cunyou/syncproto", []string{"cunyou/edge", "cunyou/hub", "cunyou/drivers", "cunyou/ui"}},
		{"cunyou/drivers", []string{"cunyou/edge", "cunyou/hub"}},
		{"cunyou/sqlitedb", []string{"cunyou/edge", "cunyou/hub", "cunyou/syncproto", "cunyou/drivers", "cunyou/ui"}},
		{"cunyou/confkit", []string{"cunyou/edge", "cunyou/hub", "cunyou/syncproto", "cunyou/drivers", "cunyou/ui"}},
		{"cunyou/waybill", []string{"cunyou/edge", "cunyou/hub", "cunyou/syncproto", "cunyou/drivers", "cunyou/ui"}},
		{"cunyou/sms", []string{"cunyou/edge", "cunyou/hub", "cunyou/syncproto", "cunyou/drivers", "cunyou/ui"}},
		{"cunyou/mask", []string{"cunyou/edge", "cunyou/hub", "cunyou/syncproto", "cunyou/drivers", "cunyou/ui"}},
		{"cunyou/idnum", []string{"cunyou/edge", "cunyou/hub", "cunyou/syncproto", "cunyou/drivers", "cunyou/ui"}},
		{"cunyou/passwd", []string{"cunyou"}},
		{"cunyou/ui", []string{"cunyou"}},
	}
	var out []string
	for _, p := range pkgs {
		for _, dep := range p.Deps {
			if dep == "testing" && !strings.HasPrefix(p.ImportPath, "cunyou/tools/") && !strings.HasSuffix(p.ImportPath, "test") {
				out = append(out, p.ImportPath+" imports testing")
			}
			for _, r := range rules {
				if !under(p.ImportPath, r.from) {
					continue
				}
				for _, b := range r.banned {
					if under(dep, b) {
						out = append(out, p.ImportPath+" imports "+dep)
					}
				}
			}
		}
	}
	return out
}

func TestImportBoundaries(t *testing.T) {
	for _, v := range violations(listPackages(t)) {
		t.Error(v)
	}
}

func TestImportBoundaryRules(t *testing.T) {
	bad := []pkg{
		{"cunyou/edge/station", []string{"cunyou/hub/merge"}},
		{"cunyou/hub/merge", []string{"cunyou/edge/store"}},
		{"cunyou/syncproto", []string{"cunyou/edge/store"}},
		{"cunyou/ui", []string{"cunyou/syncproto"}},
		{"cunyou/edge/kiosk", []string{"testing"}},
		{"cunyou/passwd", []string{"cunyou/mask"}},
	}
	for _, p := range bad {
		if len(violations([]pkg{p})) != 1 {
			t.Errorf("%s importing %v is not caught", p.ImportPath, p.Deps)
		}
	}
	good := []pkg{{"cunyou/edge/station", []string{"cunyou/syncproto", "cunyou/edge/store"}}, {"cunyou/hubble", []string{"cunyou/edge/x"}}}
	if v := violations(good); len(v) != 0 {
		t.Errorf("false alarms: %v", v)
	}
}
