package rules

import "github.com/lbcheck/lbcheck/lint"

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
	ix := indexOf(pass)
	for _, v := range ix.lbs {
		for _, b := range v.bindings(pass) {
			reset := (b.rule != nil && b.rule.EnableTcpReset) || (b.nat != nil && b.nat.EnableTcpReset)
			if b.settled(bindProtocol, b.protocol != "Udp") || b.settled(bindTcpReset, !reset) || !b.known(pass, bindProtocol, bindTcpReset) {
				continue
			}
			pass.Reportf(b.node, "enableTcpReset", "%s is Udp but sets enableTcpReset, which applies only to TCP: remove it", b)
		}
	}
}
