package cases

import (
	"net"
	"net/netip"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "RealTCPEndToEnd",
		Description: "Real client sockets complete TCP connections and a UDP exchange through the load balancer, with Floating IP on and off, and the service sees the right addresses.",
		Profile:     suite.Core,
		Features:    []features.Name{features.FloatingIP, features.FloatingIPOff, features.DSR, features.UDP},
		Expectation: "A client connects to frontendIP:frontendPort and talks to the backend service; the service sees the client as peer and DIP:backendPort (Floating IP off) or FIP:backendPort (on) as local address.",
		Source:      docMultiVIP,
		Deployment:  "mapping.yaml",
		Run: func(t *suite.T) {
			vmDIP := dip(t, "web")
			fip1, fip3, fip4 := frontendIP(t, "fip1"), frontendIP(t, "fip3"), frontendIP(t, "fip4")
			for _, c := range []struct {
				what     string
				frontend netip.AddrPort
				local    netip.AddrPort // what the service must see
			}{
				{"TCP via fip3:80 (floating off)", ap(fip3, 80), ap(vmDIP, 8080)},
				{"TCP via fip1:80 (floating on)", ap(fip1, 80), ap(fip1, 80)},
				{"TCP via fip4:443 (floating on, port 8443)", ap(fip4, 443), ap(fip4, 8443)},
			} {
				conn, err := t.DialTCP(c.frontend, exchangeTimeout)
				if err != nil {
					t.Errorf("%s: %v", c.what, err)
					continue
				}
				client := conn.LocalAddr().(*net.TCPAddr).AddrPort()
				observeFlow(t, c.what, pkt.TCP, client, c.frontend, c.local)
				id, err := lineExchange(conn, "hello "+c.what)
				if err != nil {
					t.Errorf("%s: %v", c.what, err)
					continue
				}
				checkIdent(t, c.what, id, "web", c.local, t.ClientIP())
			}
			id := udpExchange(t, ap(fip3, 53))
			checkIdent(t, "UDP via fip3:53 (floating off, port 5353)", id, "web", ap(vmDIP, 5353), t.ClientIP())
			observeFlow(t, "UDP via fip3:53", pkt.UDP, id.Remote, ap(fip3, 53), ap(vmDIP, 5353))
		},
	})
}

// observeFlow checks, for a real connection already made, that the VM saw
// its first packet addressed to local and that the client got the answer
// from the frontend.
func observeFlow(t *suite.T, what, proto string, client, frontend, local netip.AddrPort) {
	req := pkt.Match{Proto: proto, Src: client.Addr(), SrcPort: client.Port(), Dst: local.Addr(), DstPort: local.Port()}
	rep := pkt.Match{Proto: proto, Src: frontend.Addr(), SrcPort: frontend.Port(), Dst: client.Addr(), DstPort: client.Port()}
	if proto == pkt.TCP {
		req.Flags, rep.Flags = pkt.SYN, pkt.SYN|pkt.ACK
	}
	t.Expect(t.Client(), suite.Step{What: what + ": request leaves the client", Match: pkt.Match{Proto: proto, Src: client.Addr(), SrcPort: client.Port(), Dst: frontend.Addr(), DstPort: frontend.Port(), Flags: req.Flags}, Dir: capture.Out})
	t.Expect(t.VM("web"), suite.Step{What: what + ": the VM receives it for " + local.String(), Match: req, Dir: capture.In})
	t.Expect(t.Client(), suite.Step{What: what + ": the answer comes from " + frontend.String(), Reply: true, Match: rep, Dir: capture.In})
}
