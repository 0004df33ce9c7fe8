package cases

import (
	"bytes"
	"encoding/binary"
	"net/netip"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

// oversizePayload makes a 2040-byte IPv4 packet: larger than the virtual
// network's 1500 bytes, smaller than the fabric's links.
const oversizePayload = 2000

func init() {
	suite.Register(&suite.Case{
		ShortName:   "OversizeGetsFragNeeded",
		Description: "A client packet for a rule that is larger than the virtual network's MTU and has DF set is not delivered; the client gets ICMP fragmentation needed with the MTU, quoting its packet, so path MTU discovery works through the load balancer.",
		Profile:     suite.Extended,
		Features:    []features.Name{features.FragNeeded},
		Expectation: "A router that cannot forward a datagram without fragmenting it, DF being set, discards it and returns ICMP Destination Unreachable, fragmentation needed and DF set, with the next-hop MTU.",
		Source:      "https://www.rfc-editor.org/rfc/rfc1191#section-4",
		Deployment:  "mapping.yaml",
		Catches:     []string{"oversize-forwarded"},
		Run: func(t *suite.T) {
			fip3 := frontendIP(t, "fip3") // plain1: Tcp 80 -> 8080, Floating IP off
			mtu := t.Config().MTU
			s := t.Send(pkt.Spec{Proto: pkt.TCP, Dst: fip3, DstPort: 80, Flags: pkt.ACK, Seq: 1, Ack: 1, Payload: bytes.Repeat([]byte("o"), oversizePayload)})
			p := t.Expect(t.Client(), suite.Step{What: "ICMP fragmentation needed reaches the client from the frontend", Reply: true,
				Match: pkt.Match{Proto: pkt.ICMP, Src: fip3, Dst: s.Src}, Dir: capture.In})
			t.Barrier(pkt.Spec{Dst: fip3, DstPort: 80}, t.VMs("web"))
			t.ExpectNone(t.VM("web"), suite.Step{What: "the oversize packet reaches no VM", Match: fromClient(s), Dir: capture.In, Timeout: suite.AfterBarrier})
			if p == nil {
				return
			}
			// Ethernet, IPv4, then the ICMP header: type, code, checksum,
			// unused, next-hop MTU; the original header and 8 bytes follow.
			icmp := p.Data[14+20:]
			switch {
			case p.ICMPType != 3 || p.ICMPCode != 4:
				t.Errorf("the ICMP answer is type %d code %d, want 3 code 4 (destination unreachable, fragmentation needed and DF set)", p.ICMPType, p.ICMPCode)
			case len(icmp) < 8+28:
				t.Errorf("the ICMP answer has %d bytes: it must quote the original IPv4 header and 8 bytes after it", len(icmp))
			case int(binary.BigEndian.Uint16(icmp[6:8])) != mtu:
				t.Errorf("next-hop MTU %d, want the virtual network's %d", binary.BigEndian.Uint16(icmp[6:8]), mtu)
			default:
				q := icmp[8:] // a 20-byte IPv4 header (the case sent no options), then the ports
				src, dst := netip.AddrFrom4([4]byte(q[12:16])), netip.AddrFrom4([4]byte(q[16:20]))
				sport, dport := binary.BigEndian.Uint16(q[20:22]), binary.BigEndian.Uint16(q[22:24])
				if src != s.Src || dst != s.Dst || sport != s.SrcPort || dport != s.DstPort {
					t.Errorf("the ICMP answer quotes %v:%d -> %v:%d, not the packet sent (%v:%d -> %v:%d)", src, sport, dst, dport, s.Src, s.SrcPort, s.Dst, s.DstPort)
				}
			}
		},
	})
}
