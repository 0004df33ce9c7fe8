package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
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
		for _, b := range v.bindings(pass, bindFloatingIP) {
			if !b.floating {
				continue
			}
			targets, _ := ix.targets(pass, b)
			var bad []string
			for _, t := range targets {
				if unsupported, ok := floatingUnsupported(pass, v.lb, t); ok && unsupported {
					bad = append(bad, t.String())
				}
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

// floatingUnsupported reports whether Floating IP cannot reach t: a
// secondary IP configuration, unless it is an IPv6 one behind a public
// load balancer. ok is false when that depends on a value only known at
// deployment.
func floatingUnsupported(pass *lint.Pass, lb *schema.LoadBalancer, t target) (unsupported, ok bool) {
	if !known(pass, t.ipc, ipcPrimary) {
		return false, false
	}
	if t.ipc.Primary {
		return false, true
	}
	if settled(lb, lbType, lb.Type != "public") || settled(t.ipc, ipcAddress, !parseAddr(t.ipc.PrivateIPAddress).Is6()) {
		return true, true
	}
	kt, ka := known(pass, lb, lbType), known(pass, t.ipc, ipcAddress)
	return false, kt && ka
}
