package view

import (
	"fmt"
	"net/netip"

	"github.com/lbcheck/lbcheck/schema"
)

// Kind is what a binding is.
type Kind uint8

// The kinds of binding.
const (
	// RuleKind is a load-balancing rule.
	RuleKind Kind = iota
	// NATKind is an inbound NAT rule.
	NATKind
)

// String names the kind for messages: "rule", "NAT rule".
func (k Kind) String() string {
	if k == NATKind {
		return "NAT rule"
	}
	return "rule"
}

// Binding is a load-balancing rule or an inbound NAT rule: what delivers
// traffic for a frontend to backend IP configurations.
type Binding struct {
	LB   *LB
	Kind Kind
	// Rule is set for a load-balancing rule, NAT for an inbound NAT rule.
	Rule *schema.Rule
	NAT  *schema.NatRule
	// Node is Rule's or NAT's, for positions and unknown fields.
	Node *schema.Node
	Name string
	// Frontend is the frontend it names, nil when none has that name.
	Frontend *Frontend
	// Protocol is as written (Tcp, Udp, All); Protocols the transport
	// protocols it covers (Tcp, Udp).
	Protocol  schema.Protocol
	Protocols []schema.Protocol
	// FrontendPorts are the frontend ports it listens on: all of them for
	// an HA-ports rule (frontend port 0), a v2 NAT rule's range.
	FrontendPorts PortRange
	// BackendPort is the port the guest sees; 0 (HA ports) is the
	// packet's own destination port.
	BackendPort int
	Floating    bool
	// HAPorts: a load-balancing rule of protocol All and ports 0.
	HAPorts bool
	// Pool is the backend pool it sends to: nil for a classic NAT rule
	// (Target) and for a pool name no pool has.
	Pool *schema.BackendPool
	// Probe is a load-balancing rule's health probe, nil without one.
	Probe *schema.Probe
	// Deliveries are the IP configurations it reaches, in member order.
	Deliveries []*Delivery
	// Unresolved are the members naming no IP configuration (LB1001).
	Unresolved []*schema.PoolMember
}

// String names the binding for messages: `rule "web-a"`.
func (b *Binding) String() string { return fmt.Sprintf("%s %q", b.Kind, b.Name) }

// FIP is the frontend IP, invalid when the frontend does not exist or its
// address does not parse.
func (b *Binding) FIP() netip.Addr { return b.Frontend.addr() }

// Delivery is one binding reaching one backend IP configuration.
type Delivery struct {
	Binding *Binding
	// Member is the pool member or NAT target that names it.
	Member   *schema.PoolMember
	VM       *schema.VM
	NIC      *schema.NetworkInterface
	IPConfig *schema.IPConfig
	// DIP is the IP configuration's private address, invalid when it does
	// not parse.
	DIP netip.Addr
	// FrontendPort is the frontend port that reaches this member alone, for
	// a v2 NAT rule (the range's start plus the member's index, in member
	// order: Azure does not document the order, the reference forwarder
	// uses this one); 0 for the other bindings, whose ports reach every
	// member.
	FrontendPort int
	// Dst is the destination address the guest sees: the frontend IP with
	// Floating IP, the DIP without. DstPort is the binding's backend port.
	Dst     netip.Addr
	DstPort int
	// Excluded says why Azure sends this member no flow of the binding;
	// empty when it gets flows.
	Excluded string
	// Guest is the VM's guest declaration, nil when there is none.
	Guest *Guest
}

// String names the IP configuration as vm/nic/ipconfig.
func (d *Delivery) String() string { return ipConfigName(d.VM, d.NIC, d.IPConfig) }

// ipConfigName names an IP configuration as vm/nic/ipconfig.
func ipConfigName(vm *schema.VM, nic *schema.NetworkInterface, ipc *schema.IPConfig) string {
	return vm.Name + "/" + nic.Name + "/" + ipc.Name
}

// Reasons a member gets no flow (Delivery.Excluded).
const (
	// ExcludedSecondary: Azure, "Floating IP isn't currently supported on
	// secondary IP configurations", except where FloatingReachesSecondary.
	ExcludedSecondary = "Floating IP is not supported on secondary IP configurations: Azure sends it no flow of this rule"
	// ExcludedNoPort: a v2 NAT rule's frontend port range is shorter than
	// its pool.
	ExcludedNoPort = "the NAT rule's frontend port range has no port left for it"
)

// PortRange is an inclusive range of ports.
type PortRange struct{ Lo, Hi int }

// String renders the range for messages.
func (r PortRange) String() string {
	switch {
	case r.Lo == 0 && r.Hi == 65535:
		return "all ports"
	case r.Lo == r.Hi:
		return fmt.Sprintf("port %d", r.Lo)
	}
	return fmt.Sprintf("ports %d-%d", r.Lo, r.Hi)
}

// Contains reports whether port is in the range.
func (r PortRange) Contains(port int) bool { return r.Lo <= port && port <= r.Hi }

// Protocols expands a rule's protocol into the transport protocols it
// covers: All is Tcp and Udp.
func Protocols(p schema.Protocol) []schema.Protocol {
	if p == schema.ProtocolAll {
		return []schema.Protocol{schema.ProtocolTcp, schema.ProtocolUdp}
	}
	return []schema.Protocol{p}
}

func (v *View) rule(l *LB, r *schema.Rule) *Binding {
	b := &Binding{LB: l, Kind: RuleKind, Rule: r, Node: &r.Node, Name: r.Name,
		Frontend: l.Frontends[r.FrontendIPConfiguration], Protocol: r.Protocol, Protocols: Protocols(r.Protocol),
		FrontendPorts: PortRange{r.FrontendPort, r.FrontendPort}, BackendPort: r.BackendPort,
		Floating: r.EnableFloatingIP, HAPorts: r.IsHAPorts(), Pool: l.Pools[r.BackendAddressPool]}
	if r.FrontendPort == 0 {
		b.FrontendPorts = PortRange{0, 65535}
	}
	if r.Probe != "" {
		b.Probe = l.Probes[r.Probe]
	}
	if b.Pool != nil {
		for _, m := range b.Pool.Members {
			v.deliver(b, m, 0)
		}
	}
	return b
}

func (v *View) nat(l *LB, n *schema.NatRule) *Binding {
	b := &Binding{LB: l, Kind: NATKind, NAT: n, Node: &n.Node, Name: n.Name,
		Frontend: l.Frontends[n.FrontendIPConfiguration], Protocol: n.Protocol, Protocols: Protocols(n.Protocol),
		FrontendPorts: PortRange{n.FrontendPort, n.FrontendPort}, BackendPort: n.BackendPort,
		Floating: n.EnableFloatingIP}
	switch {
	case n.Target != nil:
		v.deliver(b, n.Target, 0)
	default:
		if n.FrontendPortRangeStart > 0 {
			b.FrontendPorts = PortRange{n.FrontendPortRangeStart, n.FrontendPortRangeEnd}
		}
		if b.Pool = l.Pools[n.BackendAddressPool]; b.Pool != nil {
			for k, m := range b.Pool.Members {
				port := 0
				if n.FrontendPortRangeStart > 0 {
					port = n.FrontendPortRangeStart + k
				}
				v.deliver(b, m, port)
			}
		}
	}
	return b
}

// deliver adds the delivery of b to member m; port is the member's own
// frontend port (v2 NAT rules) or 0.
func (v *View) deliver(b *Binding, m *schema.PoolMember, port int) {
	vm, nic, ipc, ok := v.Member(m)
	if !ok {
		b.Unresolved = append(b.Unresolved, m)
		return
	}
	d := &Delivery{Binding: b, Member: m, VM: vm, NIC: nic, IPConfig: ipc,
		DIP: ParseAddr(ipc.PrivateIPAddress), FrontendPort: port, DstPort: b.BackendPort, Guest: v.guests[vm.Name]}
	d.Dst = d.DIP
	if b.Floating {
		d.Dst = b.FIP()
	}
	switch {
	case b.Floating && !ipc.Primary && !FloatingReachesSecondary(b.LB.Type, d.DIP):
		d.Excluded = ExcludedSecondary
	case port > 0 && port > b.FrontendPorts.Hi:
		d.Excluded = ExcludedNoPort
	}
	b.Deliveries = append(b.Deliveries, d)
}

// FloatingReachesSecondary reports whether a Floating IP binding of a load
// balancer of type lb reaches a secondary IP configuration whose address is
// dip. Azure's Floating IP limitation "doesn't apply to Public load
// balancers where the secondary IP configuration is IPv6 and part of a
// dual-stack configuration" (load-balancer-floating-ip, 06/11/2024; 2021:
// "Public load balancers with dual-stack configurations"). An IPv6 IP
// configuration is always a secondary one of a dual-stack NIC: Azure
// requires every NIC's primary IP configuration to be IPv4 ("IPv6 can't be
// the primary IP configuration"; lint's LB1011 reports NICs that are not).
func FloatingReachesSecondary(lb schema.LBType, dip netip.Addr) bool {
	return lb == schema.LBPublic && dip.Is6()
}
