package cases

import (
	"fmt"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "AllProbedDownNoNewFlows",
		Description: "When every member of a rule is probed down and its probe keeps Azure's default noHealthyBackendsBehavior (AllProbedDown), the rule's new flows reach no member.",
		Profile:     suite.Extended,
		Features:    []string{"health-probe"},
		Expectation: "noHealthyBackendsBehavior AllProbedDown (default): when all backend instances are probed down, the load balancer sends no new flows to them.",
		Source:      docProbes,
		Deployment:  "allprobed.yaml",
		Catches:     []string{"probe-down-ignored", "all-probed-down-ignored"},
		Run: func(t *suite.T) {
			fe := frontendIP(t, "fe-down")
			pool := t.VMs("app1", "app2")
			if backendOf(t, pool, pkt.Spec{Dst: fe, DstPort: 80}, 8080, "before the probes fail, a new flow reaches a member") == "" {
				return
			}
			takeProbesDown(t, 8090, "app1", "app2")
			for i := range 6 {
				m := fromClient(t.Send(pkt.Spec{Dst: fe, DstPort: 80}))
				m.DstPort = 8080
				for _, at := range pool {
					t.ExpectNone(at, suite.Step{What: fmt.Sprintf("new flow %d reaches no member: every one is probed down", i+1), Match: m, Dir: capture.In})
				}
			}
		},
	})
}
