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
		Text: "Floating IP is not supported on secondary NIC IP configurations. Azure accepts the deployment, but flows " +
			"for the frontend IP are not delivered to those backends. The documented exception (06/11/2024): public load " +
			"balancers where the secondary IP configuration is IPv6 and part of a dual-stack configuration. Azure " +
			"requires a NIC's primary IP configuration to be IPv4, so an IPv6 IP configuration is always secondary: " +
			"behind an internal load balancer it gets no Floating IP flow, which is why cloud-provider-azure turns " +
			"Floating IP off on internal IPv6 rules (kubernetes-sigs/cloud-provider-azure#1698).",
		Fix: "Put the primary IP configuration in the pool; if the VM needs another address for the service, add a second NIC. " +
			"For an IPv6 pool of an internal load balancer, turn Floating IP off on the rule (the guests then see their DIP) or " +
			"serve the IPv6 frontend from a public load balancer.",
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
			var v4, v6 []string // IPv6 ones only behind an internal load balancer
			for _, d := range b.Deliveries {
				if unsupported, ok := floatingUnsupported(pass, l.LoadBalancer, d); !ok || !unsupported {
					continue
				}
				if settled(d.IPConfig, ipcAddress, d.DIP.Is6()) {
					v6 = append(v6, d.String())
				} else {
					v4 = append(v4, d.String())
				}
			}
			if len(v4) > 0 {
				pass.Report(b.Node.At("enableFloatingIP"), b.Node.Path(), "",
					fmt.Sprintf("Floating IP %s reaches secondary IP configuration %s; Floating IP is not supported there and the flows fail silently: use the primary IP configuration (add a NIC for another address)",
						b, quoteList(v4, 3)))
			}
			if len(v6) > 0 {
				pass.Report(b.Node.At("enableFloatingIP"), b.Node.Path(), "",
					fmt.Sprintf("Floating IP %s of internal load balancer %q reaches IPv6 IP configuration %s, which Azure makes secondary; only a public load balancer delivers Floating IP flows to a secondary IPv6 configuration, so these fail silently: turn Floating IP off on the %s or serve the IPv6 frontend from a public load balancer",
						b, l.Name, quoteList(v6, 3), b.Kind))
			}
		}
	}
}

// floatingUnsupported reports whether Floating IP cannot reach d: a
// secondary IP configuration, unless view.FloatingReachesSecondary (an IPv6
// one behind a public load balancer). ok is false when that depends on a
// value only known at deployment.
func floatingUnsupported(pass *lint.Pass, lb *schema.LoadBalancer, d *view.Delivery) (unsupported, ok bool) {
	if !known(pass, d.IPConfig, ipcPrimary) {
		return false, false
	}
	if d.IPConfig.Primary {
		return false, true
	}
	// Either field settles it when it rules the exception out.
	if settled(lb, lbType, lb.Type != schema.LBPublic) || settled(d.IPConfig, ipcAddress, !d.DIP.Is6()) {
		return true, true
	}
	if kt, ka := known(pass, lb, lbType), known(pass, d.IPConfig, ipcAddress); !kt || !ka {
		return false, false
	}
	return !view.FloatingReachesSecondary(lb.Type, d.DIP), true
}
