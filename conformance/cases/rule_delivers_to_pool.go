package cases

import (
	"maps"
	"slices"
	"time"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "RuleDeliversToPool",
		Description: "For every load-balancing rule and classic inbound NAT rule of the deployment, a flow to frontendIP:frontendPort reaches one of the rule's backends (its pool members, or the NAT rule's target) with the destination its Floating IP mode prescribes; a member Azure sends no flow of the rule (a secondary IP configuration behind Floating IP) receives nothing.",
		Profile:     suite.Core,
		Features:    []string{"load-balancing-rule", "user-deployment"},
		Expectation: "A flow matching a rule is delivered to one of its backends as dst = DIP:backendPort (Floating IP off) or frontendIP:backendPort (on), with the client's source preserved.",
		Source:      docMultiVIP,
		Run: func(t *suite.T) {
			for _, f := range ruleFlows(t) {
				if len(f.backends) == 0 && len(f.excluded) == 0 {
					t.Errorf("%s: the pool has no member with a VM in the deployment", f)
					continue
				}
				s := f.send(t)
				if len(f.backends) > 0 {
					m := fromClient(s)
					m.DstPort = f.bport
					if at, p := t.ExpectAny(f.points(t), suite.Step{What: f.String() + ": delivered to a pool member", Match: m, Dir: capture.In}); p != nil {
						m.Dst = f.backends[at.Label]
						t.Expect(at, suite.Step{What: f.String() + ": destination as the Floating IP mode prescribes", Match: m, Dir: capture.In, Timeout: 50 * time.Millisecond})
					}
				}
				for _, vm := range slices.Sorted(maps.Keys(f.excluded)) {
					t.ExpectNone(t.VM(vm), suite.Step{What: f.String() + ": not delivered to " + vm + ": " + f.excluded[vm], Match: fromClient(s), Dir: capture.In})
				}
			}
		},
	})
}
