package cases

import (
	"context"
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
		Catches:     []string{"unsnated-forwarded"},
		Run: func(t *suite.T) {
			v := view.Resolve(t.Deployment())
			vmDIP, fip := dip(t, "web"), frontendIP(t, "fip1")
			m := v.OutboundFor(vmDIP, schema.ProtocolTcp)
			if m == nil {
				t.Fatalf("mapping.yaml gives %s no outbound SNAT: the fixture changed", vmDIP)
			}
			// The frontend IP's connection first: its SYN leaves the VM.
			// Then the DIP's connection, which Azure translates, is the
			// barrier: the host handles the VM's packets in order, so once
			// the DIP's SYN has reached the destination, the frontend
			// IP's would have too, had it been forwarded.
			fipDst := ap(t.ClientIP(), 9444)
			attempt, stopAttempt := context.WithCancel(t.Context())
			defer stopAttempt()
			fipErr := make(chan error, 1)
			go func() {
				_, err := outboundConnect(attempt, t, "web", pkt.TCP, fip, fipDst)
				fipErr <- err
			}()
			t.Expect(t.VM("web"), suite.Step{What: "the guest sends a connection from the frontend IP " + fip.String(),
				Match: pkt.Match{Proto: pkt.TCP, Src: fip, Dst: fipDst.Addr(), DstPort: fipDst.Port(), Flags: pkt.SYN}, Dir: capture.Out})

			dst := ap(t.ClientIP(), 9443)
			peer, err := outboundConnect(t.Context(), t, "web", pkt.TCP, vmDIP, dst)
			var barrier *pkt.Packet
			switch {
			case err != nil:
				t.Errorf("a connection from the DIP %s to %s failed: %v", vmDIP, dst, err)
			case !m.LeavesFrom(peer):
				t.Errorf("the destination saw the DIP's connection from %s; Azure translates it to %s on %s", peer, m.SNAT.FIP(), m.Ports)
			default:
				barrier = t.Expect(t.Client(), suite.Step{What: fmt.Sprintf("the DIP's connection arrives from the SNAT frontend %s", peer),
					Match: pkt.Match{Proto: pkt.TCP, Src: peer.Addr(), SrcPort: peer.Port(), Dst: dst.Addr(), DstPort: dst.Port(), Flags: pkt.SYN}, Dir: capture.In})
				t.Expect(t.VM("web"), suite.Step{What: "the answer comes back to the DIP", Reply: true,
					Match: pkt.Match{Proto: pkt.TCP, Src: dst.Addr(), SrcPort: dst.Port(), Dst: vmDIP, Flags: pkt.SYN | pkt.ACK}, Dir: capture.In})
			}
			t.ExpectNone(t.Client(), suite.Step{What: "nothing of the frontend IP's connection reaches the destination",
				Match: pkt.Match{Proto: pkt.TCP, Dst: fipDst.Addr(), DstPort: fipDst.Port()}, Dir: capture.In, Timeout: suite.ClosedBy(barrier)})
			if barrier != nil {
				stopAttempt() // it can no longer succeed
			}
			if err := <-fipErr; err == nil {
				t.Errorf("a connection from the frontend IP %s completed: Azure does not translate it, so it fails", fip)
			}
		},
	})
}
