package cases

import (
	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "BackendPortReuseFloating",
		Description: "Two frontends with Floating IP share backend port 80 on one VM; each flow arrives addressed to its own frontend, and a listener bound to one frontend gets only that frontend's flows.",
		Profile:     suite.Core,
		Features:    []features.Name{features.FloatingIP, features.BackendPortReuse, features.MultipleFrontends},
		Expectation: "Rules FIP1:80 and FIP2:80 with Floating IP deliver dst = FIP1:80 and dst = FIP2:80 respectively; a service bound to FIP1:80 gets only FIP1 flows (multivip rule type 2).",
		Source:      docMultiVIP,
		Deployment:  "mapping.yaml",
		Run: func(t *suite.T) {
			vm := t.VM("web")
			for _, fe := range []string{"fip1", "fip2"} {
				fip := frontendIP(t, fe)
				s := syn(t, fip, 80)
				m := fromClient(s)
				m.Dst, m.DstPort = fip, 80
				t.Expect(vm, suite.Step{What: "SYN via " + fe + " arrives with dst " + fe + ":80", Match: m, Dir: capture.In})
				id := tcpExchange(t, ap(fip, 80))
				checkIdent(t, "connection to "+fe+":80 is accepted by the listener bound to "+fe, id, "web", ap(fip, 80), t.ClientIP())
			}
		},
	})
}
