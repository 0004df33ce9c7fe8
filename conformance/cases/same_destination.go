package cases

import (
	"fmt"
	"slices"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/reports"
)

// sameDestinationTries bounds the source ports tried until the flows of
// two rules from one source port reach the same member.
const sameDestinationTries = 16

// sameDestinations checks RuleDeliversToPool's flows fs for Floating IP
// rules that give a common member the same destination: the same frontend
// IP, protocol and backend port from different frontend ports (lint's
// LB2001). Multivip: "Each rule must produce a flow with a unique
// combination of destination IP address and destination port." For each
// such pair one flow of each rule, from the same client source port, is
// sent until both reach one member; the member then sees the two rules'
// flows as one 5-tuple and cannot tell them apart, which fails the case
// on that member.
func sameDestinations(t *suite.T, fs []ruleFlow) {
	for i, a := range fs {
		for _, b := range fs[i+1:] {
			if t.Context().Err() != nil {
				return
			}
			if !a.binding.Floating || !b.binding.Floating || a.fip != b.fip || a.proto != b.proto || a.bport != b.bport || a.fport == b.fport {
				continue
			}
			var common []string
			for vm := range a.backends {
				if _, ok := b.backends[vm]; ok {
					common = append(common, vm)
				}
			}
			if len(common) > 0 {
				slices.Sort(common)
				sameDestination(t, a, b, common)
			}
		}
	}
}

// sameDestination sends the flows of a and b from one source port, a new
// one per try, until both reach the same member of common, and records
// what that member saw.
func sameDestination(t *suite.T, a, b ruleFlow, common []string) {
	points := t.VMs(common...)
	what := fmt.Sprintf("%s and %s from one client port", a, b)
	for range sameDestinationTries {
		sport := t.SrcPort()
		var at [2]suite.Point
		var got [2]*pkt.Packet
		for k, f := range []ruleFlow{a, b} {
			s := t.Send(pkt.Spec{Proto: f.proto, Dst: f.fip, DstPort: f.fport, SrcPort: sport, Payload: payloadFor(f.proto)})
			m := fromClient(s)
			m.DstPort = f.bport
			if at[k], got[k] = t.ExpectAny(points, suite.Step{What: f.String() + ": delivered to a member both rules share", Match: m, Dir: capture.In}); got[k] == nil {
				return // recorded as a failed check
			}
		}
		if at[0].Label != at[1].Label {
			continue // hashed to different members: try another port
		}
		vm := at[0].Label
		if got[0].Dst == got[1].Dst && got[0].DstPort == got[1].DstPort {
			t.Errorf("%s: %s receives both as %s:%d from %s:%d, one 5-tuple: the guest cannot tell the rules apart (each rule must give a unique destination IP and port: give each its own backend port)",
				what, vm, got[0].Dst, got[0].DstPort, got[0].Src, got[0].SrcPort)
			t.Member(what, vm, reports.StatusFailed, "both rules' flows arrive with one destination")
			return
		}
		t.Member(what, vm, reports.StatusPassed, "")
		return
	}
	t.Logf("%s: in %d tries no source port took both to the same member; not tested", what, sameDestinationTries)
	for _, vm := range common {
		t.Member(what, vm, reports.MemberUntested, "no source port hashed both rules' flows to it")
	}
}
