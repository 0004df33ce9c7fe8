package cases

import (
	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "HAPortsAnyPort",
		Description: "An HA-ports rule (protocol All, ports 0) forwards TCP and UDP to any destination port, keeping the port, with Floating IP off and on, and the reply comes back from the frontend.",
		Profile:     suite.Core,
		Features:    []features.Name{features.HAPorts, features.FloatingIP, features.FloatingIPOff, features.UDP},
		Expectation: "HA ports load-balance every TCP and UDP flow of an internal frontend; the backend receives dst = DIP:originalPort with Floating IP off and FIP:originalPort with it on (backendPort 0 = any port).",
		Source:      docHAPorts,
		Deployment:  "haports.yaml",
		Catches:     []string{"ha-ports-floating-loses-port"},
		Run: func(t *suite.T) {
			for _, lb := range []struct{ what, frontend, vm, local string }{
				{"Floating IP off", "fe", "nva", ""},
				{"Floating IP on", "fe-float", "nva-float", "fe-float"},
			} {
				fe, local := frontendIP(t, lb.frontend), dip(t, lb.vm)
				if lb.local != "" {
					local = frontendIP(t, lb.local)
				}
				vm := t.VM(lb.vm)
				for _, c := range []struct {
					proto string
					port  uint16
				}{{pkt.TCP, 22}, {pkt.TCP, 443}, {pkt.TCP, 50000}, {pkt.UDP, 53}, {pkt.UDP, 4789}} {
					s := t.Send(pkt.Spec{Proto: c.proto, Dst: fe, DstPort: c.port, Payload: payloadFor(c.proto)})
					m := fromClient(s)
					m.Dst, m.DstPort = local, c.port
					t.Expect(vm, suite.Step{What: lb.what + ": " + c.proto + " to " + ap(fe, c.port).String() + " arrives at " + ap(local, c.port).String(), Match: m, Dir: capture.In})
					if c.proto == pkt.TCP {
						// A listener on 443 answers SYN-ACK, other ports RST: both
						// must come back from the frontend.
						t.Expect(t.Client(), suite.Step{What: lb.what + ": the VM's answer reaches the client from " + ap(fe, c.port).String(), Reply: true, Match: replyTo(s), Dir: capture.In})
					}
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
