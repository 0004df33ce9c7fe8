package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
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
	v := viewOf(pass)
	type poolKey struct {
		lb          *schema.LoadBalancer
		pool        string
		proto       schema.Protocol
		backendPort int
	}
	type ipcKey struct {
		lbType      any
		ipc         *schema.IPConfig
		proto       schema.Protocol
		backendPort int
	}
	firstInPool := map[poolKey]binding{}
	firstOnIPC := map[ipcKey]binding{}
	isNew := once()
	clash := func(first, b binding, where, code string) {
		if !isNew([2]binding{first, b}) {
			return
		}
		pass.Report(b.Node.At("backendPort"), b.Node.Path(), "",
			fmt.Sprintf("%s with Floating IP off both send %s to backend port %d of %s; Azure rejects this (%s): enable Floating IP on both or use distinct backend ports",
				pair(first, b), b.Protocol, b.BackendPort, where, code))
	}
	for _, l := range v.LoadBalancers {
		for _, b := range bindings(pass, l, bindFloatingIP) {
			if b.Floating || !b.known(pass, bindProtocol, bindBackendPort) || !b.knownPool(pass) {
				continue
			}
			if b.Rule != nil {
				k := poolKey{l.LoadBalancer, b.Rule.BackendAddressPool, b.Protocol, b.BackendPort}
				if first, ok := firstInPool[k]; ok {
					clash(first, b, fmt.Sprintf("pool %q", k.pool), "RulesUseSameBackendPortProtocolAndPool")
				} else {
					firstInPool[k] = b
				}
			}
			for _, d := range b.Deliveries {
				k := ipcKey{lbTypeClass(pass, v, l), d.IPConfig, b.Protocol, b.BackendPort}
				first, ok := firstOnIPC[k]
				switch {
				case !ok:
					firstOnIPC[k] = b
				case first.Rule != nil && b.Rule != nil && first.LB == b.LB &&
					first.Rule.BackendAddressPool == b.Rule.BackendAddressPool:
					// Same pool: reported above.
				case first.LB != b.LB:
					clash(first, b, "IP configuration "+d.String(), "RulesOfSameLoadBalancerTypeUseSameBackendPortProtocolAndIPConfig")
				default:
					clash(first, b, "IP configuration "+d.String(), "RulesUseSameBackendPortProtocolAndIPConfig")
				}
			}
		}
	}
}

// lbTypeClass is what rules of l are compared with across load balancers:
// Azure rejects a clash on one IP configuration between load balancers of
// the same type. With one load balancer the type does not matter; when it
// is only known at deployment, l is compared with itself alone.
func lbTypeClass(pass *lint.Pass, v *view.View, l *view.LB) any {
	if len(v.LoadBalancers) == 1 || known(pass, l.LoadBalancer, lbType) {
		return l.Type
	}
	return l
}
