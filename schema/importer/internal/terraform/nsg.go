package terraform

import (
	"fmt"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// Network security groups (azurerm_network_security_group with inline
// security_rule blocks, and azurerm_network_security_rule resources),
// subnets (azurerm_subnet, named VNET/SUBNET) and their associations
// (azurerm_subnet_network_security_group_association,
// azurerm_network_interface_security_group_association).

// idRef is how an ID attribute names a model object: what the object is,
// the resource type that declares one, and its model name from an ID or
// from such a resource ("" when they do not give one).
type idRef struct {
	what, typ string
	fromID    func(id string) string
	of        func(*res) string
}

var (
	subnetRef = idRef{"subnet", "azurerm_subnet", subnetOfID, subnetOf}
	groupRef  = idRef{"network security group", "azurerm_network_security_group",
		func(id string) string { return idSegment(id, "networkSecurityGroups") }, (*res).name}
)

// subnetOfID is the VNET/SUBNET name of a subnet's resource ID.
func subnetOfID(id string) string {
	return subnetName(idSegment(id, "virtualNetworks"), idSegment(id, "subnets"))
}

// subnetOf is the VNET/SUBNET name of an azurerm_subnet. While the
// virtual network's name is unknown, the address of the virtual network
// resource it refers to stands in, as a resource's address stands in for
// its unknown name (see res.name).
func subnetOf(r *res) string {
	vnet, _ := r.after.Get("virtual_network_name").Str()
	if keys := refKeys(r, "virtual_network_name", "azurerm_virtual_network"); vnet == "" && len(keys) == 1 {
		vnet = prefixOf(r) + keys[0].base
		if keys[0].index != "" {
			vnet += "[" + keys[0].index + "]"
		}
	}
	return subnetName(vnet, r.name())
}

// subnetName is the model's name of subnet of virtual network vnet; ""
// when either is unknown.
func subnetName(vnet, subnet string) string {
	if vnet == "" || subnet == "" {
		return ""
	}
	return vnet + "/" + subnet
}

// ref sets *dst, field of rd's node, to the name of the object that ID
// attribute attr of rd refers to: from the ID when it is known, else from
// the resource of ref's type that r's references name (path: attr's path in
// them). Of n blocks of r holding attr, rd is the i-th: when their
// references name n resources, the i-th is this block's. When neither
// gives a name the field is marked unknown: the ID is known only after
// apply, or it is a value lbcheck cannot read.
func (im *importer) ref(r *res, rd *reader, ref idRef, dst *string, field, attr, path string, i, n int) {
	v := rd.after.Get(attr)
	if id, ok := v.Str(); ok {
		if name := ref.fromID(id); name != "" {
			*dst = name
			rd.node.SetField(field, rd.f.KeyPos(v))
			return
		}
	}
	at := v
	if at == nil {
		at = rd.unk.Get(attr)
	}
	if keys := refKeys(r, path, ref.typ); len(keys) == 1 || len(keys) == n {
		if len(keys) == 1 {
			i = 0
		}
		if t := im.target(r, path, ref.typ, i); t != nil && ref.of(t) != "" {
			*dst = ref.of(t)
			rd.node.SetField(field, rd.f.KeyPos(at))
			return
		}
	}
	if v, known := rd.value(field, attr); known {
		got := "a " + v.Kind.String()
		if v.Kind == jsonpos.String {
			got = fmt.Sprintf("%q", v.Text)
		}
		rd.f.Unknown(rd.node, field, v, fmt.Sprintf("%s %s is neither the ID of a %s nor a reference to an %s in the input", attr, got, ref.what, ref.typ))
	}
}

// unknownIn is u, an after_unknown value, when it marks its value unknown,
// else the first element of a list it marks unknown, else nil.
func unknownIn(u *jsonpos.Value) *jsonpos.Value {
	if isTrue(u) {
		return u
	}
	for _, e := range u.Items() {
		if isTrue(e) {
			return e
		}
	}
	return nil
}

// strs reads a list the model keeps plural from Azure's singular
// attribute one (source_port_range) and plural attribute many
// (source_port_ranges): the singular's value, then the plural's elements.
// An empty string is no value, as the provider plans an inline rule's
// unset attributes; a number is the string Terraform would convert it to.
// Either attribute unknown, or an element of the plural, makes the field
// unknown.
func (rd *reader) strs(dst *[]string, field, one, many string) {
	var at *jsonpos.Value
	for _, attr := range []string{one, many} {
		v, u := rd.after.Get(attr), rd.unk.Get(attr)
		if why := unknownIn(u); why != nil {
			if v == nil {
				v = u
			}
			rd.f.Unknown(rd.node, field, v, unknownWhy(why, attr))
			*dst = nil
			return
		}
		items := v.Items()
		if !v.IsNull() && v.Kind != jsonpos.Array {
			items = []*jsonpos.Value{v}
		}
		for _, x := range items {
			s, ok := x.Str()
			if x.Kind == jsonpos.Number {
				s, ok = x.Text, true
			}
			switch {
			case !ok:
				rd.typeError(field, x, "a string")
			case s != "":
				*dst = append(*dst, s)
				if at == nil {
					at = v
				}
			}
		}
	}
	if at != nil {
		rd.node.SetField(field, rd.f.KeyPos(at))
	}
}

// securityRule reads the attributes an inline security_rule block and an
// azurerm_network_security_rule share. A side given by application
// security groups, which the model does not have, is unknown.
func securityRule(rd *reader, sr *schema.SecurityRule) {
	rd.str(&sr.Name, "name", "name")
	rd.int(&sr.Priority, "priority", "priority")
	typedStr(rd, &sr.Direction, "direction", "direction")
	typedStr(rd, &sr.Access, "access", "access")
	typedStr(rd, &sr.Protocol, "protocol", "protocol")
	rd.strs(&sr.SourceAddressPrefixes, "sourceAddressPrefixes", "source_address_prefix", "source_address_prefixes")
	rd.strs(&sr.SourcePortRanges, "sourcePortRanges", "source_port_range", "source_port_ranges")
	rd.strs(&sr.DestinationAddressPrefixes, "destinationAddressPrefixes", "destination_address_prefix", "destination_address_prefixes")
	rd.strs(&sr.DestinationPortRanges, "destinationPortRanges", "destination_port_range", "destination_port_ranges")
	for field, attr := range map[string]string{
		"sourceAddressPrefixes":      "source_application_security_group_ids",
		"destinationAddressPrefixes": "destination_application_security_group_ids",
	} {
		if v := rd.after.Get(attr); len(v.Items()) > 0 || unknownIn(rd.unk.Get(attr)) != nil {
			if v == nil {
				v = rd.unk.Get(attr)
			}
			rd.f.Unknown(rd.node, field, v, attr+": application security groups are not imported")
		}
	}
}

func (im *importer) securityGroup(r *res) {
	nsg := &schema.NetworkSecurityGroup{Name: r.name()}
	base := "networkSecurityGroups." + nsg.Name
	rd := im.reader(r, &nsg.Node, base)
	rd.str(&nsg.Name, "name", "name")
	for i := range r.after.Get("security_rule").Items() {
		sr := &schema.SecurityRule{}
		securityRule(rd.block("security_rule", i, &sr.Node, ""), sr)
		sr.SetPos(sr.Pos(), base+".securityRules."+sr.Name)
		nsg.SecurityRules = append(nsg.SecurityRules, sr)
	}
	im.nsgs[r] = nsg
	im.f.Result.Deployment.NetworkSecurityGroups = append(im.f.Result.Deployment.NetworkSecurityGroups, nsg)
}

// separateRule adds an azurerm_network_security_rule to its group, the
// one network_security_group_name refers to or names.
func (im *importer) separateRule(r *res) {
	var nsg *schema.NetworkSecurityGroup
	if t := im.target(r, "network_security_group_name", groupRef.typ, 0); t != nil {
		nsg = im.nsgs[t]
	} else if name, ok := r.after.Get("network_security_group_name").Str(); ok {
		for _, g := range im.f.Result.Deployment.NetworkSecurityGroups {
			if strings.EqualFold(g.Name, name) {
				nsg = g
			}
		}
	}
	if nsg == nil {
		im.f.Issuef(im.f.Pos(r.v), schema.RuleUnknown, "%s: network_security_group_name names no azurerm_network_security_group in the input; the rule is not checked", r.addr)
		return
	}
	sr := &schema.SecurityRule{}
	securityRule(im.reader(r, &sr.Node, "networkSecurityGroups."+nsg.Name+".securityRules."+r.name()), sr)
	nsg.SecurityRules = append(nsg.SecurityRules, sr)
}

// rulesUnknown marks unknown the rules of each group whose security_rule
// is known only after apply (the provider computes it when no inline rule
// is written) and that no azurerm_network_security_rule adds to.
func (im *importer) rulesUnknown() {
	for r, nsg := range im.nsgs {
		if u := r.unknown.Get("security_rule"); isTrue(u) && len(nsg.SecurityRules) == 0 {
			at := r.after.Get("security_rule")
			if at == nil {
				at = u
			}
			im.f.Unknown(&nsg.Node, "securityRules", at, unknownWhy(u, "security_rule"))
		}
	}
}

func (im *importer) subnet(r *res) {
	s := &schema.Subnet{}
	rd := im.reader(r, &s.Node, "")
	var vnet, name string
	rd.str(&vnet, "name", "virtual_network_name") // positions, and reasons when unknown
	rd.str(&name, "name", "name")
	s.Name = subnetOf(r)
	s.SetPos(s.Pos(), "subnets."+s.Name)
	im.f.Result.Deployment.Subnets = append(im.f.Result.Deployment.Subnets, s)
}

// subnetAssociation gives the subnet subnet_id names its network security
// group. A subnet no azurerm_subnet declares (a data source, another
// configuration's) is declared here, at the association, and combined
// with that declaration when another input has it.
func (im *importer) subnetAssociation(r *res) {
	s := &schema.Subnet{}
	im.ref(r, im.reader(r, &s.Node, ""), subnetRef, &s.Name, "name", "subnet_id", "subnet_id", 0, 1)
	if s.Name == "" {
		im.f.Issuef(im.f.Pos(r.v), schema.RuleUnknown, "%s: cannot tell which subnet this association joins; it is not checked", r.addr)
		return
	}
	d := im.f.Result.Deployment
	if old := findSubnet(d, s.Name); old != nil {
		s = old
	} else {
		s.SetPos(s.Pos(), "subnets."+s.Name)
		d.Subnets = append(d.Subnets, s)
	}
	rd := &reader{f: im.f, after: r.after, unk: r.unknown, node: &s.Node}
	im.ref(r, rd, groupRef, &s.NetworkSecurityGroup, "networkSecurityGroup", "network_security_group_id", "network_security_group_id", 0, 1)
}

func findSubnet(d *schema.Deployment, name string) *schema.Subnet {
	for _, s := range d.Subnets {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

// nicAssociation gives the NIC network_interface_id refers to (or whose
// known ID names the plan's one NIC of that name) its network security
// group.
func (im *importer) nicAssociation(r *res) {
	var nic *schema.NetworkInterface
	if t := im.target(r, "network_interface_id", "azurerm_network_interface", 0); t != nil {
		nic = im.nics[t]
	} else if id, ok := r.after.Get("network_interface_id").Str(); ok {
		if nics := im.nicsOf(id); len(nics) == 1 {
			nic = im.nics[nics[0]]
		}
	}
	if nic == nil {
		im.f.Issuef(im.f.Pos(r.v), schema.RuleUnknown, "%s: cannot tell which network interface this association joins; it is not checked", r.addr)
		return
	}
	rd := &reader{f: im.f, after: r.after, unk: r.unknown, node: &nic.Node}
	im.ref(r, rd, groupRef, &nic.NetworkSecurityGroup, "networkSecurityGroup", "network_security_group_id", "network_security_group_id", 0, 1)
}
