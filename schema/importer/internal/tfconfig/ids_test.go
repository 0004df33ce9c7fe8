package tfconfig

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// TestResourceIDs synthesizes the IDs of the network security group
// resources as the provider documents them.
func TestResourceIDs(t *testing.T) {
	const rg = subscription + "/resourceGroups/rg/providers/Microsoft.Network"
	str := cty.StringVal
	tests := []struct {
		typ   string
		attrs map[string]cty.Value
		want  string
	}{
		{"azurerm_network_security_rule",
			map[string]cty.Value{"resource_group_name": str("rg"), "network_security_group_name": str("web-nsg"), "name": str("allow-lb")},
			rg + "/networkSecurityGroups/web-nsg/securityRules/allow-lb"},
		{"azurerm_subnet_network_security_group_association",
			map[string]cty.Value{"subnet_id": str(rg + "/virtualNetworks/v/subnets/web"), "network_security_group_id": str(rg + "/networkSecurityGroups/web-nsg")},
			rg + "/virtualNetworks/v/subnets/web"},
		{"azurerm_network_interface_security_group_association",
			map[string]cty.Value{"network_interface_id": str(rg + "/networkInterfaces/nic"), "network_security_group_id": str(rg + "/networkSecurityGroups/web-nsg")},
			rg + "/networkInterfaces/nic|" + rg + "/networkSecurityGroups/web-nsg"},
	}
	for _, tt := range tests {
		got := resourceID(tt.typ, tt.typ+".x", cty.ObjectVal(tt.attrs))
		if !got.IsKnown() || got.AsString() != tt.want {
			t.Errorf("%s: id %#v, want %s", tt.typ, got, tt.want)
		}
	}
	unknown := resourceID("azurerm_network_security_rule", "azurerm_network_security_rule.x",
		cty.ObjectVal(map[string]cty.Value{"resource_group_name": str("rg"), "network_security_group_name": cty.UnknownVal(cty.String), "name": str("r")}))
	if unknown.IsKnown() {
		t.Errorf("id %#v with an unknown group name, want unknown", unknown)
	}
}
