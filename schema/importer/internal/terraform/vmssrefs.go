package terraform

import (
	"fmt"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// The backend pools and NAT pools a scale set's IP configurations join.

// lbRef is one reference of a scale set's IP configuration to a backend
// pool or an inbound NAT pool: the names of the load balancer and the
// pool, and, for a NAT pool in the input, its resource. When the names
// are not known, unknown says why the reference is only known after apply,
// or else bad is the value that is not such an ID.
type lbRef struct {
	lb, name     string
	natPool      *res
	at           schema.Pos
	unknown, bad string
}

// ipRefs are the references of one ip_configuration block.
type ipRefs struct{ pools, natPools []lbRef }

// join makes member, scale set instance i's IP configuration at path, a
// member of the backend pools refs names and the target of a NAT rule of
// each NAT pool; unresolved references are reported.
func (im *importer) join(refs ipRefs, i int, member *schema.PoolMember, path string) {
	at := func(ref lbRef) *schema.PoolMember {
		m := *member
		m.SetPos(ref.at, path)
		return &m
	}
	for _, ref := range refs.pools {
		if im.resolved(ref, "backend pool", "this pool membership is", path) {
			im.f.Join(build.Membership{LB: ref.lb, Pool: ref.name, Member: at(ref)})
		}
	}
	for _, ref := range refs.natPools {
		if im.resolved(ref, "inbound NAT pool", "these NAT rules are", path) {
			im.natFromPool(ref, i, at(ref))
		}
	}
}

// resolved reports whether ref names a load balancer's pool, and reports
// it otherwise: what it refers to, and what is not checked.
func (im *importer) resolved(ref lbRef, what, unchecked, path string) bool {
	switch {
	case ref.lb != "" && ref.name != "":
		return true
	case ref.unknown != "":
		im.f.Issuef(ref.at, schema.RuleUnknown, "%s: %s reference is only known at deployment (%s); %s not checked", path, what, ref.unknown, unchecked)
	default:
		im.f.Issuef(ref.at, schema.RuleUnknown, "%s: %s reference %s is neither the ID of a load balancer's %s nor a reference to one in the input; %s not checked", path, what, ref.bad, what, unchecked)
	}
	return false
}

// scaleSetRefs resolves the pool and NAT pool references of every
// ip_configuration block of scale set r, in block order.
func (im *importer) scaleSetRefs(r *res, s scaleSet) []ipRefs {
	var cfgs []*reader
	rd := &reader{f: im.f, after: r.after, unk: r.unknown, node: &schema.Node{}}
	for j := range r.after.Get(s.nics).Items() {
		nr := rd.block(s.nics, j, &schema.Node{}, "")
		for k := range nr.after.Get("ip_configuration").Items() {
			cfgs = append(cfgs, nr.block("ip_configuration", k, &schema.Node{}, ""))
		}
	}
	refs := make([]ipRefs, len(cfgs))
	prefix := s.nics + ".ip_configuration."
	for i, pools := range im.listRefs(r, cfgs, prefix, "load_balancer_backend_address_pool_ids", "azurerm_lb_backend_address_pool", "backendAddressPools") {
		refs[i].pools = pools
	}
	for i, pools := range im.listRefs(r, cfgs, prefix, "load_balancer_inbound_nat_rules_ids", "azurerm_lb_nat_pool", "inboundNatPools") {
		for j := range pools {
			pools[j].natPool = im.natPoolNamed(pools[j].lb, pools[j].name)
		}
		refs[i].natPools = pools
	}
	return refs
}

// listRefs resolves list attribute attr of each IP configuration cfgs of
// r (prefix: the blocks' path in r's references), whose elements are IDs
// of resources of type typ (segment in the IDs). Configuration references
// are attributed to elements in order across the blocks; an attribute
// whose value is unknown as a whole (a set holding an unknown ID) gets the
// references that remain when it is the only block setting attr, or the
// one resource all references name.
func (im *importer) listRefs(r *res, cfgs []*reader, prefix, attr, typ, segment string) [][]lbRef {
	setting := 0
	for _, c := range cfgs {
		if !c.after.Get(attr).IsNull() || isUnknown(c.unk, attr) {
			setting++
		}
	}
	path := prefix + attr
	out := make([][]lbRef, len(cfgs))
	n := 0 // the ordinal of the next reference of r's attribute
	for i, c := range cfgs {
		list, unk := c.after.Get(attr), c.unk.Get(attr)
		items, unks := list.Items(), unk.Items()
		for k, v := range items {
			ref := lbRef{at: im.f.KeyPos(v)}
			ref.lb, ref.name = im.childRef(r, v, path, typ, segment, n)
			n++
			switch {
			case ref.lb != "" && ref.name != "":
			case k < len(unks) && isTrue(unks[k]):
				ref.unknown = unknownWhy(unks[k], attr)
			case v.IsNull():
				continue
			case v.Kind == jsonpos.String:
				ref.bad = fmt.Sprintf("%q", v.Text)
			default:
				ref.bad = "a " + v.Kind.String()
			}
			out[i] = append(out[i], ref)
		}
		if !isUnknown(c.unk, attr) {
			continue
		}
		at, why := list, unknownWhy(unk, attr)
		if at == nil {
			at = unk
		}
		keys := refKeys(r, path, typ)
		resolve := func(n int) {
			ref := lbRef{at: im.f.KeyPos(at), unknown: why}
			ref.lb, ref.name = im.childRef(r, nil, path, typ, segment, n)
			out[i] = append(out[i], ref)
		}
		switch {
		case setting == 1:
			for ; n < len(keys); n++ {
				resolve(n)
			}
		case len(keys) == 1 && allOf(r.refs[path], typ):
			resolve(0) // every reference names the same resource
		default:
			why += "; several IP configurations of the scale set list such references, so lbcheck cannot tell which are this one's"
		}
		if len(out[i]) == 0 {
			out[i] = append(out[i], lbRef{at: im.f.KeyPos(at), unknown: why})
		}
	}
	return out
}

// allOf reports whether every reference of refs names a resource of type
// typ.
func allOf(refs []string, typ string) bool {
	for _, ref := range refs {
		if _, _, ok := refAddress(ref, typ); !ok {
			return false
		}
	}
	return true
}
