package tfconfig

import (
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// subscription is the subscription of synthesized resource IDs.
const subscription = "/subscriptions/00000000-0000-0000-0000-000000000000"

// idParts says how the ID of a resource type is made: from the resource
// group's ID and the provider path (provider, segments alternating a
// literal and an attribute, the last attribute the resource's name), or
// from its parent's ID attribute and one segment.
var idParts = map[string]struct {
	parent   string   // attribute holding the parent's ID; "" for a top-level resource
	segments []string // literal, attribute, literal, attribute...
}{
	"azurerm_resource_group":                         {segments: nil},
	"azurerm_lb":                                     {segments: []string{"Microsoft.Network/loadBalancers", "name"}},
	"azurerm_public_ip":                              {segments: []string{"Microsoft.Network/publicIPAddresses", "name"}},
	"azurerm_network_interface":                      {segments: []string{"Microsoft.Network/networkInterfaces", "name"}},
	"azurerm_virtual_network":                        {segments: []string{"Microsoft.Network/virtualNetworks", "name"}},
	"azurerm_network_security_group":                 {segments: []string{"Microsoft.Network/networkSecurityGroups", "name"}},
	"azurerm_network_security_rule":                  {segments: []string{"Microsoft.Network/networkSecurityGroups", "network_security_group_name", "securityRules", "name"}},
	"azurerm_subnet":                                 {segments: []string{"Microsoft.Network/virtualNetworks", "virtual_network_name", "subnets", "name"}},
	"azurerm_windows_virtual_machine":                {segments: []string{"Microsoft.Compute/virtualMachines", "name"}},
	"azurerm_linux_virtual_machine":                  {segments: []string{"Microsoft.Compute/virtualMachines", "name"}},
	"azurerm_virtual_machine":                        {segments: []string{"Microsoft.Compute/virtualMachines", "name"}},
	"azurerm_availability_set":                       {segments: []string{"Microsoft.Compute/availabilitySets", "name"}},
	"azurerm_linux_virtual_machine_scale_set":        {segments: []string{"Microsoft.Compute/virtualMachineScaleSets", "name"}},
	"azurerm_windows_virtual_machine_scale_set":      {segments: []string{"Microsoft.Compute/virtualMachineScaleSets", "name"}},
	"azurerm_orchestrated_virtual_machine_scale_set": {segments: []string{"Microsoft.Compute/virtualMachineScaleSets", "name"}},
	"azurerm_virtual_machine_scale_set":              {segments: []string{"Microsoft.Compute/virtualMachineScaleSets", "name"}},
	"azurerm_lb_backend_address_pool":                {parent: "loadbalancer_id", segments: []string{"backendAddressPools", "name"}},
	"azurerm_lb_probe":                               {parent: "loadbalancer_id", segments: []string{"probes", "name"}},
	"azurerm_lb_rule":                                {parent: "loadbalancer_id", segments: []string{"loadBalancingRules", "name"}},
	"azurerm_lb_nat_rule":                            {parent: "loadbalancer_id", segments: []string{"inboundNatRules", "name"}},
	"azurerm_lb_nat_pool":                            {parent: "loadbalancer_id", segments: []string{"inboundNatPools", "name"}},
	"azurerm_lb_outbound_rule":                       {parent: "loadbalancer_id", segments: []string{"outboundRules", "name"}},
}

// resourceID synthesizes the Azure resource ID of a resource of type typ
// with attribute values obj, as the provider would report it after apply.
// An ID made of an unknown part is unknown for the same reason; a type
// lbcheck does not know has an unknown ID.
func resourceID(typ, addr string, obj cty.Value) cty.Value {
	switch typ {
	case "azurerm_network_interface_backend_address_pool_association":
		// The provider's ID: "<nic id>/ipConfigurations/<name>|<pool id>".
		return join(addr, obj, "network_interface_id", "=/ipConfigurations/", "ip_configuration_name", "=|", "backend_address_pool_id")
	case "azurerm_network_interface_nat_rule_association":
		return join(addr, obj, "network_interface_id", "=/ipConfigurations/", "ip_configuration_name", "=|", "nat_rule_id")
	case "azurerm_network_interface_security_group_association":
		// "<nic id>|<network security group id>".
		return join(addr, obj, "network_interface_id", "=|", "network_security_group_id")
	case "azurerm_subnet_network_security_group_association":
		return join(addr, obj, "subnet_id") // the subnet's ID
	}
	p, ok := idParts[typ]
	if !ok {
		return unknown("the id of %s is known only after apply", addr)
	}
	var parts []string
	if p.parent != "" {
		parts = append(parts, p.parent)
	} else {
		parts = append(parts, "="+subscription+"/resourceGroups/")
		if typ == "azurerm_resource_group" {
			return join(addr, obj, append(parts, "name")...)
		}
		parts = append(parts, "resource_group_name", "=/providers")
	}
	for i, s := range p.segments {
		if i%2 == 0 {
			parts = append(parts, "=/"+s+"/")
		} else {
			parts = append(parts, s)
		}
	}
	return join(addr, obj, parts...)
}

// join concatenates parts: "=text" literally, others as the string value
// of that attribute of obj.
func join(addr string, obj cty.Value, parts ...string) cty.Value {
	var b strings.Builder
	var marks []cty.ValueMarks
	known := true
	for _, part := range parts {
		if lit, ok := strings.CutPrefix(part, "="); ok {
			b.WriteString(lit)
			continue
		}
		v := cty.NullVal(cty.String)
		if obj.Type().IsObjectType() && obj.Type().HasAttribute(part) {
			v = obj.GetAttr(part)
		}
		v, m := v.Unmark()
		marks = append(marks, m)
		switch {
		case !v.IsKnown():
			known = false
		case v.IsNull() || v.Type() != cty.String:
			return unknown("the id of %s is unknown: its %s is not set to a string", addr, part)
		default:
			b.WriteString(v.AsString())
		}
	}
	if !known {
		return cty.DynamicVal.WithMarks(marks...)
	}
	return cty.StringVal(b.String())
}

// blockIDs are the nested blocks whose elements the provider gives an
// id: the child segment of the resource's ID, by block type.
var blockIDs = map[string]map[string]string{
	"azurerm_lb": {"frontend_ip_configuration": "frontendIPConfigurations"},
}

// withBlockIDs adds to each element of obj's nested blocks that have one
// (blockIDs) the id the provider would report: the resource's id, the
// segment and the element's name.
func withBlockIDs(typ string, obj cty.Value) cty.Value {
	blocks := blockIDs[typ]
	if len(blocks) == 0 || !obj.Type().IsObjectType() || !obj.IsKnown() || obj.IsNull() {
		return obj
	}
	attrs := obj.AsValueMap()
	for block, segment := range blocks {
		list, ok := attrs[block]
		if !ok || !list.IsKnown() || list.IsNull() || !list.CanIterateElements() {
			continue
		}
		var elems []cty.Value
		for _, el := range list.AsValueSlice() {
			if el.Type().IsObjectType() && !el.Type().HasAttribute("id") && el.IsKnown() && !el.IsNull() {
				m := el.AsValueMap()
				m["id"] = join("", cty.ObjectVal(map[string]cty.Value{"id": attrs["id"], "name": attrOf(el, "name")}), "id", "=/"+segment+"/", "name")
				el = cty.ObjectVal(m)
			}
			elems = append(elems, el)
		}
		if len(elems) > 0 {
			attrs[block] = cty.TupleVal(elems)
		}
	}
	return cty.ObjectVal(attrs)
}

// attrOf is obj's attribute name, null when it has none.
func attrOf(obj cty.Value, name string) cty.Value {
	if obj.Type().HasAttribute(name) {
		return obj.GetAttr(name)
	}
	return cty.NullVal(cty.String)
}
