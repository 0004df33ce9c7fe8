package cases

import (
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "RealTCPEndToEnd",
		Description: "Real client sockets complete TCP connections and a UDP exchange through the load balancer, with Floating IP on and off, and the service sees the right addresses.",
		Profile:     suite.Core,
		Features:    []string{"floating-ip", "floating-ip-off", "dsr", "udp"},
		Expectation: "A client connects to frontendIP:frontendPort and talks to the backend service; the service sees the client as peer and DIP:backendPort (Floating IP off) or FIP:backendPort (on) as local address.",
		Source:      docMultiVIP,
		Deployment:  "mapping.yaml",
		Run: func(t *suite.T) {
			vmDIP := dip(t, "web")
			fip1, fip3, fip4 := frontendIP(t, "fip1"), frontendIP(t, "fip3"), frontendIP(t, "fip4")
			checkIdent(t, "TCP via fip3:80 (floating off)", tcpExchange(t, ap(fip3, 80)), "web", ap(vmDIP, 8080), t.ClientIP())
			checkIdent(t, "TCP via fip1:80 (floating on)", tcpExchange(t, ap(fip1, 80)), "web", ap(fip1, 80), t.ClientIP())
			checkIdent(t, "TCP via fip4:443 (floating on, port 8443)", tcpExchange(t, ap(fip4, 443)), "web", ap(fip4, 8443), t.ClientIP())
			id := udpExchange(t, ap(fip3, 53))
			checkIdent(t, "UDP via fip3:53 (floating off, port 5353)", id, "web", ap(vmDIP, 5353), t.ClientIP())
		},
	})
}
