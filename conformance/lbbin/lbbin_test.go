package lbbin

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestPathBuildsLbcheck checks that a test binary gets a freshly built
// lbcheck that has the forward command.
func TestPathBuildsLbcheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lbcheck")
	}
	os.Unsetenv(EnvBin)
	p, err := Path()
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(p, ".test") {
		t.Fatalf("Path = %s, the test binary itself", p)
	}
	out, err := exec.Command(p, "forward", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "forward --role mux|host") {
		t.Errorf("%s forward --help: %v\n%s", p, err, out)
	}
	if p2, _ := Path(); p2 != p {
		t.Errorf("second Path = %s, want the cached %s", p2, p)
	}
}

func TestEnvOverride(t *testing.T) {
	t.Setenv(EnvBin, "/no/such/lbcheck")
	if _, err := find(); err == nil || !strings.Contains(err.Error(), EnvBin) {
		t.Errorf("find with a missing %s = %v", EnvBin, err)
	}
	t.Setenv(EnvBin, os.Args[0])
	if p, err := find(); err != nil || p != os.Args[0] {
		t.Errorf("find = %s, %v; want %s", p, err, os.Args[0])
	}
}
