package cases

import (
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/guest"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

// Full-size payloads on a 1500-byte path: a 1472-byte UDP datagram and a
// TCP segment of the connection's MSS fill an IPv4 packet of 1500 bytes.
const (
	fullUDPPayload = 1500 - 20 - 8
	fullTCPLine    = 4000 // several full segments each way
	fullSegment    = 1400 // a TCP payload at least this long is a full-size segment
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "FullSizePacketsBothWays",
		Description: "1500-byte packets cross the load balancer in both directions: a 1472-byte UDP datagram reaches the backend and a 1472-byte UDP answer reaches the client, and a TCP connection carries full-size segments each way, with Floating IP on and off.",
		Profile:     suite.Core,
		Features:    []features.Name{features.FloatingIP, features.FloatingIPOff, features.UDP},
		Expectation: "Azure's virtual network carries 1500-byte IP packets between client and backend whatever the load balancer's encapsulation adds on its fabric; the guest needs no smaller MTU.",
		Source:      docMultiVIP,
		Deployment:  "mapping.yaml",
		Catches:     []string{"mux-drops-full-size", "host-drops-full-size-replies"},
		Run: func(t *suite.T) {
			vmDIP := dip(t, "web")
			fip1, fip3, fip4 := frontendIP(t, "fip1"), frontendIP(t, "fip3"), frontendIP(t, "fip4")
			for _, uc := range []struct {
				what     string
				frontend netip.AddrPort
				local    netip.AddrPort
			}{
				{"UDP via fip3:53 (Floating IP off)", ap(fip3, 53), ap(vmDIP, 5353)},
				{"UDP via fip4:53 (Floating IP on)", ap(fip4, 53), ap(fip4, 5353)},
			} {
				fullUDPBothWays(t, uc.what, uc.frontend, uc.local)
			}

			line := strings.Repeat("x", fullTCPLine)
			for _, tc := range []struct {
				what     string
				frontend netip.AddrPort
				local    netip.Addr
			}{
				{"TCP via fip3:80 (Floating IP off)", ap(fip3, 80), vmDIP},
				{"TCP via fip1:80 (Floating IP on)", ap(fip1, 80), fip1},
			} {
				conn, err := t.DialTCP(tc.frontend, exchangeTimeout)
				if err != nil {
					t.Errorf("%s: %v", tc.what, err)
					continue
				}
				client := conn.LocalAddr().(*net.TCPAddr).AddrPort()
				if _, err := lineExchange(conn, line); err != nil {
					t.Errorf("%s: a %d-byte line and its echo: %v", tc.what, len(line), err)
					continue
				}
				seg := strings.Repeat("x", fullSegment)
				t.Expect(t.VM("web"), suite.Step{What: tc.what + ": a full-size segment reaches the VM", Dir: capture.In,
					Match: pkt.Match{Proto: pkt.TCP, Src: client.Addr(), SrcPort: client.Port(), Dst: tc.local, Payload: seg}})
				t.Expect(t.Client(), suite.Step{What: tc.what + ": a full-size segment of the echo reaches the client from the frontend", Reply: true, Dir: capture.In,
					Match: pkt.Match{Proto: pkt.TCP, Src: tc.frontend.Addr(), SrcPort: tc.frontend.Port(), Dst: client.Addr(), DstPort: client.Port(), Payload: seg}})
			}
		},
	})
}

// fullUDPBothWays sends a 1472-byte datagram to frontend, which the VM
// must receive at local, and then a request whose answer is 1472 bytes.
func fullUDPBothWays(t *suite.T, what string, frontend, local netip.AddrPort) {
	c, err := t.DialUDP(frontend)
	if err != nil {
		t.Fatalf("%s: UDP socket: %v", what, err)
	}
	client := c.LocalAddr().(*net.UDPAddr).AddrPort()
	// Inbound: the full datagram arrives (the answer, one ident line
	// longer, is more than 1500 bytes and not asked for).
	big := strings.Repeat("u", fullUDPPayload)
	if _, err := c.Write([]byte(big)); err != nil {
		t.Fatalf("%s: sending %d bytes: %v", what, len(big), err)
	}
	t.Expect(t.VM("web"), suite.Step{What: what + ": a 1472-byte UDP datagram reaches the VM at " + local.String(), Dir: capture.In,
		Match: pkt.Match{Proto: pkt.UDP, Src: client.Addr(), SrcPort: client.Port(), Dst: local.Addr(), DstPort: local.Port(), Payload: big}})
	// Outbound: a request sized so that the answer (payload, newline,
	// ident line, newline) is exactly 1472 bytes.
	ident := guest.Ident{VM: "web", Proto: "udp", Local: local, Remote: client}.String()
	req := strings.Repeat("r", fullUDPPayload-len(ident)-2)
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatalf("%s: sending the request: %v", what, err)
	}
	buf := make([]byte, 4096)
	_ = c.SetDeadline(time.Now().Add(exchangeTimeout))
	switch n, err := c.Read(buf); {
	case err != nil:
		t.Errorf("%s: no 1472-byte UDP answer from %s: %v", what, frontend, err)
	case n != fullUDPPayload:
		t.Errorf("%s: the UDP answer has %d bytes, want %d", what, n, fullUDPPayload)
	}
}
