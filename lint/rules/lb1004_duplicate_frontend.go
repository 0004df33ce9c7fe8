package rules

import (
	"fmt"
	"sort"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema/view"
)

// DuplicateFrontend is LB1004: two rules listening on the same frontend,
// protocol and port.
var DuplicateFrontend = &lint.Rule{
	ID:       "LB1004",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "Two rules listen on the same frontend, protocol and port",
		Text: "A flow is matched to a rule by frontend IP configuration, protocol and frontend port, so these must be " +
			"unique within a load balancer (\"Port numbers for each rule must be unique within the Load Balancer\"). " +
			"Protocol All overlaps Tcp and Udp, and inbound NAT rules (including port ranges of NAT rules v2) share " +
			"the frontend's port space. Azure rejects the deployment. An HA-ports rule (All, port 0) is not a " +
			"duplicate of the rules next to it: a rule for one port is more specific and takes that port's flows " +
			"(Azure Verified Modules deploy HA ports with NAT rules on one frontend). Whether an HA-ports rule may " +
			"share its frontend is left to LB1006 (allowed when both have Floating IP) and LB1009 (one HA-ports " +
			"rule per frontend).",
		Fix:    "Use a different frontend port or a second frontend IP configuration for one of the rules.",
		Source: docMultiVIP,
	},
	Run: runDuplicateFrontend,
}

func runDuplicateFrontend(pass *lint.Pass) {
	type entry struct {
		b     binding
		order int
		ports view.PortRange
	}
	for _, l := range viewOf(pass).LoadBalancers {
		if len(l.Bindings) < 2 {
			continue
		}
		groups := map[[2]string][]entry{} // (frontend, Tcp|Udp) -> entries
		var keys [][2]string
		for i, b := range bindings(pass, l, bindFrontend, bindProtocol) {
			if !b.knownFrontendPorts(pass) {
				continue
			}
			// HA-ports rules are left to LB1006 and LB1009: a rule for a
			// port is more specific and wins that port.
			if ha, ok := b.haPorts(pass); !ok || ha {
				continue
			}
			for _, p := range b.Protocols {
				k := [2]string{b.frontendName(), string(p)}
				if groups[k] == nil {
					keys = append(keys, k)
				}
				groups[k] = append(groups[k], entry{b, i, b.FrontendPorts})
			}
		}
		isNew := once()
		for _, k := range keys {
			es := groups[k]
			sort.SliceStable(es, func(i, j int) bool { return es[i].ports.Lo < es[j].ports.Lo })
			// Sweep: any entry that overlaps an earlier one overlaps the
			// earlier entry reaching furthest.
			widest := es[0]
			for _, e := range es[1:] {
				if e.ports.Lo <= widest.ports.Hi {
					first, second := widest, e
					if second.order < first.order {
						first, second = second, first
					}
					if isNew([2]binding{first.b, second.b}) {
						pass.Report(second.b.Node.At(second.b.frontendPortField()), second.b.Node.Path(), "",
							fmt.Sprintf("%s (%s, %s) and %s (%s, %s) both listen on frontend %q; Azure rejects duplicate frontend, protocol and port: use another frontend port or frontend",
								first.b, first.b.Protocol, first.ports, second.b, second.b.Protocol, second.ports, k[0]))
					}
				}
				if e.ports.Hi > widest.ports.Hi {
					widest = e
				}
			}
		}
	}
}

// knownFrontendPorts reports whether the fields view.Binding.FrontendPorts
// reads are known: the frontend port, or the port range of a NAT rule for
// a pool when it has one (a classic NAT rule listens on its frontend port).
func (b binding) knownFrontendPorts(pass *lint.Pass) bool {
	switch {
	case b.Rule != nil || b.NAT.Target != nil:
		return b.known(pass, bindFrontendPort)
	case !known(pass, b.NAT, natPortRangeStart):
		return false
	case b.NAT.FrontendPortRangeStart > 0:
		return known(pass, b.NAT, natPortRangeEnd)
	}
	return b.known(pass, bindFrontendPort)
}

// frontendPortField is the JSON name of the field that holds the
// binding's first frontend port (view.Binding.FrontendPorts).
func (b binding) frontendPortField() string {
	if b.NAT != nil && b.NAT.Target == nil && b.NAT.FrontendPortRangeStart > 0 {
		return "frontendPortRangeStart"
	}
	return "frontendPort"
}
