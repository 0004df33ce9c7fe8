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
	for _, v := range ix.lbs {
		if max, ok := countLimits(pass, v.lb); ok {
			reportCounts(pass, v.lb, max)
		}
		reportHAPortsPerFrontend(pass, v)
	}
	reportRulesPerNIC(pass, ix)
}

// countLimits returns the limits of lb's SKU. When no count of lb exceeds
// even the Basic limits the SKU cannot matter and is not asked for; ok is
// false when it matters and is only known at deployment.
func countLimits(pass *lint.Pass, lb *schema.LoadBalancer) (max limits, ok bool) {
	basic := skuLimits("Basic")
	over := len(lb.LoadBalancingRules)+len(lb.InboundNatRules) > basic.rules || len(lb.FrontendIPConfigurations) > basic.frontends
	for _, p := range lb.BackendAddressPools {
		over = over || len(p.Members) > basic.members
	}
	if !over {
		return basic, true
	}
	// Beyond Basic's limits, the SKU decides; the finding names the load
	// balancer.
	return skuLimits(lb.SKU), known(pass, lb, lbSKU, lbName)
}

// reportCounts reports the rules, frontends and pool members of lb beyond
// max.
func reportCounts(pass *lint.Pass, lb *schema.LoadBalancer, max limits) {
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
}

// reportHAPortsPerFrontend reports a second HA-ports rule on an internal
// frontend.
func reportHAPortsPerFrontend(pass *lint.Pass, v *lbView) {
	if len(v.lb.LoadBalancingRules) < 2 {
		return
	}
	var has []*binding
	for _, b := range v.bindings(pass) {
		if ha, ok := b.haPorts(pass); ok && ha {
			has = append(has, b)
		}
	}
	if len(has) < 2 || !known(pass, v.lb, lbType) || v.lb.Type == "public" {
		return
	}
	haOn := map[string]*binding{}
	for _, b := range has {
		if !b.known(pass, bindFrontend) {
			continue
		}
		if first := haOn[b.frontend]; first != nil {
			pass.Reportf(b.node, "frontendIPConfiguration", "HA-ports rules %q and %q share internal frontend %q; the limit is 1 HA-ports rule per internal frontend: use another frontend",
				first.name, b.name, b.frontend)
			continue
		}
		haOn[b.frontend] = b
	}
}

// reportRulesPerNIC reports NICs reached by more rules than Azure allows.
// Which NICs a rule reaches matters only when the deployment has more rules
// than one NIC may have.
func reportRulesPerNIC(pass *lint.Pass, ix *index) {
	total := 0
	for _, v := range ix.lbs {
		total += len(v.lb.LoadBalancingRules) + len(v.lb.InboundNatRules) + len(v.lb.OutboundRules)
	}
	if total <= nicRuleLimit {
		return
	}
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
		for _, b := range v.bindings(pass) {
			ts, _ := ix.targets(pass, b)
			reach(b.node, ts)
		}
		for _, o := range v.lb.OutboundRules {
			if known(pass, o, outboundPool) {
				reach(&o.Node, ix.poolTargets(v.pools[o.BackendAddressPool]))
			}
		}
	}
	for _, nic := range nics {
		if n := len(perNIC[nic]); n > nicRuleLimit {
			pass.Reportf(&nic.Node, "name", "NIC %q is reached by %d rules (load-balancing, inbound NAT and outbound); the limit is %d per NIC (LoadBalancerRuleCountLimitReachedForNic)",
				nic.Name, n, nicRuleLimit)
		}
	}
}
