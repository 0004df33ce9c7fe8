package cases

import (
	"fmt"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "AllProbedDownNoNewFlows",
		Description: "When every member of a rule is probed down and its probe keeps Azure's default noHealthyBackendsBehavior (AllProbedDown), the rule's new flows reach no member, while a TCP connection established before keeps working (a Standard load balancer with more than one instance).",
		Profile:     suite.Extended,
		Features:    []features.Name{features.HealthProbe},
		Expectation: "noHealthyBackendsBehavior AllProbedDown (default): when all backend instances are probed down, the load balancer sends no new flows to them; established TCP connections continue (Standard SKU, more than one instance).",
		Source:      docProbes,
		Deployment:  "allprobed.yaml",
		Minute:      probeMinute,
		Catches:     []string{"probe-down-ignored", "all-probed-down-ignored", "all-down-breaks-established"},
		Run: func(t *suite.T) {
			fe := frontendIP(t, "fe-down")
			pool := t.VMs("app1", "app2")
			conn, err := t.DialTCP(ap(fe, 80), exchangeTimeout)
			if err != nil {
				t.Fatalf("connecting to the frontend before the probes fail: %v", err)
			}
			before, err := lineExchange(conn, "before")
			if err != nil {
				t.Fatalf("first exchange: %v", err)
			}
			takeProbesDown(t, 8090, "app1", "app2")
			// fe-up's rule, on the same members but another probe, still
			// forwards: a flow of it closes the checks on fe-down's flows.
			barrier := pkt.Spec{Dst: frontendIP(t, "fe-up"), DstPort: 80}
			if !t.Eventually(t.Timeouts().Probe, func() bool {
				m := toBackend(t.Send(pkt.Spec{Dst: fe, DstPort: 80}), 8080)
				if !t.BarrierArrives(barrier, pool) {
					return false
				}
				_, reached := t.Arrives(pool, suite.Step{Match: m, Dir: capture.In, Timeout: suite.AfterBarrier})
				return !reached
			}) {
				t.Fatalf("new flows still reach a member %v after every member's probe failed (timeout probe): the verdict does not take effect", t.Timeouts().Probe)
			}
			var sent []pkt.Match
			for range 6 {
				m := toBackend(t.Send(pkt.Spec{Dst: fe, DstPort: 80}), 8080)
				sent = append(sent, m)
			}
			t.Barrier(barrier, pool)
			for i, m := range sent {
				for _, at := range pool {
					t.ExpectNone(at, suite.Step{What: fmt.Sprintf("new flow %d reaches no member: every one is probed down", i+1), Match: m, Dir: capture.In, Timeout: suite.AfterBarrier})
				}
			}
			switch after, err := lineExchange(conn, "after"); {
			case err != nil:
				t.Errorf("the connection established to %s broke once every member was probed down: %v", before.VM, err)
			case after.VM != before.VM:
				t.Errorf("the established connection is now answered by %s, want %s", after.VM, before.VM)
			}
		},
	})
}
