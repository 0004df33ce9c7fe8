// Package terraform imports the JSON of a Terraform plan (`terraform show
// -json plan.out`) that uses the azurerm provider: load balancers and their
// rule, probe, pool, NAT rule, NAT pool and outbound rule resources,
// network interfaces, pool associations, the VMs that own the NICs, scale
// sets (Linux, Windows, orchestrated and the legacy
// azurerm_virtual_machine_scale_set) as their instances, and network
// security groups with their rules, subnets and the groups' associations
// with subnets and NICs (nsg.go). Values come from
// resource_changes[].change.after (or planned_values when a plan has no
// changes); attributes in after_unknown are reported unknown. References
// between resources are resolved through their IDs when known, else through
// the configuration's expression references.
package terraform

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// IsPlan reports whether root is Terraform's plan JSON.
func IsPlan(root *jsonpos.Value) bool {
	return root.Get("format_version") != nil && (root.Get("resource_changes") != nil || root.Get("planned_values") != nil)
}

// res is one resource instance of the plan.
type res struct {
	v       *jsonpos.Value // the resource_changes (or planned_values) entry
	addr    string         // full address, with module path and index
	base    string         // address without the instance index
	typ     string
	index   string         // instance key: "" (none), "0", "web"
	after   *jsonpos.Value // attribute values
	unknown *jsonpos.Value // after_unknown, nil when absent
	refs    map[string][]string
}

// Import reads one plan file.
func Import(file string, src []byte) (*build.Result, error) {
	root, err := jsonpos.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", file, err)
	}
	if !IsPlan(root) {
		return nil, fmt.Errorf("%s: not a Terraform plan: want format_version and resource_changes or planned_values (terraform show -json plan.out)", file)
	}
	im := newImporter(build.NewFile(file))
	refs := map[string]map[string][]string{}
	configRefs(root.Path("configuration", "root_module"), "", refs)
	if changes := root.Get("resource_changes").Items(); len(changes) > 0 {
		for _, c := range changes {
			if actions := c.Path("change", "actions").Items(); len(actions) == 1 {
				if a, _ := actions[0].Str(); a == "delete" {
					continue
				}
			}
			im.add(c, c.Path("change", "after"), c.Path("change", "after_unknown"), refs)
		}
	} else {
		plannedResources(root.Path("planned_values", "root_module"), func(v *jsonpos.Value) {
			im.add(v, v.Get("values"), nil, refs)
		})
	}
	return im.result(), nil
}

// result builds the model from the resources added and resolves the pool
// memberships within it.
func (im *importer) result() *build.Result {
	im.run()
	r := &im.f.Result
	r.Pending = build.Resolve(r.Deployment, r.Pending)
	return r
}

// Resource is one resource instance read from somewhere else than a plan
// (a Terraform configuration's .tf files).
type Resource struct {
	// Addr is the instance's full address: module path, type, name and
	// instance key (`module.lb.azurerm_lb_rule.r["sql"]`); Type is its
	// resource type.
	Addr, Type string
	// Values holds the attributes, nested blocks as arrays of objects,
	// as a plan's change.after does; each value is positioned where the
	// configuration sets it (jsonpos.Pos.File naming the file), and
	// Values itself at the resource block.
	Values *jsonpos.Value
	// Unknown has the shape of a plan's after_unknown: Bool true where a
	// value is unknown, its Text saying why (the model uses it instead of
	// "known only after apply" when set). Nil when everything is known.
	Unknown *jsonpos.Value
	// Refs lists, per attribute path ("block.attr" for nested blocks), the
	// addresses the attribute's expression refers to, as a plan's
	// configuration references do ("azurerm_lb.web.id").
	Refs map[string][]string
}

// ImportResources builds the model from resources read from a
// configuration; name is what the result's File names (the module
// directory).
func ImportResources(name string, rs []Resource) *build.Result {
	im := newImporter(build.NewFile(name))
	for _, r := range rs {
		if !strings.HasPrefix(r.Type, "azurerm_") || r.Values.IsNull() {
			continue
		}
		base, index := splitIndex(r.Addr)
		im.resources = append(im.resources, &res{v: r.Values, addr: r.Addr, base: base, typ: r.Type, index: index,
			after: r.Values, unknown: r.Unknown, refs: r.Refs})
	}
	return im.result()
}

func plannedResources(mod *jsonpos.Value, fn func(*jsonpos.Value)) {
	for _, v := range mod.Get("resources").Items() {
		fn(v)
	}
	for _, child := range mod.Get("child_modules").Items() {
		plannedResources(child, fn)
	}
}

// configRefs collects, per resource address without index, the references
// of each attribute expression (nested blocks as "block.attr").
func configRefs(mod *jsonpos.Value, prefix string, out map[string]map[string][]string) {
	for _, r := range mod.Get("resources").Items() {
		addr, _ := r.Get("address").Str()
		m := map[string][]string{}
		exprRefs(r.Get("expressions"), "", m)
		out[prefix+addr] = m
	}
	for _, call := range mod.Get("module_calls").Fields() {
		configRefs(call.Get("module"), prefix+"module."+call.Key+".", out)
	}
}

func exprRefs(exprs *jsonpos.Value, prefix string, out map[string][]string) {
	for _, e := range exprs.Fields() {
		if refs := e.Get("references"); refs != nil {
			for _, r := range refs.Items() {
				if s, ok := r.Str(); ok {
					out[prefix+e.Key] = append(out[prefix+e.Key], s)
				}
			}
			continue
		}
		for _, block := range e.Items() { // nested blocks are arrays of objects
			exprRefs(block, prefix+e.Key+".", out)
		}
		if e.Kind == jsonpos.Object && e.Get("constant_value") == nil {
			exprRefs(e, prefix+e.Key+".", out)
		}
	}
}

func (im *importer) add(v, after, unknown *jsonpos.Value, refs map[string]map[string][]string) {
	addr, _ := v.Get("address").Str()
	typ, _ := v.Get("type").Str()
	mode, _ := v.Get("mode").Str()
	if mode == "data" || !strings.HasPrefix(typ, "azurerm_") || after.IsNull() {
		return
	}
	base, index := splitIndex(addr)
	im.resources = append(im.resources, &res{v: v, addr: addr, base: base, typ: typ, index: index,
		after: after, unknown: unknown, refs: refs[moduleIndexes.ReplaceAllString(base, "")]})
}

// moduleIndexes matches the instance keys of modules called with count or
// for_each ("module.web[0]."), which configuration addresses do not have.
var moduleIndexes = regexp.MustCompile(`\[[^\]]*\]`)

// splitIndex splits `a.b[0]` or `a.b["k"]` into the address and the key.
func splitIndex(addr string) (string, string) {
	if !strings.HasSuffix(addr, "]") {
		return addr, ""
	}
	i := strings.LastIndex(addr, "[")
	if i < 0 {
		return addr, ""
	}
	return addr[:i], strings.Trim(addr[i+1:len(addr)-1], `"`)
}
