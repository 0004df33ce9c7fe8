package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
)

// FloatingIPSecondaryIPConfig is LB2002: a Floating IP rule whose backend
// includes a secondary NIC IP configuration.
var FloatingIPSecondaryIPConfig = &lint.Rule{
	ID:       "LB2002",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "Floating IP rule reaches a secondary IP configuration",
		Text: "Floating IP is not supported on secondary NIC IP configurations (except an IPv6 secondary " +
			"configuration of a public dual-stack load balancer). Azure accepts the deployment, but flows for the " +
			"frontend IP are not delivered to those backends.",
		Fix:    "Put the primary IP configuration in the pool; if the VM needs another address for the service, add a second NIC.",
		Source: docFloatingIP,
	},
	Run: runFloatingIPSecondaryIPConfig,
}

func runFloatingIPSecondaryIPConfig(pass *lint.Pass) {
	ix := indexOf(pass)
	for _, v := range ix.lbs {
		for _, b := range v.bindings("enableFloatingIP") {
			if !b.floating {
				continue
			}
			var bad []string
			for _, t := range ix.targets(b) {
				if t.ipc.Primary || (v.lb.Type == "public" && t.dip().Is6()) {
					continue
				}
				bad = append(bad, t.String())
			}
			if len(bad) == 0 {
				continue
			}
			pass.Report(b.node.At("enableFloatingIP"), b.node.Path(), "",
				fmt.Sprintf("Floating IP %s reaches secondary IP configuration %s; Floating IP is not supported there and the flows fail silently: use the primary IP configuration (add a NIC for another address)",
					b, quoteList(bad, 3)))
		}
	}
}
