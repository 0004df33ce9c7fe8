// Package view is the one place the semantic questions about a deployment
// are answered: which backend IP configurations each load-balancing rule
// and inbound NAT rule reaches, with which destination address and port
// the guest sees the packet (the frontend IP with Floating IP, the DIP
// without), which members Azure sends nothing (a secondary IP
// configuration behind a Floating IP rule, but for an IPv6 one behind a
// public load balancer), and what each guest holds and serves, for IPv4
// and IPv6 alike. Lint rules, the reference forwarder's rule set, the topology
// builder and the generic conformance cases all read a View, so they
// cannot disagree; Resolve parses every address once.
//
// A View holds the deployment's values as written. A value an importer
// left unknown until deployment (schema.Node.Unknown) is a placeholder
// here too: a reader that must not judge placeholders (lint) asks the
// objects' nodes, which every View type exposes, before it reads a field.
package view

import (
	"net/netip"
	"sync"

	"github.com/lbcheck/lbcheck/schema"
)

// View is a deployment with its names resolved and its addresses parsed.
type View struct {
	Deployment *schema.Deployment
	// LoadBalancers in declaration order.
	LoadBalancers []*LB
	// Bindings are every load balancer's bindings, in order.
	Bindings []*Binding
	// Guests in declaration order, the first per VM name.
	Guests []*Guest

	vms    map[string]*schema.VM
	guests map[string]*Guest

	snatOnce sync.Once                    // resolves snats and snatOf when first asked
	snats    []*SNAT                      // see SNATs
	snatOf   map[netip.Addr][]*SNATMember // by DIP, in snats order
}

// LB is a load balancer with its children indexed by name (the first of
// a duplicated name, which the loader reports as LB1002).
type LB struct {
	*schema.LoadBalancer
	Frontends map[string]*Frontend
	Pools     map[string]*schema.BackendPool
	Probes    map[string]*schema.Probe
	// Bindings are its load-balancing rules, then its inbound NAT rules,
	// in declaration order.
	Bindings []*Binding
}

// Frontend is a frontend IP configuration with its address parsed.
type Frontend struct {
	*schema.Frontend
	// Addr is the frontend IP, invalid when it does not parse.
	Addr netip.Addr
}

// addr is the frontend's address; invalid for no frontend (nil) or one
// whose address does not parse.
func (f *Frontend) addr() netip.Addr {
	if f == nil {
		return netip.Addr{}
	}
	return f.Addr
}

// VM returns the VM of that name, or nil.
func (v *View) VM(name string) *schema.VM { return v.vms[name] }

// Guest returns the guest declaration of the VM of that name, or nil.
func (v *View) Guest(vm string) *Guest { return v.guests[vm] }

// Resolve builds the View of d. It never fails: a dangling reference
// leaves the field it would fill nil (the loader reports it as LB1001),
// an address that does not parse is the invalid netip.Addr.
func Resolve(d *schema.Deployment) *View {
	v := &View{
		Deployment: d,
		vms:        make(map[string]*schema.VM, len(d.VMs)),
		guests:     make(map[string]*Guest, len(d.Guests)),
	}
	for _, vm := range d.VMs {
		if _, dup := v.vms[vm.Name]; !dup {
			v.vms[vm.Name] = vm
		}
	}
	for _, g := range d.Guests {
		if _, dup := v.guests[g.VM]; !dup {
			gv := newGuest(g)
			v.guests[g.VM] = gv
			v.Guests = append(v.Guests, gv)
		}
	}
	for _, lb := range d.LoadBalancers {
		l := newLB(lb)
		v.LoadBalancers = append(v.LoadBalancers, l)
		for _, r := range lb.LoadBalancingRules {
			l.Bindings = append(l.Bindings, v.rule(l, r))
		}
		for _, n := range lb.InboundNatRules {
			l.Bindings = append(l.Bindings, v.nat(l, n))
		}
		v.Bindings = append(v.Bindings, l.Bindings...)
	}
	return v
}

func newLB(lb *schema.LoadBalancer) *LB {
	l := &LB{
		LoadBalancer: lb,
		Frontends:    make(map[string]*Frontend, len(lb.FrontendIPConfigurations)),
		Pools:        make(map[string]*schema.BackendPool, len(lb.BackendAddressPools)),
		Probes:       make(map[string]*schema.Probe, len(lb.Probes)),
	}
	for _, f := range lb.FrontendIPConfigurations {
		if _, dup := l.Frontends[f.Name]; !dup {
			l.Frontends[f.Name] = &Frontend{Frontend: f, Addr: ParseAddr(f.IPAddress)}
		}
	}
	for _, p := range lb.BackendAddressPools {
		if _, dup := l.Pools[p.Name]; !dup {
			l.Pools[p.Name] = p
		}
	}
	for _, p := range lb.Probes {
		if _, dup := l.Probes[p.Name]; !dup {
			l.Probes[p.Name] = p
		}
	}
	return l
}

// Member resolves a pool member or NAT target to the IP configuration it
// names: on the NIC it names, or the first NIC with an IP configuration of
// that name. Resolve uses it for the members of bindings; it also serves
// readers of pools no binding sends to, such as an outbound rule's (LB1009
// counts the rules that reach each NIC). ok is false for a dangling
// reference.
func (v *View) Member(m *schema.PoolMember) (vm *schema.VM, nic *schema.NetworkInterface, ipc *schema.IPConfig, ok bool) {
	vm = v.vms[m.VM]
	if vm == nil {
		return nil, nil, nil, false
	}
	for _, n := range vm.NetworkInterfaces {
		if m.NetworkInterface != "" && n.Name != m.NetworkInterface {
			continue
		}
		for _, c := range n.IPConfigurations {
			if c.Name == m.IPConfiguration {
				return vm, n, c, true
			}
		}
	}
	return nil, nil, nil, false
}

// ParseAddr parses an IP address as the View does: IPv4-mapped IPv6
// addresses unmapped, the invalid Addr when s is not an address.
func ParseAddr(s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}
