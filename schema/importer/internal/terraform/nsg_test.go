package terraform

import (
	"slices"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
	tu "github.com/lbcheck/lbcheck/schema/importer/internal/testutil"
)

// netID is the ID of a Microsoft.Network resource in resource group g.
func netID(path string) string {
	return "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/" + path
}

// rulePlans are plans with the security rule "r" (Tcp from any port to
// port 80) whose source address attributes are attrs, and whose
// after_unknown holds unknown: inline, as the provider plans a
// security_rule block (every attribute known present, unset strings ""),
// and as an azurerm_network_security_rule (unset attributes absent).
func rulePlans(attrs, unknown string) map[string]string {
	const rule = `"name": "r", "priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
        "source_port_range": "*", "destination_port_range": "80", "destination_address_prefix": "*"`
	inlineAttrs := attrs
	for attr, unset := range map[string]string{"source_address_prefix": `""`, "source_address_prefixes": "[]", "source_application_security_group_ids": "[]"} {
		if !strings.Contains(attrs+unknown, `"`+attr+`"`) { // an unknown attribute is not in after
			inlineAttrs += `, "` + attr + `": ` + unset
		}
	}
	return map[string]string{
		"inline": `{"format_version": "1.2", "resource_changes": [
    ` + change("azurerm_network_security_group.nsg", `"name": "nsg", "security_rule": [{`+rule+`, `+inlineAttrs+`}]`,
			`"id": true, "security_rule": [{`+unknown+`}]`) + `]}`,
		"separate": `{"format_version": "1.2", "resource_changes": [
    ` + change("azurerm_network_security_group.nsg", `"name": "nsg", "security_rule": []`, `"id": true`) + `,
    ` + change("azurerm_network_security_rule.r", rule+`, "network_security_group_name": "nsg", `+attrs, `"id": true, `+unknown) + `]}`,
	}
}

// TestSecurityRuleAttributes folds Azure's singular and plural address
// attributes into the model's plural list, positioned at the first one
// set; an unknown one, or application security groups, make it unknown.
func TestSecurityRuleAttributes(t *testing.T) {
	asg := netID("applicationSecurityGroups/web")
	tests := []struct {
		name, attrs, unknown string
		want                 []string
		at                   string // the key the field is positioned at
		why                  string // what an unknown field's reason says
	}{
		{name: "singular", attrs: `"source_address_prefix": "AzureLoadBalancer"`,
			want: []string{"AzureLoadBalancer"}, at: `"source_address_prefix": "AzureLoadBalancer"`},
		{name: "plural", attrs: `"source_address_prefixes": ["10.0.0.0/8", "192.168.1.4"]`,
			want: []string{"10.0.0.0/8", "192.168.1.4"}, at: `"source_address_prefixes": [`},
		{name: "both", attrs: `"source_address_prefix": "VirtualNetwork", "source_address_prefixes": ["10.0.0.0/8"]`,
			want: []string{"VirtualNetwork", "10.0.0.0/8"}, at: `"source_address_prefix": "VirtualNetwork"`},
		{name: "unknown", attrs: `"source_address_prefix": "x"`, unknown: `"source_address_prefixes": true`,
			at: `"source_address_prefixes": true`, why: "source_address_prefixes is known only after apply"},
		{name: "unknown element", attrs: `"source_address_prefixes": ["10.0.0.0/8", null]`, unknown: `"source_address_prefixes": [false, true]`,
			at: `"source_address_prefixes": ["10.0.0.0/8", null]`, why: "source_address_prefixes is known only after apply"},
		{name: "application security groups", attrs: `"source_application_security_group_ids": ["` + asg + `"]`,
			at: `"source_application_security_group_ids": ["`, why: "application security groups are not imported"},
		{name: "none", attrs: `"description": ""`},
	}
	for _, tt := range tests {
		for form, src := range rulePlans(tt.attrs, tt.unknown) {
			name := tt.name + ", " + form
			r, err := Import("plan.json", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			nsgs := r.Deployment.NetworkSecurityGroups
			if len(nsgs) != 1 || len(nsgs[0].SecurityRules) != 1 {
				t.Fatalf("%s: groups %+v, issues %v", name, nsgs, r.Issues)
			}
			sr := nsgs[0].SecurityRules[0]
			if sr.Name != "r" || sr.Priority != 100 || sr.Direction != schema.DirectionInbound || sr.Access != schema.AccessAllow ||
				sr.Protocol != schema.SecurityTcp || !slices.Equal(sr.SourcePortRanges, []string{"*"}) ||
				!slices.Equal(sr.DestinationPortRanges, []string{"80"}) || !slices.Equal(sr.DestinationAddressPrefixes, []string{"*"}) {
				t.Errorf("%s: rule %+v", name, sr)
			}
			if sr.Path() != "networkSecurityGroups.nsg.securityRules.r" {
				t.Errorf("%s: path %s", name, sr.Path())
			}
			why, unknown := sr.Unknown("sourceAddressPrefixes")
			switch {
			case tt.why != "" && (!unknown || !strings.Contains(why, tt.why)):
				t.Errorf("%s: sourceAddressPrefixes unknown %v (%q), want unknown: %q", name, unknown, why, tt.why)
			case tt.why == "" && (unknown || !slices.Equal(sr.SourceAddressPrefixes, tt.want)):
				t.Errorf("%s: sourceAddressPrefixes %q (unknown %v), want %q", name, sr.SourceAddressPrefixes, unknown, tt.want)
			}
			if tt.at == "" {
				if sr.Has("sourceAddressPrefixes") {
					t.Errorf("%s: sourceAddressPrefixes written at %v, want unwritten", name, sr.At("sourceAddressPrefixes"))
				}
			} else {
				tu.CheckPos(t, name+": sourceAddressPrefixes", sr.At("sourceAddressPrefixes"), tu.PosOf(t, "plan.json", []byte(src), tt.at, 1))
			}
			if len(r.Issues) != 0 {
				t.Errorf("%s: issues %v", name, r.Issues)
			}
		}
	}
}

// groupsPlan has the groups web-nsg (an inline rule), app-nsg (no inline
// rule: security_rule is known only after apply, and a separate rule adds
// one) and bare-nsg (no rule at all); the subnet vnet/web, associated with
// web-nsg through references whose IDs are unknown; hub/shared, which
// only an association with a known subnet ID declares; NIC web-nic in
// vnet/web (by reference) associated with app-nsg, NIC hub-nic in
// hub/shared (by ID); a rule of a group the plan lacks, and an association
// whose NIC it lacks.
var groupsPlan = `{
  "format_version": "1.2",
  "resource_changes": [
    ` + change("azurerm_network_security_group.web", `"name": "web-nsg", "security_rule": [{"name": "allow-lb", "priority": 100,
        "direction": "Inbound", "access": "Allow", "protocol": "*", "source_address_prefix": "AzureLoadBalancer", "source_address_prefixes": [],
        "source_port_range": "*", "source_port_ranges": [], "destination_address_prefix": "*", "destination_address_prefixes": [],
        "destination_port_range": "", "destination_port_ranges": ["80", "8000-8999"]}]`, `"id": true`) + `,
    ` + change("azurerm_network_security_group.app", `"name": "app-nsg"`, `"id": true, "security_rule": true`) + `,
    ` + change("azurerm_network_security_group.bare", `"name": "bare-nsg"`, `"id": true, "security_rule": true`) + `,
    ` + change("azurerm_network_security_rule.deny", `"name": "deny-all", "priority": 4096, "direction": "Inbound", "access": "Deny",
        "protocol": "*", "source_address_prefix": "*", "source_port_range": "*", "destination_address_prefix": "*",
        "destination_port_range": "*", "resource_group_name": "g"`, `"id": true, "network_security_group_name": true`) + `,
    ` + change("azurerm_network_security_rule.elsewhere", `"name": "x", "priority": 200, "network_security_group_name": "other-nsg"`, `"id": true`) + `,
    ` + change("azurerm_subnet.web", `"name": "web", "virtual_network_name": "vnet"`, `"id": true`) + `,
    ` + change("azurerm_subnet_network_security_group_association.web", ``, `"id": true, "subnet_id": true, "network_security_group_id": true`) + `,
    ` + change("azurerm_subnet_network_security_group_association.shared", `"subnet_id": "`+netID("virtualNetworks/hub/subnets/shared")+`",
        "network_security_group_id": "`+netID("networkSecurityGroups/app-nsg")+`"`, `"id": true`) + `,
    ` + change("azurerm_network_interface.web", `"name": "web-nic", "ip_configuration": [{"name": "ipconfig1", "private_ip_address": "10.0.1.4"}]`,
	`"id": true, "ip_configuration": [{"subnet_id": true}]`) + `,
    ` + change("azurerm_network_interface.hub", `"name": "hub-nic", "ip_configuration": [{"name": "ipconfig1", "private_ip_address": "10.1.0.4",
        "subnet_id": "`+netID("virtualNetworks/hub/subnets/shared")+`"}]`, `"id": true`) + `,
    ` + change("azurerm_network_interface_security_group_association.web", ``, `"id": true, "network_interface_id": true, "network_security_group_id": true`) + `,
    ` + change("azurerm_network_interface_security_group_association.gone", `"network_interface_id": "`+netID("networkInterfaces/gone-nic")+`",
        "network_security_group_id": "`+netID("networkSecurityGroups/web-nsg")+`"`, `"id": true`) + `
  ],
  "configuration": {"root_module": {"resources": [
    {"address": "azurerm_network_security_rule.deny", "expressions": {"network_security_group_name": {"references": ["azurerm_network_security_group.app.name", "azurerm_network_security_group.app"]}}},
    {"address": "azurerm_subnet_network_security_group_association.web", "expressions": {
      "subnet_id": {"references": ["azurerm_subnet.web.id", "azurerm_subnet.web"]},
      "network_security_group_id": {"references": ["azurerm_network_security_group.web.id", "azurerm_network_security_group.web"]}}},
    {"address": "azurerm_network_interface.web", "expressions": {"ip_configuration": [{"subnet_id": {"references": ["azurerm_subnet.web.id", "azurerm_subnet.web"]}}]}},
    {"address": "azurerm_network_interface_security_group_association.web", "expressions": {
      "network_interface_id": {"references": ["azurerm_network_interface.web.id", "azurerm_network_interface.web"]},
      "network_security_group_id": {"references": ["azurerm_network_security_group.app.id", "azurerm_network_security_group.app"]}}}
  ]}}
}`

// TestSecurityGroupsAndSubnets reads groups with inline and separate
// rules, subnets and both kinds of association from a plan.
func TestSecurityGroupsAndSubnets(t *testing.T) {
	src := []byte(groupsPlan)
	r, err := Import("plan.json", src)
	if err != nil {
		t.Fatal(err)
	}
	d := r.Deployment
	at := func(addr, text string) schema.Pos {
		return tu.PosAfter(t, "plan.json", src, `"address": "`+addr+`"`, text)
	}
	entry := func(addr string) schema.Pos { return tu.PosOf(t, "plan.json", src, `{"address": "`+addr+`"`, 1) }
	var groups []string
	for _, g := range d.NetworkSecurityGroups {
		var rules []string
		for _, sr := range g.SecurityRules {
			rules = append(rules, sr.Name)
		}
		groups = append(groups, g.Name+"["+strings.Join(rules, " ")+"]")
	}
	if got := strings.Join(groups, " "); got != "web-nsg[allow-lb] app-nsg[deny-all] bare-nsg[]" {
		t.Fatalf("groups %s, want web-nsg[allow-lb] app-nsg[deny-all] bare-nsg[]", got)
	}
	lb := d.NetworkSecurityGroups[0].SecurityRules[0]
	if lb.Protocol != schema.SecurityAny || !slices.Equal(lb.DestinationPortRanges, []string{"80", "8000-8999"}) {
		t.Errorf("allow-lb %+v", lb)
	}
	tu.CheckPos(t, "allow-lb destinationPortRanges", lb.At("destinationPortRanges"), at("azurerm_network_security_group.web", `"destination_port_ranges"`))
	deny := d.NetworkSecurityGroups[1].SecurityRules[0]
	if deny.Priority != 4096 || deny.Access != schema.AccessDeny || deny.Path() != "networkSecurityGroups.app-nsg.securityRules.deny-all" {
		t.Errorf("deny-all %+v at %s", deny, deny.Path())
	}
	tu.CheckPos(t, "deny-all priority", deny.At("priority"), at("azurerm_network_security_rule.deny", `"priority"`))
	if _, unknown := d.NetworkSecurityGroups[1].Unknown("securityRules"); unknown {
		t.Error("app-nsg's rules unknown, want those of its azurerm_network_security_rule")
	}
	bare := d.NetworkSecurityGroups[2]
	if why, unknown := bare.Unknown("securityRules"); !unknown || !strings.Contains(why, "security_rule is known only after apply") {
		t.Errorf("bare-nsg's rules unknown %v (%q), want known only after apply", unknown, why)
	}
	tu.CheckPos(t, "bare-nsg securityRules", bare.At("securityRules"), at("azurerm_network_security_group.bare", `"security_rule": true`))

	var subnets []string
	for _, s := range d.Subnets {
		subnets = append(subnets, s.Name+":"+s.NetworkSecurityGroup)
	}
	if got := strings.Join(subnets, " "); got != "vnet/web:web-nsg hub/shared:app-nsg" {
		t.Fatalf("subnets %s, want vnet/web:web-nsg hub/shared:app-nsg", got)
	}
	web, shared := d.Subnets[0], d.Subnets[1]
	tu.CheckPos(t, "vnet/web", web.Pos(), entry("azurerm_subnet.web"))
	tu.CheckPos(t, "vnet/web name", web.At("name"), at("azurerm_subnet.web", `"name": "web", "virtual_network_name"`))
	tu.CheckPos(t, "vnet/web networkSecurityGroup", web.At("networkSecurityGroup"),
		at("azurerm_subnet_network_security_group_association.web", `"network_security_group_id": true`))
	tu.CheckPos(t, "hub/shared", shared.At("name"), at("azurerm_subnet_network_security_group_association.shared", `"subnet_id"`))
	tu.CheckPos(t, "hub/shared networkSecurityGroup", shared.At("networkSecurityGroup"),
		at("azurerm_subnet_network_security_group_association.shared", `"network_security_group_id"`))

	webNIC, hubNIC := d.VMs[0].NetworkInterfaces[0], d.VMs[1].NetworkInterfaces[0]
	if c := webNIC.IPConfigurations[0]; c.Subnet != "vnet/web" || webNIC.NetworkSecurityGroup != "app-nsg" {
		t.Errorf("web-nic in %q with %q, want vnet/web with app-nsg", c.Subnet, webNIC.NetworkSecurityGroup)
	}
	tu.CheckPos(t, "web-nic subnet", webNIC.IPConfigurations[0].At("subnet"), at("azurerm_network_interface.web", `"subnet_id": true`))
	tu.CheckPos(t, "web-nic networkSecurityGroup", webNIC.At("networkSecurityGroup"),
		at("azurerm_network_interface_security_group_association.web", `"network_security_group_id": true`))
	if c := hubNIC.IPConfigurations[0]; c.Subnet != "hub/shared" || hubNIC.Has("networkSecurityGroup") {
		t.Errorf("hub-nic in %q with %q, want hub/shared without a group", c.Subnet, hubNIC.NetworkSecurityGroup)
	}

	var issues []string
	for _, i := range r.Issues {
		issues = append(issues, i.Pos.String()+" "+i.Rule+" "+i.Message)
	}
	want := []string{
		entry("azurerm_network_security_rule.elsewhere").String() + " LB0010 azurerm_network_security_rule.elsewhere: network_security_group_name names no azurerm_network_security_group in the input; the rule is not checked",
		entry("azurerm_network_interface_security_group_association.gone").String() + " LB0010 azurerm_network_interface_security_group_association.gone: cannot tell which network interface this association joins; it is not checked",
	}
	if !slices.Equal(issues, want) {
		t.Errorf("issues:\n%s\nwant:\n%s", strings.Join(issues, "\n"), strings.Join(want, "\n"))
	}
	if got := schema.Resolve(d); len(got) != 0 {
		t.Errorf("reference check: %v", got)
	}
}
