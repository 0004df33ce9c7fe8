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
	unknown := map[string]bool{}
	for _, f := range findings {
		if f.Rule == UnknownValue && f.Object != "" {
			unknown[f.Object] = true
		}
	}
	for _, lb := range d.LoadBalancers {
		c.LoadBalancers++
		path := lb.Path()
		for obj := range unknown {
			if obj == path || strings.HasPrefix(obj, path+".") {
				c.Partly++
				break
			}
		}
	}
	return c
}
