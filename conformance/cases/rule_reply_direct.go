package cases

import (
	"net/netip"
	"time"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/conformance/target"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "RuleReplyDirect",
		Description: "For every load-balancing rule and classic inbound NAT rule of the deployment, the backend's answer reaches the client from frontendIP:frontendPort without crossing the mux.",
		Profile:     suite.Core,
		Features:    []features.Name{features.DSR},
		Expectation: "Replies come from frontendIP:frontendPort and flow directly back to the client (DSR). TCP is always answered: with SYN-ACK when the rule has a backend port (the guest's listeners, declared or as conform assumes them, are the services, so a RST means the rule's service does not listen where the packet arrives: lint's LB3005, or LB2004 for an availability group listener, which answers on the listener IP only), SYN-ACK or RST for HA ports; UDP when the guest declares a listener for the backend port.",
		Source:      docMultiVIP,
		Budget:      func(d *schema.Deployment, to target.Timeouts) time.Duration { return coverBudget(view.Resolve(d), to) },
		Run: func(t *suite.T) {
			v := view.Resolve(t.Deployment())
			fs := ruleFlows(t, v)
			if len(fs) == 0 {
				t.Skipf("the deployment has no IPv4 load-balancing rule or classic inbound NAT rule to test")
			}
			for _, f := range fs {
				if t.Context().Err() != nil {
					return // timed out or interrupted: the reason is recorded once
				}
				if len(f.backends) == 0 {
					t.Logf("%s: no member receives the flow; reply not checked", f)
					continue
				}
				// Every member's answer is checked, on the first flow that
				// reaches it.
				coverMembers(t, f, func(at suite.Point, m pkt.Match) bool {
					if f.proto == pkt.UDP && !udpServed(v.Guest(at.Label), f.backends[at.Label], f.bport) {
						t.Logf("%s: the guest of %s declares no UDP listener for port %d; its reply not checked", f, at.Label, f.bport)
						return true
					}
					s := pkt.Spec{Proto: f.proto, Src: m.Src, SrcPort: m.SrcPort, Dst: f.fip, DstPort: f.fport}
					want, what := replyTo(s), f.String()+": "+at.Label+"'s answer comes from the frontend"
					// A guest listens where it declares, or as the topology
					// assumes (topo: the backend port on the wildcard address,
					// an availability group listener on its listener IP).
					if f.proto == pkt.TCP && f.binding.BackendPort != 0 {
						want.Flags, what = pkt.SYN|pkt.ACK, what+" and accepts (SYN-ACK)"
					}
					p := t.Expect(t.Client(), suite.Step{What: what, Reply: true, Match: want, Dir: capture.In})
					ok := p != nil
					if p != nil && p.SrcMAC.String() == t.Config().Mux.MAC {
						t.Errorf("%s: %s's answer reached the client from the mux's MAC: it crossed the mux", f, at.Label)
						ok = false
					}
					// An answer that crossed the mux passed it before it
					// reached the client: once the client has it, the mux's
					// capture already holds any crossing.
					return t.ExpectNone(t.Mux(), suite.Step{What: f.String() + ": " + at.Label + "'s answer does not cross the mux", Reply: true, Match: pkt.Match{Src: f.fip, Dst: s.Src, DstPort: s.SrcPort}, Timeout: suite.ClosedBy(p)}) && ok
				})
			}
		},
	})
}

// udpServed reports whether guest g (nil: none declared) has a UDP listener
// for dst:port.
func udpServed(g *view.Guest, dst netip.Addr, port uint16) bool {
	if g == nil {
		return false
	}
	ok, _ := g.Serves(schema.SockUDP, dst, int(port))
	return ok
}
