package view

import (
	"net/netip"

	"github.com/lbcheck/lbcheck/schema"
)

// Guest is a guest OS declaration with its addresses parsed and its
// addresses and listeners indexed, so that the questions a rule asks per
// delivery are map reads.
type Guest struct {
	*schema.Guest
	// Addrs are every interface address that parses, in declaration
	// order; a bare address is a host prefix (/32, /128).
	Addrs []IfaceAddr
	// NICs is the number of interfaces of kind nic.
	NICs int

	byAddr     map[netip.Addr]IfaceAddr // first interface holding each address
	loopbacks  []IfaceAddr              // IPv4 loopback prefixes wider than one address
	listeners  map[listenKey][]*schema.Listener
	firstNIC   *schema.Interface
	loopbackIf *schema.Interface
}

// IfaceAddr is one address of a guest interface.
type IfaceAddr struct {
	Iface  *schema.Interface
	Prefix netip.Prefix
}

type listenKey struct {
	proto schema.SockProto
	port  int
}

func newGuest(g *schema.Guest) *Guest {
	v := &Guest{Guest: g, byAddr: map[netip.Addr]IfaceAddr{}, listeners: map[listenKey][]*schema.Listener{}}
	for _, i := range g.Interfaces {
		switch i.Kind {
		case schema.KindNIC:
			v.NICs++
			if v.firstNIC == nil {
				v.firstNIC = i
			}
		case schema.KindLoopback:
			if v.loopbackIf == nil {
				v.loopbackIf = i
			}
		}
		for _, a := range i.Addresses {
			p, err := netip.ParsePrefix(a)
			if err != nil {
				addr := ParseAddr(a)
				if !addr.IsValid() {
					continue
				}
				p = netip.PrefixFrom(addr, addr.BitLen())
			}
			x := IfaceAddr{Iface: i, Prefix: netip.PrefixFrom(p.Addr().Unmap(), p.Bits())}
			v.Addrs = append(v.Addrs, x)
			if _, dup := v.byAddr[x.Prefix.Addr()]; !dup {
				v.byAddr[x.Prefix.Addr()] = x
			}
			if i.Kind == schema.KindLoopback && x.Prefix.Addr().Is4() && x.Prefix.Bits() < 32 {
				v.loopbacks = append(v.loopbacks, x)
			}
		}
	}
	for _, l := range g.Listeners {
		k := listenKey{l.Proto, l.Port}
		v.listeners[k] = append(v.listeners[k], l)
	}
	return v
}

// IsWindows reports whether the guest runs Windows.
func (v *Guest) IsWindows() bool { return v.OS == schema.OSWindows }

// Holder returns the guest address that makes a local: the same address
// on any interface or, on Linux, an IPv4 loopback prefix that contains it.
// Linux makes a whole IPv4 loopback prefix local (fib_add_ifaddr installs
// "local PREFIX dev lo"); an IPv6 prefix on lo gets a unicast route to lo,
// and only its address is local ("local ADDR dev lo table local"). Windows
// makes only the addresses local.
func (v *Guest) Holder(a netip.Addr) (IfaceAddr, bool) {
	if x, ok := v.byAddr[a]; ok {
		return x, true
	}
	if !v.IsWindows() {
		for _, x := range v.loopbacks {
			if x.Prefix.Contains(a) {
				return x, true
			}
		}
	}
	return IfaceAddr{}, false
}

// NIC returns the interface of kind nic that holds dip, else the first
// interface of kind nic, else nil.
func (v *Guest) NIC(dip netip.Addr) *schema.Interface {
	if x, ok := v.Holder(dip); ok && x.Iface.Kind == schema.KindNIC {
		return x.Iface
	}
	return v.firstNIC
}

// Loopback returns the first interface of kind loopback, or nil.
func (v *Guest) Loopback() *schema.Interface { return v.loopbackIf }

// Listeners returns the listeners on proto (tcp, udp) and port, in
// declaration order.
func (v *Guest) Listeners(proto schema.SockProto, port int) []*schema.Listener {
	return v.listeners[listenKey{proto, port}]
}

// Serves reports whether some listener accepts proto traffic to dst:port
// and, if none does, returns the first listener on that protocol and port
// (bound to another address), or nil.
func (v *Guest) Serves(proto schema.SockProto, dst netip.Addr, port int) (ok bool, other *schema.Listener) {
	ls := v.Listeners(proto, port)
	for _, l := range ls {
		if IsWildcard(l.Address, dst) || ParseAddr(l.Address) == dst {
			return true, nil
		}
	}
	if len(ls) > 0 {
		return false, ls[0]
	}
	return false, nil
}

// IsWildcard reports whether a listener bound to addr accepts every local
// address of dst's family: "::" is a dual-stack socket and accepts IPv4.
func IsWildcard(addr string, dst netip.Addr) bool {
	switch addr {
	case "", "::", "*":
		return true
	case "0.0.0.0":
		return dst.Is4()
	}
	return false
}
