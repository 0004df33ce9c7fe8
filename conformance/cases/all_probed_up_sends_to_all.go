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
		Isolated:    true, // waits long: runs beside the fixture's other cases
		// app1 refuses its probes from the start: the target's first
		// probes find it down.
		BeforeStart: func(b suite.Before) error { return refuseProbes(b, "app1", 8091) },
		Minute:      probeMinute,
		Catches:     []string{"all-probed-up-ignored"},
		Run: func(t *suite.T) {
			fe := frontendIP(t, "fe-up")
			pool := t.VMs("app1", "app2")
			// One member down first (since before the target started): new
			// flows avoid it, which shows its verdict took effect. Then the
			// other: with every member down, AllProbedUp sends new flows to
			// all, the first one included, which shows the second verdict
			// took effect.
			s := pkt.Spec{Dst: fe, DstPort: 80}
			awaitProbesRefused(t, 8091, true, "app1")
			awaitAvoided(t, pool, s, 8081, "app1")
			takeProbesDown(t, 8091, "app2")
			if !t.Eventually(t.Timeouts().Probe, func() bool {
				vm, ok := landsOn(t, pool, s, 8081)
				return ok && vm == "app1"
			}) {
				t.Fatalf("with every member probed down, no new flow reaches app1 again within %v (timeout probe): AllProbedUp sends new flows to all members", t.Timeouts().Probe)
			}
			reached, ok := membersReached(t, pool, s, 8081, "every member is probed down (AllProbedUp): a new flow still reaches a member")
			if ok && len(reached) < len(pool) {
				t.Errorf("with every member probed down only %v received new flows: AllProbedUp sends to all members", reached)
			}
		},
	})
}
