package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
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
	v := viewOf(pass)
	for _, l := range v.LoadBalancers {
		if max, ok := countLimits(pass, l.LoadBalancer); ok {
			reportCounts(pass, l.LoadBalancer, max)
		}
		reportHAPortsPerFrontend(pass, l)
	}
	reportRulesPerNIC(pass, v)
}

// limits are the per-SKU maxima LB1009 checks.
type limits struct{ rules, frontends, members int }

// nicRuleLimit is the number of rules that may reach one NIC.
const nicRuleLimit = 300

func skuLimits(sku schema.SKU) limits {
	if sku == schema.SKUBasic {
		return limits{rules: 250, frontends: 200, members: 300}
	}
	return limits{rules: 1500, frontends: 600, members: 5000}
}

// skuName names a SKU for messages; empty means the Standard default.
func skuName(sku schema.SKU) string {
	if sku == "" {
		return string(schema.SKUStandard)
	}
	return string(sku)
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
func reportHAPortsPerFrontend(pass *lint.Pass, l *view.LB) {
	if len(l.LoadBalancingRules) < 2 {
		return
	}
	var has []binding
	for _, b := range bindings(pass, l) {
		if ha, ok := b.haPorts(pass); ok && ha {
			has = append(has, b)
		}
	}
	if len(has) < 2 || !known(pass, l.LoadBalancer, lbType) || l.Type == schema.LBPublic {
		return
	}
	haOn := map[string]binding{}
	for _, b := range has {
		if !b.known(pass, bindFrontend) {
			continue
		}
		if first, ok := haOn[b.frontendName()]; ok {
			pass.Reportf(b.Node, "frontendIPConfiguration", "HA-ports rules %q and %q share internal frontend %q; the limit is 1 HA-ports rule per internal frontend: use another frontend",
				first.Name, b.Name, b.frontendName())
			continue
		}
		haOn[b.frontendName()] = b
	}
}

// reportRulesPerNIC reports NICs reached by more rules than Azure allows.
// Which NICs a rule reaches matters only when the deployment has more rules
// than one NIC may have.
func reportRulesPerNIC(pass *lint.Pass, v *view.View) {
	total := 0
	for _, l := range v.LoadBalancers {
		total += len(l.Bindings) + len(l.OutboundRules)
	}
	if total <= nicRuleLimit {
		return
	}
	perNIC := map[*schema.NetworkInterface]map[*schema.Node]bool{}
	var nics []*schema.NetworkInterface
	reach := func(n *schema.Node, nic *schema.NetworkInterface) {
		if perNIC[nic] == nil {
			perNIC[nic] = map[*schema.Node]bool{}
			nics = append(nics, nic)
		}
		perNIC[nic][n] = true
	}
	for _, l := range v.LoadBalancers {
		for _, b := range bindings(pass, l) {
			if b.knownPool(pass) {
				for _, d := range b.Deliveries {
					reach(b.Node, d.NIC)
				}
			}
		}
		for _, o := range l.OutboundRules {
			if !known(pass, o, outboundPool) {
				continue
			}
			if p := l.Pools[o.BackendAddressPool]; p != nil {
				for _, m := range p.Members {
					if _, nic, _, ok := v.Member(m); ok {
						reach(&o.Node, nic)
					}
				}
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

// firstBeyond returns the node and description of the rule at index i of
// lb's load-balancing rules followed by its inbound NAT rules.
func firstBeyond(lb *schema.LoadBalancer, i int) (*schema.Node, string) {
	if i < len(lb.LoadBalancingRules) {
		r := lb.LoadBalancingRules[i]
		return &r.Node, fmt.Sprintf("rule %q", r.Name)
	}
	n := lb.InboundNatRules[i-len(lb.LoadBalancingRules)]
	return &n.Node, fmt.Sprintf("NAT rule %q", n.Name)
}
