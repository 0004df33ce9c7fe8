package arm

import (
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/arm/expr"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
)

// Scale set instances as lbcheck models them (see build/scaleset.go):
// sku.capacity VMs, each with the network interface configurations of the
// scale set's network profile. Their backend pool references make each
// instance a pool member; their inbound NAT pool references give each
// instance a NAT rule of the pool.

func (im *importer) scaleSet(res *resource) {
	body := res.eval(im.ev)
	name := lastName(res.name)
	im.mayNotDeploy(res, "scale set "+name)
	n := im.capacity(body, name)
	profile := prop(body, "virtualMachineProfile").Path("networkProfile")
	confs := (&reader{im: im, obj: profile, node: &schema.Node{}}).list("networkInterfaceConfigurations", "network interface configuration")
	for i := range n {
		vm := im.vm(build.InstanceName(name, i), body.At)
		for _, conf := range confs {
			nic := &schema.NetworkInterface{}
			base := "vms." + vm.Name + ".networkInterfaces."
			r := (&reader{im: im, obj: conf, node: &nic.Node}).child(conf, &nic.Node, &nic.Name, base)
			im.ipConfigs(r, nic, vm.Name, base+nic.Name, func(ref membership) {
				if ref.natPool != "" {
					im.natFromPool(ref, i)
					return
				}
				im.f.Join(ref.Membership)
			})
			vm.NetworkInterfaces = append(vm.NetworkInterfaces, nic)
		}
	}
}

// capacity is the scale set's number of instances.
func (im *importer) capacity(body *expr.Value, name string) int {
	m, ok := body.Get("sku").Member("capacity")
	if !ok {
		return build.AssumedCapacity
	}
	c, isInt := m.Value.AsInt()
	switch {
	case !m.Value.Known():
		return im.f.UnknownCapacity(pos(m.KeyAt), name, m.Value.Reason())
	case !isInt:
		im.issue("", m.KeyAt, schema.RuleSchema, "scale set %s: capacity %s is not an integer; Azure rejects the scale set", name, show(m.Value))
		return build.AssumedCapacity
	}
	return im.f.Capacity(pos(m.KeyAt), name, c)
}

// natFromPool gives scale set instance i its NAT rule of an inbound NAT
// pool of a load balancer in this file.
func (im *importer) natFromPool(ref membership, i int) {
	var pool *natPool
	for _, p := range im.natPools[strings.ToLower(ref.LB)] {
		if strings.EqualFold(p.name, ref.natPool) {
			pool = p
		}
	}
	if pool == nil {
		im.f.MissingNatPool(ref.Member, ref.natPool, ref.LB)
		return
	}
	nr := build.PoolNatRule(pool.lb, pool.name, i, pos(pool.v.At))
	r := &reader{im: im, obj: pool.v, node: &nr.Node}
	if m, ok := pool.v.Member("name"); ok {
		nr.SetField("name", pos(m.KeyAt))
	}
	natFields(r, nr)
	var end int
	r.int(&nr.FrontendPort, "frontendPort", "frontendPortRangeStart")
	(&reader{im: im, obj: pool.v, node: &schema.Node{}}).int(&end, "frontendPortRangeEnd", "frontendPortRangeEnd")
	im.f.AddPoolNatRule(pool.lb, nr, pool.name, i, end, ref.Member, pos(pool.v.At))
}
