package cases

import (
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "UDPFlowMovesOffDownMember",
		Description: "A UDP flow (one 5-tuple) pinned to a member moves to a healthy member once that member's health probe fails; ProbeDownNoNewFlows shows that an established TCP connection stays.",
		Profile:     suite.Extended,
		Features:    []features.Name{features.HealthProbe, features.UDP},
		Expectation: "When a probe fails, established TCP connections to the instance continue, but UDP flows (which have no connection) move to a healthy instance.",
		Source:      docProbes,
		Deployment:  "probe.yaml",
		// ProbeDownNoNewFlows leaves a member probed down for a while
		// after it ends: this case needs both up from its start.
		Isolated: true,
		Minute:   probeMinute,
		Catches:  []string{"udp-stays-on-down-member"},
		Run: func(t *suite.T) {
			fe := frontendIP(t, "fe")
			pool := t.VMs("app1", "app2")
			flow := pkt.Spec{Proto: pkt.UDP, Dst: fe, DstPort: 53, SrcPort: 40053, Payload: payloadFor(pkt.UDP)}
			first := backendOf(t, pool, flow, 5353, "a UDP flow reaches a member")
			if first == "" {
				return
			}
			if again := backendOf(t, pool, flow, 5353, "the same UDP flow again"); again != first {
				t.Fatalf("the same UDP 5-tuple went to %s, then %s: it must stay on one member while it is healthy", first, again)
			}
			takeProbesDown(t, 8090, first)
			// Give the verdict its time: the flow moves within the probe
			// timeout; the recorded check below says whether it did.
			t.Eventually(t.Timeouts().Probe, func() bool {
				vm, ok := landsOn(t, pool, flow, 5353)
				return ok && vm != first
			})
			if got := backendOf(t, pool, flow, 5353, "the same UDP flow after "+first+"'s probe failed reaches a healthy member"); got == first {
				t.Errorf("the UDP flow stayed on %s after its probe failed: UDP flows move to a healthy member", first)
			}
		},
	})
}
