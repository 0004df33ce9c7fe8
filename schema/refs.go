package schema

import (
	"fmt"
	"slices"
	"strings"
)

// resolve checks names across the merged deployment: duplicates (LB1002)
// and references to objects that do not exist (LB1001). Issues point at
// the repeated name or at the referencing field. Empty names and
// references were already reported as schema violations and are skipped.
// An IP configuration's subnet is checked only in the virtual networks
// whose subnets the deployment declares (see subnet).
func resolve(d *Deployment) []Issue {
	r := &resolver{d: d}
	unique(r, "load balancer %q", d.LoadBalancers, "name")
	unique(r, "VM %q", d.VMs, "name")
	guests := make([]guestByVM, len(d.Guests))
	for i, g := range d.Guests {
		guests[i] = guestByVM{g}
	}
	unique(r, "guest for VM %q", guests, "vm")
	for _, lb := range d.LoadBalancers {
		r.loadBalancer(lb)
	}
	unique(r, "network security group %q", d.NetworkSecurityGroups, "name")
	for _, nsg := range d.NetworkSecurityGroups {
		unique(r, "security rule %q of network security group "+quote(nsg.Name), nsg.SecurityRules, "name")
	}
	unique(r, "subnet %q", d.Subnets, "name")
	for _, s := range d.Subnets {
		r.securityGroup(s, s.NetworkSecurityGroup)
	}
	vnets := virtualNetworks(d)
	for _, vm := range d.VMs {
		unique(r, "network interface %q of VM "+quote(vm.Name), vm.NetworkInterfaces, "name")
		for _, nic := range vm.NetworkInterfaces {
			unique(r, "IP configuration %q of network interface "+quote(nic.Name), nic.IPConfigurations, "name")
			r.securityGroup(nic, nic.NetworkSecurityGroup)
			for _, c := range nic.IPConfigurations {
				r.subnet(c, vnets)
			}
		}
	}
	for _, g := range d.Guests {
		if g.VM != "" && d.VM(g.VM) == nil {
			r.missing(g, "vm", "VM", g.VM, "the deployment", names(d.VMs))
		}
		unique(r, "interface %q of guest "+quote(g.VM), g.Interfaces, "name")
	}
	return r.issues
}

type resolver struct {
	d      *Deployment
	issues []Issue
}

// object is what every model type provides through Node.
type object interface {
	At(field string) Pos
	Path() string
}

// named is a model object with a name.
type named interface {
	object
	name() string
}

func (x *LoadBalancer) name() string         { return x.Name }
func (x *Frontend) name() string             { return x.Name }
func (x *BackendPool) name() string          { return x.Name }
func (x *Probe) name() string                { return x.Name }
func (x *Rule) name() string                 { return x.Name }
func (x *NatRule) name() string              { return x.Name }
func (x *OutboundRule) name() string         { return x.Name }
func (x *VM) name() string                   { return x.Name }
func (x *NetworkInterface) name() string     { return x.Name }
func (x *IPConfig) name() string             { return x.Name }
func (x *Interface) name() string            { return x.Name }
func (x *NetworkSecurityGroup) name() string { return x.Name }
func (x *SecurityRule) name() string         { return x.Name }
func (x *Subnet) name() string               { return x.Name }

// guestByVM names a guest by the VM it describes.
type guestByVM struct{ *Guest }

func (g guestByVM) name() string { return g.VM }

// unique reports each object whose name (in field) repeats an earlier one.
// what describes the object with a %q for its name.
func unique[T named](r *resolver, what string, objs []T, field string) {
	first := make(map[string]T, len(objs))
	for _, o := range objs {
		n := o.name()
		if n == "" {
			continue
		}
		if prev, dup := first[n]; dup {
			r.issues = append(r.issues, Issue{
				Pos:     o.At(field),
				Rule:    RuleDuplicate,
				Message: fmt.Sprintf("%s: "+what+" is declared twice; the first is at %s", o.Path(), n, prev.At(field)),
			})
			continue
		}
		first[n] = o
	}
}

// names lists the names of objs for messages.
func names[T named](objs []T) []string {
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.name())
	}
	return out
}

// missing reports a reference (field of o) to a name that does not exist.
// The message suggests the closest existing name, or lists a few.
func (r *resolver) missing(o object, field, what, name, where string, have []string) {
	msg := fmt.Sprintf("%s: %s %q does not exist in %s", o.Path(), what, name, where)
	switch c := closest(name, have); {
	case c != "":
		msg += fmt.Sprintf(" (did you mean %s?)", c)
	case len(have) > 0 && len(have) <= 5:
		msg += " (there: " + strings.Join(have, ", ") + ")"
	}
	r.issues = append(r.issues, Issue{Pos: o.At(field), Rule: RuleReference, Message: msg})
}

// loadBalancer checks the names inside one load balancer and every
// reference its rules and pools make.
func (r *resolver) loadBalancer(lb *LoadBalancer) {
	unique(r, "frontend IP configuration %q", lb.FrontendIPConfigurations, "name")
	unique(r, "backend pool %q", lb.BackendAddressPools, "name")
	unique(r, "probe %q", lb.Probes, "name")
	unique(r, "load-balancing rule %q", lb.LoadBalancingRules, "name")
	unique(r, "inbound NAT rule %q", lb.InboundNatRules, "name")
	unique(r, "outbound rule %q", lb.OutboundRules, "name")

	where := "load balancer " + quote(lb.Name)
	frontend := func(o object, field, name string) {
		if name != "" && lb.Frontend(name) == nil {
			r.missing(o, field, "frontend IP configuration", name, where, names(lb.FrontendIPConfigurations))
		}
	}
	pool := func(o object, field, name string) {
		if name != "" && lb.Pool(name) == nil {
			r.missing(o, field, "backend pool", name, where, names(lb.BackendAddressPools))
		}
	}
	for _, rule := range lb.LoadBalancingRules {
		frontend(rule, "frontendIPConfiguration", rule.FrontendIPConfiguration)
		pool(rule, "backendAddressPool", rule.BackendAddressPool)
		if rule.Probe != "" && lb.Probe(rule.Probe) == nil {
			r.missing(rule, "probe", "probe", rule.Probe, where, names(lb.Probes))
		}
	}
	for _, nat := range lb.InboundNatRules {
		frontend(nat, "frontendIPConfiguration", nat.FrontendIPConfiguration)
		pool(nat, "backendAddressPool", nat.BackendAddressPool)
		if nat.Target != nil {
			r.member(nat.Target)
		}
	}
	for _, out := range lb.OutboundRules {
		for _, fe := range out.FrontendIPConfigurations {
			frontend(out, "frontendIPConfigurations", fe)
		}
		pool(out, "backendAddressPool", out.BackendAddressPool)
	}
	for _, p := range lb.BackendAddressPools {
		for _, m := range p.Members {
			r.member(m)
		}
	}
}

// member checks that a pool member (or NAT target) names an existing VM,
// NIC and IP configuration.
func (r *resolver) member(m *PoolMember) {
	if m.VM == "" {
		return
	}
	vm := r.d.VM(m.VM)
	if vm == nil {
		r.missing(m, "vm", "VM", m.VM, "the deployment", names(r.d.VMs))
		return
	}
	nics := vm.NetworkInterfaces
	if m.NetworkInterface != "" {
		i := slices.IndexFunc(nics, func(n *NetworkInterface) bool { return n.Name == m.NetworkInterface })
		if i < 0 {
			r.missing(m, "networkInterface", "network interface", m.NetworkInterface, "VM "+quote(vm.Name), names(nics))
			return
		}
		nics = nics[i : i+1]
	}
	if m.IPConfiguration == "" {
		return
	}
	var have []string
	for _, nic := range nics {
		for _, c := range nic.IPConfigurations {
			if c.Name == m.IPConfiguration {
				return
			}
			have = append(have, c.Name)
		}
	}
	where := "VM " + quote(vm.Name)
	if m.NetworkInterface != "" {
		where = "network interface " + quote(m.NetworkInterface) + " of " + where
	}
	r.missing(m, "ipConfiguration", "IP configuration", m.IPConfiguration, where, have)
}

// securityGroup checks that the network security group a NIC or subnet
// (o) names exists.
func (r *resolver) securityGroup(o object, name string) {
	if name != "" && r.d.NetworkSecurityGroup(name) == nil {
		r.missing(o, "networkSecurityGroup", "network security group", name, "the deployment", names(r.d.NetworkSecurityGroups))
	}
}

// virtualNetworks lists the subnets the deployment declares by virtual
// network (the VNET of their VNET/SUBNET names).
func virtualNetworks(d *Deployment) map[string][]*Subnet {
	vnets := map[string][]*Subnet{}
	for _, s := range d.Subnets {
		vnet, _, _ := strings.Cut(s.Name, "/")
		vnets[vnet] = append(vnets[vnet], s)
	}
	return vnets
}

// subnet checks the subnet an IP configuration names against the subnets
// the deployment declares in that virtual network. A virtual network with
// no subnet declared is not checked: most inputs describe VMs and load
// balancers without the network they are in, and a Terraform configuration
// or template often takes its subnets from another one (a data source, a
// parameter), while those that describe a virtual network list its subnets.
func (r *resolver) subnet(c *IPConfig, vnets map[string][]*Subnet) {
	vnet, _, _ := strings.Cut(c.Subnet, "/")
	have, declared := vnets[vnet]
	if c.Subnet == "" || !declared || slices.ContainsFunc(have, func(s *Subnet) bool { return s.Name == c.Subnet }) {
		return
	}
	r.missing(c, "subnet", "subnet", c.Subnet, "virtual network "+quote(vnet), names(have))
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
