package cases

import (
	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "FloatingIPSkipsSecondaryIPConfig",
		Description: "A Floating IP rule sends nothing to a pool member that is a secondary IP configuration: the rule web reaches node1 (primary) only, never node2 (its secondary ipconfig2), and web-secondary, whose pool holds only that secondary, reaches no VM.",
		Profile:     suite.Core,
		Features:    []features.Name{features.FloatingIP},
		Expectation: "Floating IP is not supported on secondary IP configurations for internal load balancers (and for public ones other than dual-stack and NAT Gateway architectures): such a member gets no flows of the rule.",
		Source:      docFloatingIP,
		Deployment:  "secondary.yaml",
		Catches:     []string{"secondary-ipconfig-delivered"},
		Run: func(t *suite.T) {
			pool := t.VMs("node1", "node2")
			web := frontendIP(t, "web")
			for range 12 {
				if vm := backendOf(t, pool, pkt.Spec{Dst: web, DstPort: 80}, 80, "rule web reaches its primary IP configuration member node1"); vm == "node2" {
					t.Errorf("rule web delivered a flow to node2, whose pool member is the secondary IP configuration ipconfig2")
				}
			}
			secondary := frontendIP(t, "web-secondary")
			var sent []pkt.Match
			for range 4 {
				sent = append(sent, toBackend(t.Send(pkt.Spec{Dst: secondary, DstPort: 80}), 80))
			}
			// dns reaches node2 (on its secondary DIP): its flows close the
			// checks there.
			t.Barrier(pkt.Spec{Proto: pkt.UDP, Dst: frontendIP(t, "dns"), DstPort: 53}, t.VMs("node2"))
			for _, m := range sent {
				t.ExpectNone(t.VM("node2"), suite.Step{What: "rule web-secondary (a pool of node2's secondary IP configuration only) reaches no VM", Match: m, Dir: capture.In, Timeout: suite.AfterBarrier})
			}
		},
	})
}
