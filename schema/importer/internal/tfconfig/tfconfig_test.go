package tfconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/lbcheck/lbcheck/internal/testtree"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/terraform"
	tu "github.com/lbcheck/lbcheck/schema/importer/internal/testutil"
	"github.com/lbcheck/lbcheck/schema/internal/childeval"
)

// lb is an internal load balancer with one pool, probe and rule; the
// tests add to it.
const lb = `
resource "azurerm_lb" "ilb" {
  name                = "ilb"
  resource_group_name = "rg"
  sku                 = "Standard"
  frontend_ip_configuration {
    name               = "fe"
    private_ip_address = "10.0.0.10"
  }
}
resource "azurerm_lb_backend_address_pool" "pool" {
  name            = "pool"
  loadbalancer_id = azurerm_lb.ilb.id
}
`

func TestLoad(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		opts  Options
		check func(t *testing.T, dir string, c *Config, d *schema.Deployment)
	}{{
		name: "variables: default < terraform.tfvars < auto.tfvars (lexical) < VarFiles < Vars (-var: literal for primitive types, HCL for others)",
		files: map[string]string{
			"main.tf": lb + `
variable "a" { default = 1 }
variable "b" { default = 1 }
variable "c" { default = 1 }
variable "d" { default = 1 }
variable "e" { default = 1 }
variable "f" {
  type    = list(number)
  default = [1]
}
resource "azurerm_lb_probe" "p" {
  name                = "p-${var.a}${var.b}${var.c}${var.d}${var.e}"
  loadbalancer_id     = azurerm_lb.ilb.id
  port                = var.e
  interval_in_seconds = var.f[0]
}`,
			"terraform.tfvars":   "b = 2\nc = 2\nd = 2\ne = 2\n",
			"a.auto.tfvars":      "c = 3\nd = 3\n",
			"b.auto.tfvars.json": `{"d": 4, "e": 4}`,
			"extra.tfvars":       "e = 5\n",
		},
		opts: Options{VarFiles: []string{"extra.tfvars"}, Vars: map[string]string{"e": "6", "f": "[2 * 4]"}},
		check: func(t *testing.T, dir string, c *Config, d *schema.Deployment) {
			// -var e=6 is the string "6" (e has no type), converted for
			// the number attribute; f's type is a list, so -var f=[2 * 4]
			// is an HCL expression.
			if p := d.LoadBalancers[0].Probes[0]; p.Name != "p-12346" || p.Port != 6 || p.IntervalInSeconds != 8 {
				t.Errorf("probe %s port %d interval %d, want p-12346 port 6 interval 8", p.Name, p.Port, p.IntervalInSeconds)
			}
		},
	}, {
		name: "locals in any order, count, conditional, for expression, references",
		files: map[string]string{"main.tf": lb + `
locals {
  ports = { for p in local.list : p => p + 8000 }
  list  = [80, 443]
}
resource "azurerm_lb_rule" "r" {
  count                          = length(local.list)
  name                           = "r${count.index}"
  loadbalancer_id                = azurerm_lb.ilb.id
  frontend_ip_configuration_name = azurerm_lb.ilb.frontend_ip_configuration[0].name
  backend_address_pool_ids       = [azurerm_lb_backend_address_pool.pool.id]
  protocol                       = "Tcp"
  frontend_port                  = local.list[count.index]
  backend_port                   = local.ports[local.list[count.index]]
  enable_floating_ip             = count.index == 0 ? true : false
}`},
		check: func(t *testing.T, dir string, c *Config, d *schema.Deployment) {
			rs := d.LoadBalancers[0].LoadBalancingRules
			if len(rs) != 2 || rs[1].Name != "r1" || rs[1].BackendPort != 8443 || rs[1].FrontendIPConfiguration != "fe" ||
				rs[1].BackendAddressPool != "pool" || !rs[0].EnableFloatingIP || rs[1].EnableFloatingIP {
				t.Errorf("rules %+v %+v", rs[0], rs[1])
			}
		},
	}, {
		name: "for_each over a set and a map, dynamic block, association to the pool",
		files: map[string]string{"main.tf": lb + `
variable "vms" { default = { web1 = "10.0.0.4", web2 = "10.0.0.5" } }
resource "azurerm_network_interface" "nic" {
  for_each            = var.vms
  name                = "${each.key}-nic"
  resource_group_name = "rg"
  dynamic "ip_configuration" {
    for_each = [each.value]
    content {
      name               = "ipconfig1"
      private_ip_address = ip_configuration.value
    }
  }
}
resource "azurerm_network_interface_backend_address_pool_association" "a" {
  for_each                = toset(["web1", "web2"])
  network_interface_id    = azurerm_network_interface.nic[each.key].id
  ip_configuration_name   = "ipconfig1"
  backend_address_pool_id = azurerm_lb_backend_address_pool.pool.id
}`},
		check: func(t *testing.T, dir string, c *Config, d *schema.Deployment) {
			if len(d.VMs) != 2 || d.VMs[1].NetworkInterfaces[0].IPConfigurations[0].PrivateIPAddress != "10.0.0.5" {
				t.Errorf("vms %+v", d.VMs)
			}
			if m := d.LoadBalancers[0].BackendAddressPools[0].Members; len(m) != 2 || m[0].NetworkInterface != "web1-nic" {
				t.Errorf("members %+v", m)
			}
		},
	}, {
		name: "a data source and a registry module are unknown, with reasons",
		files: map[string]string{"main.tf": lb + `
data "azurerm_lb" "other" {
  name                = "other"
  resource_group_name = "rg"
}
module "ports" {
  source  = "Azure/loadbalancer/azurerm"
  version = "4.4.0"
}
resource "azurerm_lb_rule" "r" {
  name                           = "r"
  loadbalancer_id                = azurerm_lb.ilb.id
  frontend_ip_configuration_name = data.azurerm_lb.other.frontend_ip_configuration[0].name
  protocol                       = "Tcp"
  frontend_port                  = module.ports.port
  backend_port                   = upper(module.ports.port)
}`},
		check: func(t *testing.T, dir string, c *Config, d *schema.Deployment) {
			r := d.LoadBalancers[0].LoadBalancingRules[0]
			for field, want := range map[string]string{
				"frontendIPConfiguration": "data source data.azurerm_lb.other is read only at plan time",
				"frontendPort":            "module.ports comes from the registry (Azure/loadbalancer/azurerm): lbcheck reads local modules only",
				"backendPort":             "module.ports comes from the registry",
			} {
				if why, ok := r.Unknown(field); !ok || !strings.Contains(why, want) {
					t.Errorf("%s: unknown %v %q, want %q", field, ok, why, want)
				}
			}
			// The call itself is reported, at its source, since the
			// resources the module declares are not checked.
			if len(c.Issues) != 1 || c.Issues[0].Rule != schema.RuleUnknown || c.Issues[0].Pos.Line != 21 ||
				!strings.HasPrefix(c.Issues[0].Message, "module.ports comes from the registry (Azure/loadbalancer/azurerm): lbcheck reads local modules only; the resources it declares are not checked") {
				t.Errorf("issues %v, want module.ports reported at its source, line 21", c.Issues)
			}
			src, _ := os.ReadFile(filepath.Join(dir, "main.tf"))
			tu.CheckPos(t, "frontendPort", r.At("frontendPort"), tu.PosOf(t, filepath.Join(dir, "main.tf"), src, "frontend_port ", 1))
		},
	}, {
		name: "a local module: outputs, prefixed addresses, positions in its files",
		files: map[string]string{
			"main.tf": lb + `
module "rules" {
  source = "./modules/rules"
  lb_id  = azurerm_lb.ilb.id
  port   = 1433
}
resource "azurerm_lb_probe" "p" {
  name            = "p"
  loadbalancer_id = azurerm_lb.ilb.id
  port            = module.rules.probe_port
}`,
			"modules/rules/main.tf": `
variable "lb_id" {}
variable "port" { type = number }
resource "azurerm_lb_rule" "r" {
  name                           = "sql"
  loadbalancer_id                = var.lb_id
  frontend_ip_configuration_name = "fe"
  protocol                       = "Tcp"
  frontend_port                  = var.port
  backend_port                   = var.port
  floating_ip_enabled            = true
}
output "probe_port" { value = 59999 }
`},
		check: func(t *testing.T, dir string, c *Config, d *schema.Deployment) {
			l := d.LoadBalancers[0]
			if len(l.LoadBalancingRules) != 1 || l.LoadBalancingRules[0].FrontendPort != 1433 || l.Probes[0].Port != 59999 {
				t.Fatalf("rules %+v probes %+v", l.LoadBalancingRules, l.Probes)
			}
			mod := filepath.Join(dir, "modules", "rules", "main.tf")
			src, _ := os.ReadFile(mod)
			tu.CheckPos(t, "floating IP", l.LoadBalancingRules[0].At("enableFloatingIP"), tu.PosOf(t, mod, src, "floating_ip_enabled", 1))
			if len(c.Modules) != 1 || c.Modules[0] != filepath.Join(dir, "modules", "rules") {
				t.Errorf("modules %v", c.Modules)
			}
			found := false
			for _, r := range c.Resources {
				found = found || r.Addr == "module.rules.azurerm_lb_rule.r"
			}
			if !found {
				t.Errorf("no module.rules.azurerm_lb_rule.r in %v", c.Resources)
			}
		},
	}, {
		name: "a cycle of modules is refused where it closes; path.root and path.module in a nested module",
		files: map[string]string{
			"main.tf":   lb + `module "a" { source = "./a" }`,
			"a/main.tf": `module "b" { source = "../b" }`,
			"b/main.tf": `module "a" { source = "../a" }` + "\n" + `resource "azurerm_lb" "root" { name = path.root }` + "\n" + `resource "azurerm_lb" "module" { name = path.module }` + "\n" + `module "gone" { source = "./missing" }`,
		},
		check: func(t *testing.T, dir string, c *Config, d *schema.Deployment) {
			var names []string
			for _, lb := range d.LoadBalancers {
				names = append(names, lb.Name)
			}
			slices.Sort(names)
			if want := []string{dir, filepath.Join(dir, "b"), "ilb"}; !slices.Equal(names, want) {
				t.Errorf("load balancers %q, want %q", names, want)
			}
			if len(c.Issues) != 2 || c.Issues[0].Rule != schema.RuleUnknown || c.Issues[0].Pos.File != filepath.Join(dir, "b", "main.tf") ||
				!strings.HasPrefix(c.Issues[0].Message, "module.a.module.b.module.a calls a module that calls it; the resources it declares are not checked") ||
				c.Issues[1].Message != "module.a.module.b.module.gone comes from "+filepath.Join(dir, "b", "missing")+", which is no directory; the resources it declares are not checked, and what depends on its outputs is unknown" {
				t.Errorf("issues %v, want module.a.module.b.module.a refused, at b/main.tf, and module.gone missing", c.Issues)
			}
		},
	}, {
		name: "for_each: a map with an unknown value is expanded (its keys are known), a set with an unknown element is not",
		files: map[string]string{"main.tf": lb + `
data "azurerm_lb_probe" "shared" {
  name            = "shared"
  loadbalancer_id = azurerm_lb.ilb.id
}
resource "azurerm_lb_rule" "r" {
  for_each                       = { sql = data.azurerm_lb_probe.shared.id }
  name                           = each.key
  loadbalancer_id                = azurerm_lb.ilb.id
  frontend_ip_configuration_name = "fe"
  probe_id                       = each.value
  protocol                       = "Tcp"
  frontend_port                  = 1433
  backend_port                   = 1433
}
resource "azurerm_lb_probe" "p" {
  for_each        = toset([data.azurerm_lb_probe.shared.name])
  name            = each.key
  loadbalancer_id = azurerm_lb.ilb.id
  port            = 80
}`},
		check: func(t *testing.T, dir string, c *Config, d *schema.Deployment) {
			rules := d.LoadBalancers[0].LoadBalancingRules
			if len(rules) != 1 || rules[0].Name != "sql" {
				t.Fatalf("rules %v, want sql", rules)
			}
			if why, ok := rules[0].Unknown("probe"); !ok || !strings.Contains(why, "data source data.azurerm_lb_probe.shared is read only at plan time") {
				t.Errorf("probe unknown %v %q, want the data source's reason", ok, why)
			}
			want := "azurerm_lb_probe.p: for_each is unknown (data source data.azurerm_lb_probe.shared is read only at plan time); its instances are not checked"
			if len(c.Issues) != 1 || c.Issues[0].Rule != schema.RuleUnknown || c.Issues[0].Message != want {
				t.Errorf("issues %v, want one: %s", c.Issues, want)
			}
		},
	}, {
		name: "optional object attributes take their type's defaults, in a map and in a module",
		files: map[string]string{
			"main.tf": lb + `
variable "rules" {
  type = map(object({
    port     = number
    protocol = optional(string, "Tcp")
    floating = optional(bool)
  }))
  default = { sql = { port = 1433 } }
}
resource "azurerm_lb_rule" "r" {
  for_each                       = var.rules
  name                           = each.key
  loadbalancer_id                = azurerm_lb.ilb.id
  frontend_ip_configuration_name = "fe"
  protocol                       = each.value.protocol
  frontend_port                  = each.value.port
  backend_port                   = each.value.port
  floating_ip_enabled            = each.value.floating
}
module "probe" {
  source = "./probe"
  lb_id  = azurerm_lb.ilb.id
  probe  = { port = 59999 }
}`,
			"probe/main.tf": `
variable "lb_id" { type = string }
variable "probe" {
  type = object({
    port     = number
    interval = optional(number, 5)
  })
}
resource "azurerm_lb_probe" "p" {
  name                = "p"
  loadbalancer_id     = var.lb_id
  port                = var.probe.port
  interval_in_seconds = var.probe.interval
}`},
		check: func(t *testing.T, dir string, c *Config, d *schema.Deployment) {
			l := d.LoadBalancers[0]
			if len(l.LoadBalancingRules) != 1 || len(l.Probes) != 1 {
				t.Fatalf("%d rules and %d probes, want 1 and 1", len(l.LoadBalancingRules), len(l.Probes))
			}
			if r := l.LoadBalancingRules[0]; r.Protocol != schema.ProtocolTcp || r.Has("enableFloatingIP") {
				t.Errorf("rule protocol %q, enableFloatingIP set %v; want Tcp, not set", r.Protocol, r.Has("enableFloatingIP"))
			}
			if p := l.Probes[0]; p.IntervalInSeconds != 5 || !p.Has("intervalInSeconds") {
				t.Errorf("probe interval %d (set %v), want 5", p.IntervalInSeconds, p.Has("intervalInSeconds"))
			}
		},
	}, {
		name: "frontend ids; members by IP address; unknown for_each of a type the model does not read is no issue",
		files: map[string]string{"main.tf": lb + `
data "azurerm_client_config" "me" {}
resource "azurerm_role_assignment" "readers" {
  for_each = data.azurerm_client_config.me.object_ids
  scope    = azurerm_lb.ilb.id
}
resource "azurerm_lb_probe" "p" {
  name            = azurerm_lb.ilb.frontend_ip_configuration[0].id
  loadbalancer_id = azurerm_lb.ilb.id
  port            = 80
}
resource "azurerm_lb_backend_address_pool_address" "a" {
  for_each                = toset(["10.0.0.7", "10.0.0.8"])
  name                    = each.key
  backend_address_pool_id = azurerm_lb_backend_address_pool.pool.id
  ip_address              = each.key
}`},
		check: func(t *testing.T, dir string, c *Config, d *schema.Deployment) {
			l := d.LoadBalancers[0]
			if want := subscription + "/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/ilb/frontendIPConfigurations/fe"; len(l.Probes) != 1 || l.Probes[0].Name != want {
				t.Errorf("probes %v, want one named %s", l.Probes, want)
			}
			if why, ok := l.BackendAddressPools[0].Unknown("members"); !ok || why != "members given by IP address are not imported" {
				t.Errorf("pool members unknown %v %q, want members given by IP address", ok, why)
			}
			if len(c.Issues) != 0 {
				t.Errorf("issues %v, want none: role assignments are not modelled", c.Issues)
			}
		},
	}, {
		name: "a data source's instance keys: an index it lacks fails, so try() moves on; a dynamic block that cannot be expanded",
		files: map[string]string{"main.tf": `
variable "frontends" {
  default = {
    private = { public_ip_name = null, address = "10.0.0.10" }
  }
}
data "azurerm_public_ip" "existing" {
  for_each            = { for k, v in var.frontends : k => v if v.public_ip_name != null }
  name                = each.value.public_ip_name
  resource_group_name = "rg"
}
resource "azurerm_lb" "ilb" {
  name = "ilb"
  sku  = "Standard"
  dynamic "frontend_ip_configuration" {
    for_each = var.frontends
    content {
      name                 = frontend_ip_configuration.key
      public_ip_address_id = try(data.azurerm_public_ip.existing[frontend_ip_configuration.key].id, null)
      private_ip_address   = frontend_ip_configuration.value.address
    }
  }
}
resource "azurerm_lb_backend_address_pool" "pool" {
  name            = "pool"
  loadbalancer_id = azurerm_lb.ilb.id
}
resource "azurerm_lb_outbound_rule" "out" {
  name                    = "out"
  loadbalancer_id         = azurerm_lb.ilb.id
  backend_address_pool_id = azurerm_lb_backend_address_pool.pool.id
  protocol                = "All"
  dynamic "frontend_ip_configuration" {
    for_each = var.frontends.private.public_ip_name
    content { name = "x" }
  }
}
resource "azurerm_application_gateway" "agw" {
  name = "agw"
  dynamic "ssl_profile" {
    for_each = null
    content { name = "p" }
  }
}`},
		check: func(t *testing.T, dir string, c *Config, d *schema.Deployment) {
			l := d.LoadBalancers[0]
			if l.Type != schema.LBInternal || len(l.FrontendIPConfigurations) != 1 || l.FrontendIPConfigurations[0].IPAddress != "10.0.0.10" {
				t.Errorf("load balancer %s %+v, want internal with frontend 10.0.0.10", l.Type, l.FrontendIPConfigurations)
			}
			// The outbound rule's dynamic block is an LB0010 issue; the
			// application gateway's, of a type the model does not read, none.
			if len(c.Issues) != 1 || c.Issues[0].Rule != schema.RuleUnknown || !strings.HasPrefix(c.Issues[0].Message, "a dynamic block cannot be expanded (") || c.Issues[0].Pos.Line != 34 {
				t.Errorf("issues %v, want one LB0010 for the outbound rule's dynamic block, at its for_each", c.Issues)
			}
		},
	}, {
		name: "azurerm before 3.0: a rule's one backend_address_pool_id, interpolation-only strings",
		files: map[string]string{"main.tf": lb + `
resource "azurerm_lb_rule" "r" {
  name                           = "r"
  loadbalancer_id                = "${azurerm_lb.ilb.id}"
  frontend_ip_configuration_name = "fe"
  backend_address_pool_id        = "${azurerm_lb_backend_address_pool.pool.id}"
  protocol                       = "Tcp"
  frontend_port                  = 1433
  backend_port                   = 1433
}`},
		check: func(t *testing.T, dir string, c *Config, d *schema.Deployment) {
			if r := d.LoadBalancers[0].LoadBalancingRules; len(r) != 1 || r[0].BackendAddressPool != "pool" {
				t.Errorf("rules %+v, want r on pool", r)
			}
		},
	}, {
		name: "names known only at apply: the addresses stand in, so a module called twice makes two of everything; provisioner blocks",
		files: map[string]string{
			"main.tf": lb + `
module "a" { source = "./region" }
module "b" { source = "./region" }`,
			"region/main.tf": `
variable "prefix" {}
resource "azurerm_lb" "this" {
  name = "${var.prefix}-lb"
  frontend_ip_configuration {
    name               = "fe"
    private_ip_address = "10.0.0.4"
  }
}
resource "azurerm_lb_backend_address_pool" "pool" {
  name            = "${var.prefix}-pool"
  loadbalancer_id = azurerm_lb.this.id
}
resource "azurerm_linux_virtual_machine" "vm" {
  name = "vm"
  provisioner "remote-exec" {
    inline = ["true"]
  }
}`},
		check: func(t *testing.T, dir string, c *Config, d *schema.Deployment) {
			var got []string
			for _, l := range d.LoadBalancers {
				for _, p := range l.BackendAddressPools {
					got = append(got, l.Name+"/"+p.Name)
				}
			}
			slices.Sort(got)
			want := []string{"ilb/pool", "module.a.azurerm_lb.this/module.a.azurerm_lb_backend_address_pool.pool", "module.b.azurerm_lb.this/module.b.azurerm_lb_backend_address_pool.pool"}
			if !slices.Equal(got, want) {
				t.Errorf("pools %q, want %q", got, want)
			}
			if len(c.Issues) != 0 {
				t.Errorf("issues %v, want none", c.Issues)
			}
		},
	}, {
		name:  "syntax errors are issues at their line",
		files: map[string]string{"main.tf": lb, "broken.tf": "resource \"azurerm_lb\" {\n  name = \n}\n"},
		check: func(t *testing.T, dir string, c *Config, d *schema.Deployment) {
			if len(c.Issues) == 0 || c.Issues[0].Rule != schema.RuleParse || c.Issues[0].Pos.File != filepath.Join(dir, "broken.tf") {
				t.Errorf("issues %v", c.Issues)
			}
			if len(d.LoadBalancers) != 1 {
				t.Errorf("the other file's load balancer is lost")
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testtree.Write(t, tt.files)
			for i, f := range tt.opts.VarFiles {
				tt.opts.VarFiles[i] = filepath.Join(dir, f)
			}
			c, err := Load(dir, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			r := terraform.ImportResources(dir, c.Resources)
			if len(r.Deployment.LoadBalancers) == 0 {
				t.Fatalf("no load balancer; issues %v %v", c.Issues, r.Issues)
			}
			tt.check(t, dir, c, r.Deployment)
		})
	}
}

// TestFunctions evaluates the functions lbcheck implements itself, with
// Terraform's documented results; an error is an unknown value naming it.
func TestFunctions(t *testing.T) {
	tests := []struct{ expr, want, err string }{
		{expr: `cidrhost("10.12.112.0/20", 16)`, want: "10.12.112.16"},
		{expr: `cidrhost("10.12.112.0/20", 268)`, want: "10.12.113.12"},
		{expr: `cidrhost("fd00:fd12:3456:7890:00a2::/72", 34)`, want: "fd00:fd12:3456:7890::22"},
		{expr: `cidrhost("10.0.1.0/24", -1)`, want: "10.0.1.255"},
		{expr: `cidrhost("10.0.1.0/24", 256)`, err: "prefix 10.0.1.0/24 has no host number 256"},
		{expr: `cidrhost("10.0.1.0/24", 1.5)`, err: "hostnum must be a whole number"},
		{expr: `cidrsubnet("172.16.0.0/12", 4, 2)`, want: "172.18.0.0/16"},
		{expr: `cidrsubnet("10.1.2.0/24", 4, 15)`, want: "10.1.2.240/28"},
		{expr: `cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)`, want: "fd00:fd12:3456:7800:a200::/72"},
		{expr: `cidrsubnet("2001:db8::/32", 64, 1)`, want: "2001:db8::1:0:0/96"},
		{expr: `cidrsubnet("10.100.7.9/22", 2, 1)`, want: "10.100.5.0/24"}, // host bits ignored
		{expr: `cidrsubnet("10.0.0.0/8", 0, 0)`, want: "10.0.0.0/8"},
		{expr: `cidrsubnet("10.0.0.0/30", 3, 0)`, err: "insufficient address space to extend prefix of 30 by 3"},
		{expr: `cidrsubnet("10.0.0.0/16", -1, 0)`, err: "insufficient address space to extend prefix of 16 by -1"},
		{expr: `cidrsubnet("10.0.0.0/16", 4, 16)`, err: "prefix extension of 4 does not accommodate a subnet numbered 16"},
		{expr: `cidrsubnet("10.0.0.0/16", 4, -1)`, err: "prefix extension of 4 does not accommodate a subnet numbered -1"},
		{expr: `cidrsubnet("10.0.0.0", 8, 1)`, err: "invalid CIDR prefix"},
		{expr: `cidrnetmask("172.16.0.0/12")`, want: "255.240.0.0"},
		{expr: `cidrnetmask("10.0.0.1/32")`, want: "255.255.255.255"},
		{expr: `cidrnetmask("0.0.0.0/0")`, want: "0.0.0.0"},
		{expr: `cidrnetmask("fd00::/8")`, err: "IPv6 addresses cannot have a netmask: fd00::/8"},
		{expr: `cidrsubnet(var.unset, 8, 1)`, err: "the reason"},
		{expr: `try(var.obj.missing, var.obj.a)`, want: "1"},
		{expr: `tostring(can(var.obj.missing))`, want: "false"},
		{expr: `try(var.unset, "x")`, err: "the reason"},
		{expr: `tostring(can(var.unset))`, err: "the reason"},
		{expr: `base64encode("Floating IP")`, want: "RmxvYXRpbmcgSVA="},
		{expr: `base64decode("RmxvYXRpbmcgSVA=")`, want: "Floating IP"},
		{expr: `base64decode("not base64!")`, err: "the string is not base64"},
		{expr: `replace("web-01-nic", "/[0-9]+/", "N")`, want: "web-N-nic"},
		{expr: `replace("10.0.0.4", ".", "-")`, want: "10-0-0-4"},
		{expr: `tostring(sum([1, 2, 3.5]))`, want: "6.5"},
		{expr: `tostring(alltrue([true, false]))`, want: "false"},
		{expr: `tostring(anytrue([false, true]))`, want: "true"},
		{expr: `one(["only"])`, want: "only"},
		{expr: `tostring(one([]) == null)`, want: "true"},
		{expr: `one(["a", "b"])`, err: "one wants at most one element, got 2"},
		{expr: `tostring(startswith("azurerm_lb", "azurerm_"))`, want: "true"},
		{expr: `tostring(endswith("main.tf", ".json"))`, want: "false"},
		{expr: `tostring(strcontains("ha-ports", "ports"))`, want: "true"},
		{expr: `jsonencode(range(3))`, want: "[0,1,2]"},
		{expr: `basename("modules/ilb/main.tf")`, want: "main.tf"},
		{expr: `nonsensitive(sensitive("secret"))`, want: "secret"},
		{expr: `tostring(length("café"))`, want: "4"},
		{expr: `tostring(length({a = 1, b = 2}))`, want: "2"},
		{expr: `tostring(length(var.unset))`, err: "the reason"},
	}
	ctx := &hcl.EvalContext{Functions: functions, Variables: map[string]cty.Value{
		"var": cty.ObjectVal(map[string]cty.Value{"unset": unknown("the reason"), "obj": cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("1")})}),
	}}
	for _, tt := range tests {
		expr, diags := hclsyntax.ParseExpression([]byte(tt.expr), "test.tf", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", tt.expr, diags)
		}
		v, marks := value(expr, ctx, "x").Unmark()
		switch {
		case tt.err == "" && (!v.IsKnown() || v.AsString() != tt.want):
			t.Errorf("%s = %#v (%s), want %q", tt.expr, v, reasons(marks), tt.want)
		case tt.err != "" && (v.IsKnown() || !strings.Contains(reasons(marks), tt.err)):
			t.Errorf("%s = %#v (%s), want unknown: %s", tt.expr, v, reasons(marks), tt.err)
		}
	}
}

// FuzzLoad checks that no configuration makes the reader panic or run
// unbounded.
func FuzzLoad(f *testing.F) {
	f.Add(lb + `resource "azurerm_lb_rule" "r" { count = 2; name = "r${count.index}" }`)
	f.Add(`locals { a = local.b; b = local.a }` + "\n" + `module "m" { source = "./" }`)
	f.Add(`resource "azurerm_network_interface" "n" {
  for_each = toset(["a"])
  dynamic "ip_configuration" {
    for_each = range(3)
    content { name = "c${ip_configuration.key}" }
  }
}`)
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Load(dir, Options{})
		if _, over := errors.AsType[*childeval.LimitError](err); over {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		terraform.ImportResources(dir, c.Resources)
	})
}

// TestBudgets loads configurations a few lines long that compute too much:
// each is an error naming the directory and the budget, and nothing is
// evaluated in the test process itself.
func TestBudgets(t *testing.T) {
	doubling := func(n int, first, next string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "locals {\n  v0 = %s\n", first)
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "  v%d = %s\n", i, strings.ReplaceAll(next, "P", fmt.Sprintf("local.v%d", i-1)))
		}
		fmt.Fprintf(&b, "}\nresource \"azurerm_lb\" \"l\" {\n  name = \"l\"\n  tags = { t = local.v%d }\n}\n", n)
		return b.String()
	}
	memory := "evaluating this Terraform configuration needs more than 1 GiB of memory, the most lbcheck allows one root module"
	slow := "evaluating this Terraform configuration takes more than 10s, the most lbcheck allows one root module"
	for _, tc := range []struct {
		name, src string
		want      []string // the error starts with one of them, after "DIR: "
	}{
		{"values", doubling(18, `["x"]`, "[P, P]"), []string{"the resource instances of this Terraform configuration hold more than 250000 values, the most lbcheck reads from one root module; azurerm_lb.l is the first beyond"}},
		{"string", doubling(40, `"x"`, `"${P}${P}"`), []string{memory, slow}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := testtree.Write(t, map[string]string{"main.tf": tc.src})
			_, err := Load(dir, Options{})
			var limit *childeval.LimitError
			if !errors.As(err, &limit) || !slices.ContainsFunc(tc.want, func(w string) bool { return strings.HasPrefix(err.Error(), dir+": "+w) }) {
				t.Errorf("error %v, want a limit error starting with one of %q", err, tc.want)
			}
		})
	}
}
