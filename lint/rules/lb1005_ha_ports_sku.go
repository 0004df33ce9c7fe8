package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
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
	for _, lb := range pass.Deployment.LoadBalancers {
		var why string
		switch {
		case lb.Type == "public":
			why = fmt.Sprintf("public load balancer %q", lb.Name)
		case lb.SKU == "Basic":
			why = fmt.Sprintf("Basic load balancer %q", lb.Name)
		default:
			continue
		}
		for _, r := range lb.LoadBalancingRules {
			if r.IsHAPorts() {
				pass.Reportf(&r.Node, "protocol",
					"rule %q is an HA-ports rule (All, ports 0) on %s; HA ports exist only on internal Standard load balancers: use one, or list the ports",
					r.Name, why)
			}
		}
	}
}
