package arm

import (
	"fmt"
	"strings"
	"testing"
)

func TestSkipsExistingAndConditionalResources(t *testing.T) {
	src := `{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "languageVersion": "2.0",
  "parameters": {"deployNat": {"type": "bool", "defaultValue": false}},
  "resources": {
    "lb": {"type": "Microsoft.Network/loadBalancers", "name": "lb", "properties": {"probes": [{"name": "p", "properties": {"port": 80}}]}},
    "old": {"type": "Microsoft.Network/loadBalancers", "name": "shared-lb", "existing": true},
    "nat": {"type": "Microsoft.Network/loadBalancers/inboundNatRules", "name": "lb/ssh", "condition": "[parameters('deployNat')]", "properties": {"frontendPort": 22}}
  }
}`
	r, err := Import("main.json", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := r.Deployment
	if len(d.LoadBalancers) != 1 || d.LoadBalancers[0].Name != "lb" || len(d.LoadBalancers[0].InboundNatRules) != 0 {
		t.Errorf("load balancers = %+v", d.LoadBalancers)
	}
	if p := d.LoadBalancers[0].Probe("p"); p == nil || p.Port != 80 {
		t.Errorf("probe = %+v", p)
	}
	r, err = Import("main.json", []byte(src), Options{Parameters: []byte(`{"parameters": {"deployNat": {"value": true}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Deployment.LoadBalancers[0].InboundNatRules); n != 1 {
		t.Errorf("with deployNat=true: %d NAT rules, want 1", n)
	}
}

// FuzzImport checks that no template or az output makes the importer panic
// or loop: every input imports or is an error.
func FuzzImport(f *testing.F) {
	f.Add([]byte(`{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
	  "parameters": {"n": {"type": "int", "defaultValue": 2}},
	  "variables": {"a": "[concat(variables('a'), variables('a'))]", "copy": [{"name": "v", "count": 2, "input": "[copyIndex('v')]"}]},
	  "resources": [{"type": "Microsoft.Network/loadBalancers", "name": "[variables('a')]", "copy": {"name": "c", "count": "[parameters('n')]"},
	    "properties": {"loadBalancingRules": [{"name": "r", "properties": {"frontendPort": "[add(1, copyIndex())]", "enableFloatingIP": "[format('{0}', true)]"}}],
	      "copy": [{"name": "probes", "count": 2, "input": {"name": "[string(copyIndex('probes'))]"}}]},
	    "resources": [{"type": "inboundNatRules", "name": "x", "properties": {"frontendPort": 1}}]},
	    {"type": "Microsoft.Resources/deployments", "name": "d", "properties": {"expressionEvaluationOptions": {"scope": "inner"},
	      "parameters": {"p": {"value": 1}}, "template": {"parameters": {"p": {"type": "int"}}, "resources": [{"type": "Microsoft.Compute/virtualMachineScaleSets", "name": "s", "sku": {"capacity": "[parameters('p')]"}}]}}}]}`))
	f.Add([]byte(`[{"type": "Microsoft.Network/networkInterfaces", "name": "n", "ipConfigurations": [{"name": "c", "loadBalancerBackendAddressPools": [{"id": "/x/loadBalancers/l/backendAddressPools/p"}]}]},
	  {"type": "Microsoft.Network/loadBalancers", "name": "l", "backendAddressPools": [{"name": "p", "backendIPConfigurations": [{"id": "/networkInterfaces/n/ipConfigurations/c"}]}]}]`))
	f.Add([]byte(`{"type": "Microsoft.Network/loadBalancers", "name": "x", "properties": {"frontendIPConfigurations": [{"name": "f", "properties": {"publicIPAddress": {"id": 5}}}]}}`))
	f.Fuzz(func(t *testing.T, src []byte) {
		r, err := Import("f.json", src, Options{Parameters: src})
		if err == nil && r.Deployment == nil {
			t.Fatal("nil deployment without error")
		}
	})
}

// TestLeftOut checks that load balancers inside a resource that is not
// deployed (a nested deployment whose condition is false, a copy loop of
// count 0) are accounted for as not deployed.
func TestLeftOut(t *testing.T) {
	src := `{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "resources": [
    {"type": "Microsoft.Resources/deployments", "name": "off", "condition": "[equals(1, 2)]",
     "properties": {"template": {"resources": [{"type": "Microsoft.Network/loadBalancers", "name": "inner-lb"}]}}},
    {"type": "Microsoft.Network/loadBalancers", "name": "[concat('none-', copyIndex())]", "copy": {"name": "c", "count": 0}}
  ]
}`
	r, err := Import("main.json", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range r.NotDeployed {
		got = append(got, fmt.Sprintf("%s %d", d.Type, d.Pos.Line))
	}
	want := []string{"microsoft.network/loadbalancers 5", "microsoft.network/loadbalancers 6"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") || len(r.Deployment.LoadBalancers) != 0 {
		t.Errorf("not deployed = %v, imported %d; want %v and none imported", got, len(r.Deployment.LoadBalancers), want)
	}
}
