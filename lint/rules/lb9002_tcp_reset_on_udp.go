package rules

import (
	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

// TCPResetOnUDP is LB9002: enableTcpReset on a Udp rule.
var TCPResetOnUDP = &lint.Rule{
	ID:       "LB9002",
	Severity: lint.Warning,
	Doc: lint.Doc{
		Title:  "enableTcpReset on a Udp rule has no effect",
		Text:   "TCP reset on idle timeout applies only to TCP flows; on a Udp rule it does nothing, which suggests the rule's protocol or intent is wrong.",
		Fix:    "Remove enableTcpReset from the Udp rule, or correct the protocol.",
		Source: docTCPReset,
	},
	Run: runTCPResetOnUDP,
}

func runTCPResetOnUDP(pass *lint.Pass) {
	for _, l := range viewOf(pass).LoadBalancers {
		for _, b := range bindings(pass, l) {
			reset := (b.Rule != nil && b.Rule.EnableTcpReset) || (b.NAT != nil && b.NAT.EnableTcpReset)
			if b.settled(bindProtocol, b.Protocol != schema.ProtocolUdp) || b.settled(bindTcpReset, !reset) || !b.known(pass, bindProtocol, bindTcpReset) {
				continue
			}
			pass.Reportf(b.Node, "enableTcpReset", "%s is Udp but sets enableTcpReset, which applies only to TCP: remove it", b)
		}
	}
}
