package schematest_test

import (
	"testing"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/schematest"
)

func TestGenerateLoadsCleanly(t *testing.T) {
	for _, size := range []struct{ rules, frontends, guests int }{
		{0, 0, 0}, {1, 1, 1}, {5, 20, 3}, {300, 120, 40},
	} {
		src := schematest.Generate(size.rules, size.frontends, size.guests)
		d, issues, err := schema.LoadBytes("gen.yaml", src)
		if err != nil {
			t.Fatalf("Generate%v: %v", size, err)
		}
		for _, i := range issues {
			t.Errorf("Generate%v: %s %s %s", size, i.Pos, i.Rule, i.Message)
		}
		lb := d.LoadBalancers[0]
		if got, want := len(lb.LoadBalancingRules), max(size.rules, 1); got != want {
			t.Errorf("Generate%v: %d rules, want %d", size, got, want)
		}
		if got, want := len(lb.FrontendIPConfigurations), max(size.frontends, 1); got != want {
			t.Errorf("Generate%v: %d frontends, want %d", size, got, want)
		}
		if got, want := len(d.Guests), max(size.guests, 1); got != want || len(d.VMs) != want {
			t.Errorf("Generate%v: %d guests and %d VMs, want %d", size, got, len(d.VMs), want)
		}
		for _, r := range lb.LoadBalancingRules {
			if !r.EnableFloatingIP || r.FrontendPort != r.BackendPort {
				t.Errorf("Generate%v: rule %s is not floating with equal ports", size, r.Name)
			}
		}
	}
}
