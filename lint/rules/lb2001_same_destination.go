package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

// SameFloatingDestination is LB2001: two Floating IP rules that deliver to
// the same (frontend IP, protocol, backend port) on a common backend.
var SameFloatingDestination = &lint.Rule{
	ID:       "LB2001",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "Two Floating IP rules give the same destination",
		Text: "With Floating IP on the backend sees destination FrontendIP:backendPort. \"Each rule must produce a flow " +
			"with a unique combination of destination IP address and destination port\": two Floating IP rules on " +
			"the same frontend that map different frontend ports to one backend port reach a common backend with " +
			"identical destinations, so the guest cannot tell them apart and one service receives both.",
		Fix:    "Give each rule its own backend port, or put the rules on different frontends.",
		Source: docMultiVIP,
	},
	Run: runSameFloatingDestination,
}

func runSameFloatingDestination(pass *lint.Pass) {
	sets := map[binding]map[*schema.IPConfig]bool{}
	type key struct {
		lb          *schema.LoadBalancer
		dest        string
		proto       schema.Protocol
		backendPort int
	}
	for _, l := range viewOf(pass).LoadBalancers {
		if len(l.LoadBalancingRules) < 2 {
			continue
		}
		groups := map[key][]binding{}
		for _, b := range bindings(pass, l) {
			if b.Rule == nil || !b.known(pass, bindFloatingIP) || !b.Floating {
				continue
			}
			if ha, ok := b.haPorts(pass); !ok || ha || !b.known(pass, bindFrontend, bindProtocol, bindBackendPort) {
				continue
			}
			for _, p := range b.Protocols {
				k := key{l.LoadBalancer, destination(b), p, b.BackendPort}
				for _, first := range groups[k] {
					if share, ok := shareBackends(pass, first, b, sets); ok && share {
						pass.Report(b.Node.At("backendPort"), b.Node.Path(), "",
							fmt.Sprintf("Floating IP %s both deliver %s to %s port %d on the same backends; the guest cannot tell the flows apart: use distinct backend ports",
								pair(first, b), p, k.dest, b.BackendPort))
						break
					}
				}
				groups[k] = append(groups[k], b)
			}
		}
	}
}

// destination is the address a Floating IP rule delivers to: its
// frontend's IP address, or the frontend's name when that address does not
// parse or is only known at deployment. Rules on one frontend share its
// address whatever it is, so grouping them by name needs no address and
// nothing is recorded.
func destination(b binding) string {
	if f := b.Frontend; f != nil && settled(f.Frontend, frontendIPAddress, f.Addr.IsValid()) {
		return f.Addr.String()
	}
	return "frontend " + b.frontendName()
}
