package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

// BackendPortClash is LB1003: rules with Floating IP off that send the same
// protocol to the same backend port of the same pool or IP configuration.
var BackendPortClash = &lint.Rule{
	ID:       "LB1003",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "Backend port reused without Floating IP",
		Text: "With Floating IP off the backend sees destination DIP:backendPort, so two rules that send the same " +
			"protocol to the same backend port of the same pool (or the same NIC IP configuration, for inbound " +
			"NAT rules and rules on other pools) would produce identical flows. Azure rejects the deployment with " +
			"RulesUseSameBackendPortProtocolAndPool or RulesUseSameBackendPortProtocolAndIPConfig " +
			"(RulesOfSameLoadBalancerTypeUseSameBackendPortProtocolAndIPConfig across load balancers). " +
			"Two HA-ports rules (All, port 0) with Floating IP off on one pool clash too.",
		Fix:    "Enable Floating IP on every rule that reuses the backend port (and configure the frontend IP in the guests), or give each rule its own backend port.",
		Source: docMultiVIP,
	},
	Run: runBackendPortClash,
}

func runBackendPortClash(pass *lint.Pass) {
	ix := indexOf(pass)
	type poolKey struct {
		lb          *schema.LoadBalancer
		pool        string
		proto       string
		backendPort int
	}
	type ipcKey struct {
		lbType      any
		ipc         *schema.IPConfig
		proto       string
		backendPort int
	}
	firstInPool := map[poolKey]*binding{}
	firstOnIPC := map[ipcKey]*binding{}
	isNew := once()
	clash := func(first, b *binding, where, code string) {
		if !isNew([2]*binding{first, b}) {
			return
		}
		pass.Report(b.node.At("backendPort"), b.node.Path(), "",
			fmt.Sprintf("%s with Floating IP off both send %s to backend port %d of %s; Azure rejects this (%s): enable Floating IP on both or use distinct backend ports",
				pair(first, b), b.protocol, b.backendPort, where, code))
	}
	for _, v := range ix.lbs {
		for _, b := range v.bindings(pass, bindFloatingIP) {
			if b.floating || !b.known(pass, bindProtocol, bindBackendPort) {
				continue
			}
			targets, ok := ix.targets(pass, b)
			if !ok {
				continue
			}
			if b.rule != nil {
				k := poolKey{v.lb, b.rule.BackendAddressPool, b.protocol, b.backendPort}
				if first := firstInPool[k]; first != nil {
					clash(first, b, fmt.Sprintf("pool %q", k.pool), "RulesUseSameBackendPortProtocolAndPool")
				} else {
					firstInPool[k] = b
				}
			}
			for _, t := range targets {
				k := ipcKey{lbTypeClass(pass, ix, v), t.ipc, b.protocol, b.backendPort}
				first := firstOnIPC[k]
				switch {
				case first == nil:
					firstOnIPC[k] = b
				case first.rule != nil && b.rule != nil && first.lbv == b.lbv &&
					first.rule.BackendAddressPool == b.rule.BackendAddressPool:
					// Same pool: reported above.
				case first.lbv != b.lbv:
					clash(first, b, "IP configuration "+t.String(), "RulesOfSameLoadBalancerTypeUseSameBackendPortProtocolAndIPConfig")
				default:
					clash(first, b, "IP configuration "+t.String(), "RulesUseSameBackendPortProtocolAndIPConfig")
				}
			}
		}
	}
}

// lbTypeClass is what rules of v are compared with across load balancers:
// Azure rejects a clash on one IP configuration between load balancers of
// the same type. With one load balancer the type does not matter; when it
// is only known at deployment, v is compared with itself alone.
func lbTypeClass(pass *lint.Pass, ix *index, v *lbView) any {
	if len(ix.lbs) == 1 || known(pass, v.lb, lbType) {
		return v.lb.Type
	}
	return v
}
