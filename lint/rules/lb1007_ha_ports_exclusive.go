package rules

import "github.com/lbcheck/lbcheck/lint"

// HAPortsNotExclusive is LB1007: a non-floating HA-ports rule shares its
// load balancer with other load-balancing rules.
var HAPortsNotExclusive = &lint.Rule{
	ID:       "LB1007",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "Non-floating HA-ports rule is not the only rule on its load balancer",
		Text: "A non-floating HA-ports rule \"doesn't allow any other load-balancing rule configuration on the current " +
			"load balancer resource\". Azure rejects other rules next to it. A floating HA-ports rule may be " +
			"combined with more Floating IP rules.",
		Fix:    "Enable Floating IP on the HA-ports rule and on the other rules, or move the other rules to another load balancer.",
		Source: docHAPorts,
	},
	Run: runHAPortsNotExclusive,
}

func runHAPortsNotExclusive(pass *lint.Pass) {
	for _, l := range viewOf(pass).LoadBalancers {
		lb := l.LoadBalancer
		if len(lb.LoadBalancingRules) < 2 {
			continue
		}
		for _, h := range bindings(pass, l) {
			if ha, ok := h.haPorts(pass); !ok || !ha || !h.known(pass, bindFloatingIP) || h.Floating || !known(pass, lb, lbName) {
				continue
			}
			var others []string
			for _, r := range lb.LoadBalancingRules {
				if r != h.Rule {
					others = append(others, r.Name)
				}
			}
			pass.Reportf(h.Node, "enableFloatingIP",
				"HA-ports rule %q has Floating IP off, so it must be the only load-balancing rule on load balancer %q, which also has %s; enable Floating IP on all of them or move the others to another load balancer",
				h.Name, lb.Name, quoteList(others, 3))
			break
		}
	}
}
