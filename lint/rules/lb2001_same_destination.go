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
	ix := indexOf(pass)
	sets := map[*binding]map[*schema.IPConfig]bool{}
	type key struct {
		lb          *schema.LoadBalancer
		dest        string
		proto       string
		backendPort int
	}
	for _, v := range ix.lbs {
		groups := map[key][]*binding{}
		for _, b := range v.bindings("enableFloatingIP", "frontendIPConfiguration", "protocol", "frontendPort", "backendPort") {
			if b.rule == nil || !b.floating || b.isHAPorts() {
				continue
			}
			dest := "frontend " + b.frontend
			if a := b.frontendAddr(); a.IsValid() {
				dest = a.String()
			}
			for _, p := range protocols(b.protocol) {
				k := key{v.lb, dest, p, b.backendPort}
				for _, first := range groups[k] {
					if ix.shareBackends(first, b, sets) {
						pass.Report(b.node.At("backendPort"), b.node.Path(), "",
							fmt.Sprintf("Floating IP %s both deliver %s to %s port %d on the same backends; the guest cannot tell the flows apart: use distinct backend ports",
								pair(first, b), p, dest, b.backendPort))
						break
					}
				}
				groups[k] = append(groups[k], b)
			}
		}
	}
}
