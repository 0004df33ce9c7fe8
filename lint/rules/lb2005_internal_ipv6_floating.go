package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

// InternalIPv6FloatingIP is LB2005: Floating IP on an IPv6 frontend of an
// internal load balancer.
var InternalIPv6FloatingIP = &lint.Rule{
	ID:       "LB2005",
	Severity: lint.Warning,
	Doc: lint.Doc{
		Title: "Floating IP on an IPv6 frontend of an internal load balancer",
		Text: "Whether this works today is unconfirmed, hence a warning. Azure's Floating IP page said \"Floating IP for " +
			"IPv6 does not work for Internal Load Balancers\" until 2023 and dropped the note in its 06/11/2024 version " +
			"without saying it now works; the limitations of IPv6 for Azure Virtual Network (08/24/2023) still say " +
			"\"Dual-stack configurations that use floating IP can only be used with public load balancers, not internal " +
			"load balancers\"; cloud-provider-azure turns Floating IP off on internal IPv6 rules because the IPv6 IP " +
			"configuration of a dual-stack NIC is a secondary one (kubernetes-sigs/cloud-provider-azure#1698). Azure " +
			"accepts the deployment. LB2002 reports the rule as an error as well when it reaches IPv6 IP configurations. " +
			"A frontend whose address is only known at deployment is not judged: Azure allocates IPv4 unless asked for IPv6.",
		Fix:    "Turn Floating IP off on the rule (the guests then see their DIP: give each rule its own backend port), or serve the IPv6 frontend from a public load balancer.",
		Source: docIPv6,
		Unobservable: "every finding: the reference forwarder delivers what the model says Azure delivers, and no source " +
			"says what Azure now does with these flows, so no packet case can fail on the rule itself (what its members " +
			"miss is LB2002's).",
	},
	Run: runInternalIPv6FloatingIP,
}

func runInternalIPv6FloatingIP(pass *lint.Pass) {
	for _, l := range viewOf(pass).LoadBalancers {
		lb := l.LoadBalancer
		if settled(lb, lbType, lb.Type != schema.LBInternal) {
			continue
		}
		for _, vb := range l.Bindings {
			b := binding{vb}
			if !ipv6Frontend(b) || !b.known(pass, bindFloatingIP) || !b.Floating || !known(pass, lb, lbType) {
				continue
			}
			pass.Report(b.Node.At("enableFloatingIP"), b.Node.Path(), "",
				fmt.Sprintf("Floating IP %s is on IPv6 frontend %q (%s) of internal load balancer %q; Azure documents dual-stack Floating IP for public load balancers only, and whether it works on internal ones is unconfirmed (the floating-IP page said it does not until 2023): turn Floating IP off on the %s or serve the IPv6 frontend from a public load balancer",
					b, b.Frontend.Name, b.FIP(), lb.Name, b.Kind))
		}
	}
}

// ipv6Frontend reports whether b's frontend is known to be IPv6. A frontend
// reference or address only known at deployment is not judged, and not
// recorded for LB0010: Azure allocates a frontend an IPv4 address unless
// asked for IPv6, which the model does not say.
func ipv6Frontend(b binding) bool {
	return b.settled(bindFrontend, b.Frontend != nil) && settled(b.Frontend.Frontend, frontendIPAddress, b.FIP().Is6())
}
