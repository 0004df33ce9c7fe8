package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
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
	for _, l := range viewOf(pass).LoadBalancers {
		if len(l.OutboundRules) > 1 {
			reportOutboundOverlap(pass, l.LoadBalancer)
		}
		if len(l.OutboundRules) > 0 && len(l.LoadBalancingRules) > 0 {
			reportSNATNotDisabled(pass, l)
		}
	}
}

// reportOutboundOverlap reports outbound rules that use one frontend for
// overlapping protocols.
func reportOutboundOverlap(pass *lint.Pass, lb *schema.LoadBalancer) {
	// owner[frontend][Tcp|Udp] is the first outbound rule using it.
	owner := map[string]map[schema.Protocol]string{}
	for _, o := range lb.OutboundRules {
		if !known(pass, o, outboundFrontends, outboundProtocol) {
			continue
		}
		for _, fe := range o.FrontendIPConfigurations {
			if owner[fe] == nil {
				owner[fe] = map[schema.Protocol]string{}
			}
			for _, p := range view.Protocols(o.Protocol) {
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
func reportSNATNotDisabled(pass *lint.Pass, l *view.LB) {
	// usedBy[frontend] is the first outbound rule using it.
	usedBy := map[string]string{}
	for _, o := range l.OutboundRules {
		if !known(pass, o, outboundFrontends) {
			continue
		}
		for _, fe := range o.FrontendIPConfigurations {
			if _, taken := usedBy[fe]; !taken {
				usedBy[fe] = o.Name
			}
		}
	}
	for _, b := range bindings(pass, l) {
		if b.Rule == nil || settled(b.Rule, ruleDisableOutboundSnat, b.Rule.DisableOutboundSnat) || !b.known(pass, bindFrontend) {
			continue
		}
		by, used := usedBy[b.frontendName()]
		if !used || !known(pass, b.Rule, ruleDisableOutboundSnat) {
			continue
		}
		pass.Report(b.Rule.At("disableOutboundSnat"), b.Node.Path(), "disableOutboundSnat: true",
			fmt.Sprintf("rule %q uses frontend %q, which outbound rule %q also uses, but does not set disableOutboundSnat; Azure rejects this (LoadBalancingRuleMustDisableSNATSinceSameFrontendIPConfigurationIsReferencedByOutboundRule): set disableOutboundSnat: true",
				b.Name, b.frontendName(), by))
	}
}
