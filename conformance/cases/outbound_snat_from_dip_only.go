package cases

import (
	"fmt"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "OutboundSNATFromDIPOnly",
		Description: "A connection the backend opens from its DIP leaves from the outbound frontend (the public rule's default SNAT) on a port of its range and its answer comes back; one it opens from the Floating IP frontend on its loopback is not translated and never reaches the destination.",
		Profile:     suite.Core,
		Features:    []features.Name{features.OutboundSNAT, features.FloatingIP},
		Expectation: "Outbound SNAT translates the primary IP configuration's connections; \"If your application binds to the frontend IP address configured on the loopback ... Azure's outbound won't rewrite the outbound flow, and the flow fails.\"",
		Source:      docFloatingIP,
		Deployment:  "mapping.yaml",
		Run: func(t *suite.T) {
			v := view.Resolve(t.Deployment())
			vmDIP, fip := dip(t, "web"), frontendIP(t, "fip1")
			m := v.OutboundFor(vmDIP, schema.ProtocolTcp)
			if m == nil {
				t.Fatalf("mapping.yaml gives %s no outbound SNAT: the fixture changed", vmDIP)
			}
			dst := ap(t.ClientIP(), 9443)
			peer, err := outboundConnect(t, "web", pkt.TCP, vmDIP, dst)
			switch {
			case err != nil:
				t.Errorf("a connection from the DIP %s to %s failed: %v", vmDIP, dst, err)
			case !m.LeavesFrom(peer):
				t.Errorf("the destination saw the DIP's connection from %s; Azure translates it to %s on %s", peer, m.SNAT.FIP(), m.Ports)
			default:
				t.Expect(t.Client(), suite.Step{What: fmt.Sprintf("the DIP's connection arrives from the SNAT frontend %s", peer),
					Match: pkt.Match{Proto: pkt.TCP, Src: peer.Addr(), SrcPort: peer.Port(), Dst: dst.Addr(), DstPort: dst.Port(), Flags: pkt.SYN}, Dir: capture.In})
				t.Expect(t.VM("web"), suite.Step{What: "the answer comes back to the DIP", Reply: true,
					Match: pkt.Match{Proto: pkt.TCP, Src: dst.Addr(), SrcPort: dst.Port(), Dst: vmDIP, Flags: pkt.SYN | pkt.ACK}, Dir: capture.In})
			}

			dst = ap(t.ClientIP(), 9444)
			if _, err := outboundConnect(t, "web", pkt.TCP, fip, dst); err == nil {
				t.Errorf("a connection from the frontend IP %s completed: Azure does not translate it, so it fails", fip)
			}
			t.Expect(t.VM("web"), suite.Step{What: "the guest sends the connection from the frontend IP " + fip.String(),
				Match: pkt.Match{Proto: pkt.TCP, Src: fip, Dst: dst.Addr(), DstPort: dst.Port(), Flags: pkt.SYN}, Dir: capture.Out})
			t.ExpectNone(t.Client(), suite.Step{What: "nothing of it reaches the destination",
				Match: pkt.Match{Proto: pkt.TCP, Dst: dst.Addr(), DstPort: dst.Port()}, Dir: capture.In})
		},
	})
}
