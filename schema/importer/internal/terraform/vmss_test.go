package terraform

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
	tu "github.com/lbcheck/lbcheck/schema/importer/internal/testutil"
)

// change is a resource_changes entry creating resource addr.
func change(addr, after, unknown string) string {
	typ, name, _ := strings.Cut(addr, ".")
	return fmt.Sprintf(`{"address": %q, "mode": "managed", "type": %q, "name": %q,
      "change": {"actions": ["create"], "after": {%s}, "after_unknown": {%s}}}`, addr, typ, name, after, unknown)
}

// lbID is the ID of a child of load balancer lb.
func lbID(lb, child string) string {
	return "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/loadBalancers/" + lb + "/" + child
}

// vmssPlan is a plan with load balancer lb (frontend fe), its backend pool
// "pool" and NAT pool "ssh" (from port 50000 to 22; natPool: more of its
// attributes), and the resources of scaleSets; config lists the
// configuration's resources besides the pools' (their references).
func vmssPlan(natPool, scaleSets, config string) string {
	return `{
  "format_version": "1.2",
  "resource_changes": [
    ` + change("azurerm_lb.lb", `"name": "lb", "sku": "Standard", "frontend_ip_configuration": [{"name": "fe", "private_ip_address": "10.0.0.4"}]`, `"id": true`) + `,
    ` + change("azurerm_lb_backend_address_pool.pool", `"name": "pool"`, `"id": true, "loadbalancer_id": true`) + `,
    ` + change("azurerm_lb_nat_pool.ssh", `"name": "ssh", "protocol": "Tcp", "frontend_ip_configuration_name": "fe",
        "frontend_port_start": 50000, "backend_port": 22`+natPool, `"id": true, "loadbalancer_id": true`) + `,
    ` + scaleSets + `
  ],
  "configuration": {"root_module": {"resources": [
    {"address": "azurerm_lb_backend_address_pool.pool", "expressions": {"loadbalancer_id": {"references": ["azurerm_lb.lb.id", "azurerm_lb.lb"]}}},
    {"address": "azurerm_lb_nat_pool.ssh", "expressions": {"loadbalancer_id": {"references": ["azurerm_lb.lb.id", "azurerm_lb.lb"]}}}` + config + `
  ]}}
}`
}

// ssh99 ends the NAT pool's range at port 50099.
const ssh99 = `, "frontend_port_end": 50099`

// webNICs are network_interface blocks of a scale set: nic, with IP
// configurations primary (in the pool and the NAT pool) and secondary (in
// the pool), whose ID lists are unknown (the plan creates the pools).
const webNICs = `"network_interface": [{"name": "nic", "primary": true, "ip_configuration": [
        {"name": "primary", "primary": true, "subnet_id": "/subnets/s"},
        {"name": "secondary", "subnet_id": "/subnets/s"}]}]`

const webNICsUnknown = `"network_interface": [{"ip_configuration": [
        {"load_balancer_backend_address_pool_ids": true, "load_balancer_inbound_nat_rules_ids": true},
        {"load_balancer_backend_address_pool_ids": true}]}]`

// webConfig is web's configuration: the pools' references.
const webConfig = `,
    {"address": "azurerm_linux_virtual_machine_scale_set.web", "expressions": {"network_interface": [{"ip_configuration": [
      {"load_balancer_backend_address_pool_ids": {"references": ["azurerm_lb_backend_address_pool.pool.id", "azurerm_lb_backend_address_pool.pool"]},
       "load_balancer_inbound_nat_rules_ids": {"references": ["azurerm_lb_nat_pool.ssh.id", "azurerm_lb_nat_pool.ssh"]}},
      {"load_balancer_backend_address_pool_ids": {"references": ["azurerm_lb_backend_address_pool.pool.id", "azurerm_lb_backend_address_pool.pool"]}}]}]}}`

// web is a Linux scale set of instances (a JSON value) with webNICs.
func web(instances string) string {
	return change("azurerm_linux_virtual_machine_scale_set.web", `"name": "web", "instances": `+instances+`, `+webNICs, webNICsUnknown)
}

func natRule(lb *schema.LoadBalancer, name string) *schema.NatRule {
	for _, r := range lb.InboundNatRules {
		if r.Name == name {
			return r
		}
	}
	return nil
}

func vmNames(d *schema.Deployment) []string {
	var names []string
	for _, vm := range d.VMs {
		names = append(names, vm.Name)
	}
	return names
}

// issuesOf lists the messages of the issues of rule.
func issuesOf(r *build.Result, rule string) []schema.Issue {
	var is []schema.Issue
	for _, i := range r.Issues {
		if i.Rule == rule {
			is = append(is, i)
		}
	}
	return is
}

func TestScaleSets(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, src []byte, r *build.Result)
	}{{
		name: "instances in the pool and the NAT pool, through configuration references",
		src:  vmssPlan(ssh99, web("3"), webConfig),
		check: func(t *testing.T, src []byte, r *build.Result) {
			d := r.Deployment
			if got := strings.Join(vmNames(d), " "); got != "web_0 web_1 web_2" {
				t.Fatalf("VMs %s, want web_0 web_1 web_2", got)
			}
			lb := d.LoadBalancers[0]
			if n := len(lb.Pool("pool").Members); n != 6 {
				t.Fatalf("pool has %d members, want 3 instances x 2 IP configurations", n)
			}
			m := lb.Pool("pool").Members[5]
			if m.VM != "web_2" || m.NetworkInterface != "nic" || m.IPConfiguration != "secondary" {
				t.Errorf("last member %+v, want web_2/nic/secondary", m)
			}
			tu.CheckPos(t, "member", m.Pos(), tu.PosOf(t, "plan.json", src, `"load_balancer_backend_address_pool_ids": true`, 2))
			nr := natRule(lb, "ssh.2")
			if nr == nil || nr.FrontendPort != 50002 || nr.BackendPort != 22 || nr.FrontendIPConfiguration != "fe" || nr.Protocol != "Tcp" ||
				nr.Target == nil || nr.Target.VM != "web_2" || nr.Target.IPConfiguration != "primary" {
				t.Fatalf("NAT rule ssh.2 = %+v, NAT rules %v", nr, lb.InboundNatRules)
			}
			if len(lb.InboundNatRules) != 3 {
				t.Errorf("%d NAT rules, want one per instance", len(lb.InboundNatRules))
			}
			tu.CheckPos(t, "ssh.2 frontendPort", nr.At("frontendPort"), tu.PosOf(t, "plan.json", src, `"frontend_port_start"`, 1))
			tu.CheckPos(t, "ssh.2 target", nr.At("target"), tu.PosOf(t, "plan.json", src, `"load_balancer_inbound_nat_rules_ids": true`, 1))
			nic := d.VM("web_1").NetworkInterfaces[0]
			c0, c1 := nic.IPConfigurations[0], nic.IPConfigurations[1]
			if !c0.Primary || c1.Primary {
				t.Errorf("primary = %v, %v; want the primary IP configuration only", c0.Primary, c1.Primary)
			}
			if why, ok := c1.Unknown("privateIPAddress"); !ok || !strings.Contains(why, "allocated by Azure") {
				t.Errorf("secondary private IP unknown = %v (%q), want allocated by Azure", ok, why)
			}
			if len(r.Issues) != 0 || len(r.Pending) != 0 {
				t.Errorf("issues %v, pending %v", r.Issues, r.Pending)
			}
		},
	}, {
		name: "known IDs",
		src: vmssPlan(ssh99, change("azurerm_windows_virtual_machine_scale_set.web", `"name": "web", "instances": 1, "network_interface": [{"name": "nic",
        "ip_configuration": [{"name": "ip", "load_balancer_backend_address_pool_ids": ["`+lbID("lb", "backendAddressPools/pool")+`"],
          "load_balancer_inbound_nat_rules_ids": ["`+lbID("lb", "inboundNatPools/ssh")+`"]}]}]`, ""), ""),
		check: func(t *testing.T, src []byte, r *build.Result) {
			lb := r.Deployment.LoadBalancers[0]
			if ms := lb.Pool("pool").Members; len(ms) != 1 || ms[0].VM != "web_0" || ms[0].IPConfiguration != "ip" {
				t.Errorf("members %+v, want web_0/nic/ip", ms)
			}
			nr := natRule(lb, "ssh.0")
			if nr == nil || nr.FrontendPort != 50000 || nr.Target == nil || nr.Target.VM != "web_0" {
				t.Fatalf("NAT rule ssh.0 = %+v", nr)
			}
			tu.CheckPos(t, "target", nr.At("target"), tu.PosOf(t, "plan.json", src, `"`+lbID("lb", "inboundNatPools/ssh"), 1))
			if c := r.Deployment.VM("web_0").NetworkInterfaces[0].IPConfigurations[0]; !c.Primary {
				t.Errorf("the only IP configuration is not primary")
			}
			if len(r.Issues) != 0 {
				t.Errorf("issues %v", r.Issues)
			}
		},
	}, {
		name: "instances beyond the NAT pool's range",
		src:  vmssPlan(`, "frontend_port_end": 50001`, web("5"), webConfig),
		check: func(t *testing.T, src []byte, r *build.Result) {
			lb := r.Deployment.LoadBalancers[0]
			if len(lb.InboundNatRules) != 2 || natRule(lb, "ssh.2") != nil {
				t.Errorf("NAT rules %v, want ssh.0 and ssh.1", lb.InboundNatRules)
			}
			is := issuesOf(r, schema.RuleSchema)
			if len(is) != 1 || !strings.Contains(is[0].Message, "ports 50000-50001 are too few for scale set web: instance 2 and every later one") {
				t.Fatalf("issues %v, want one, for instances 2 to 4", r.Issues)
			}
			tu.CheckPos(t, "issue", is[0].Pos, tu.PosOf(t, "plan.json", src, `"frontend_port_end": 50001`, 1))
		},
	}, {
		name: "capacity unknown: 2 instances",
		src: vmssPlan(ssh99, change("azurerm_linux_virtual_machine_scale_set.web", `"name": "web", `+webNICs,
			`"instances": true, `+webNICsUnknown), webConfig),
		check: func(t *testing.T, src []byte, r *build.Result) {
			if got := strings.Join(vmNames(r.Deployment), " "); got != "web_0 web_1" {
				t.Errorf("VMs %s, want web_0 web_1", got)
			}
			is := issuesOf(r, schema.RuleUnknown)
			if len(is) != 1 || !strings.Contains(is[0].Message, "scale set web: capacity is only known at deployment (Terraform attribute instances is known only after apply); 2 instances are checked") {
				t.Fatalf("issues %v, want capacity unknown", r.Issues)
			}
			tu.CheckPos(t, "issue", is[0].Pos, tu.PosOf(t, "plan.json", src, `"instances": true`, 1))
		},
	}, {
		name: "capacity above Azure's limit",
		src:  vmssPlan(ssh99, change("azurerm_linux_virtual_machine_scale_set.web", `"name": "web", "instances": 1001`, ""), ""),
		check: func(t *testing.T, src []byte, r *build.Result) {
			if n := len(r.Deployment.VMs); n != build.MaxInstances {
				t.Errorf("%d VMs, want %d", n, build.MaxInstances)
			}
			is := issuesOf(r, schema.RuleSchema)
			if len(is) != 1 || !strings.Contains(is[0].Message, "scale set web: capacity 1001 is outside Azure's range 0-1000") {
				t.Fatalf("issues %v, want capacity out of range", r.Issues)
			}
			tu.CheckPos(t, "issue", is[0].Pos, tu.PosOf(t, "plan.json", src, `"instances": 1001`, 1))
		},
	}, {
		name: "negative capacity, and none",
		src:  vmssPlan(ssh99, web("-1")+",\n"+change("azurerm_orchestrated_virtual_machine_scale_set.flex", `"name": "flex"`, ""), ""),
		check: func(t *testing.T, src []byte, r *build.Result) {
			if len(r.Deployment.VMs) != 0 {
				t.Errorf("VMs %v, want none", vmNames(r.Deployment))
			}
			if is := issuesOf(r, schema.RuleSchema); len(is) != 1 || !strings.Contains(is[0].Message, "capacity -1 is outside") {
				t.Errorf("issues %v, want capacity -1 out of range", r.Issues)
			}
		},
	}, {
		name: "capacity not an integer",
		src:  vmssPlan(ssh99, web(`"three"`), webConfig),
		check: func(t *testing.T, src []byte, r *build.Result) {
			if len(r.Deployment.VMs) != build.AssumedCapacity {
				t.Errorf("VMs %v, want %d", vmNames(r.Deployment), build.AssumedCapacity)
			}
			if is := issuesOf(r, schema.RuleSchema); len(is) != 1 || !strings.Contains(is[0].Message, "azurerm_linux_virtual_machine_scale_set.web.instances: want an integer") {
				t.Errorf("issues %v, want instances not an integer", r.Issues)
			}
		},
	}, {
		name: "legacy scale set: sku capacity, network_profile",
		src: vmssPlan(ssh99, change("azurerm_virtual_machine_scale_set.old", `"name": "old", "sku": [{"name": "Standard_F2", "capacity": 2}],
        "network_profile": [{"name": "profile", "primary": true, "ip_configuration": [{"name": "ip", "primary": true, "subnet_id": "/subnets/s"}]}]`,
			`"network_profile": [{"ip_configuration": [{"load_balancer_backend_address_pool_ids": true, "load_balancer_inbound_nat_rules_ids": true}]}]`), `,
    {"address": "azurerm_virtual_machine_scale_set.old", "expressions": {"network_profile": [{"ip_configuration": [
      {"load_balancer_backend_address_pool_ids": {"references": ["azurerm_lb_backend_address_pool.pool.id", "azurerm_lb_backend_address_pool.pool"]},
       "load_balancer_inbound_nat_rules_ids": {"references": ["azurerm_lb_nat_pool.ssh.id", "azurerm_lb_nat_pool.ssh"]}}]}]}}`),
		check: func(t *testing.T, src []byte, r *build.Result) {
			if got := strings.Join(vmNames(r.Deployment), " "); got != "old_0 old_1" {
				t.Errorf("VMs %s, want old_0 old_1", got)
			}
			lb := r.Deployment.LoadBalancers[0]
			if ms := lb.Pool("pool").Members; len(ms) != 2 || ms[1].VM != "old_1" || ms[1].NetworkInterface != "profile" || ms[1].IPConfiguration != "ip" {
				t.Errorf("members %+v, want old_0 and old_1 profile/ip", ms)
			}
			if nr := natRule(lb, "ssh.1"); nr == nil || nr.FrontendPort != 50001 || nr.Target.VM != "old_1" {
				t.Errorf("NAT rule ssh.1 = %+v", nr)
			}
			if len(r.Issues) != 0 {
				t.Errorf("issues %v", r.Issues)
			}
		},
	}, {
		name: "legacy scale set: capacity unknown",
		src: vmssPlan(ssh99, change("azurerm_virtual_machine_scale_set.old", `"name": "old", "sku": [{"name": "Standard_F2"}], "network_profile": []`,
			`"sku": [{"capacity": true}]`), ""),
		check: func(t *testing.T, src []byte, r *build.Result) {
			if len(r.Deployment.VMs) != build.AssumedCapacity {
				t.Errorf("VMs %v, want %d", vmNames(r.Deployment), build.AssumedCapacity)
			}
			is := issuesOf(r, schema.RuleUnknown)
			if len(is) != 1 || !strings.Contains(is[0].Message, "scale set old: capacity is only known at deployment") {
				t.Fatalf("issues %v, want capacity unknown", r.Issues)
			}
			tu.CheckPos(t, "issue", is[0].Pos, tu.PosOf(t, "plan.json", src, `"capacity": true`, 1))
		},
	}, {
		name: "a NAT pool and a backend pool of a load balancer not in the plan",
		src: vmssPlan(ssh99, change("azurerm_linux_virtual_machine_scale_set.web", `"name": "web", "instances": 1, "network_interface": [{"name": "nic",
        "ip_configuration": [{"name": "ip", "load_balancer_backend_address_pool_ids": ["`+lbID("other", "backendAddressPools/be")+`"],
          "load_balancer_inbound_nat_rules_ids": ["`+lbID("other", "inboundNatPools/rdp")+`"]}]}]`, ""), ""),
		check: func(t *testing.T, src []byte, r *build.Result) {
			is := issuesOf(r, schema.RuleUnknown)
			if len(is) != 1 || is[0].Message != "vms.web_0.networkInterfaces.nic.ipConfigurations.ip: inbound NAT pool rdp of load balancer other is in none of the input files; its NAT rules are not checked" {
				t.Fatalf("issues %v, want NAT pool rdp missing", r.Issues)
			}
			tu.CheckPos(t, "issue", is[0].Pos, tu.PosOf(t, "plan.json", src, `"`+lbID("other", "inboundNatPools/rdp"), 1))
			if len(r.Pending) != 1 || r.Pending[0].LB != "other" || r.Pending[0].Pool != "be" {
				t.Errorf("pending %+v, want web_0 joining pool be of other", r.Pending)
			}
		},
	}, {
		name: "pool references unknown and without configuration references",
		src:  vmssPlan(ssh99, web("1"), ""),
		check: func(t *testing.T, src []byte, r *build.Result) {
			is := issuesOf(r, schema.RuleUnknown)
			if len(is) != 3 || !strings.Contains(is[0].Message, "vms.web_0.networkInterfaces.nic.ipConfigurations.primary: backend pool reference is only known at deployment (Terraform attribute load_balancer_backend_address_pool_ids is known only after apply; several IP configurations") {
				t.Fatalf("issues %v, want 3 references unknown", r.Issues)
			}
			tu.CheckPos(t, "issue", is[0].Pos, tu.PosOf(t, "plan.json", src, `"load_balancer_backend_address_pool_ids": true`, 1))
			if len(r.Deployment.LoadBalancers[0].InboundNatRules) != 0 {
				t.Errorf("NAT rules %v, want none", r.Deployment.LoadBalancers[0].InboundNatRules)
			}
		},
	}, {
		name: "a reference that is no pool ID",
		src: vmssPlan(ssh99, change("azurerm_linux_virtual_machine_scale_set.web", `"name": "web", "instances": 1, "network_interface": [{"name": "nic",
        "ip_configuration": [{"name": "ip", "load_balancer_backend_address_pool_ids": ["`+lbID("lb", "probes/p")+`"]}]}]`, ""), ""),
		check: func(t *testing.T, src []byte, r *build.Result) {
			is := issuesOf(r, schema.RuleUnknown)
			if len(is) != 1 || !strings.Contains(is[0].Message, `backend pool reference "`+lbID("lb", "probes/p")+`" is neither the ID of a load balancer's backend pool nor a reference to one in the input; this pool membership is not checked`) {
				t.Fatalf("issues %v, want the probe ID named", r.Issues)
			}
		},
	}, {
		name: "conflicting Floating IP attributes of a NAT pool are reported once",
		src:  vmssPlan(ssh99+`, "floating_ip_enabled": true, "enable_floating_ip": false`, web("3"), webConfig),
		check: func(t *testing.T, src []byte, r *build.Result) {
			if is := issuesOf(r, schema.RuleTerraformFloatingIP); len(is) != 1 {
				t.Errorf("Floating IP conflicts %v, want one", is)
			}
			if nr := natRule(r.Deployment.LoadBalancers[0], "ssh.1"); nr == nil || !nr.EnableFloatingIP {
				t.Errorf("NAT rule ssh.1 = %+v, want Floating IP", nr)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Import("plan.json", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, []byte(tt.src), r)
		})
	}
}
