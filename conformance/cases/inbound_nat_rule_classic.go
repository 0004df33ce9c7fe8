package cases

import (
	"net/netip"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

// docInboundNAT is Azure's page on inbound NAT rules (v1 and v2).
const docInboundNAT = "https://learn.microsoft.com/azure/load-balancer/inbound-nat-rules"

// natVMs are the VMs of nat.yaml, all members of the pool "pool".
var natVMs = []string{"nat0", "nat1", "nat2"}

func init() {
	suite.Register(&suite.Case{
		ShortName:   "InboundNatRuleClassic",
		Description: "A classic inbound NAT rule (frontendPort 50001 -> target nat0 ipconfig1, port 22, Floating IP off) forwards to that VM only, keeps the client's source, and the reply leaves from the frontend port without crossing the mux.",
		Profile:     suite.Core,
		Features:    []features.Name{features.InboundNATRule, features.FloatingIPOff, features.DSR},
		Expectation: "A v1 inbound NAT rule forwards frontendIP:frontendPort to its one target IP configuration as dst = DIP:backendPort; no other pool VM sees the flow; the source is clientIP:clientPort; the reply reaches the client from frontendIP:frontendPort and never crosses the mux (DSR).",
		Source:      docInboundNAT,
		Deployment:  "nat.yaml",
		Run: func(t *suite.T) {
			const fport, bport = 50001, 22
			fip, target := frontendIP(t, "fe-nat"), dip(t, "nat0")
			s := syn(t, fip, fport)
			m := fromClient(s)
			m.Dst, m.DstPort = target, bport
			t.Expect(t.VM("nat0"), suite.Step{What: "SYN to :50001 delivered to nat0 as DIP:22 from the client", Match: m, Dir: capture.In})
			r := replyTo(s)
			r.Flags = pkt.SYN | pkt.ACK
			p := t.Expect(t.Client(), suite.Step{What: "SYN-ACK reaches the client from FIP:50001", Reply: true, Match: r, Dir: capture.In})
			if p != nil && p.SrcMAC.String() == t.Config().Mux.MAC {
				t.Errorf("the SYN-ACK reached the client from the mux's MAC %s: the reply went through the mux", p.SrcMAC)
			}
			t.ExpectNone(t.Mux(), suite.Step{What: "no reply crosses the mux", Reply: true,
				Match: pkt.Match{Proto: s.Proto, Dst: s.Src, DstPort: s.SrcPort}, Note: "DSR: the mux never sees the reply", Timeout: suite.ClosedBy(p)})
			var none []noneCheck
			for _, vm := range natVMs[1:] {
				none = append(none, noneCheck{t.VM(vm), suite.Step{What: "the flow does not reach " + vm + ", which is not the rule's target", Match: fromClient(s), Dir: capture.In}})
			}
			// ssh-pool's ports reach the other members: its flows close
			// the checks there.
			expectNone(t, natBarrier(t, t.VMs(natVMs...), fip, natRangePorts(), natRangeBackend, t.VMs(natVMs[1:]...)), none...)
			id := tcpExchange(t, ap(fip, fport))
			checkIdent(t, "real TCP connection to FIP:50001", id, "nat0", ap(target, bport), t.ClientIP())
		},
	})
}

// noneCheck is a step that must not match at a point.
type noneCheck struct {
	at   suite.Point
	step suite.Step
}

// expectNone runs negative checks: all of them closed by a barrier when
// closed is set (AfterBarrier), else the first one waits the quiet window.
// Expectations look at everything since the last Drain, so the others then
// only look at what arrived.
func expectNone(t *suite.T, closed bool, checks ...noneCheck) {
	for i, c := range checks {
		if (closed || i > 0) && c.step.Timeout == 0 {
			c.step.Timeout = suite.AfterBarrier
		}
		t.ExpectNone(c.at, c.step)
	}
}

// natBarrier sends a SYN to each of ports, a v2 inbound NAT rule's ports
// (backend port bport) over pool, in turn until every one of others has
// received one: a later flow that reached a VM closes the negative checks
// there (AfterBarrier). It reports whether every one of others did.
func natBarrier(t *suite.T, pool []suite.Point, fip netip.Addr, ports []uint16, bport uint16, others []suite.Point) bool {
	left := map[string]bool{}
	for _, p := range others {
		left[p.Label] = true
	}
	for _, port := range ports {
		if len(left) == 0 {
			break
		}
		m := fromClient(syn(t, fip, port))
		m.DstPort = bport
		if at, ok := t.Arrives(pool, suite.Step{Match: m, Dir: capture.In}); ok {
			delete(left, at.Label)
		}
	}
	return len(left) == 0
}
