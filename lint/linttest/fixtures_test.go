package linttest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/lint/linttest"
	"github.com/lbcheck/lbcheck/lint/rules"
)

// root is the repository root, relative to this package.
const root = "../.."

// TestFixtures runs the engine's own fixtures (suppressions) with every
// rule.
func TestFixtures(t *testing.T) {
	for _, dir := range []string{"fixtures/lint/LB0002", "fixtures/lint/LB0003"} {
		t.Run(dir, func(t *testing.T) {
			if fs := linttest.Run(t, rules.All, filepath.Join(root, dir)); len(fs) == 0 {
				t.Errorf("%s produced no findings; its fixtures test nothing", dir)
			}
		})
	}
}

// TestSchemaFixtures runs each schema fixture file on its own with no rules,
// so that only the loader's issues (LB0001, LB1001, LB1002) and the engine's
// own findings are expected: valid files must produce none, invalid ones
// some.
func TestSchemaFixtures(t *testing.T) {
	for _, kind := range []string{"valid", "invalid"} {
		files, err := filepath.Glob(filepath.Join(root, "fixtures/schema", kind, "*"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no fixtures/schema/%s files (%v)", kind, err)
		}
		for _, file := range files {
			t.Run(filepath.ToSlash(strings.TrimPrefix(file, root+"/")), func(t *testing.T) {
				fs := linttest.Run(t, nil, file)
				if kind == "invalid" && len(fs) == 0 {
					t.Errorf("%s produced no findings", file)
				}
			})
		}
	}
}

type recorder struct{ errs []string }

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestRunReportsMismatches runs a fixture whose expectations are wrong and
// checks that Run reports both kinds of mismatch.
func TestRunReportsMismatches(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "lb.yaml")
	src := `loadBalancers:
  - name: web
    type: public
    frontendIPConfigurations:
      - {name: fe, ipAddress: 203.0.113.10}
    backendAddressPools:
      - name: pool
    loadBalancingRules:
      - name: http # want LB2003:"has a probe"
        frontendIPConfiguration: fe
        backendAddressPool: pool
        protocol: Tcp
        frontendPort: 80
        backendPort: 80
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var r recorder
	fs := linttest.Run(&r, rules.All, dir)
	if len(fs) == 0 {
		t.Fatal("no findings")
	}
	want := []string{
		fmt.Sprintf("%s:9: unexpected finding LB2003: %s", file, fs[0].Message),
		fmt.Sprintf(`%s:9: no finding LB2003 matching "has a probe"`, file),
	}
	if !slices.Equal(r.errs, want) {
		t.Errorf("errors:\n%q\nwant:\n%q", r.errs, want)
	}
}

func TestRunLoadError(t *testing.T) {
	var r recorder
	if fs := linttest.Run(&r, rules.All, filepath.Join(t.TempDir(), "missing.yaml")); fs != nil || len(r.errs) != 1 {
		t.Errorf("missing file: findings %v, errors %q; want one error", fs, r.errs)
	}
}
