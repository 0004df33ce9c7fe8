package cases

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"time"

	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/conformance/target"
	"github.com/lbcheck/lbcheck/reports"
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
		case !t.Supports(features.InboundNATRuleV2):
			why := "needs " + string(features.InboundNATRuleV2) + ", which the implementation does not declare"
			t.Logf("inbound NAT rule %s/%s %s; not tested", b.LB.Name, b.Name, why)
			dst, _ := natRangeDeliveries(t, b)
			for _, vm := range slices.Sorted(maps.Keys(dst)) {
				t.Member(natRangeName(b), vm, reports.MemberUntested, why)
			}
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
// each, all to the same member and to no other (natRangeMember), and each
// member reached by one port.
func natRangeEveryMember(t *suite.T, b *view.Binding) {
	dst, ports := natRangeDeliveries(t, b)
	var points []suite.Point
	for _, vm := range slices.Sorted(maps.Keys(dst)) {
		points = append(points, t.VM(vm))
	}
	owner := map[string]uint16{}
	for _, port := range ports {
		name := fmt.Sprintf("inbound NAT rule %s/%s (tcp %s:%d)", b.LB.Name, b.Name, b.FIP(), port)
		member := natRangeMember(t, points, name, b.FIP(), port, ports, uint16(b.BackendPort), func(vm string) netip.Addr { return dst[vm].Dst })
		if member == "" {
			continue
		}
		if prev, dup := owner[member]; dup {
			t.Errorf("%s: frontend ports %d and %d both reach %s; each member must have its own port", name, prev, port, member)
			continue
		}
		owner[member] = port
	}
	rule := natRangeName(b)
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

// natRangeDeliveries returns, for the v2 NAT rule b, the delivery that
// gets flows of each member the topology hosts, by VM, and the frontend
// port of every such delivery; members Azure sends nothing (excluded) are
// logged and left out.
func natRangeDeliveries(t *suite.T, b *view.Binding) (dst map[string]view.Delivery, ports []uint16) {
	dst = map[string]view.Delivery{}
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
		}
		ports = append(ports, uint16(d.FrontendPort))
	}
	return dst, ports
}

// natRangeName names the v2 NAT rule b in member verdicts.
func natRangeName(b *view.Binding) string {
	return fmt.Sprintf("inbound NAT rule %s/%s (tcp %s:%d-%d)", b.LB.Name, b.Name, b.FIP(), b.FrontendPorts.Lo, b.FrontendPorts.Hi)
}

// natRangeBudget is the time natRanges needs on v: natRangeFlows flows per
// member of each v2 NAT rule, and an expectation timeout per port when
// nothing arrives.
func natRangeBudget(v *view.View, to target.Timeouts) time.Duration {
	var total time.Duration
	for _, b := range v.Bindings {
		if b.Kind == view.NATKind && b.NAT.Target == nil {
			total += time.Duration(len(b.Deliveries)) * (natRangeFlows*20*time.Millisecond + to.Deliver)
		}
	}
	return total
}
