package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
)

// NumberOfProbesIgnored is LB9001: numberOfProbes without probeThreshold.
var NumberOfProbesIgnored = &lint.Rule{
	ID:       "LB9001",
	Severity: lint.Warning,
	Doc: lint.Doc{
		Title: "numberOfProbes set without probeThreshold",
		Text: "Azure does not respect numberOfProbes; the number of consecutive probe results that change a backend's " +
			"state is probeThreshold. A probe that sets only numberOfProbes gets the default threshold, not the value written.",
		Fix:    "Set probeThreshold to the intended value (Microsoft's cluster guides use 2) and drop numberOfProbes.",
		Source: docProbes,
	},
	Run: runNumberOfProbesIgnored,
}

func runNumberOfProbesIgnored(pass *lint.Pass) {
	for _, lb := range pass.Deployment.LoadBalancers {
		for _, p := range lb.Probes {
			// The finding names the probe and its load balancer: one whose
			// name is only known at deployment cannot be told apart.
			if !p.Has("numberOfProbes") || p.Has("probeThreshold") || !known(pass, lb, lbName) || !known(pass, p, probeName) {
				continue
			}
			// Azure ignores the field whatever its value, which the message
			// quotes only when it is known.
			what := "numberOfProbes"
			if settled(p, probeNumberOfProbes, true) {
				what = fmt.Sprintf("numberOfProbes: %d", p.NumberOfProbes)
			}
			pass.Reportf(&p.Node, "numberOfProbes", "probe %q of load balancer %q sets %s, which Azure ignores: set probeThreshold instead", p.Name, lb.Name, what)
		}
	}
}
