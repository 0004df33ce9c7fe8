package view

import (
	"net/netip"

	"github.com/lbcheck/lbcheck/schema"
)

// SNAT is one way Azure translates the connections backends open
// themselves (outbound SNAT, Ananta's source NAT at the host): an outbound
// rule, or a public load balancer's load-balancing rule that does not set
// disableOutboundSnat (its frontend then also serves its pool's outbound
// connections, "default SNAT"). Connections a member opens from its DIP
// leave from Frontend on a port of the member's preallocated range;
// connections opened from any other address, the frontend IP of a
// Floating IP rule included, are not translated and fail (floating-ip
// doc: "Azure's outbound won't rewrite the outbound flow").
type SNAT struct {
	LB *LB
	// Outbound is the outbound rule; nil for a load-balancing rule's
	// default SNAT (Rule).
	Outbound *schema.OutboundRule
	Rule     *schema.Rule
	Name     string
	// Frontend is where the connections leave from: an outbound rule's
	// first frontend, a load-balancing rule's frontend; nil when none has
	// the name given.
	Frontend *Frontend
	// Protocols are the transport protocols translated: the outbound
	// rule's, or the load-balancing rule's.
	Protocols []schema.Protocol
	// IdleMinutes is the flows' idle timeout: the outbound rule's, or the
	// load-balancing rule's.
	IdleMinutes int
	// PortsPerMember is the size of each member's port range:
	// allocatedOutboundPorts, else Azure's default for the pool's size
	// (DefaultSNATPorts).
	PortsPerMember int
	// Members are the pool's IP configurations, in member order.
	Members []*SNATMember
}

// SNATMember is one IP configuration an SNAT translates.
type SNATMember struct {
	SNAT     *SNAT
	VM       *schema.VM
	NIC      *schema.NetworkInterface
	IPConfig *schema.IPConfig
	// DIP is the IP configuration's private address, invalid when it does
	// not parse.
	DIP netip.Addr
	// Ports is the member's range of source ports on the frontend; the
	// zero range when the frontend has no ports left for it.
	Ports PortRange
}

// First and last port Azure allocates for SNAT (it keeps the ports below
// 1024 for itself).
const (
	FirstSNATPort = 1024
	LastSNATPort  = 65535
)

// DefaultSNATPorts is the number of SNAT ports each instance of a pool of
// size n gets from one frontend when no allocatedOutboundPorts is set
// (Azure's default port allocation table: 1,024 ports for up to 50
// instances, halving as the pool doubles, 32 for up to 1,000).
func DefaultSNATPorts(n int) int {
	ports := 1024
	for limit := 50; n > limit && ports > 32; limit *= 2 {
		ports /= 2
	}
	return ports
}

// SNATs returns every load balancer's outbound rules, then the default
// SNAT of public load balancers' rules, resolved when first asked (lint
// does not need them).
func (v *View) SNATs() []*SNAT {
	v.snatOnce.Do(v.resolveSNATs)
	return v.snats
}

// resolveSNATs resolves every load balancer's outbound rules, then the default
// SNAT of its load-balancing rules, and allocates each member its port
// range per frontend address: a member already given a range on that
// address (by an earlier rule) keeps it, the others get the next free
// ports in member order.
func (v *View) resolveSNATs() {
	v.snatOf = map[netip.Addr][]*SNATMember{}
	next := map[netip.Addr]int{}
	given := map[snatKey]PortRange{}
	add := func(s *SNAT, pool *schema.BackendPool) {
		if pool == nil {
			return
		}
		for _, m := range pool.Members {
			vm, nic, ipc, ok := v.Member(m)
			if !ok {
				continue
			}
			sm := &SNATMember{SNAT: s, VM: vm, NIC: nic, IPConfig: ipc, DIP: ParseAddr(ipc.PrivateIPAddress)}
			s.Members = append(s.Members, sm)
			fip := s.FIP()
			if !fip.IsValid() || !sm.DIP.IsValid() {
				continue
			}
			k := snatKey{fip, sm.DIP}
			r, ok := given[k]
			if !ok {
				lo := next[fip]
				if lo == 0 {
					lo = FirstSNATPort
				}
				if lo+s.PortsPerMember-1 <= LastSNATPort {
					r = PortRange{lo, lo + s.PortsPerMember - 1}
					next[fip] = r.Hi + 1
					given[k] = r
				}
			}
			sm.Ports = r
			v.snatOf[sm.DIP] = append(v.snatOf[sm.DIP], sm)
		}
	}
	for _, l := range v.LoadBalancers {
		for _, o := range l.OutboundRules {
			s := &SNAT{LB: l, Outbound: o, Name: o.Name, Protocols: Protocols(o.Protocol), IdleMinutes: o.IdleTimeoutInMinutes}
			if len(o.FrontendIPConfigurations) > 0 {
				s.Frontend = l.Frontends[o.FrontendIPConfigurations[0]]
			}
			pool := l.Pools[o.BackendAddressPool]
			s.PortsPerMember = o.AllocatedOutboundPorts
			if s.PortsPerMember <= 0 && pool != nil {
				s.PortsPerMember = DefaultSNATPorts(len(pool.Members))
			}
			v.snats = append(v.snats, s)
			add(s, pool)
		}
	}
	for _, l := range v.LoadBalancers {
		if l.Type != schema.LBPublic {
			continue
		}
		for _, r := range l.LoadBalancingRules {
			pool := l.Pools[r.BackendAddressPool]
			if r.DisableOutboundSnat || pool == nil {
				continue
			}
			s := &SNAT{LB: l, Rule: r, Name: r.Name, Frontend: l.Frontends[r.FrontendIPConfiguration],
				Protocols: Protocols(r.Protocol), IdleMinutes: r.IdleTimeoutInMinutes, PortsPerMember: DefaultSNATPorts(len(pool.Members))}
			v.snats = append(v.snats, s)
			add(s, pool)
		}
	}
}

// snatKey keys the port ranges given: a frontend address and a DIP.
type snatKey struct{ fip, dip netip.Addr }

// FIP is the frontend address connections leave from, invalid when the
// frontend does not exist or its address does not parse.
func (s *SNAT) FIP() netip.Addr { return s.Frontend.addr() }

// String names the IP configuration as vm/nic/ipconfig.
func (m *SNATMember) String() string { return ipConfigName(m.VM, m.NIC, m.IPConfig) }

// LeavesFrom reports whether p is an address and port the member's
// translated connections leave from: the SNAT frontend, a port of the
// member's range.
func (m *SNATMember) LeavesFrom(p netip.AddrPort) bool {
	return p.Addr() == m.SNAT.FIP() && m.Ports.Contains(int(p.Port()))
}

// OutboundFor returns how a connection of protocol proto that an IP
// configuration with address dip opens is translated: the first SNAT, in
// the order of SNATs (outbound rules before default SNAT), that
// translates proto for it and has ports for it; nil when no SNAT does (the
// connection is not translated and, leaving the virtual network, fails).
func (v *View) OutboundFor(dip netip.Addr, proto schema.Protocol) *SNATMember {
	v.snatOnce.Do(v.resolveSNATs)
	for _, m := range v.snatOf[dip] {
		if m.Ports.Hi == 0 || !m.SNAT.FIP().IsValid() {
			continue
		}
		for _, p := range m.SNAT.Protocols {
			if p == proto {
				return m
			}
		}
	}
	return nil
}

// Internet reports whether a is an address Azure reaches through outbound
// SNAT: a public unicast address. Private (RFC 1918, unique local) and
// shared (100.64.0.0/10) addresses are reached inside private networks
// without translation; loopback, link-local, multicast, unspecified and
// Azure's platform address 168.63.129.16 never leave the host.
func Internet(a netip.Addr) bool {
	a = a.Unmap()
	switch {
	case !a.IsValid(), a.IsPrivate(), a.IsLoopback(), a.IsLinkLocalUnicast(), a.IsMulticast(), a.IsUnspecified(),
		a.IsInterfaceLocalMulticast(), sharedSpace.Contains(a), a == platformAddr, a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return false
	}
	return true
}

var (
	sharedSpace  = netip.MustParsePrefix("100.64.0.0/10")
	platformAddr = netip.AddrFrom4([4]byte{168, 63, 129, 16})
)
