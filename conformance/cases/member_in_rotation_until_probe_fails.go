package cases

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"golang.org/x/sys/unix"

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
		ShortName: "MemberInRotationUntilProbeFails",
		Description: "For every load-balancing rule, one pool member's service fails: it refuses the rule's backend port. The load balancer " +
			"decides by the health probe alone, so new flows keep reaching the member while its probe still answers (a probe on another " +
			"port). A rule without a health probe can never take the member out: the case shows its new flows reaching the failed member " +
			"and fails on the rule (lint's LB2003). A TCP backend port some probe watches is ProbeDownNoNewFlows' subject.",
		Profile:     suite.Core,
		Features:    []features.Name{features.HealthProbe},
		Expectation: "Only the health probe takes a member out of rotation; a member whose service fails keeps new flows until its probe fails. Without a probe the load balancer cannot take a failed backend out of rotation: new flows keep going to it.",
		Source:      docProbes,
		Budget: func(d *schema.Deployment, to target.Timeouts) time.Duration {
			var total time.Duration
			for _, b := range view.Resolve(d).Bindings {
				if b.Kind == view.RuleKind {
					total += time.Duration(maxFlows(len(b.Deliveries))*len(b.Protocols))*20*time.Millisecond +
						time.Duration(len(b.Protocols))*to.Deliver
				}
			}
			return total
		},
		Run: func(t *suite.T) {
			v := view.Resolve(t.Deployment())
			probed := probePorts(v)
			var fs []ruleFlow
			for _, f := range ruleFlows(t, v) {
				switch {
				case f.binding.Kind != view.RuleKind || len(f.backends) == 0:
				case f.proto == pkt.TCP && probed[int(f.bport)]:
					for _, vm := range slices.Sorted(maps.Keys(f.backends)) {
						t.Member(f.String(), vm, reports.MemberUntested, "a probe watches the backend port: a failed service fails the probe (ProbeDownNoNewFlows)")
					}
				default:
					fs = append(fs, f)
				}
			}
			if len(fs) == 0 {
				t.Skipf("every IPv4 load-balancing rule with a member in the topology has a TCP backend port a health probe watches")
			}
			failed := failServices(t, fs)
			for _, f := range fs {
				if t.Context().Err() != nil {
					return
				}
				stillInRotation(t, f, failed)
			}
		},
	})
}

// probePorts are the ports some probe of v connects to (TCP, HTTP or
// HTTPS). A member refusing such a port would fail that probe, taking it
// out of rotation for a while, also for the cases after this one, so the
// case does not refuse them.
func probePorts(v *view.View) map[int]bool {
	ports := map[int]bool{}
	for _, b := range v.Bindings {
		if b.Probe != nil {
			ports[b.Probe.Port] = true
		}
	}
	return ports
}

// failedTable is the nftables table that makes a member's service fail.
const failedTable = "lbcheck_member_failed"

// failServices makes one member of every flow's pool fail (the first by
// name, unless the pool already has a failed member): it refuses the
// backend ports of the flows whose pools hold it, TCP with a RST and UDP
// by dropping. It returns the failed VMs.
func failServices(t *suite.T, fs []ruleFlow) map[string]bool {
	failed := map[string]bool{}
	for _, f := range fs {
		members := slices.Sorted(maps.Keys(f.backends))
		if !slices.ContainsFunc(members, func(vm string) bool { return failed[vm] }) {
			failed[members[0]] = true
		}
	}
	for _, vm := range slices.Sorted(maps.Keys(failed)) {
		var rs []refusal
		var ports []string
		for _, f := range fs {
			if _, ok := f.backends[vm]; ok {
				proto := byte(unix.IPPROTO_TCP)
				if f.proto == pkt.UDP {
					proto = unix.IPPROTO_UDP
				}
				rs = append(rs, refusal{proto: proto, port: f.bport})
				ports = append(ports, fmt.Sprintf("%s %d", f.proto, f.bport))
			}
		}
		if err := t.InVM(vm, func() error { return refuse(failedTable, rs...) }); err != nil {
			t.Fatalf("making %s's service fail: %v", vm, err)
		}
		t.Cleanup(func() { _ = t.InVM(vm, func() error { return removeTable(failedTable) }) })
		t.Logf("%s's service fails: it refuses %v", vm, ports)
	}
	return failed
}

// stillInRotation sends new flows of f until one reaches a failed member,
// which the load balancer must keep in rotation: its probe still answers,
// or it has none. The latter fails the case on the rule: the deployment
// cannot take a failed member out.
func stillInRotation(t *suite.T, f ruleFlow, failed map[string]bool) {
	var down []string
	for _, vm := range slices.Sorted(maps.Keys(f.backends)) {
		if failed[vm] {
			down = append(down, vm)
		}
	}
	limit := f.flowLimit(len(f.backends))
	for i := 0; i < limit && t.Context().Err() == nil; i++ {
		at, _, p := f.arrival(t, f.sendFlow(t, i))
		if p == nil {
			return // recorded: some member must get the flow
		}
		if !failed[at.Label] {
			continue
		}
		status, note := reports.StatusFailed, "no health probe: still gets new flows after its service failed"
		if f.binding.Probe != nil {
			status, note = reports.StatusPassed, "still gets new flows: its probe "+f.binding.Probe.Name+" answers"
		} else {
			t.Errorf("%s has no health probe: its new flows keep reaching a member whose service has failed (the load balancer has no signal to take it out of rotation): add a probe", f)
		}
		for _, vm := range down {
			t.Member(f.String(), vm, status, note)
		}
		return
	}
	t.Errorf("%s: none of %d new flows reached %v after its service failed, though nothing told the load balancer (its probe still answers, or it has none)", f, limit, down)
	for _, vm := range down {
		t.Member(f.String(), vm, reports.StatusFailed, fmt.Sprintf("taken out of rotation without a failed probe: none of %d new flows", limit))
	}
}
