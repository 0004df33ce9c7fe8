package cases

import (
	"net/netip"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/schema"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "RuleReplyDirect",
		Description: "For every load-balancing rule and classic inbound NAT rule of the deployment, the backend's answer reaches the client from frontendIP:frontendPort without crossing the mux.",
		Profile:     suite.Core,
		Features:    []string{"dsr", "user-deployment"},
		Expectation: "Replies come from frontendIP:frontendPort and flow directly back to the client (DSR); TCP is always answered (SYN-ACK or RST), UDP when the guest declares a listener for the backend port.",
		Source:      docMultiVIP,
		Run: func(t *suite.T) {
			for _, f := range ruleFlows(t) {
				if len(f.backends) == 0 {
					t.Logf("%s: no member receives the flow; reply not checked", f)
					continue
				}
				if f.proto == pkt.UDP && !udpAnswered(t.Deployment(), f) {
					t.Logf("%s: no guest of the pool declares a UDP listener for port %d; reply not checked", f, f.bport)
					continue
				}
				s := f.send(t)
				p := t.Expect(t.Client(), suite.Step{What: f.String() + ": the answer comes from the frontend", Reply: true, Match: replyTo(s), Dir: capture.In})
				if p != nil && p.SrcMAC.String() == t.Config().Mux.MAC {
					t.Errorf("%s: the answer reached the client from the mux's MAC: it crossed the mux", f)
				}
				t.ExpectNone(t.Mux(), suite.Step{What: f.String() + ": the answer does not cross the mux", Reply: true, Match: pkt.Match{Src: f.fip, Dst: s.Src, DstPort: s.SrcPort}})
			}
		},
	})
}

// udpAnswered reports whether every pool member's guest has a UDP listener
// that receives the flow's destination (wildcard or exact address).
func udpAnswered(d *schema.Deployment, f ruleFlow) bool {
	for vm, dst := range f.backends {
		g := d.Guest(vm)
		if g == nil {
			return false
		}
		ok := false
		for _, l := range g.Listeners {
			a, err := netip.ParseAddr(l.Address)
			if l.Proto == "udp" && l.Port == int(f.bport) && err == nil && (a.IsUnspecified() || a == dst) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return len(f.backends) > 0
}
