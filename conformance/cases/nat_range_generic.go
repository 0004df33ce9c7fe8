package cases

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/reports"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

// natRanges checks every v2 inbound NAT rule of the deployment (a frontend
// port range over a pool) for RuleDeliversToPool: each of the first
// len(pool) ports of the range reaches exactly one member, every flow to it
// the same one, with the destination its Floating IP mode prescribes, and
// distinct ports reach distinct members, so every member is reachable.
// Azure creates one port mapping per backend address from the preallocated
// range; which member gets which port is not documented, so that is not
// asserted.
// It returns how many rules it checked.
func natRanges(t *suite.T, v *view.View) (tested int) {
	for _, b := range v.Bindings {
		switch {
		case t.Context().Err() != nil:
			return tested
		case b.Kind != view.NATKind || b.NAT.Target != nil || b.Pool == nil:
		case !b.FIP().Is4():
			t.Logf("inbound NAT rule %s/%s: frontend %s is not IPv4; not tested", b.LB.Name, b.Name, b.FIP())
		default:
			natRangeEveryMember(t, b)
			tested++
		}
	}
	return tested
}

// natRangeEveryMember checks one v2 NAT rule: one port per member that the
// range has room for (view.Delivery.FrontendPort), natRangeFlows flows to
// each, all to the same member, and each member reached by one port.
func natRangeEveryMember(t *suite.T, b *view.Binding) {
	dst := map[string]view.Delivery{} // hosted VM -> its delivery that gets flows
	var ports []uint16
	var points []suite.Point
	for _, d := range b.Deliveries {
		if t.Config().HostForVM(d.VM.Name) == nil {
			continue
		}
		if d.Excluded != "" {
			t.Logf("inbound NAT rule %s/%s: member %s not tested: %s", b.LB.Name, b.Name, d, d.Excluded)
			continue
		}
		if _, dup := dst[d.VM.Name]; !dup {
			dst[d.VM.Name] = *d
			points = append(points, t.VM(d.VM.Name))
		}
		ports = append(ports, uint16(d.FrontendPort))
	}
	owner := map[string]uint16{}
	for _, port := range ports {
		name := fmt.Sprintf("inbound NAT rule %s/%s (tcp %s:%d)", b.LB.Name, b.Name, b.FIP(), port)
		member := ""
		for n := range natRangeFlows {
			s := t.Send(pkt.Spec{Proto: pkt.TCP, Dst: b.FIP(), DstPort: port})
			m := fromClient(s)
			m.DstPort = uint16(b.BackendPort)
			at, p := t.ExpectAny(points, suite.Step{What: fmt.Sprintf("%s: flow %d delivered to a pool member", name, n+1), Match: m, Dir: capture.In})
			if p == nil {
				break
			}
			m.Dst = dst[at.Label].Dst
			t.Expect(at, suite.Step{What: fmt.Sprintf("%s: flow %d arrives at %s as the Floating IP mode prescribes", name, n+1, at.Label), Match: m, Dir: capture.In, Timeout: 50 * time.Millisecond})
			if member != "" && at.Label != member {
				t.Errorf("%s: flow 1 reached %s, flow %d reached %s; a NAT port mapping names one member", name, member, n+1, at.Label)
				break
			}
			member = at.Label
		}
		if member == "" {
			continue
		}
		if prev, dup := owner[member]; dup {
			t.Errorf("%s: frontend ports %d and %d both reach %s; each member must have its own port", name, prev, port, member)
			continue
		}
		owner[member] = port
	}
	rule := fmt.Sprintf("inbound NAT rule %s/%s (tcp %s:%d-%d)", b.LB.Name, b.Name, b.FIP(), b.FrontendPorts.Lo, b.FrontendPorts.Hi)
	for _, vm := range slices.Sorted(maps.Keys(dst)) {
		switch port, ok := owner[vm]; {
		case ok:
			t.Member(rule, vm, reports.StatusPassed, fmt.Sprintf("frontend port %d", port))
		case t.Context().Err() == nil:
			t.Errorf("inbound NAT rule %s/%s: no frontend port of the range reached member %s", b.LB.Name, b.Name, vm)
			t.Member(rule, vm, reports.MemberUnreached, "no port of the range reached it")
		}
	}
	t.Logf("inbound NAT rule %s/%s: port mapping seen %v", b.LB.Name, b.Name, owner)
}

// natRangeBudget is the time natRanges needs on d: natRangeFlows flows per
// member of each v2 NAT rule, and an expectation timeout per port when
// nothing arrives.
func natRangeBudget(d *schema.Deployment) time.Duration {
	var total time.Duration
	for _, b := range view.Resolve(d).Bindings {
		if b.Kind == view.NATKind && b.NAT.Target == nil {
			total += time.Duration(len(b.Deliveries)) * (natRangeFlows*20*time.Millisecond + suite.DefaultExpectTimeout)
		}
	}
	return total
}
