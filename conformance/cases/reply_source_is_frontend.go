package cases

import (
	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "ReplySourceIsFrontend",
		Description: "The client receives the backend's SYN-ACK from frontendIP:frontendPort, never from the DIP or the backend port.",
		Profile:     suite.Core,
		Features:    []features.Name{features.DSR, features.FloatingIP, features.FloatingIPOff},
		Expectation: "In both modes the reply reaches the client as src = frontendIP:frontendPort, dst = clientIP:clientPort.",
		Source:      docMultiVIP,
		Catches:     []string{"reply-source-untranslated", "reply-port-untranslated"},
		Deployment:  "mapping.yaml",
		Run: func(t *suite.T) {
			vmDIP := dip(t, "web")
			for _, c := range []struct {
				fe    string
				fport uint16
			}{{"fip3", 80}, {"fip4", 443}} { // floating off; floating on with 443 -> 8443
				s := syn(t, frontendIP(t, c.fe), c.fport)
				m := replyTo(s)
				m.Flags = pkt.SYN | pkt.ACK
				p := t.Expect(t.Client(), suite.Step{What: "SYN-ACK from " + c.fe + " reaches the client from FIP:fport", Reply: true, Match: m, Dir: capture.In})
				// The VM answers once; an untranslated copy would travel
				// the same path as the translated one.
				t.ExpectNone(t.Client(), suite.Step{What: "no reply from the DIP reaches the client", Reply: true,
					Match: pkt.Match{Src: vmDIP, Dst: s.Src}, Timeout: suite.ClosedBy(p)})
			}
		},
	})
}
