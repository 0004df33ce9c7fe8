package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

// HAPortsPublicOrBasic is LB1005: an HA-ports rule on a public or Basic
// load balancer.
var HAPortsPublicOrBasic = &lint.Rule{
	ID:       "LB1005",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "HA-ports rule on a public or Basic load balancer",
		Text: "HA ports (protocol All, frontend and backend port 0) are available only on an internal Standard " +
			"load balancer. Azure rejects an HA-ports rule on a public load balancer or a Basic SKU.",
		Fix:    "Move the rule to an internal Standard load balancer, or list the ports the service needs with protocol Tcp or Udp.",
		Source: docHAPorts,
	},
	Run: runHAPortsPublicOrBasic,
}

func runHAPortsPublicOrBasic(pass *lint.Pass) {
	for _, l := range viewOf(pass).LoadBalancers {
		for _, b := range bindings(pass, l) {
			if ha, ok := b.haPorts(pass); !ok || !ha {
				continue
			}
			why, ok := haPortsUnavailable(pass, l.LoadBalancer)
			if !ok || why == "" {
				continue
			}
			pass.Reportf(b.Node, "protocol",
				"rule %q is an HA-ports rule (All, ports 0) on %s; HA ports exist only on internal Standard load balancers: use one, or list the ports",
				b.Name, why)
		}
	}
}

// haPortsUnavailable says why lb cannot have HA-ports rules, or "" when it
// can. A known public type or Basic SKU settles it; ok is false when it
// depends on a type or SKU only known at deployment.
func haPortsUnavailable(pass *lint.Pass, lb *schema.LoadBalancer) (why string, ok bool) {
	switch {
	case !known(pass, lb, lbName): // the finding names it
		return "", false
	case settled(lb, lbType, lb.Type == schema.LBPublic):
		return fmt.Sprintf("public load balancer %q", lb.Name), true
	case settled(lb, lbSKU, lb.SKU == schema.SKUBasic):
		return fmt.Sprintf("Basic load balancer %q", lb.Name), true
	}
	return "", known(pass, lb, lbType, lbSKU)
}
