package terraform

import (
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
)

// Inbound NAT pools (azurerm_lb_nat_pool) are not in the model: each
// scale set instance that uses one gets a NAT rule of it (build/scaleset.go).

// natFromPool gives scale set instance i, member, its NAT rule of the
// NAT pool ref names.
func (im *importer) natFromPool(ref lbRef, i int, member *schema.PoolMember) {
	if ref.natPool == nil {
		im.f.MissingNatPool(member, ref.name, ref.lb)
		return
	}
	lb, p := im.natPools[ref.natPool], ref.natPool
	nr := build.PoolNatRule(lb, p.name(), i, im.f.Pos(p.v))
	rd := &reader{f: im.f, after: p.after, unk: p.unknown, node: &nr.Node}
	if v := p.after.Get("name"); v != nil {
		nr.SetField("name", im.f.KeyPos(v))
	}
	natFields(rd, nr, "") // conflicts are reported once, by natPool
	rd.int(&nr.FrontendPort, "frontendPort", "frontend_port_start")
	var end int
	(&reader{f: im.f, after: p.after, unk: p.unknown, node: &schema.Node{}}).int(&end, "frontendPortRangeEnd", "frontend_port_end")
	im.f.AddPoolNatRule(lb, nr, p.name(), i, end, member, im.f.KeyPos(p.after.Get("frontend_port_end")))
}

// natPool records the load balancer of an azurerm_lb_nat_pool for the
// scale sets that use it, and reports conflicting Floating IP attributes.
func (im *importer) natPool(r *res) {
	lb, path := im.sub(r, "inboundNatPools")
	if lb == nil {
		return
	}
	im.natPools[r] = lb
	n := &schema.Node{}
	n.SetPos(im.f.Pos(r.v), path)
	var fip bool
	(&reader{f: im.f, after: r.after, unk: r.unknown, node: n}).either(&fip, "enableFloatingIP", "floating_ip_enabled", "enable_floating_ip", schema.RuleTerraformFloatingIP)
}

// natPoolNamed is the azurerm_lb_nat_pool name of load balancer lb.
func (im *importer) natPoolNamed(lb, name string) *res {
	for _, r := range im.resources {
		if l := im.natPools[r]; l != nil && strings.EqualFold(l.Name, lb) && strings.EqualFold(r.name(), name) {
			return r
		}
	}
	return nil
}
