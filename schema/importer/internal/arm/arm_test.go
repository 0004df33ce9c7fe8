package arm

import (
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
