package lint

import (
	"testing"

	"github.com/lbcheck/lbcheck/schema"
)

// TestFingerprintStableWhenLinesMove: the same finding on another line, or
// with other numbers in its message, keeps its fingerprint; another object
// or rule gets another.
func TestFingerprintStableWhenLinesMove(t *testing.T) {
	f := Finding{Rule: "LB2001", Message: "rules a and b both deliver to 203.0.113.10:443", Object: "loadBalancers.web.loadBalancingRules.b",
		Pos: schema.Pos{File: "lb.yaml", Line: 12, Column: 7}}
	moved := f
	moved.Pos.Line, moved.Message = 40, "rules a and b both deliver to 203.0.113.11:8443"
	if Fingerprint(f) != Fingerprint(moved) {
		t.Error("the fingerprint changed when the finding moved")
	}
	for _, other := range []func(*Finding){
		func(g *Finding) { g.Rule = "LB2002" },
		func(g *Finding) { g.Object = "loadBalancers.web.loadBalancingRules.c" },
		func(g *Finding) { g.Message = "another problem" },
	} {
		g := f
		other(&g)
		if Fingerprint(g) == Fingerprint(f) {
			t.Errorf("%+v has the fingerprint of %+v", g, f)
		}
	}
}
