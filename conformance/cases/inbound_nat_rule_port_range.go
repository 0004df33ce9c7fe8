package cases

import (
	"fmt"
	"net/netip"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

// natRangeFlows is how many flows InboundNatRulePortRange sends to each
// frontend port: with two, a port that hashed flows over the three members
// instead of pinning one is caught with probability 2/3 per port, and the
// three ports together miss it with probability (1/3)^3 < 4% (the real TCP
// connection to each port adds a third flow).
const natRangeFlows = 2

func init() {
	suite.Register(&suite.Case{
		ShortName:   "InboundNatRulePortRange",
		Description: "A v2 inbound NAT rule over a three-VM pool (frontend ports 50100-50109, backendPort 2222, Floating IP off) gives each member its own frontend port: every flow to one of the first three ports reaches the same single member as DIP:2222, and distinct ports reach distinct members.",
		Profile:     suite.Core,
		Features:    []features.Name{features.InboundNATRule, features.InboundNATRuleV2, features.FloatingIPOff},
		Expectation: "Azure preallocates frontendPortRangeStart..End and creates one port mapping per backend address of the pool, each to backendPort. " +
			"Which member gets which port is not documented (mappings are made \"from the preallocated range\" and persist when the pool scales), so the case asserts only what is: " +
			"each of the first len(pool) ports reaches exactly one member, every flow to it the same one, as dst = DIP:backendPort with the client's source; distinct ports reach distinct members, so every member is reachable. " +
			"It does not assert that port start+i belongs to the pool's i-th member.",
		Source:     docInboundNAT,
		Deployment: "nat.yaml",
		Run: func(t *suite.T) {
			fip := frontendIP(t, "fe-nat")
			pool := t.VMs(natVMs...)
			owner := map[string]uint16{} // member -> the frontend port that reached it
			ports := natRangePorts()
			for _, port := range ports {
				vm := natRangeMember(t, pool, fmt.Sprintf("FIP:%d", port), fip, port, ports, natRangeBackend, func(vm string) netip.Addr { return dip(t, vm) })
				if vm == "" {
					continue
				}
				if prev, dup := owner[vm]; dup {
					t.Errorf("frontend ports %d and %d both reach %s; each member of the pool must have its own port", prev, port, vm)
					continue
				}
				owner[vm] = port
				id := tcpExchange(t, ap(fip, port))
				checkIdent(t, fmt.Sprintf("real TCP connection to FIP:%d", port), id, vm, ap(dip(t, vm), natRangeBackend), t.ClientIP())
			}
			t.Logf("port mapping seen: %v", owner)
		},
	})
}

// nat.yaml's v2 inbound NAT rule ssh-pool: its first port and backend port.
const natRangeStart, natRangeBackend = 50100, 2222

// natRangePorts are the ports of ssh-pool that map to a member: one per VM
// of its pool.
func natRangePorts() []uint16 {
	ports := make([]uint16, len(natVMs))
	for i := range ports {
		ports[i] = uint16(natRangeStart + i)
	}
	return ports
}

// natRangeMember sends natRangeFlows SYNs to fip:port (named what in the
// checks), one of the rule's mapped ports, and returns the one member they
// all reached as dst(member):bport, or "" (case failed) if a flow was not
// delivered, went to different members, or also reached another VM of
// pool (checks the rule's other ports close, natBarrier).
func natRangeMember(t *suite.T, pool []suite.Point, what string, fip netip.Addr, port uint16, ports []uint16, bport uint16, dst func(vm string) netip.Addr) string {
	t.Drain()
	member := ""
	var none []noneCheck
	for n := range natRangeFlows {
		s := syn(t, fip, port)
		m := fromClient(s)
		m.DstPort = bport
		at, p := t.ExpectAny(pool, suite.Step{What: fmt.Sprintf("flow %d to %s delivered to a pool member", n+1, what), Match: m, Dir: capture.In})
		if p == nil {
			return ""
		}
		m.Dst = dst(at.Label)
		t.Expect(at, suite.Step{What: fmt.Sprintf("flow %d to %s arrives as %s:%d at %s", n+1, what, m.Dst, bport, at.Label), Match: m, Dir: capture.In})
		if member != "" && at.Label != member {
			t.Errorf("%s: flow 1 reached %s, flow %d reached %s; a NAT port mapping names one member", what, member, n+1, at.Label)
			return ""
		}
		member = at.Label
		for _, other := range pool {
			if other.Label != member {
				none = append(none, noneCheck{other, suite.Step{What: fmt.Sprintf("flow %d to %s does not also reach %s", n+1, what, other.Label), Match: fromClient(s), Dir: capture.In}})
			}
		}
	}
	var others []suite.Point
	for _, p := range pool {
		if p.Label != member {
			others = append(others, p)
		}
	}
	expectNone(t, natBarrier(t, pool, fip, ports, bport, others), none...)
	return member
}
