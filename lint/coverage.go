package lint

import (
	"strings"

	"github.com/lbcheck/lbcheck/schema"
)

// Coverage says how completely the load balancers of a lint run were
// checked: how many were imported (every rule ran on each), how many of
// those hold values known only at deployment (an LB0010 finding concerns
// them or one of their objects, so some checks skipped them), and how many
// were declared but are not deployed (their condition is false).
type Coverage struct {
	LoadBalancers int `json:"checked"`
	Partly        int `json:"partly"`
	NotDeployed   int `json:"notDeployed"`
}

// CoverageOf computes the coverage of d from the run's findings;
// notDeployed is the number of load balancers the importers left out for
// a false condition.
func CoverageOf(d *schema.Deployment, findings []Finding, notDeployed int) Coverage {
	c := Coverage{NotDeployed: notDeployed}
	if d == nil {
		return c
	}
	lbs := make(map[string]bool, len(d.LoadBalancers))
	for _, lb := range d.LoadBalancers {
		lbs[lb.Path()] = true
	}
	c.LoadBalancers = len(d.LoadBalancers)
	partly := map[string]bool{}
	for _, f := range findings {
		if f.Rule != UnknownValue {
			continue
		}
		// The object or one of the paths it is below (names may hold
		// dots, so every cut is tried).
		for i := len(f.Object); i > 0; i = strings.LastIndexByte(f.Object[:i], '.') {
			if p := f.Object[:i]; lbs[p] {
				partly[p] = true
				break
			}
		}
	}
	c.Partly = len(partly)
	return c
}
