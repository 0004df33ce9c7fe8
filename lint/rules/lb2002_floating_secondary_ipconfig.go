package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
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
	for _, l := range viewOf(pass).LoadBalancers {
		for _, b := range bindings(pass, l, bindFloatingIP) {
			if !b.Floating || !b.knownPool(pass) {
				continue
			}
			var bad []string
			for _, d := range b.Deliveries {
				if unsupported, ok := floatingUnsupported(pass, l.LoadBalancer, d); ok && unsupported {
					bad = append(bad, d.String())
				}
			}
			if len(bad) == 0 {
				continue
			}
			pass.Report(b.Node.At("enableFloatingIP"), b.Node.Path(), "",
				fmt.Sprintf("Floating IP %s reaches secondary IP configuration %s; Floating IP is not supported there and the flows fail silently: use the primary IP configuration (add a NIC for another address)",
					b, quoteList(bad, 3)))
		}
	}
}

// floatingUnsupported reports whether Floating IP cannot reach d: a
// secondary IP configuration, unless it is an IPv6 one behind a public
// load balancer (which view.ExcludedSecondary does not except). ok is
// false when that depends on a value only known at deployment.
func floatingUnsupported(pass *lint.Pass, lb *schema.LoadBalancer, d *view.Delivery) (unsupported, ok bool) {
	if !known(pass, d.IPConfig, ipcPrimary) {
		return false, false
	}
	if d.IPConfig.Primary {
		return false, true
	}
	if settled(lb, lbType, lb.Type != schema.LBPublic) || settled(d.IPConfig, ipcAddress, !d.DIP.Is6()) {
		return true, true
	}
	kt, ka := known(pass, lb, lbType), known(pass, d.IPConfig, ipcAddress)
	return false, kt && ka
}
