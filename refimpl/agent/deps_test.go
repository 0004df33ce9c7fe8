package agent

import (
	"os/exec"
	"strings"
	"testing"
)

// TestForwarderImportsNoTestSuite: the forwarder depends on the contract
// a target implements (conformance/contract, a leaf) and on nothing else
// of the conformance suite, so it builds and runs without the harness.
func TestForwarderImportsNoTestSuite(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/lbcheck/lbcheck/refimpl/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/lbcheck/lbcheck/conformance/") && pkg != "github.com/lbcheck/lbcheck/conformance/contract" {
			t.Errorf("refimpl depends on %s; only conformance/contract may be imported", pkg)
		}
	}
	out, err = exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, "github.com/lbcheck/lbcheck/conformance/contract").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/lbcheck/lbcheck/") && pkg != "github.com/lbcheck/lbcheck/schema" {
			t.Errorf("conformance/contract imports %s; it must stay a leaf over schema", pkg)
		}
	}
}
