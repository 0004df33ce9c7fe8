package cases

import (
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "AllProbedUpSendsToAll",
		Description: "When every member of a rule is probed down and its probe sets noHealthyBackendsBehavior AllProbedUp, the rule's new flows still reach the members, all of them.",
		Profile:     suite.Extended,
		Features:    []features.Name{features.HealthProbe},
		Expectation: "noHealthyBackendsBehavior AllProbedUp: when all backend instances are probed down, the load balancer sends new flows to all of them as if they were up.",
		Source:      docProbes,
		Deployment:  "allprobed.yaml",
		Catches:     []string{"all-probed-up-ignored"},
		Run: func(t *suite.T) {
			fe := frontendIP(t, "fe-up")
			pool := t.VMs("app1", "app2")
			takeProbesDown(t, 8091, "app1", "app2")
			reached, ok := membersReached(t, pool, pkt.Spec{Dst: fe, DstPort: 80}, 8081, "every member is probed down (AllProbedUp): a new flow still reaches a member")
			if ok && len(reached) < len(pool) {
				t.Errorf("with every member probed down only %v received new flows: AllProbedUp sends to all members", reached)
			}
		},
	})
}
