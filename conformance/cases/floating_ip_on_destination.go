package cases

import (
	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "FloatingIPOnDestination",
		Description: "A TCP SYN to a rule with Floating IP on reaches the backend still addressed to the frontend IP, with only the port rewritten.",
		Profile:     suite.Core,
		Features:    []features.Name{features.LoadBalancingRule, features.FloatingIP},
		Expectation: "With Floating IP enabled the backend receives dst = frontendIP:backendPort; the backend port may differ from the frontend port (multivip rule type 2).",
		Source:      docMultiVIP,
		Catches:     []string{"floating-on-rewrites-dip"},
		Deployment:  "mapping.yaml",
		Run: func(t *suite.T) {
			fip := frontendIP(t, "fip4") // rule float-rewrite: 443 -> 8443
			s := syn(t, fip, 443)
			m := fromClient(s)
			m.Dst, m.DstPort, m.Flags = fip, 8443, pkt.SYN
			t.Expect(t.VM("web"), suite.Step{What: "SYN delivered to the VM with dst FIP:8443", Match: m, Dir: capture.In})
		},
	})
}
