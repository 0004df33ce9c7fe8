package cases

import (
	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "NonFloatingReuseByPort",
		Description: "Two frontends without Floating IP reach the same DIP on distinct backend ports (FIP3:80 -> DIP:8080, FIP5:80 -> DIP:8081).",
		Profile:     suite.Core,
		Features:    []features.Name{features.FloatingIPOff, features.MultipleFrontends},
		Expectation: "Each rule produces a flow with a unique destination: by varying the backend port, multiple rules deliver flows to the same DIP on different ports (multivip rule type 1).",
		Source:      docMultiVIP,
		Deployment:  "mapping.yaml",
		Run: func(t *suite.T) {
			vm, vmDIP := t.VM("web"), dip(t, "web")
			for _, c := range []struct {
				fe    string
				bport uint16
			}{{"fip3", 8080}, {"fip5", 8081}} {
				fip := frontendIP(t, c.fe)
				s := syn(t, fip, 80)
				m := fromClient(s)
				m.Dst, m.DstPort = vmDIP, c.bport
				t.Expect(vm, suite.Step{What: "SYN via " + c.fe + ":80 arrives at the DIP on its own backend port", Match: m, Dir: capture.In})
				id := tcpExchange(t, ap(fip, 80))
				checkIdent(t, "connection via "+c.fe+":80", id, "web", ap(vmDIP, c.bport), t.ClientIP())
			}
		},
	})
}
