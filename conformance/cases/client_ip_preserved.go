package cases

import (
	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "ClientIPPreserved",
		Description: "The backend sees the client's own address and port as the source, with Floating IP on and off.",
		Profile:     suite.Core,
		Features:    []features.Name{features.LoadBalancingRule, features.FloatingIP, features.FloatingIPOff},
		Expectation: "Azure Load Balancer does not SNAT inbound flows: the backend receives src = clientIP:clientPort.",
		Source:      docConcepts,
		Deployment:  "mapping.yaml",
		Run: func(t *suite.T) {
			vm := t.VM("web")
			for _, fe := range []string{"fip1", "fip3"} {
				s := syn(t, frontendIP(t, fe), 80)
				t.Expect(vm, suite.Step{What: "SYN via " + fe + " keeps the client's source address and port", Match: fromClient(s), Dir: capture.In})
			}
			// A real connection: the responder reports the peer it accepted.
			fip := frontendIP(t, "fip3")
			id := tcpExchange(t, ap(fip, 80))
			if id.Remote.Addr() != t.ClientIP() {
				t.Errorf("the VM's socket saw peer %s, want the client %s", id.Remote, t.ClientIP())
			}
		},
	})
}
