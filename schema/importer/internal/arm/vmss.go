package arm

import (
	"fmt"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/arm/expr"
)

// Scale set instances as lbcheck models them: sku.capacity VMs named
// <scale set>_<N> (as Azure names them), each with the network interface
// configurations of the scale set's network profile. Their backend pool
// references make each instance a pool member; their inbound NAT pool
// references give each instance a NAT rule <pool>.<N> on frontend port
// frontendPortRangeStart+N, as Azure creates them.

// maxInstances is Azure's limit on a scale set's capacity.
const maxInstances = 1000

// assumedCapacity is the number of instances modelled when the capacity
// is only known at deployment.
const assumedCapacity = 2

func (im *importer) scaleSet(res *resource) {
	body := res.eval(im.ev)
	name := lastName(res.name)
	im.mayNotDeploy(res, "scale set "+name)
	n := im.capacity(body, name)
	profile := prop(body, "virtualMachineProfile").Path("networkProfile")
	confs := (&reader{im: im, obj: profile, node: &schema.Node{}}).list("networkInterfaceConfigurations", "network interface configuration")
	for i := range n {
		vm := im.vm(fmt.Sprintf("%s_%d", name, i), body.At)
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
		return assumedCapacity
	}
	c, isInt := m.Value.AsInt()
	switch {
	case !m.Value.Known():
		im.issue("", m.KeyAt, schema.RuleUnknown, "scale set %s: capacity is only known at deployment (%s); %d instances are checked", name, m.Value.Reason(), assumedCapacity)
		return assumedCapacity
	case !isInt:
		im.issue("", m.KeyAt, schema.RuleSchema, "scale set %s: capacity %s is not an integer; Azure rejects the scale set", name, show(m.Value))
		return assumedCapacity
	case c < 0 || c > maxInstances:
		im.issue("", m.KeyAt, schema.RuleSchema, "scale set %s: capacity %d is outside Azure's range 0-%d", name, c, maxInstances)
		return int(min(max(c, 0), maxInstances))
	}
	return int(c)
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
		im.f.Issuef(ref.Member.Pos(), schema.RuleUnknown, "%s: inbound NAT pool %s of load balancer %s is in none of the input files; its NAT rules are not checked",
			ref.Member.Path(), ref.natPool, ref.LB)
		return
	}
	lb := pool.lb
	nr := schema.Defaults(&schema.NatRule{})
	r := &reader{im: im, obj: pool.v, node: &nr.Node}
	nr.Name = fmt.Sprintf("%s.%d", pool.name, i)
	nr.SetPos(pos(pool.v.At), "loadBalancers."+lb.Name+".inboundNatRules."+nr.Name)
	if m, ok := pool.v.Member("name"); ok {
		nr.SetField("name", pos(m.KeyAt))
	}
	natFields(r, nr)
	var start, end int
	r.int(&start, "frontendPort", "frontendPortRangeStart")
	(&reader{im: im, obj: pool.v, node: &schema.Node{}}).int(&end, "frontendPortRangeEnd", "frontendPortRangeEnd")
	if nr.Has("frontendPort") {
		nr.FrontendPort = start + i
		if nr.FrontendPort > end && end > 0 {
			im.issue(nr.Path(), pool.v.At, schema.RuleSchema, "inbound NAT pool %s of load balancer %s: instance %d of %s needs frontend port %d, beyond the pool's range %d-%d; Azure rejects the scale set",
				pool.name, lb.Name, i, ref.Member.VM, nr.FrontendPort, start, end)
			return
		}
	}
	nr.Target = ref.Member
	nr.SetField("target", ref.Member.Pos())
	lb.InboundNatRules = append(lb.InboundNatRules, nr)
}
