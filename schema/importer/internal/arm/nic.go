package arm

import (
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/arm/expr"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
)

// nic imports a network interface: its IP configurations become the VM's
// DIPs, and their load balancer references become pool memberships and NAT
// rule targets.
func (im *importer) nic(res *resource) {
	body := res.eval(im.ev)
	nic := &schema.NetworkInterface{Name: lastName(res.name)}
	owner := im.vmByNIC[strings.ToLower(nic.Name)]
	vmName, vmAt := owner.name, owner.at
	if id, ok := prop(body, "virtualMachine").Get("id").Name(); ok && segment(id, "virtualMachines") != "" {
		vmName = segment(id, "virtualMachines")
	}
	if vmName == "" {
		vmName = nic.Name
	}
	if vmAt == (expr.Pos{}) {
		vmAt = body.At
	}
	vm := im.vm(vmName, vmAt)
	base := "vms." + vm.Name + ".networkInterfaces." + nic.Name
	nic.SetPos(pos(body.At), base)
	if m, ok := body.Member("name"); ok {
		nic.SetField("name", pos(m.KeyAt))
	}
	im.mayNotDeploy(res, "network interface "+nic.Name)
	r := &reader{im: im, obj: body, node: &nic.Node}
	im.ipConfigs(r, nic, vm.Name, base, func(ref membership) {
		if ref.natPool != "" {
			im.f.Issuef(ref.Member.Pos(), schema.RuleSchema, "%s: a network interface cannot use inbound NAT pool %s (only scale sets can); Azure rejects it", ref.Member.Path(), ref.natPool)
			return
		}
		im.f.Join(ref.Membership)
	})
	vm.NetworkInterfaces = append(vm.NetworkInterfaces, nic)
}

// membership is a pool, NAT rule or NAT pool an IP configuration joins.
type membership struct {
	build.Membership
	natPool string
}

// ipConfigs reads the IP configurations of a NIC (or of a scale set's
// network interface configuration) and passes each membership, its member
// filled in, to join.
func (im *importer) ipConfigs(r *reader, nic *schema.NetworkInterface, vm, base string, join func(membership)) {
	for _, v := range r.list("ipConfigurations", "IP configuration") {
		c, refs := im.ipConfig(r, v, base)
		nic.IPConfigurations = append(nic.IPConfigurations, c)
		for _, ref := range refs {
			ref.Member.VM, ref.Member.NetworkInterface, ref.Member.IPConfiguration = vm, nic.Name, c.Name
			join(ref)
		}
	}
	build.DefaultPrimary(nic.IPConfigurations)
}

// vm returns the model VM of that name, creating it at p.
func (im *importer) vm(name string, p expr.Pos) *schema.VM {
	d := im.f.Result.Deployment
	for _, vm := range d.VMs {
		if strings.EqualFold(vm.Name, name) {
			return vm
		}
	}
	vm := &schema.VM{Name: name}
	vm.SetPos(pos(p), "vms."+name)
	d.VMs = append(d.VMs, vm)
	return vm
}

// ipConfig reads one IP configuration and the pool and NAT rule memberships
// it declares (their members still to be filled in with names).
func (im *importer) ipConfig(nicr *reader, v *expr.Value, base string) (*schema.IPConfig, []membership) {
	c := &schema.IPConfig{}
	r := nicr.child(v, &c.Node, &c.Name, base+".ipConfigurations.")
	path := c.Path()
	if m, ok := r.member("privateIPAddress"); ok && !m.Value.IsNull() {
		r.str(&c.PrivateIPAddress, "privateIPAddress", "privateIPAddress")
	} else {
		at := v.At
		if m, ok := r.member("privateIPAllocationMethod"); ok {
			at = m.KeyAt
		}
		r.unknown("privateIPAddress", at, "the private IP address is allocated by Azure (Dynamic)")
	}
	r.bool(&c.Primary, "primary", "primary")
	var refs []membership
	joins := []struct {
		prop, what, seg, unchecked string
		join                       func(lb, name string, m *schema.PoolMember) membership
	}{
		{"loadBalancerBackendAddressPools", "backend pool", "backendAddressPools", "this pool membership is", func(lb, name string, m *schema.PoolMember) membership {
			return membership{Membership: build.Membership{LB: lb, Pool: name, Member: m}}
		}},
		{"loadBalancerInboundNatRules", "inbound NAT rule", "inboundNatRules", "this NAT target is", func(lb, name string, m *schema.PoolMember) membership {
			return membership{Membership: build.Membership{LB: lb, NatRule: name, Member: m}}
		}},
		{"loadBalancerInboundNatPools", "inbound NAT pool", "inboundNatPools", "these NAT rules are", func(lb, name string, m *schema.PoolMember) membership {
			return membership{Membership: build.Membership{LB: lb, Member: m}, natPool: name}
		}},
	}
	for _, j := range joins {
		for _, ref := range r.list(j.prop, j.what+" reference") {
			id, ok := ref.Get("id").Name()
			lb, name := segment(id, "loadBalancers"), segment(id, j.seg)
			if !ok || lb == "" || name == "" {
				im.issue("", ref.At, schema.RuleUnknown, "%s: %s reference is only known at deployment (%s); %s not checked", path, j.what, ref.Get("id").Reason(), j.unchecked)
				continue
			}
			m := &schema.PoolMember{}
			m.SetPos(pos(ref.At), path)
			refs = append(refs, j.join(lb, name, m))
		}
	}
	return c, refs
}
