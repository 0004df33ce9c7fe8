package cases

import (
	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "DocumentedConfigHandshake",
		Description: "A Windows guest configured as the Azure doc says (weakhostreceive on the NIC, the FIP on a loopback with weakhostreceive and weakhostsend) completes a TCP handshake and exchanges data.",
		Profile:     suite.Core,
		Features:    []features.Name{features.FloatingIP, features.GuestOS, features.DSR},
		Expectation: "With the documented guest configuration the full TCP handshake completes: the backend sees dst = FIP:backendPort, the client sees the reply from FIP:frontendPort.",
		Source:      docFloatingIP,
		Deployment:  "windows.yaml",
		Run: func(t *suite.T) {
			fip := frontendIP(t, "fip-doc")
			s := syn(t, fip, 80)
			m := fromClient(s)
			m.Dst, m.DstPort, m.Flags = fip, 80, pkt.SYN
			t.Expect(t.VM("win-doc"), suite.Step{What: "SYN reaches the VM with dst FIP:80", Match: m, Dir: capture.In})
			r := replyTo(s)
			r.Flags = pkt.SYN | pkt.ACK
			t.Expect(t.VM("win-doc"), suite.Step{What: "SYN-ACK leaves the VM from FIP:80", Reply: true, Match: r, Dir: capture.Out})
			t.Expect(t.Client(), suite.Step{What: "SYN-ACK reaches the client from FIP:80", Reply: true, Match: r, Dir: capture.In})
			checkIdent(t, "real connection to fip-doc:80", tcpExchange(t, ap(fip, 80)), "win-doc", ap(fip, 80), t.ClientIP())
		},
	})
}
