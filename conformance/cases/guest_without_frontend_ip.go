package cases

import (
	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "GuestWithoutFrontendIP",
		Description: "With Floating IP on, a guest that does not hold the frontend IP receives the SYN but never answers it.",
		Profile:     suite.Core,
		Features:    []features.Name{features.FloatingIP, features.GuestOS},
		Expectation: "The loopback configuration is performed within the guest OS; without it the rules do not function: the packet to dst = FIP is not local to the guest and is dropped, the client gets no SYN-ACK.",
		Source:      docMultiVIP,
		Deployment:  "mapping.yaml",
		Run: func(t *suite.T) {
			fip := frontendIP(t, "fip-missing")
			s := syn(t, fip, 80)
			m := fromClient(s)
			m.Dst, m.DstPort = fip, 80
			vm := t.VM("web")
			t.Expect(vm, suite.Step{What: "SYN delivered to the VM with dst FIP:80", Match: m, Dir: capture.In})
			// A later SYN through fip1, whose address the guest holds, is
			// answered: once that answer has reached the client, the VM
			// handled the SYN before it (its NIC's packets in order).
			fip1 := frontendIP(t, "fip1")
			b := syn(t, fip1, 80)
			answer := pkt.Match{Proto: pkt.TCP, Src: fip1, SrcPort: 80, Dst: b.Src, DstPort: b.SrcPort, Flags: pkt.SYN | pkt.ACK}
			t.MustExpect(t.Client(), suite.Step{What: "barrier: a later SYN to fip1 on the same VM is answered", Reply: true, Match: answer, Dir: capture.In, Note: "barrier"})
			t.ExpectNone(vm, suite.Step{What: "the VM does not answer (no address 203.0.113.14)", Reply: true,
				Match: pkt.Match{Src: fip, Dst: s.Src}, Note: "dropped by the guest: frontend IP not local", Timeout: suite.AfterBarrier})
			t.ExpectNone(t.Client(), suite.Step{What: "the client gets no reply", Reply: true, Match: replyTo(s), Timeout: suite.AfterBarrier})
		},
	})
}
