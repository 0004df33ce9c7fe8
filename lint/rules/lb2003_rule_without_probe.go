package rules

import "github.com/lbcheck/lbcheck/lint"

// RuleWithoutProbe is LB2003: a load-balancing rule with no health probe.
var RuleWithoutProbe = &lint.Rule{
	ID:       "LB2003",
	Severity: lint.Warning,
	Doc: lint.Doc{
		Title: "Load-balancing rule without a health probe",
		Text: "The API, CLI and templates accept a rule without a probe (only the portal insists). Without a probe " +
			"the load balancer cannot take a failed backend out of rotation, so flows keep going to it.",
		Fix:    "Add a probe on the DIP port that reflects the service's health and reference it from the rule.",
		Source: docProbes,
	},
	Run: runRuleWithoutProbe,
}

func runRuleWithoutProbe(pass *lint.Pass) {
	for _, lb := range pass.Deployment.LoadBalancers {
		for _, r := range lb.LoadBalancingRules {
			if known(pass, r, ruleProbe) && r.Probe == "" && known(pass, lb, lbName) {
				pass.Reportf(&r.Node, "probe", "rule %q of load balancer %q has no health probe; failed backends stay in rotation: add a probe", r.Name, lb.Name)
			}
		}
	}
}
