package cases

import (
	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "FloatingIPOffDestination",
		Description: "A TCP SYN to a rule with Floating IP off reaches the backend addressed to its DIP and backend port.",
		Profile:     suite.Core,
		Features:    []features.Name{features.LoadBalancingRule, features.FloatingIPOff},
		Expectation: "With Floating IP disabled the backend receives dst = DIP:backendPort (multivip rule type 1).",
		Source:      docMultiVIP,
		Catches:     []string{"floating-off-keeps-frontend", "backend-port-ignored", "address-rewrite-keeps-l4-checksum", "port-rewrite-keeps-checksum"},
		Deployment:  "mapping.yaml",
		Run: func(t *suite.T) {
			fip, vmDIP := frontendIP(t, "fip3"), dip(t, "web")
			s := syn(t, fip, 80)
			m := fromClient(s)
			m.Dst, m.DstPort, m.Flags = vmDIP, 8080, pkt.SYN
			t.Expect(t.VM("web"), suite.Step{What: "SYN delivered to the VM with dst DIP:8080", Match: m, Dir: capture.In})
		},
	})
}
