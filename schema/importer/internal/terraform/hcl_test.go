package terraform_test

import (
	"path/filepath"
	"slices"
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

// groupsTF has the groups web-nsg (two inline rules: a port given as a
// number, client prefixes from a variable without a value) and app-nsg
// (a separate rule), the subnet vnet/web associated with web-nsg, a NIC in
// it associated with app-nsg, a NIC in a subnet read by a data source, and
// a scale set whose network interface is in vnet/web with app-nsg.
const groupsTF = `
variable "clients" {}
resource "azurerm_network_security_group" "web" {
  name = "web-nsg"
  resource_group_name = "rg"
  security_rule {
    name = "allow-lb"
    priority = 100
    direction = "Inbound"
    access = "Allow"
    protocol = "Tcp"
    source_address_prefix = "AzureLoadBalancer"
    source_port_range = "*"
    destination_address_prefix = "*"
    destination_port_range = 8080
  }
  security_rule {
    name = "allow-https"
    priority = 110
    direction = "Inbound"
    access = "Allow"
    protocol = "Tcp"
    source_address_prefixes = var.clients
    source_port_range = "*"
    destination_address_prefixes = ["10.0.1.0/24"]
    destination_port_ranges = ["443", "8000-8999"]
  }
}
resource "azurerm_network_security_group" "app" {
  name = "app-nsg"
  resource_group_name = "rg"
}
resource "azurerm_network_security_rule" "deny" {
  name = "deny-all"
  priority = 4096
  direction = "Inbound"
  access = "Deny"
  protocol = "*"
  source_address_prefix = "*"
  source_port_range = "*"
  destination_address_prefix = "*"
  destination_port_range = "*"
  resource_group_name = "rg"
  network_security_group_name = azurerm_network_security_group.app.name
}
resource "azurerm_subnet" "web" {
  name = "web"
  resource_group_name = "rg"
  virtual_network_name = "vnet"
}
resource "azurerm_subnet_network_security_group_association" "web" {
  subnet_id = azurerm_subnet.web.id
  network_security_group_id = azurerm_network_security_group.web.id
}
data "azurerm_subnet" "hub" {
  name = "shared"
  virtual_network_name = "hub"
  resource_group_name = "rg"
}
resource "azurerm_network_interface" "web" {
  name = "web-nic"
  resource_group_name = "rg"
  ip_configuration {
    name = "ipconfig1"
    subnet_id = azurerm_subnet.web.id
    private_ip_address = "10.0.1.4"
  }
}
resource "azurerm_network_interface" "hub" {
  name = "hub-nic"
  resource_group_name = "rg"
  ip_configuration {
    name = "ipconfig1"
    subnet_id = data.azurerm_subnet.hub.id
    private_ip_address = "10.1.0.4"
  }
}
resource "azurerm_network_interface_security_group_association" "web" {
  network_interface_id = azurerm_network_interface.web.id
  network_security_group_id = azurerm_network_security_group.app.id
}
resource "azurerm_linux_virtual_machine_scale_set" "web" {
  name = "vmss"
  resource_group_name = "rg"
  instances = 1
  network_interface {
    name = "nic"
    primary = true
    network_security_group_id = azurerm_network_security_group.app.id
    ip_configuration {
      name = "ip"
      primary = true
      subnet_id = azurerm_subnet.web.id
    }
  }
}
`

// TestSecurityGroupsFromHCL reads network security groups, subnets and
// their associations from a .tf file through tfconfig.
func TestSecurityGroupsFromHCL(t *testing.T) {
	r, file := load(t, "main.tf", groupsTF)
	src := []byte(groupsTF)
	at := func(text string) schema.Pos { return tu.PosOf(t, file, src, text, 1) }
	d := r.Deployment
	rules := func(g *schema.NetworkSecurityGroup) string {
		return g.Name + "[" + joined(g.SecurityRules, func(sr *schema.SecurityRule) string { return sr.Name }) + "]"
	}
	if got := joined(d.NetworkSecurityGroups, rules); got != "web-nsg[allow-lb allow-https] app-nsg[deny-all]" {
		t.Fatalf("groups %s, want web-nsg[allow-lb allow-https] app-nsg[deny-all]", got)
	}
	lb, https := d.NetworkSecurityGroups[0].SecurityRules[0], d.NetworkSecurityGroups[0].SecurityRules[1]
	if !slices.Equal(lb.SourceAddressPrefixes, []string{"AzureLoadBalancer"}) || !slices.Equal(lb.DestinationPortRanges, []string{"8080"}) {
		t.Errorf("allow-lb from %q to ports %q, want AzureLoadBalancer to 8080", lb.SourceAddressPrefixes, lb.DestinationPortRanges)
	}
	tu.CheckPos(t, "allow-lb sourceAddressPrefixes", lb.At("sourceAddressPrefixes"), at("source_address_prefix = "))
	tu.CheckPos(t, "allow-lb destinationPortRanges", lb.At("destinationPortRanges"), at("destination_port_range = 8080"))
	if why, unknown := https.Unknown("sourceAddressPrefixes"); !unknown || !strings.Contains(why, "variable clients has no default") {
		t.Errorf("allow-https sourceAddressPrefixes unknown %v (%q), want the variable without a value", unknown, why)
	}
	tu.CheckPos(t, "allow-https sourceAddressPrefixes", https.At("sourceAddressPrefixes"), at("source_address_prefixes = var.clients"))
	if !slices.Equal(https.DestinationPortRanges, []string{"443", "8000-8999"}) {
		t.Errorf("allow-https to ports %q", https.DestinationPortRanges)
	}
	deny := d.NetworkSecurityGroups[1].SecurityRules[0]
	if deny.Priority != 4096 || deny.Access != schema.AccessDeny || deny.Protocol != schema.SecurityAny {
		t.Errorf("deny-all %+v", deny)
	}
	tu.CheckPos(t, "deny-all priority", deny.At("priority"), at("priority = 4096"))

	if got := joined(d.Subnets, func(s *schema.Subnet) string { return s.Name + ":" + s.NetworkSecurityGroup }); got != "vnet/web:web-nsg" {
		t.Fatalf("subnets %s, want vnet/web:web-nsg", got)
	}
	tu.CheckPos(t, "vnet/web networkSecurityGroup", d.Subnets[0].At("networkSecurityGroup"),
		at("network_security_group_id = azurerm_network_security_group.web.id"))

	nics := map[string]*schema.NetworkInterface{}
	for _, vm := range d.VMs {
		for _, nic := range vm.NetworkInterfaces {
			nics[vm.Name+"/"+nic.Name] = nic
		}
	}
	web, hub, vmss := nics["web-nic/web-nic"], nics["hub-nic/hub-nic"], nics["vmss_0/nic"]
	if web == nil || hub == nil || vmss == nil {
		t.Fatalf("NICs %v", nics)
	}
	if c := web.IPConfigurations[0]; c.Subnet != "vnet/web" || web.NetworkSecurityGroup != "app-nsg" {
		t.Errorf("web-nic in %q with %q, want vnet/web with app-nsg", c.Subnet, web.NetworkSecurityGroup)
	}
	tu.CheckPos(t, "web-nic subnet", web.IPConfigurations[0].At("subnet"),
		tu.PosAfter(t, file, src, `resource "azurerm_network_interface" "web"`, "subnet_id = azurerm_subnet.web.id"))
	tu.CheckPos(t, "web-nic networkSecurityGroup", web.At("networkSecurityGroup"),
		at("network_security_group_id = azurerm_network_security_group.app.id"))
	if why, unknown := hub.IPConfigurations[0].Unknown("subnet"); !unknown || !strings.Contains(why, "data source data.azurerm_subnet.hub") {
		t.Errorf("hub-nic's subnet unknown %v (%q), want the data source", unknown, why)
	}
	if c := vmss.IPConfigurations[0]; c.Subnet != "vnet/web" || vmss.NetworkSecurityGroup != "app-nsg" {
		t.Errorf("vmss_0's NIC in %q with %q, want vnet/web with app-nsg", c.Subnet, vmss.NetworkSecurityGroup)
	}
	tu.CheckPos(t, "vmss_0 networkSecurityGroup", vmss.At("networkSecurityGroup"),
		tu.PosOf(t, file, src, "network_security_group_id = azurerm_network_security_group.app.id", 2))
	if len(r.Issues) != 0 {
		t.Errorf("issues %v", r.Issues)
	}
	if issues := schema.Resolve(d); len(issues) != 0 {
		t.Errorf("reference check: %v", issues)
	}
}

// groupsTFJSON declares, in JSON syntax, a group with one security_rule
// block and a subnet with a delegation block, written as single objects.
const groupsTFJSON = `{"resource": {
  "azurerm_network_security_group": {"web": {"name": "web-nsg", "resource_group_name": "rg",
    "security_rule": {"name": "allow-lb", "priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
      "source_address_prefix": "AzureLoadBalancer", "source_port_range": "*", "destination_address_prefix": "*", "destination_port_range": "80"}}},
  "azurerm_subnet": {"web": {"name": "web", "resource_group_name": "rg", "virtual_network_name": "vnet",
    "delegation": {"name": "d", "service_delegation": {"name": "Microsoft.Web/serverFarms"}}}},
  "azurerm_subnet_network_security_group_association": {"web": {
    "subnet_id": "${azurerm_subnet.web.id}", "network_security_group_id": "${azurerm_network_security_group.web.id}"}}
}}`

// TestSecurityGroupsFromJSONSyntax reads a group and a subnet from a
// .tf.json file.
func TestSecurityGroupsFromJSONSyntax(t *testing.T) {
	r, _ := load(t, "main.tf.json", groupsTFJSON)
	d := r.Deployment
	if len(d.NetworkSecurityGroups) != 1 || len(d.NetworkSecurityGroups[0].SecurityRules) != 1 ||
		!slices.Equal(d.NetworkSecurityGroups[0].SecurityRules[0].DestinationPortRanges, []string{"80"}) {
		t.Fatalf("groups %+v", d.NetworkSecurityGroups)
	}
	if len(d.Subnets) != 1 || d.Subnets[0].Name != "vnet/web" || d.Subnets[0].NetworkSecurityGroup != "web-nsg" {
		t.Errorf("subnets %+v", d.Subnets)
	}
	if len(r.Issues) != 0 {
		t.Errorf("issues %v", r.Issues)
	}
}
