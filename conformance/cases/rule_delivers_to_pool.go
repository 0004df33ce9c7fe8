package cases

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/conformance/target"
	"github.com/lbcheck/lbcheck/reports"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "RuleDeliversToPool",
		Description: "For every load-balancing rule and classic inbound NAT rule of the deployment, flows to frontendIP:frontendPort reach every one of the rule's backends (its pool members, or the NAT rule's target), each with the destination its Floating IP mode prescribes; a member Azure sends no flow of the rule (a secondary IP configuration behind Floating IP) receives nothing, and fails the case: the deployment meant it to get traffic. Every v2 inbound NAT rule gives each member its own port of the range. Two Floating IP rules must not reach a member with the same destination.",
		Profile:     suite.Core,
		Features:    []features.Name{features.LoadBalancingRule},
		Expectation: "A flow matching a rule is delivered to one of its backends as dst = DIP:backendPort (Floating IP off) or frontendIP:backendPort (on), with the client's source preserved; the rule's flows are spread over all its healthy backends.",
		Source:      docMultiVIP,
		Budget: func(d *schema.Deployment, to target.Timeouts) time.Duration {
			v := view.Resolve(d)
			return coverBudget(v, to) + natRangeBudget(v, to)
		},
		Run: func(t *suite.T) {
			v := view.Resolve(t.Deployment())
			ranges, fs := natRanges(t, v), ruleFlows(t, v)
			if ranges == 0 && len(fs) == 0 {
				t.Skipf("the deployment has no IPv4 load-balancing rule or inbound NAT rule to test")
			}
			for _, f := range fs {
				if t.Context().Err() != nil {
					return // timed out or interrupted: the reason is recorded once
				}
				if len(f.backends) == 0 && len(f.excluded) == 0 {
					t.Errorf("%s: the pool has no member with a VM in the deployment", f)
					continue
				}
				sent := coverMembers(t, f, func(at suite.Point, m pkt.Match) bool {
					m.Dst = f.backends[at.Label]
					return t.Expect(at, suite.Step{What: f.String() + ": destination " + at.Label + " sees as the Floating IP mode prescribes", Match: m, Dir: capture.In}) != nil
				})
				for _, vm := range slices.Sorted(maps.Keys(f.excluded)) {
					window := closedAt(t, fs, vm)
					status := reports.MemberExcluded
					for _, s := range sent {
						if !t.ExpectNone(t.VM(vm), suite.Step{What: f.String() + ": not delivered to " + vm + ": " + f.excluded[vm], Match: fromClient(s), Dir: capture.In, Timeout: window}) {
							status = reports.StatusFailed
						}
					}
					t.Member(f.String(), vm, status, f.excluded[vm])
					if status == reports.MemberExcluded {
						// As on Azure, but the deployment put the member in
						// the pool for traffic it never gets (lint's LB2002).
						t.Errorf("%s: %s is in the pool but gets no flow of the rule: %s", f, vm, f.excluded[vm])
					}
				}
			}
			sameDestinations(t, fs)
		},
	})
}

// closedAt is the window of the negative checks at vm for the flows sent
// so far: AfterBarrier once a fresh flow of a rule of fs that delivers to
// vm has arrived there (the path to one VM keeps order, CONTRACT.md), else
// 0, the quiet window.
func closedAt(t *suite.T, fs []ruleFlow, vm string) time.Duration {
	for _, f := range fs {
		if _, ok := f.backends[vm]; !ok {
			continue
		}
		for i := range f.flowLimit(len(f.backends)) {
			m := fromClient(f.sendFlow(t, i))
			m.DstPort = f.bport
			at, ok := t.Arrives(f.points(t), suite.Step{Match: m, Dir: capture.In})
			if !ok {
				break
			}
			if at.Label == vm {
				return suite.AfterBarrier
			}
		}
	}
	return 0
}

// coverMembers sends fresh flows of f until every backend VM has received
// one of its own, at most maxFlows of them, and calls first for the first
// flow each VM gets, with where it arrived and the match of its packet
// there (source and backend port); first reports whether the member
// passed. A VM no flow reached is a failure of the case naming it: a
// member that is down (its health probe unanswered), or one the forwarder
// never picks. Each member's verdict goes to the report (T.Member). A
// source-hashed rule's flows come from steering addresses (sendFlow). It
// returns the flows sent (at least one).
func coverMembers(t *suite.T, f ruleFlow, first func(at suite.Point, m pkt.Match) bool) []pkt.Spec {
	want := len(f.backends)
	limit := f.flowLimit(want)
	reached := map[string]bool{} // member -> its first flow's checks passed
	var sent []pkt.Spec
	misses := 0
	lastProgress := time.Now()
	for i := 0; (len(sent) == 0 || len(reached) < want) && i < limit && misses < 3 && t.Context().Err() == nil; i++ {
		s := f.sendFlow(t, i)
		sent = append(sent, s)
		if want == 0 {
			break // only excluded members: nothing may arrive
		}
		at, m, p := f.arrival(t, s)
		if p == nil {
			misses++ // recorded as a failed check; three in a row end the rule
			continue
		}
		misses = 0
		if _, seen := reached[at.Label]; !seen {
			reached[at.Label] = first(at, m)
		}
		if time.Since(lastProgress) > 2*time.Second {
			t.Progressf("%s: %d flows, %d of %d members reached", f, len(sent), len(reached), want)
			lastProgress = time.Now()
		}
	}
	for _, vm := range slices.Sorted(maps.Keys(f.backends)) {
		ok, seen := reached[vm]
		switch {
		case seen && ok:
			t.Member(f.String(), vm, reports.StatusPassed, "")
		case seen:
			t.Member(f.String(), vm, reports.StatusFailed, "its first flow's check failed")
		case misses >= 3 || t.Context().Err() != nil:
			t.Member(f.String(), vm, reports.MemberUnreached, "the rule's flows stopped arriving")
		case bySource(f.binding):
			// Few source addresses: a member may hash to none of them.
			note := fmt.Sprintf("loadDistribution %s: none of the %d source addresses hashed to it", f.binding.Rule.LoadDistribution, len(sent))
			t.Logf("%s: member %s: %s", f, vm, note)
			t.Member(f.String(), vm, reports.MemberUnreached, note)
		default:
			t.Errorf("%s: member %s received none of %d flows (the others did): is it down (its health probe unanswered), or does the forwarder never pick it?", f, vm, len(sent))
			t.Member(f.String(), vm, reports.MemberUnreached, fmt.Sprintf("none of %d flows reached it", len(sent)))
		}
	}
	t.Logf("%s: %d flows reached %d of %d members", f, len(sent), len(reached), want)
	return sent
}

// bySource reports whether b's load distribution hashes only the source
// address (and protocol), so that new source ports keep a flow on one
// member.
func bySource(b *view.Binding) bool {
	return b.Rule != nil && (b.Rule.LoadDistribution == schema.DistributionSourceIP || b.Rule.LoadDistribution == schema.DistributionSourceIPProtocol)
}

// maxFlows is how many flows coverMembers may send to reach n members with
// hashing that spreads flows evenly: after k flows a member is missed with
// probability at most n·e^(-k/n), under 10⁻⁶ for k = n·(ln n + 14).
func maxFlows(n int) int {
	if n <= 1 {
		return max(n, 1) * 3
	}
	return int(math.Ceil(float64(n) * (math.Log(float64(n)) + 14)))
}

// coverBudget is the time RuleDeliversToPool needs on v beyond the case
// timeout: every flow it may send, at a few milliseconds each when it
// arrives, and three expectation timeouts per rule and protocol when
// nothing does.
func coverBudget(v *view.View, to target.Timeouts) time.Duration {
	var total time.Duration
	for _, b := range v.Bindings {
		flows := time.Duration(maxFlows(len(b.Deliveries)) * len(b.Protocols))
		total += flows*20*time.Millisecond + time.Duration(3*len(b.Protocols))*to.Deliver
	}
	return total
}
