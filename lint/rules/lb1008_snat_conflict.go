package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
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
	for _, lb := range pass.Deployment.LoadBalancers {
		// owner[frontend][Tcp|Udp] is the first outbound rule using it.
		owner := map[string]map[string]string{}
		for _, o := range lb.OutboundRules {
			if unknown(&o.Node, "protocol", "frontendIPConfigurations") {
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
		for _, r := range lb.LoadBalancingRules {
			if r.DisableOutboundSnat || owner[r.FrontendIPConfiguration] == nil || unknown(&r.Node, "disableOutboundSnat", "frontendIPConfiguration") {
				continue
			}
			by := owner[r.FrontendIPConfiguration]["Tcp"]
			if by == "" {
				by = owner[r.FrontendIPConfiguration]["Udp"]
			}
			pass.Report(r.At("disableOutboundSnat"), r.Path(), "disableOutboundSnat: true",
				fmt.Sprintf("rule %q uses frontend %q, which outbound rule %q also uses, but does not set disableOutboundSnat; Azure rejects this (LoadBalancingRuleMustDisableSNATSinceSameFrontendIPConfigurationIsReferencedByOutboundRule): set disableOutboundSnat: true",
					r.Name, r.FrontendIPConfiguration, by))
		}
	}
}
