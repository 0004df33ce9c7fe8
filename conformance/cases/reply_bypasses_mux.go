package cases

import (
	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "ReplyBypassesMux",
		Description: "The backend's reply goes from the host straight to the client: it never reaches or leaves the mux.",
		Profile:     suite.Core,
		Features:    []features.Name{features.DSR},
		Expectation: "Azure Load Balancer always operates in a DSR flow topology: the return half of a flow goes directly back to the origin, not through the Mux.",
		Source:      docMultiVIP,
		Deployment:  "mapping.yaml",
		Run: func(t *suite.T) {
			fip := frontendIP(t, "fip1")
			s := syn(t, fip, 80)
			t.Expect(t.Mux(), suite.Step{What: "SYN reaches the mux", Match: fromClient(s), Dir: capture.In})
			m := replyTo(s)
			m.Flags = pkt.SYN | pkt.ACK
			p := t.Expect(t.Client(), suite.Step{What: "SYN-ACK reaches the client", Reply: true, Match: m, Dir: capture.In})
			if p != nil && p.SrcMAC.String() == t.Config().Mux.MAC {
				t.Errorf("the SYN-ACK reached the client from the mux's MAC %s: the reply went through the mux", p.SrcMAC)
			}
			// A reply that crossed the mux passed it before the client.
			t.ExpectNone(t.Mux(), suite.Step{What: "no reply crosses the mux", Reply: true,
				Match: pkt.Match{Src: fip, Dst: s.Src}, Note: "DSR: the mux never sees the reply", Timeout: suite.ClosedBy(p)})
		},
	})
}
