package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

// SNATConflict is LB1008: outbound SNAT configured twice for one frontend.
var SNATConflict = &lint.Rule{
	ID:       "LB1008",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "Outbound SNAT conflict on a frontend",
		Text: "When an outbound rule uses a frontend IP configuration, every load-balancing rule on that frontend must " +
			"set disableOutboundSnat, otherwise Azure rejects the deployment " +
			"(LoadBalancingRuleMustDisableSNATSinceSameFrontendIPConfigurationIsReferencedByOutboundRule). " +
			"Two outbound rules on one frontend with overlapping protocols are rejected too " +
			"(MoreThanOneOutboundRuleUsingSameFrontendIPConfigurationAndProtocolIsNotSupported).",
		Fix:    "Set disableOutboundSnat: true on the load-balancing rule; give each outbound rule its own frontend or distinct protocols.",
		Source: docOutbound,
	},
	Run: runSNATConflict,
}

func runSNATConflict(pass *lint.Pass) {
	for _, v := range indexOf(pass).lbs {
		if len(v.lb.OutboundRules) > 1 {
			reportOutboundOverlap(pass, v.lb)
		}
		if len(v.lb.OutboundRules) > 0 && len(v.lb.LoadBalancingRules) > 0 {
			reportSNATNotDisabled(pass, v)
		}
	}
}

// reportOutboundOverlap reports outbound rules that use one frontend for
// overlapping protocols.
func reportOutboundOverlap(pass *lint.Pass, lb *schema.LoadBalancer) {
	// owner[frontend][Tcp|Udp] is the first outbound rule using it.
	owner := map[string]map[string]string{}
	for _, o := range lb.OutboundRules {
		if !known(pass, o, outboundFrontends, outboundProtocol) {
			continue
		}
		for _, fe := range o.FrontendIPConfigurations {
			if owner[fe] == nil {
				owner[fe] = map[string]string{}
			}
			for _, p := range protocols(o.Protocol) {
				if first, taken := owner[fe][p]; taken {
					pass.Reportf(&o.Node, "protocol",
						"outbound rules %q and %q both use frontend %q for %s; Azure rejects this (MoreThanOneOutboundRuleUsingSameFrontendIPConfigurationAndProtocolIsNotSupported): use another frontend or protocol",
						first, o.Name, fe, p)
					break
				}
				owner[fe][p] = o.Name
			}
		}
	}
}

// reportSNATNotDisabled reports load-balancing rules that leave outbound
// SNAT on although an outbound rule uses their frontend.
func reportSNATNotDisabled(pass *lint.Pass, v *lbView) {
	// usedBy[frontend] is the first outbound rule using it.
	usedBy := map[string]string{}
	for _, o := range v.lb.OutboundRules {
		if !known(pass, o, outboundFrontends) {
			continue
		}
		for _, fe := range o.FrontendIPConfigurations {
			if _, taken := usedBy[fe]; !taken {
				usedBy[fe] = o.Name
			}
		}
	}
	for _, b := range v.bindings(pass) {
		if b.rule == nil || settled(b.rule, ruleDisableOutboundSnat, b.rule.DisableOutboundSnat) || !b.known(pass, bindFrontend) {
			continue
		}
		by, used := usedBy[b.frontend]
		if !used || !known(pass, b.rule, ruleDisableOutboundSnat) {
			continue
		}
		pass.Report(b.rule.At("disableOutboundSnat"), b.node.Path(), "disableOutboundSnat: true",
			fmt.Sprintf("rule %q uses frontend %q, which outbound rule %q also uses, but does not set disableOutboundSnat; Azure rejects this (LoadBalancingRuleMustDisableSNATSinceSameFrontendIPConfigurationIsReferencedByOutboundRule): set disableOutboundSnat: true",
				b.name, b.frontend, by))
	}
}
