package rules

import "github.com/lbcheck/lbcheck/lint"

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
			if p.Has("numberOfProbes") && !p.Has("probeThreshold") {
				pass.Reportf(&p.Node, "numberOfProbes", "probe %q sets numberOfProbes: %d, which Azure ignores: set probeThreshold instead", p.Name, p.NumberOfProbes)
			}
		}
	}
}
