package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

// CountLimits is LB1009: a load balancer or NIC above Azure's limits.
var CountLimits = &lint.Rule{
	ID:       "LB1009",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "Load balancer or NIC exceeds an Azure limit",
		Text: "Azure rejects deployments above its Load Balancer limits. Standard (and Gateway): 1,500 rules " +
			"(load-balancing + inbound NAT) per load balancer, 600 frontend IP configurations, 5,000 members per " +
			"backend pool, 1 HA-ports rule per internal frontend, and 300 rules per NIC across load-balancing, " +
			"inbound NAT and outbound rules (LoadBalancerRuleCountLimitReachedForNic). Basic: 250 rules, " +
			"200 frontends, 300 pool members.",
		Fix:    "Split the configuration across load balancers (or NICs), or consolidate rules, e.g. an HA-ports rule instead of many port rules.",
		Source: docLimits,
	},
	Run: runCountLimits,
}

func runCountLimits(pass *lint.Pass) {
	ix := indexOf(pass)
	perNIC := map[*schema.NetworkInterface]map[*schema.Node]bool{}
	var nics []*schema.NetworkInterface
	reach := func(n *schema.Node, ts []target) {
		for _, t := range ts {
			if perNIC[t.nic] == nil {
				perNIC[t.nic] = map[*schema.Node]bool{}
				nics = append(nics, t.nic)
			}
			perNIC[t.nic][n] = true
		}
	}
	for _, v := range ix.lbs {
		lb, max := v.lb, skuLimits(v.lb.SKU)
		if n := len(lb.LoadBalancingRules) + len(lb.InboundNatRules); n > max.rules {
			node, what := firstBeyond(lb, max.rules)
			pass.Report(node.Pos(), node.Path(), "",
				fmt.Sprintf("load balancer %q (%s) has %d rules (load-balancing + inbound NAT); the limit is %d: %s is the first beyond it",
					lb.Name, skuName(lb.SKU), n, max.rules, what))
		}
		if n := len(lb.FrontendIPConfigurations); n > max.frontends {
			f := lb.FrontendIPConfigurations[max.frontends]
			pass.Reportf(&f.Node, "name", "load balancer %q (%s) has %d frontend IP configurations; the limit is %d: frontend %q is the first beyond it",
				lb.Name, skuName(lb.SKU), n, max.frontends, f.Name)
		}
		for _, p := range lb.BackendAddressPools {
			if n := len(p.Members); n > max.members {
				m := p.Members[max.members]
				pass.Report(m.Pos(), m.Path(), "", fmt.Sprintf("backend pool %q of load balancer %q has %d members; the limit is %d", p.Name, lb.Name, n, max.members))
			}
		}
		haOn := map[string]*schema.Rule{}
		for _, r := range lb.LoadBalancingRules {
			if !r.IsHAPorts() || lb.Type == "public" {
				continue
			}
			if first := haOn[r.FrontendIPConfiguration]; first != nil {
				pass.Reportf(&r.Node, "frontendIPConfiguration", "HA-ports rules %q and %q share internal frontend %q; the limit is 1 HA-ports rule per internal frontend: use another frontend",
					first.Name, r.Name, r.FrontendIPConfiguration)
				continue
			}
			haOn[r.FrontendIPConfiguration] = r
		}
		for _, b := range v.bindings() {
			reach(b.node, ix.targets(b))
		}
		for _, o := range lb.OutboundRules {
			reach(&o.Node, ix.poolTargets(v.pools[o.BackendAddressPool]))
		}
	}
	for _, nic := range nics {
		if n := len(perNIC[nic]); n > nicRuleLimit {
			pass.Reportf(&nic.Node, "name", "NIC %q is reached by %d rules (load-balancing, inbound NAT and outbound); the limit is %d per NIC (LoadBalancerRuleCountLimitReachedForNic)",
				nic.Name, n, nicRuleLimit)
		}
	}
}
