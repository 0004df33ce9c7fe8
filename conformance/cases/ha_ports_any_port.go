package cases

import (
	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "HAPortsAnyPort",
		Description: "An HA-ports rule (protocol All, ports 0) forwards TCP and UDP to any destination port, keeping the port, and the reply comes back from the frontend.",
		Profile:     suite.Core,
		Features:    []string{"ha-ports", "floating-ip-off", "udp"},
		Expectation: "HA ports load-balance every TCP and UDP flow of an internal frontend; with Floating IP off the backend receives dst = DIP:originalPort (backendPort 0 = any port).",
		Source:      docHAPorts,
		Deployment:  "haports.yaml",
		Run: func(t *suite.T) {
			fe, vmDIP := frontendIP(t, "fe"), dip(t, "nva")
			vm := t.VM("nva")
			for _, c := range []struct {
				proto string
				port  uint16
			}{{pkt.TCP, 22}, {pkt.TCP, 443}, {pkt.TCP, 50000}, {pkt.UDP, 53}, {pkt.UDP, 4789}} {
				s := t.Send(pkt.Spec{Proto: c.proto, Dst: fe, DstPort: c.port, Payload: payloadFor(c.proto)})
				m := fromClient(s)
				m.Dst, m.DstPort = vmDIP, c.port
				t.Expect(vm, suite.Step{What: c.proto + " to FIP:" + itoa(int(c.port)) + " arrives at DIP:" + itoa(int(c.port)), Match: m, Dir: capture.In})
				if c.proto == pkt.TCP {
					// A listener on 443 answers SYN-ACK, other ports RST: both
					// must come back from the frontend.
					t.Expect(t.Client(), suite.Step{What: "the VM's answer reaches the client from FIP:" + itoa(int(c.port)), Reply: true, Match: replyTo(s), Dir: capture.In})
				}
			}
		},
	})
}

func payloadFor(proto string) []byte {
	if proto == pkt.UDP {
		return []byte("lbcheck")
	}
	return nil
}
