package cases

import (
	"slices"

	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "NoFlowOutsideThePool",
		Description: "Two rules over disjoint pools: every flow of rule a reaches a member of pool-a (a1, a2), every flow of rule b reaches b1, and none reaches a VM outside its rule's pool.",
		Profile:     suite.Core,
		Features:    []features.Name{features.LoadBalancingRule},
		Expectation: "A load-balancing rule distributes its flows over the healthy instances of its own backend pool only.",
		Source:      docMultiVIP,
		Deployment:  "pools.yaml",
		Catches:     []string{"mux-ignores-rule-offset"},
		Run: func(t *suite.T) {
			all := t.VMs("a1", "a2", "b1")
			for _, r := range []struct {
				frontend string
				pool     []string
			}{{"front-a", []string{"a1", "a2"}}, {"front-b", []string{"b1"}}} {
				fe := frontendIP(t, r.frontend)
				for range 8 {
					vm := backendOf(t, all, pkt.Spec{Dst: fe, DstPort: 80}, 8080, "a flow to "+r.frontend+" reaches a VM")
					if vm == "" {
						break
					}
					if !slices.Contains(r.pool, vm) {
						t.Errorf("a flow to %s reached %s, which is not in its rule's pool %v", r.frontend, vm, r.pool)
					}
				}
			}
		},
	})
}
