package terraform_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/internal/testtree"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
	"github.com/lbcheck/lbcheck/schema/importer/internal/terraform"
	tu "github.com/lbcheck/lbcheck/schema/importer/internal/testutil"
	"github.com/lbcheck/lbcheck/schema/importer/internal/tfconfig"
)

// scaleSetsTF has a load balancer with a backend pool and a NAT pool of
// two ports, a Linux scale set of three instances in both (the third
// instance beyond the NAT pool's range), a legacy scale set of one
// instance in the pool, and a scale set whose instance count is unknown.
const scaleSetsTF = `
resource "azurerm_lb" "lb" {
  name                = "lb"
  resource_group_name = "rg"
  sku                 = "Standard"
  frontend_ip_configuration {
    name               = "fe"
    private_ip_address = "10.0.0.4"
  }
}
resource "azurerm_lb_backend_address_pool" "pool" {
  name            = "pool"
  loadbalancer_id = azurerm_lb.lb.id
}
resource "azurerm_lb_nat_pool" "ssh" {
  name                           = "ssh"
  resource_group_name            = "rg"
  loadbalancer_id                = azurerm_lb.lb.id
  frontend_ip_configuration_name = "fe"
  protocol                       = "Tcp"
  frontend_port_start            = 50000
  frontend_port_end              = 50001
  backend_port                   = 22
}
variable "instances" { default = 3 }
variable "batch_instances" {}
resource "azurerm_linux_virtual_machine_scale_set" "web" {
  name                = "web"
  resource_group_name = "rg"
  sku                 = "Standard_D2s_v5"
  instances           = var.instances
  admin_username      = "azureuser"
  network_interface {
    name    = "nic"
    primary = true
    ip_configuration {
      name                                   = "primary"
      primary                                = true
      subnet_id                              = "/subnets/web"
      load_balancer_backend_address_pool_ids = [azurerm_lb_backend_address_pool.pool.id]
      load_balancer_inbound_nat_rules_ids    = [azurerm_lb_nat_pool.ssh.id]
    }
    ip_configuration {
      name                                   = "secondary"
      subnet_id                              = "/subnets/web"
      load_balancer_backend_address_pool_ids = [azurerm_lb_backend_address_pool.pool.id]
    }
  }
}
resource "azurerm_virtual_machine_scale_set" "old" {
  name                = "old"
  resource_group_name = "rg"
  sku {
    name     = "Standard_F2"
    capacity = 1
  }
  network_profile {
    name    = "profile"
    primary = true
    ip_configuration {
      name                                   = "ip"
      primary                                = true
      subnet_id                              = "/subnets/web"
      load_balancer_backend_address_pool_ids = [azurerm_lb_backend_address_pool.pool.id]
    }
  }
}
resource "azurerm_windows_virtual_machine_scale_set" "batch" {
  name                = "batch"
  resource_group_name = "rg"
  instances           = var.batch_instances
}
`

// load reads the configuration of one file, name holding src, through
// tfconfig into the model, and returns it and the file's path.
func load(t *testing.T, name, src string) (*build.Result, string) {
	t.Helper()
	dir := testtree.Write(t, map[string]string{name: src})
	c, err := tfconfig.Load(dir, tfconfig.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return terraform.ImportResources(dir, c.Resources), filepath.Join(dir, name)
}

// joined joins the strings f makes of xs with spaces.
func joined[T any](xs []T, f func(T) string) string {
	var ss []string
	for _, x := range xs {
		ss = append(ss, f(x))
	}
	return strings.Join(ss, " ")
}

func member(m *schema.PoolMember) string {
	return m.VM + "/" + m.NetworkInterface + "/" + m.IPConfiguration
}

// TestScaleSetsFromHCL reads scale sets from a .tf file through tfconfig.
func TestScaleSetsFromHCL(t *testing.T) {
	r, file := load(t, "main.tf", scaleSetsTF)
	src := []byte(scaleSetsTF)
	d := r.Deployment
	if got := joined(d.VMs, func(vm *schema.VM) string { return vm.Name }); got != "web_0 web_1 web_2 old_0 batch_0 batch_1" {
		t.Errorf("VMs %s, want web_0 web_1 web_2 old_0 batch_0 batch_1", got)
	}
	lb := d.LoadBalancers[0]
	ms := lb.Pool("pool").Members
	want := "web_0/nic/primary web_0/nic/secondary web_1/nic/primary web_1/nic/secondary web_2/nic/primary web_2/nic/secondary old_0/profile/ip"
	if got := joined(ms, member); got != want {
		t.Fatalf("pool members %s, want %s", got, want)
	}
	tu.CheckPos(t, "web_0 secondary membership", ms[1].Pos(), tu.PosOf(t, file, src, "azurerm_lb_backend_address_pool.pool.id]", 2))

	if got := joined(lb.InboundNatRules, func(nr *schema.NatRule) string { return nr.Name }); got != "ssh.0 ssh.1" {
		t.Fatalf("NAT rules %s, want ssh.0 ssh.1 (ssh.2 is beyond the range)", got)
	}
	nr := lb.InboundNatRules[1]
	if nr.FrontendPort != 50001 || nr.BackendPort != 22 || nr.Protocol != schema.ProtocolTcp || nr.FrontendIPConfiguration != "fe" ||
		nr.Target == nil || nr.Target.VM != "web_1" || nr.Target.NetworkInterface != "nic" || nr.Target.IPConfiguration != "primary" {
		t.Errorf("ssh.1 = %+v, target %+v", nr, nr.Target)
	}
	tu.CheckPos(t, "ssh.1 frontendPort", nr.At("frontendPort"), tu.PosOf(t, file, src, "frontend_port_start", 1))
	tu.CheckPos(t, "ssh.1 target", nr.At("target"), tu.PosOf(t, file, src, "azurerm_lb_nat_pool.ssh.id", 1))

	var got []string
	for _, i := range r.Issues {
		got = append(got, i.Rule+" "+i.Message)
		switch {
		case strings.Contains(i.Message, "are too few"):
			tu.CheckPos(t, "range issue", i.Pos, tu.PosOf(t, file, src, "frontend_port_end", 1))
		case strings.Contains(i.Message, "capacity"):
			tu.CheckPos(t, "capacity issue", i.Pos, tu.PosOf(t, file, src, "instances           = var.batch_instances", 1))
		}
	}
	wantIssues := []string{
		schema.RuleSchema + " inbound NAT pool ssh of load balancer lb: its frontend ports 50000-50001 are too few for scale set web: instance 2 and every later one need a port beyond 50001; Azure rejects the scale set",
		schema.RuleUnknown + " scale set batch: capacity is only known at deployment (variable batch_instances has no default",
	}
	if len(got) != len(wantIssues) {
		t.Fatalf("issues:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantIssues, "\n"))
	}
	for i, w := range wantIssues {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("issue %d: %s\nwant %s…", i, got[i], w)
		}
	}
}

// scaleSetsTFJSON declares, in JSON syntax, a load balancer with a
// backend pool, a legacy scale set of two instances and a Flexible one of
// one instance in it: their nested blocks are single objects, which
// only the resource type's block types tell from attributes.
const scaleSetsTFJSON = `{"resource": {
  "azurerm_lb": {"lb": {"name": "lb", "resource_group_name": "rg", "sku": "Standard",
    "frontend_ip_configuration": {"name": "fe", "private_ip_address": "10.0.0.4"}}},
  "azurerm_lb_backend_address_pool": {"pool": {"name": "pool", "loadbalancer_id": "${azurerm_lb.lb.id}"}},
  "azurerm_virtual_machine_scale_set": {"old": {"name": "old", "resource_group_name": "rg",
    "sku": {"name": "Standard_F2", "capacity": 2},
    "network_profile": {"name": "profile", "primary": true,
      "ip_configuration": {"name": "ip", "primary": true, "subnet_id": "/subnets/web",
        "load_balancer_backend_address_pool_ids": ["${azurerm_lb_backend_address_pool.pool.id}"]}}}},
  "azurerm_orchestrated_virtual_machine_scale_set": {"flex": {"name": "flex", "resource_group_name": "rg", "instances": 1,
    "network_interface": {"name": "nic", "primary": true,
      "ip_configuration": {"name": "ip", "primary": true, "subnet_id": "/subnets/web",
        "load_balancer_backend_address_pool_ids": ["${azurerm_lb_backend_address_pool.pool.id}"]}}}}
}}`

// TestScaleSetsFromJSONSyntax reads scale sets from a .tf.json file.
func TestScaleSetsFromJSONSyntax(t *testing.T) {
	r, file := load(t, "main.tf.json", scaleSetsTFJSON)
	ms := r.Deployment.LoadBalancers[0].Pool("pool").Members
	if got, want := joined(ms, member), "old_0/profile/ip old_1/profile/ip flex_0/nic/ip"; got != want {
		t.Fatalf("pool members %s, want %s", got, want)
	}
	// JSON syntax positions the elements at the list.
	tu.CheckPos(t, "old_1 membership", ms[1].Pos(), tu.PosOf(t, file, []byte(scaleSetsTFJSON), `["${azurerm_lb_backend_address_pool.pool.id}"]`, 1))
	if len(r.Issues) != 0 {
		t.Errorf("issues %v", r.Issues)
	}
}
