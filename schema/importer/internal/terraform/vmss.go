package terraform

import (
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
)

// Scale sets, modelled as the ARM importer models them (build/scaleset.go):
// `instances` VMs (sku.capacity for azurerm_virtual_machine_scale_set; 0,
// the provider's default, when unset) named <scale set>_<N>, each with a
// NIC per network_interface (network_profile) block, with its
// network_security_group_id, and its ip_configuration blocks, whose
// private addresses Azure allocates, in the subnet of their subnet_id.
// load_balancer_backend_address_pool_ids make every instance a pool
// member; load_balancer_inbound_nat_rules_ids name azurerm_lb_nat_pool
// resources, each of which gives instance N the NAT rule <pool>.<N> on
// frontend_port_start+N.

// scaleSet is where a scale set resource type keeps its instance count
// and its network interfaces.
type scaleSet struct {
	block    string // the block holding the count; "" for the top level
	capacity string // the count's attribute
	nics     string // the network interface blocks
}

// scaleSets are the scale set resource types.
var scaleSets = map[string]scaleSet{
	"azurerm_linux_virtual_machine_scale_set":        {capacity: "instances", nics: "network_interface"},
	"azurerm_windows_virtual_machine_scale_set":      {capacity: "instances", nics: "network_interface"},
	"azurerm_orchestrated_virtual_machine_scale_set": {capacity: "instances", nics: "network_interface"},
	"azurerm_virtual_machine_scale_set":              {block: "sku", capacity: "capacity", nics: "network_profile"},
}

// scaleSet models the instances of scale set r, of shape s.
func (im *importer) scaleSet(r *res, s scaleSet) {
	n := im.capacity(r, s)
	refs := im.scaleSetRefs(r, s)
	nics := r.after.Get(s.nics).Items()
	cfgs := 0
	for _, nic := range nics {
		cfgs += len(nic.Get("ip_configuration").Items())
	}
	for i := range n {
		vm := im.vm(build.InstanceName(r.name(), i), r.v)
		rd := &reader{f: im.f, after: r.after, unk: r.unknown, node: &vm.Node}
		cfg := 0
		for j := range nics {
			nic := &schema.NetworkInterface{}
			nr := rd.block(s.nics, j, &nic.Node, "")
			nr.str(&nic.Name, "name", "name")
			base := "vms." + vm.Name + ".networkInterfaces." + nic.Name
			nic.SetPos(nic.Pos(), base)
			im.ref(r, nr, groupRef, &nic.NetworkSecurityGroup, "networkSecurityGroup", "network_security_group_id", s.nics+".network_security_group_id", j, len(nics))
			for k := range nr.after.Get("ip_configuration").Items() {
				c := &schema.IPConfig{}
				cr := nr.block("ip_configuration", k, &c.Node, "")
				cr.str(&c.Name, "name", "name")
				c.SetPos(c.Pos(), base+".ipConfigurations."+c.Name)
				im.f.Unknown(&c.Node, "privateIPAddress", cr.after, "the private IP address is allocated by Azure (Dynamic)")
				cr.bool(&c.Primary, "primary", "primary")
				im.ref(r, cr, subnetRef, &c.Subnet, "subnet", "subnet_id", s.nics+".ip_configuration.subnet_id", cfg, cfgs)
				nic.IPConfigurations = append(nic.IPConfigurations, c)
				im.join(refs[cfg], i, &schema.PoolMember{VM: vm.Name, NetworkInterface: nic.Name, IPConfiguration: c.Name}, c.Path())
				cfg++
			}
			build.DefaultPrimary(nic.IPConfigurations)
			vm.NetworkInterfaces = append(vm.NetworkInterfaces, nic)
		}
	}
}

// capacity is the number of instances modelled for scale set r.
func (im *importer) capacity(r *res, s scaleSet) int {
	n := &schema.Node{}
	n.SetPos(im.f.Pos(r.v), r.addr)
	rd := &reader{f: im.f, after: r.after, unk: r.unknown, node: n}
	if s.block != "" {
		if len(r.after.Get(s.block).Items()) == 0 {
			return 0
		}
		rd = rd.block(s.block, 0, &schema.Node{}, r.addr+"."+s.block)
	}
	v, ok := rd.value(s.capacity, s.capacity)
	if why, unknown := rd.node.Unknown(s.capacity); unknown {
		return im.f.UnknownCapacity(rd.node.At(s.capacity), r.name(), why)
	}
	if !ok {
		return 0
	}
	c, isInt := intOf(v)
	if !isInt {
		rd.typeError(s.capacity, v, "an integer")
		return build.AssumedCapacity
	}
	return im.f.Capacity(im.f.KeyPos(v), r.name(), int64(c))
}
