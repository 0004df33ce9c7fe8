package terraform

import (
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
	tu "github.com/lbcheck/lbcheck/schema/importer/internal/testutil"
)

// plan is a minimal plan with one rule; attrs are the rule's extra
// attributes.
func plan(attrs string) string {
	return `{
  "format_version": "1.2",
  "resource_changes": [
    {
      "address": "azurerm_lb.x", "mode": "managed", "type": "azurerm_lb", "name": "x",
      "change": {"actions": ["create"], "after": {"name": "lb", "sku": "Standard",
        "frontend_ip_configuration": [{"name": "fe", "private_ip_address": "10.0.0.5"}]}, "after_unknown": {"id": true}}
    },
    {
      "address": "azurerm_lb_rule.r", "mode": "managed", "type": "azurerm_lb_rule", "name": "r",
      "change": {"actions": ["create"], "after": {"name": "r", "protocol": "Tcp", "frontend_port": 80, "backend_port": 80,
        "frontend_ip_configuration_name": "fe", ` + attrs + `}, "after_unknown": {"loadbalancer_id": true, "idle_timeout_in_minutes": true}}
    }
  ],
  "configuration": {"root_module": {"resources": [
    {"address": "azurerm_lb_rule.r", "expressions": {"loadbalancer_id": {"references": ["azurerm_lb.x.id", "azurerm_lb.x"]}}}
  ]}}
}`
}

func TestFloatingIPAttributes(t *testing.T) {
	tests := []struct {
		attrs    string
		want     bool
		conflict bool
	}{
		{`"enable_floating_ip": true`, true, false},
		{`"floating_ip_enabled": true`, true, false},
		{`"floating_ip_enabled": false, "enable_floating_ip": false`, false, false},
		{`"floating_ip_enabled": false, "enable_floating_ip": true`, true, true},
		{`"floating_ip_enabled": true, "enable_floating_ip": false`, true, true},
	}
	for _, tt := range tests {
		src := plan(tt.attrs)
		r, err := Import("plan.json", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		lb := r.Deployment.LoadBalancers[0]
		if len(lb.LoadBalancingRules) != 1 {
			t.Fatalf("%s: rules = %v, issues %v", tt.attrs, lb.LoadBalancingRules, r.Issues)
		}
		rule := lb.LoadBalancingRules[0]
		if rule.EnableFloatingIP != tt.want || !rule.Has("enableFloatingIP") {
			t.Errorf("%s: enableFloatingIP = %v, want %v", tt.attrs, rule.EnableFloatingIP, tt.want)
		}
		var conflicts []string
		for _, i := range r.Issues {
			if i.Rule == schema.RuleTerraformFloatingIP {
				conflicts = append(conflicts, i.Message)
				tu.CheckPos(t, "conflict", i.Pos, tu.PosOf(t, "plan.json", []byte(src), `"enable_floating_ip"`, 1))
			}
		}
		if (len(conflicts) > 0) != tt.conflict {
			t.Errorf("%s: conflicts %v, want conflict=%v", tt.attrs, conflicts, tt.conflict)
		}
		// The idle timeout in after_unknown is marked unknown where
		// after_unknown lists it, and not reported: lint reports unknown
		// values a rule needs.
		if why, ok := rule.Unknown("idleTimeoutInMinutes"); !ok || !strings.Contains(why, "idle_timeout_in_minutes") {
			t.Errorf("%s: idle timeout unknown = %v (%q), want unknown naming idle_timeout_in_minutes", tt.attrs, ok, why)
		}
		tu.CheckPos(t, "idleTimeoutInMinutes", rule.At("idleTimeoutInMinutes"), tu.PosOf(t, "plan.json", []byte(src), `"idle_timeout_in_minutes": true`, 1))
		for _, i := range r.Issues {
			if i.Rule == schema.RuleUnknown {
				t.Errorf("%s: unknown value reported by the importer: %s", tt.attrs, i.Message)
			}
		}
	}
}

// TestModuleInstances resolves references inside a module called with
// count: configuration addresses have no module index.
func TestModuleInstances(t *testing.T) {
	src := `{
  "format_version": "1.2",
  "resource_changes": [
    {"address": "module.tier[1].azurerm_lb.this", "mode": "managed", "type": "azurerm_lb", "name": "this",
     "change": {"actions": ["create"], "after": {"name": "lb1", "frontend_ip_configuration": []}, "after_unknown": {"id": true}}},
    {"address": "module.tier[1].azurerm_lb_probe.p", "mode": "managed", "type": "azurerm_lb_probe", "name": "p",
     "change": {"actions": ["create"], "after": {"name": "probe", "port": 8080, "protocol": "Tcp"}, "after_unknown": {"loadbalancer_id": true}}}
  ],
  "configuration": {"root_module": {"module_calls": {"tier": {"module": {"resources": [
    {"address": "azurerm_lb_probe.p", "expressions": {"loadbalancer_id": {"references": ["azurerm_lb.this.id", "azurerm_lb.this"]}}}
  ]}}}}}
}`
	r, err := Import("plan.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	lbs := r.Deployment.LoadBalancers
	if len(lbs) != 1 || len(lbs[0].Probes) != 1 || lbs[0].Probes[0].Port != 8080 {
		t.Errorf("load balancers = %+v, issues %v", lbs, r.Issues)
	}
}

// TestAssociationByID joins a NIC that an association names only by its
// known ID, with no reference in the configuration (each.value, a module
// input): the pool member is the NIC of the VM that owns it.
func TestAssociationByID(t *testing.T) {
	const rg = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network"
	src := `{
  "format_version": "1.2",
  "resource_changes": [
    {"address": "azurerm_lb.x", "type": "azurerm_lb", "name": "x",
     "change": {"actions": ["create"], "after": {"name": "lb", "sku": "Standard",
       "frontend_ip_configuration": [{"name": "fe", "private_ip_address": "10.0.0.5"}]}}},
    {"address": "azurerm_lb_backend_address_pool.p", "type": "azurerm_lb_backend_address_pool", "name": "p",
     "change": {"actions": ["create"], "after": {"name": "pool", "loadbalancer_id": "` + rg + `/loadBalancers/lb"}}},
    {"address": "azurerm_network_interface.n[\"sql-1\"]", "type": "azurerm_network_interface", "name": "n", "index": "sql-1",
     "change": {"actions": ["create"], "after": {"name": "sql-1-nic",
       "ip_configuration": [{"name": "ipconfig1", "private_ip_address": "10.0.0.4"}]}}},
    {"address": "azurerm_windows_virtual_machine.v[\"sql-1\"]", "type": "azurerm_windows_virtual_machine", "name": "v", "index": "sql-1",
     "change": {"actions": ["create"], "after": {"name": "sql-1"}, "after_unknown": {"network_interface_ids": true}}},
    {"address": "module.ilb.azurerm_network_interface_backend_address_pool_association.this[\"sql-1\"]",
     "type": "azurerm_network_interface_backend_address_pool_association", "name": "this", "index": "sql-1",
     "change": {"actions": ["create"], "after": {"network_interface_id": "` + rg + `/networkInterfaces/sql-1-nic",
       "ip_configuration_name": "ipconfig1", "backend_address_pool_id": "` + rg + `/loadBalancers/lb/backendAddressPools/pool"}}}
  ],
  "configuration": {"root_module": {"resources": [
    {"address": "azurerm_windows_virtual_machine.v", "expressions": {"network_interface_ids": {"references": ["azurerm_network_interface.n", "each.key"]}}}
  ]}}
}`
	r, err := Import("plan.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	pools := r.Deployment.LoadBalancers[0].BackendAddressPools
	if len(pools) != 1 || len(pools[0].Members) != 1 {
		t.Fatalf("pools %+v, issues %v", pools, r.Issues)
	}
	if m := pools[0].Members[0]; m.VM != "sql-1" || m.NetworkInterface != "sql-1-nic" || m.IPConfiguration != "ipconfig1" {
		t.Errorf("member %s/%s/%s, want sql-1/sql-1-nic/ipconfig1", m.VM, m.NetworkInterface, m.IPConfiguration)
	}
}

func TestNotAPlan(t *testing.T) {
	_, err := Import("x.json", []byte(`{"resources": []}`))
	if err == nil || !strings.Contains(err.Error(), "terraform show -json") {
		t.Errorf("err = %v, want a hint to terraform show -json", err)
	}
}

// FuzzImport checks that no plan makes the importer panic.
func FuzzImport(f *testing.F) {
	f.Add([]byte(plan(`"enable_floating_ip": true, "floating_ip_enabled": false, "backend_address_pool_ids": ["/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/loadBalancers/lb/backendAddressPools/p"]`)))
	f.Add([]byte(`{"format_version": "1.0", "planned_values": {"root_module": {"resources": [{"address": "azurerm_network_interface.n[\"a\"]", "type": "azurerm_network_interface", "values": {"name": "n", "ip_configuration": [{"name": "c"}, {"name": "d", "primary": true}]}}], "child_modules": [{"resources": []}]}}}`))
	f.Add([]byte(`{"format_version": "1.2", "resource_changes": [{"address": "azurerm_network_interface_backend_address_pool_association.a[0]", "type": "azurerm_network_interface_backend_address_pool_association", "change": {"after": {"ip_configuration_name": "c"}, "after_unknown": {"network_interface_id": true}}}], "configuration": {"root_module": {"module_calls": {"m": {"module": {"resources": [{"address": "x", "expressions": {"a": [{"b": {"references": ["azurerm_lb.y[\"k\"]"]}}]}}]}}}}}}`))
	f.Add([]byte(vmssPlan(ssh99, web("3"), webConfig)))
	f.Add([]byte(groupsPlan))
	for _, src := range rulePlans(`"source_address_prefixes": ["10.0.0.0/8", null]`, `"source_address_prefixes": [false, true]`) {
		f.Add([]byte(src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		r, err := Import("f.json", src)
		if err == nil && r.Deployment == nil {
			t.Fatal("nil deployment without error")
		}
	})
}
