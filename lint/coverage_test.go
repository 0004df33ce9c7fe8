package lint

import (
	"testing"

	"github.com/lbcheck/lbcheck/schema"
)

func TestCoverageOf(t *testing.T) {
	lb := func(name string) *schema.LoadBalancer {
		l := &schema.LoadBalancer{Name: name}
		l.SetPos(schema.Pos{}, "loadBalancers."+name)
		return l
	}
	d := &schema.Deployment{LoadBalancers: []*schema.LoadBalancer{lb("web"), lb("web2"), lb("sql")}}
	findings := []Finding{
		{Rule: UnknownValue, Object: "loadBalancers.web.loadBalancingRules.https"},
		{Rule: UnknownValue, Object: "loadBalancers.web"},
		{Rule: UnknownValue, Object: "vms.sql-vm.networkInterfaces.nic"}, // not a load balancer's
		{Rule: "LB2003", Object: "loadBalancers.sql.loadBalancingRules.x"},
		{Rule: UnknownValue}, // no object
	}
	got := CoverageOf(d, findings, 2)
	if want := (Coverage{LoadBalancers: 3, Partly: 1, NotDeployed: 2}); got != want {
		t.Errorf("CoverageOf = %+v, want %+v (web2 must not count as web's)", got, want)
	}
}
