package cases

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/conformance/topo"
	"github.com/lbcheck/lbcheck/reports"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

// ruleFlow is one flow a generic case sends for a load-balancing rule or a
// classic inbound NAT rule.
type ruleFlow struct {
	binding *view.Binding
	proto   string // pkt.TCP or pkt.UDP
	fip     netip.Addr
	fport   uint16
	bport   uint16
	// backends maps each VM that must receive the flow to the destination
	// it must see.
	backends map[string]netip.Addr
	// excluded maps each VM that must not receive the flow (every delivery
	// of the binding to it is excluded, view.Delivery.Excluded) to why.
	excluded map[string]string
}

func (f ruleFlow) String() string {
	return fmt.Sprintf("%s %s/%s (%s %s:%d)", kindName(f.binding), f.binding.LB.Name, f.binding.Name, f.proto, f.fip, f.fport)
}

// kindName names a binding's kind as the cases' messages do.
func kindName(b *view.Binding) string {
	if b.Kind == view.NATKind {
		return "inbound NAT rule"
	}
	return "rule"
}

// haProbePorts are the ports generic cases use for HA-ports rules.
var haProbePorts = map[string]uint16{pkt.TCP: 80, pkt.UDP: 53}

// transports maps a binding's protocols (view.Binding.Protocols) to the
// ones packets are built with.
var transports = map[schema.Protocol]string{schema.ProtocolTcp: pkt.TCP, schema.ProtocolUdp: pkt.UDP}

// ruleFlows lists the flows of v, the view of the case's deployment
// (flows), for the VMs the topology has.
// The members of a binding left out for a feature the target lacks are
// recorded untested, naming the feature.
func ruleFlows(t *suite.T, v *view.View) []ruleFlow {
	hosted := func(vm string) bool { return t.Config().HostForVM(vm) != nil }
	fs, left := flows(v, hosted, t.Supports, t.Logf)
	for _, f := range left {
		for _, vm := range slices.Sorted(maps.Keys(f.backends)) {
			t.Member(f.String(), vm, reports.MemberUntested, "needs "+string(bindingNeeds(f.binding))+", which the implementation does not declare")
		}
	}
	return fs
}

// bindingNeeds is the extended feature an implementation must have for b
// to be tested, or "" when the core ones do.
func bindingNeeds(b *view.Binding) features.Name {
	switch {
	case b.Kind == view.NATKind && b.NAT.Target == nil:
		return features.InboundNATRuleV2
	case b.Kind == view.NATKind:
		return features.InboundNATRule
	case b.HAPorts:
		return features.HAPorts
	}
	return ""
}

// flows lists one flow per protocol of every IPv4 load-balancing rule and
// classic (target) inbound NAT rule of v (flowsFor), in declaration order.
// V2 NAT rules (a port range over a pool) are NatRangeReachesEveryMember's:
// which member owns which port is not documented.
// The flows of a binding needing a feature the implementation lacks
// (supports) are returned apart, in left, not to be sent. logf says what
// is not tested and why.
func flows(v *view.View, hosted func(vm string) bool, supports func(features.Name) bool, logf func(format string, args ...any)) (out, left []ruleFlow) {
	for _, b := range v.Bindings {
		switch need := bindingNeeds(b); {
		case b.Kind == view.NATKind && b.NAT.Target == nil:
			// A port range over a pool: NatRangeReachesEveryMember.
		case b.Frontend == nil:
		case !b.FIP().Is4():
			logf("%s %s/%s: frontend %s is not IPv4; not tested", kindName(b), b.LB.Name, b.Name, b.Frontend.IPAddress)
		case need != "" && !supports(need):
			logf("%s %s/%s needs %s, which the implementation does not declare; not tested", kindName(b), b.LB.Name, b.Name, need)
			left = append(left, flowsFor(b, hosted)...)
		default:
			out = append(out, flowsFor(b, hosted)...)
		}
	}
	return out, left
}

// flowsFor returns one flow per protocol of b, with the destination each
// VM that hosted reports (one in the topology) must see: the destination
// of its first delivery that gets flows (view.Delivery.Dst: FIP with
// Floating IP, else the member's DIP). A VM whose every delivery of b is
// excluded (a secondary IP configuration behind Floating IP) must receive
// nothing. An HA-ports rule is tested on haProbePorts.
func flowsFor(b *view.Binding, hosted func(vm string) bool) []ruleFlow {
	var out []ruleFlow
	for _, p := range b.Protocols {
		proto, ok := transports[p]
		if !ok {
			continue
		}
		f := ruleFlow{binding: b, proto: proto, fip: b.FIP(), fport: uint16(b.FrontendPorts.Lo), bport: uint16(b.BackendPort),
			backends: map[string]netip.Addr{}, excluded: map[string]string{}}
		if f.fport == 0 {
			f.fport = haProbePorts[proto]
		}
		if f.bport == 0 {
			f.bport = f.fport
		}
		for _, d := range b.Deliveries {
			vm := d.VM.Name
			switch _, seen := f.backends[vm]; {
			case seen || !hosted(vm):
			case d.Excluded != "":
				if _, dup := f.excluded[vm]; !dup {
					f.excluded[vm] = d.Excluded
				}
			case d.Dst.IsValid():
				f.backends[vm] = d.Dst
				delete(f.excluded, vm)
			}
		}
		out = append(out, f)
	}
	return out
}

// sendFlow sends the i-th fresh flow of f (from 0) and returns it. A rule
// that hashes the source address only (bySource) keeps one client on one
// member, so after the first its flows come from the client's steering
// addresses in turn (topo.SteeringAddr; their answers reach the client
// too).
func (f ruleFlow) sendFlow(t *suite.T, i int) pkt.Spec {
	spec := pkt.Spec{Proto: f.proto, Dst: f.fip, DstPort: f.fport, Payload: payloadFor(f.proto)}
	if bySource(f.binding) && i > 0 {
		spec.Src = topo.SteeringAddr(i - 1)
	}
	return t.Send(spec)
}

// flowLimit is how many fresh flows of f a case may send to reach each of
// n members (maxFlows), no more than sendFlow has source addresses for a
// source-hashed rule.
func (f ruleFlow) flowLimit(n int) int {
	if bySource(f.binding) {
		return min(maxFlows(n), topo.SteeringAddrs+1)
	}
	return maxFlows(n)
}

// arrival waits for the flow s of f at its backends and returns where it
// arrived and the match of its packet there (source and backend port); a
// zero Point and nil packet, the case failed, when none got it.
func (f ruleFlow) arrival(t *suite.T, s pkt.Spec) (suite.Point, pkt.Match, *pkt.Packet) {
	m := fromClient(s)
	m.DstPort = f.bport
	at, p := t.ExpectAny(f.points(t), suite.Step{What: f.String() + ": delivered to a pool member", Match: m, Dir: capture.In})
	return at, m, p
}

func (f ruleFlow) points(t *suite.T) []suite.Point {
	var names []string
	for vm := range f.backends {
		names = append(names, vm)
	}
	return t.VMs(names...)
}
