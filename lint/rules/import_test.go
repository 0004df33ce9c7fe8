package rules

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema/importer"
)

// TestImportedUnknowns lints fixtures/lint/unknown with every rule: an ARM
// template whose parameters without defaultValue leave enableTcpReset of
// Floating IP rule "web", the backend ports of rules "batch-a" and
// "batch-b" and batch-b's frontend port unknown, with a Dynamic frontend
// fe-dyn (rule "web-dyn") and a Dynamic NIC of app-2, and a guest of app-1
// that lacks web's frontend IP.
//
// No rule needs web's enableTcpReset (LB9002 is settled by its protocol,
// Tcp) nor app-2's address (app-2 has no guest): no LB0010 for them, and
// LB3001 still checks web. The unknown ports (zero in the model, so equal)
// keep LB1003 silent for batch-a and batch-b while it still reports the
// known clash of api-a and api-b; each batch rule is one LB0010 finding
// naming its unknown fields and the rules that skipped it, at the first of
// them. fe-dyn's address is needed only by LB3001, for app-1's guest.
func TestImportedUnknowns(t *testing.T) {
	d, issues, err := importer.LoadFiles(importer.Auto, []string{filepath.Join(fixtures, "lint", "unknown")}, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range lint.Run(d, issues, All, nil) {
		s := fmt.Sprintf("%s %s:%d:%d", f.Rule, filepath.Base(f.Pos.File), f.Pos.Line, f.Pos.Column)
		if f.Rule == lint.UnknownValue {
			s += " " + f.Message
			if !strings.HasPrefix(f.Message, f.Object+": ") {
				t.Errorf("LB0010 finding about object %q: %s", f.Object, f.Message)
			}
		}
		got = append(got, s)
	}
	noDefault := func(p string) string {
		return fmt.Sprintf(`(parameter '%s' has no defaultValue and none was passed with --parameters)`, p)
	}
	want := []string{
		"LB3001 guests.yaml:8:5",
		"LB0010 lb.json:29:47 loadBalancers.app-ilb.frontendIPConfigurations.fe-dyn: ipAddress " +
			"(the private IP address is allocated by Azure (Dynamic)) is only known at deployment; not checked by LB3001",
		"LB1003 lb.json:63:56", // api-b.backendPort
		"LB0010 lb.json:73:56 loadBalancers.app-ilb.loadBalancingRules.batch-a: backendPort " + noDefault("batchPortA") +
			" is only known at deployment; not checked by LB1003, LB9003",
		"LB0010 lb.json:83:34 loadBalancers.app-ilb.loadBalancingRules.batch-b: backendPort " + noDefault("batchPortB") +
			" and frontendPort " + noDefault("batchFrontB") + " are only known at deployment; not checked by LB1003, LB1004, LB9003",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings (rule file:line:col, LB0010 message):\n%q\nwant:\n%q", got, want)
	}
}
