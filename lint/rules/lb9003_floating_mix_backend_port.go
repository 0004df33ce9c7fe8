package rules

import "github.com/lbcheck/lbcheck/lint"

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
		proto       string
		backendPort int
		floating    bool
	}
	for _, v := range indexOf(pass).lbs {
		if len(v.lb.LoadBalancingRules) < 2 {
			continue
		}
		first := map[key]*binding{}
		for _, b := range v.bindings(pass) {
			if ha, ok := b.haPorts(pass); b.rule == nil || !ok || ha ||
				!b.known(pass, bindFloatingIP, bindProtocol, bindBackendPort, bindPool) {
				continue
			}
			k := key{b.rule.BackendAddressPool, b.protocol, b.backendPort, b.floating}
			if other := first[key{k.pool, k.proto, k.backendPort, !k.floating}]; other != nil {
				pass.Reportf(b.node, "enableFloatingIP",
					"rules %q and %q share %s backend port %d of pool %q but only one has Floating IP on: enable Floating IP on both or use distinct backend ports",
					other.name, b.name, b.protocol, b.backendPort, k.pool)
			}
			if first[k] == nil {
				first[k] = b
			}
		}
	}
}
