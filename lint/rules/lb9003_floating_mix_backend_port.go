package rules

import (
	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

// FloatingMixSharesBackendPort is LB9003: a Floating IP rule and a
// non-floating rule share a backend port on one pool.
var FloatingMixSharesBackendPort = &lint.Rule{
	ID:       "LB9003",
	Severity: lint.Warning,
	Doc: lint.Doc{
		Title: "Floating and non-floating rules share a backend port on one pool",
		Text: "\"If you want to reuse the backend port across multiple rules, you must enable Floating IP in the rule " +
			"definition\" of each. A mix deploys (destinations differ: FIP versus DIP), but whether Azure supports it " +
			"is not documented, and the service must then listen on both the frontend IP and the DIP.",
		Fix:    "Enable Floating IP on every rule that reuses the backend port, or give the non-floating rule its own backend port.",
		Source: docFloatingIP,
	},
	Run: runFloatingMixSharesBackendPort,
}

func runFloatingMixSharesBackendPort(pass *lint.Pass) {
	type key struct {
		pool        string
		proto       schema.Protocol
		backendPort int
		floating    bool
	}
	for _, l := range viewOf(pass).LoadBalancers {
		if len(l.LoadBalancingRules) < 2 {
			continue
		}
		first := map[key]binding{}
		for _, b := range bindings(pass, l) {
			if ha, ok := b.haPorts(pass); b.Rule == nil || !ok || ha ||
				!b.known(pass, bindFloatingIP, bindProtocol, bindBackendPort, bindPool) {
				continue
			}
			k := key{b.Rule.BackendAddressPool, b.Protocol, b.BackendPort, b.Floating}
			if other, ok := first[key{k.pool, k.proto, k.backendPort, !k.floating}]; ok {
				pass.Reportf(b.Node, "enableFloatingIP",
					"rules %q and %q share %s backend port %d of pool %q but only one has Floating IP on: enable Floating IP on both or use distinct backend ports",
					other.Name, b.Name, b.Protocol, b.BackendPort, k.pool)
			}
			if _, ok := first[k]; !ok {
				first[k] = b
			}
		}
	}
}
