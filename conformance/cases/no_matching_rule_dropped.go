package cases

import (
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "NoMatchingRuleDropped",
		Description: "Packets to a frontend port or protocol no rule covers, and ICMP echo to a frontend, are not delivered to any backend and get no answer.",
		Profile:     suite.Core,
		Features:    []features.Name{features.LoadBalancingRule},
		Expectation: "Only traffic that matches a load-balancing rule (frontend, protocol, port) is forwarded; the frontend is not a host and does not answer ping.",
		Source:      docConcepts,
		Deployment:  "mapping.yaml",
		Run: func(t *suite.T) {
			fip := frontendIP(t, "fip1") // rules: Tcp 80 only
			sent := []pkt.Spec{
				t.Send(pkt.Spec{Proto: pkt.TCP, Dst: fip, DstPort: 81}),
				t.Send(pkt.Spec{Proto: pkt.UDP, Dst: fip, DstPort: 80, Payload: []byte("no udp rule")}),
				t.Send(pkt.Spec{Proto: pkt.ICMP, Dst: fip, ICMPID: 7, ICMPSeq: 1}),
			}
			// A flow the rule does forward closes every check: the mux
			// handles the client's packets in order, so by the time this
			// SYN reaches a VM, anything the packets above caused has
			// arrived; the checks then look at what arrived meanwhile.
			t.Barrier(pkt.Spec{Proto: pkt.TCP, Dst: fip, DstPort: 80}, t.VMs())
			for _, s := range sent {
				what := s.Proto + " to FIP" + portSuffix(s)
				for _, vm := range t.VMs() {
					t.ExpectNone(vm, suite.Step{What: what + " is not delivered", Match: fromClient(s), Timeout: suite.AfterBarrier, Note: "dropped: no matching rule"})
				}
				answer := pkt.Match{Src: fip, Dst: s.Src, DstPort: s.SrcPort} // any protocol: a reset, an ICMP error
				if s.Proto == pkt.ICMP {
					// No port to tell it from other cases' late segments.
					answer = pkt.Match{Proto: pkt.ICMP, Src: fip, Dst: s.Src}
				}
				t.ExpectNone(t.Client(), suite.Step{What: what + " gets no answer", Reply: true, Match: answer, Timeout: suite.AfterBarrier})
			}
		},
	})
}

func portSuffix(s pkt.Spec) string {
	if s.Proto == pkt.ICMP {
		return " (echo request)"
	}
	return ":" + itoa(int(s.DstPort))
}
