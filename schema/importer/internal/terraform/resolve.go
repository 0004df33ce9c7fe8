package terraform

import (
	"slices"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

type importer struct {
	f         *build.File
	resources []*res
	lbs       map[*res]*schema.LoadBalancer
	nicVM     map[*res]*res                 // NIC -> VM resource
	natPools  map[*res]*schema.LoadBalancer // azurerm_lb_nat_pool -> its load balancer
	nics      map[*res]*schema.NetworkInterface
	nsgs      map[*res]*schema.NetworkSecurityGroup
}

func newImporter(f *build.File) *importer {
	return &importer{f: f, lbs: map[*res]*schema.LoadBalancer{}, nicVM: map[*res]*res{}, natPools: map[*res]*schema.LoadBalancer{},
		nics: map[*res]*schema.NetworkInterface{}, nsgs: map[*res]*schema.NetworkSecurityGroup{}}
}

// name is the Azure name of a resource (its name attribute); when that is
// unknown or unset, the resource's address stands in, so that two
// resources whose names are known only at apply (a module called twice
// with an unset prefix) stay two objects.
func (r *res) name() string {
	if s, ok := r.after.Get("name").Str(); ok && s != "" {
		return s
	}
	return r.addr
}

// target resolves the reference held by attribute attr (attr is the
// attribute path used in configuration, e.g. "backend_address_pool_ids" or
// "frontend_ip_configuration.public_ip_address_id") to a resource of type
// typ in the plan. The n-th reference of that type is used, so that list
// attributes (network_interface_ids) resolve element by element.
func (im *importer) target(from *res, attr, typ string, n int) *res {
	keys := refKeys(from, attr, typ)
	if n >= len(keys) {
		return nil
	}
	want, index := prefixOf(from)+keys[n].base, keys[n].index
	if index == "" {
		index = from.index // count.index / each.key: the same instance
	}
	var only *res
	matches := 0
	for _, r := range im.resources {
		if r.base != want {
			continue
		}
		if r.index == index {
			return r
		}
		only = r
		matches++
	}
	if matches == 1 {
		return only
	}
	return nil
}

// refKey is a resource a configuration reference names: its address
// without instance key, and the key ("" when the reference has none).
type refKey struct{ base, index string }

// refKeys lists, in order, the resources of type typ that attribute attr
// of from refers to, each once (Terraform lists "a.b.id" and "a.b").
func refKeys(from *res, attr, typ string) []refKey {
	var keys []refKey
	for _, ref := range from.refs[attr] {
		if base, index, ok := refAddress(ref, typ); ok && !slices.Contains(keys, refKey{base, index}) {
			keys = append(keys, refKey{base, index})
		}
	}
	return keys
}

// prefixOf is the module path of a resource address ("module.x." or "").
func prefixOf(r *res) string {
	if i := strings.LastIndex(r.base, "module."); i >= 0 {
		rest := r.base[i+len("module."):]
		if j := strings.Index(rest, "."); j >= 0 {
			return r.base[:i+len("module.")+j+1]
		}
	}
	return ""
}

// refAddress parses a configuration reference such as
// "azurerm_lb.web.id", "azurerm_network_interface.web[0].id" or
// `azurerm_lb_backend_address_pool.p["a"]` into address and index, when it
// refers to a resource of type typ.
func refAddress(ref, typ string) (base, index string, ok bool) {
	rest, found := strings.CutPrefix(ref, typ+".")
	if !found {
		return "", "", false
	}
	name := rest
	if i := strings.IndexAny(rest, ".["); i >= 0 {
		name = rest[:i]
		if rest[i] == '[' {
			if j := strings.Index(rest[i:], "]"); j > 0 {
				index = strings.Trim(rest[i+1:i+j], `"`)
			}
		}
	}
	return typ + "." + name, index, name != ""
}

// idSegment returns the name after /typ/ in an Azure resource ID.
func idSegment(id, typ string) string {
	parts := strings.Split(id, "/")
	for i := len(parts) - 2; i >= 0; i-- {
		if strings.EqualFold(parts[i], typ) {
			return parts[i+1]
		}
	}
	return ""
}

// lbOf returns the load balancer a sub-resource (rule, probe, pool...)
// belongs to through loadbalancer_id.
func (im *importer) lbOf(r *res) *schema.LoadBalancer {
	if t := im.target(r, "loadbalancer_id", "azurerm_lb", 0); t != nil {
		return im.lbs[t]
	}
	id, _ := r.after.Get("loadbalancer_id").Str()
	if name := idSegment(id, "loadBalancers"); name != "" {
		for _, lb := range im.f.Result.Deployment.LoadBalancers {
			if strings.EqualFold(lb.Name, name) {
				return lb
			}
		}
	}
	return nil
}

// refName resolves an ID attribute (value v, configuration attribute attr)
// to the Azure name of the referenced object: from the ID when it is
// known, else from the referenced resource's name.
func (im *importer) refName(from *res, v *jsonpos.Value, attr, typ, segment string, n int) string {
	if id, ok := v.Str(); ok {
		if name := idSegment(id, segment); name != "" {
			return name
		}
	}
	if t := im.target(from, attr, typ, n); t != nil {
		return t.name()
	}
	return ""
}

// poolRef resolves a backend pool ID attribute to (load balancer, pool).
func (im *importer) poolRef(from *res, v *jsonpos.Value, attr string, n int) (lb, pool string) {
	return im.childRef(from, v, attr, "azurerm_lb_backend_address_pool", "backendAddressPools", n)
}

// childRef resolves the ID of a load balancer's child (value v of
// attribute attr; resource type typ, segment in the ID) to the names of
// the load balancer and the child: from the ID when it is known, else from
// the resource the n-th reference of that type names.
func (im *importer) childRef(from *res, v *jsonpos.Value, attr, typ, segment string, n int) (lb, name string) {
	if id, ok := v.Str(); ok {
		if lb, name = idSegment(id, "loadBalancers"), idSegment(id, segment); lb != "" && name != "" {
			return lb, name
		}
	}
	t := im.target(from, attr, typ, n)
	if t == nil {
		return "", ""
	}
	if l := im.lbOf(t); l != nil {
		return l.Name, t.name()
	}
	return "", ""
}

// modelled are the resource types the model reads, besides the scale
// sets.
var modelled = map[string]bool{
	"azurerm_lb": true, "azurerm_lb_backend_address_pool": true, "azurerm_lb_backend_address_pool_address": true,
	"azurerm_lb_probe": true, "azurerm_lb_rule": true, "azurerm_lb_nat_rule": true, "azurerm_lb_nat_pool": true,
	"azurerm_lb_outbound_rule": true, "azurerm_public_ip": true, "azurerm_network_interface": true,
	"azurerm_network_interface_backend_address_pool_association": true, "azurerm_network_interface_nat_rule_association": true,
	"azurerm_windows_virtual_machine": true, "azurerm_linux_virtual_machine": true, "azurerm_virtual_machine": true,
	"azurerm_network_security_group": true, "azurerm_network_security_rule": true, "azurerm_subnet": true,
	"azurerm_subnet_network_security_group_association": true, "azurerm_network_interface_security_group_association": true,
}

// Models reports whether the model reads resources of type typ: when it
// does not, instances of them that cannot be known matter to no rule.
func Models(typ string) bool {
	_, scaleSet := scaleSets[typ]
	return modelled[typ] || scaleSet
}

// run builds the model: load balancers, network security groups and
// subnets first, then their sub-resources, then NICs (whose VM comes from
// the VM resources), scale sets and associations.
func (im *importer) run() {
	for _, r := range im.resources {
		switch r.typ {
		case "azurerm_lb":
			im.loadBalancer(r)
		case "azurerm_network_security_group":
			im.securityGroup(r)
		case "azurerm_subnet":
			im.subnet(r)
		}
	}
	for _, r := range im.resources {
		switch r.typ {
		case "azurerm_windows_virtual_machine", "azurerm_linux_virtual_machine", "azurerm_virtual_machine":
			im.vmNICs(r)
		case "azurerm_lb_backend_address_pool":
			im.pool(r)
		case "azurerm_lb_probe":
			im.probe(r)
		case "azurerm_lb_nat_pool":
			im.natPool(r)
		case "azurerm_network_security_rule":
			im.separateRule(r)
		}
	}
	im.rulesUnknown()
	for _, r := range im.resources {
		switch r.typ {
		case "azurerm_lb_rule":
			im.rule(r)
		case "azurerm_lb_nat_rule":
			im.natRule(r)
		case "azurerm_lb_outbound_rule":
			im.outboundRule(r)
		case "azurerm_network_interface":
			im.nic(r)
		}
		if s, ok := scaleSets[r.typ]; ok {
			im.scaleSet(r, s)
		}
	}
	addressed := map[*schema.BackendPool]bool{}
	for _, r := range im.resources {
		switch r.typ {
		case "azurerm_lb_backend_address_pool_address":
			im.poolAddress(r, addressed)
		case "azurerm_network_interface_backend_address_pool_association":
			im.association(r, false)
		case "azurerm_network_interface_nat_rule_association":
			im.association(r, true)
		case "azurerm_subnet_network_security_group_association":
			im.subnetAssociation(r)
		case "azurerm_network_interface_security_group_association":
			im.nicAssociation(r)
		}
	}
}

// vmNICs records which VM owns each NIC, through network_interface_ids.
func (im *importer) vmNICs(vm *res) {
	ids := vm.after.Get("network_interface_ids").Items()
	n := max(len(ids), len(vm.refs["network_interface_ids"]))
	for i := range n {
		if t := im.target(vm, "network_interface_ids", "azurerm_network_interface", i); t != nil {
			im.nicVM[t] = vm
			continue
		}
		if i < len(ids) {
			id, _ := ids[i].Str()
			for _, r := range im.nicsOf(id) {
				im.nicVM[r] = vm
			}
		}
	}
}

// nicsOf returns the NIC resources named as the NIC of resource ID id.
func (im *importer) nicsOf(id string) []*res {
	var nics []*res
	for _, r := range im.resources {
		if r.typ == "azurerm_network_interface" && strings.EqualFold(r.name(), idSegment(id, "networkInterfaces")) {
			nics = append(nics, r)
		}
	}
	return nics
}
