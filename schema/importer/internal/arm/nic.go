package arm

import (
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// nic imports a network interface: its IP configurations become the VM's
// DIPs, and their load balancer references become pool memberships and NAT
// rule targets.
func (im *importer) nic(res resource) {
	nic := &schema.NetworkInterface{Name: lastName(res.name)}
	r := &reader{f: im.f, sc: res.scope, obj: res.v, node: &nic.Node}
	owner := im.vmByNIC[strings.ToLower(nic.Name)]
	vmName, vmAt := owner.name, owner.v
	if id, ok := r.eval(r.prop("virtualMachine").Get("id")); ok && segment(id, "virtualMachines") != "" {
		vmName = segment(id, "virtualMachines")
	}
	if vmName == "" {
		vmName = nic.Name
	}
	if vmAt == nil {
		vmAt = res.v
	}
	vm := im.vm(vmName, vmAt)
	base := "vms." + vm.Name + ".networkInterfaces." + nic.Name
	im.f.Object(&nic.Node, res.v, base)
	nic.SetField("name", im.f.KeyPos(res.v.Get("name")))
	configs := r.prop("ipConfigurations").Items()
	anyPrimary := false
	for _, v := range configs {
		c := im.ipConfig(r, v, vm.Name, nic.Name, base)
		anyPrimary = anyPrimary || c.Primary
		nic.IPConfigurations = append(nic.IPConfigurations, c)
	}
	if !anyPrimary && len(nic.IPConfigurations) > 0 {
		// Azure makes the only (or first) IP configuration primary.
		nic.IPConfigurations[0].Primary = true
	}
	if cp := r.obj.Path("properties", "copy"); cp != nil {
		im.f.Issuef(im.f.KeyPos(cp), build.RuleUnknown, "%s: property copy loops are not expanded; the IP configurations they declare are not checked", base)
	}
	vm.NetworkInterfaces = append(vm.NetworkInterfaces, nic)
}

// vm returns the model VM of that name, creating it at v.
func (im *importer) vm(name string, v *jsonpos.Value) *schema.VM {
	d := im.f.Result.Deployment
	for _, vm := range d.VMs {
		if strings.EqualFold(vm.Name, name) {
			return vm
		}
	}
	vm := &schema.VM{Name: name}
	im.f.Object(&vm.Node, v, "vms."+name)
	d.VMs = append(d.VMs, vm)
	return vm
}

func (im *importer) ipConfig(nicr *reader, v *jsonpos.Value, vm, nic, base string) *schema.IPConfig {
	c := &schema.IPConfig{}
	r := nicr.child(v, &c.Node, &c.Name, base+".ipConfigurations.")
	path := c.Path()
	if ip := r.prop("privateIPAddress"); !ip.IsNull() {
		r.str(&c.PrivateIPAddress, "privateIPAddress", "privateIPAddress")
	} else {
		at := r.prop("privateIPAllocationMethod")
		if at == nil {
			at = v
		}
		im.f.Unknown(&c.Node, "privateIPAddress", at, "the private IP address is allocated by Azure (Dynamic)")
	}
	r.bool(&c.Primary, "primary", "primary")
	if len(nicr.prop("ipConfigurations").Items()) == 1 && !c.Has("primary") {
		c.Primary = true
	}
	member := func(ref *jsonpos.Value) *schema.PoolMember {
		m := &schema.PoolMember{VM: vm, NetworkInterface: nic, IPConfiguration: c.Name}
		im.f.Object(&m.Node, ref, path)
		return m
	}
	for _, ref := range r.prop("loadBalancerBackendAddressPools").Items() {
		id, ok := r.eval(ref.Get("id"))
		lb, pool := segment(id, "loadBalancers"), segment(id, "backendAddressPools")
		if !ok || lb == "" || pool == "" {
			im.f.Issuef(im.f.Pos(ref), build.RuleUnknown, "%s: backend pool reference cannot be evaluated; this pool membership is not checked", path)
			continue
		}
		im.f.Join(build.Membership{LB: lb, Pool: pool, Member: member(ref)})
	}
	for _, ref := range r.prop("loadBalancerInboundNatRules").Items() {
		id, ok := r.eval(ref.Get("id"))
		lb, rule := segment(id, "loadBalancers"), segment(id, "inboundNatRules")
		if !ok || lb == "" || rule == "" {
			im.f.Issuef(im.f.Pos(ref), build.RuleUnknown, "%s: inbound NAT rule reference cannot be evaluated; this NAT target is not checked", path)
			continue
		}
		im.f.Join(build.Membership{LB: lb, NatRule: rule, Member: member(ref)})
	}
	return c
}
