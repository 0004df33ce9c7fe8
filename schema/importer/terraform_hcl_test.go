package importer

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/lbcheck/lbcheck/internal/testtree"
	"github.com/lbcheck/lbcheck/schema"
)

// ilbModule is a local module declaring an internal load balancer named
// by its input.
const ilbModule = `
variable "name" {}
resource "azurerm_lb" "this" {
  name                = var.name
  resource_group_name = "rg"
  sku                 = "Standard"
  frontend_ip_configuration {
    name               = "fe"
    private_ip_address = "10.0.0.4"
  }
}
`

// TestTerraformHCLDirectories: which directories become root modules,
// what a named file reads, JSON syntax, and Detect by extension.
func TestTerraformHCLDirectories(t *testing.T) {
	dir := testtree.Write(t, map[string]string{
		"infra/main.tf":             "module \"a\" {\n  source = \"./modules/ilb\"\n  name   = var.prefix\n}\n",
		"infra/variables.tf":        `variable "prefix" { default = "web" }`,
		"infra/modules/ilb/main.tf": ilbModule,
		"other/main.tf.json":        `{"module": {"b": {"source": "../infra/modules/ilb", "name": "json"}}}`,
		"json/lb.tf.json":           `{"resource": {"azurerm_lb": {"j": {"name": "j", "sku": "Standard", "frontend_ip_configuration": [{"name": "fe", "private_ip_address": "10.0.0.5"}]}}}}`,
		"mixed/a.tf":                `resource "azurerm_lb" "m" { name = local.n }`,
		"mixed/b.tf.json":           `{"locals": {"n": "from-json"}}`,
	})
	names := func(t *testing.T, paths ...string) []string {
		t.Helper()
		l, err := Load(Auto, paths, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, u := range l.Units {
			for _, is := range u.Issues {
				if is.Rule == schema.RuleParse || is.Rule == schema.RuleSchema {
					t.Errorf("issue %s at %s: %s", is.Rule, is.Pos, is.Message)
				}
			}
			for _, lb := range u.Deployment.LoadBalancers {
				got = append(got, lb.Name+"@"+filepath.ToSlash(must(filepath.Rel(dir, lb.Pos().File))))
			}
		}
		slices.Sort(got)
		return got
	}
	for _, tc := range []struct {
		name  string
		paths []string
		want  []string
	}{
		// The walk finds five directories of configuration files; the
		// module directory is called by infra and by other, so it is read
		// only through their calls, with their inputs; mixed's .tf uses a
		// local its .tf.json declares. Each of the four roots is a unit.
		{"walk", []string{dir}, []string{"j@json/lb.tf.json", "json@infra/modules/ilb/main.tf", "from-json@mixed/a.tf", "web@infra/modules/ilb/main.tf"}},
		// A named file reads its whole directory (variables.tf too).
		{"named file", []string{filepath.Join(dir, "infra/main.tf")}, []string{"web@infra/modules/ilb/main.tf"}},
		// The module directory on its own is a root module: its variable
		// has no value, so the name is unknown and the address stands in.
		{"module alone", []string{filepath.Join(dir, "infra/modules/ilb")}, []string{"azurerm_lb.this@infra/modules/ilb/main.tf"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			slices.Sort(tc.want)
			if got := names(t, tc.paths...); !slices.Equal(got, tc.want) {
				t.Errorf("load balancers %q, want %q", got, tc.want)
			}
		})
	}

	for name, want := range map[string]Format{"main.tf": TerraformHCL, "lb.TF.JSON": TerraformHCL, "terraform.tfvars": Native, "plan.json": Native} {
		if got := Detect(name, []byte(`{}`)); got != want {
			t.Errorf("Detect(%s) = %s, want %s", name, got, want)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestTerraformHCLUnknownNames: a configuration whose names are known only
// at apply (a prefix variable without a value) resolves its subnets,
// associations and references by resource, with the addresses standing in
// for the names: no reference is reported missing.
func TestTerraformHCLUnknownNames(t *testing.T) {
	dir := testtree.Write(t, map[string]string{"main.tf": `
variable "prefix" {}
resource "azurerm_virtual_network" "net" {
  name          = "${var.prefix}-vnet"
  address_space = ["10.6.0.0/16"]
}
resource "azurerm_subnet" "hosts" {
  name                 = "${var.prefix}-hosts"
  virtual_network_name = azurerm_virtual_network.net.name
  address_prefixes     = ["10.6.1.0/24"]
}
resource "azurerm_network_security_group" "hosts" {
  name = "${var.prefix}-nsg"
}
resource "azurerm_subnet_network_security_group_association" "hosts" {
  subnet_id                 = azurerm_subnet.hosts.id
  network_security_group_id = azurerm_network_security_group.hosts.id
}
resource "azurerm_network_interface" "nic" {
  name = "${var.prefix}-nic"
  ip_configuration {
    name                          = "internal"
    subnet_id                     = azurerm_subnet.hosts.id
    private_ip_address_allocation = "Static"
    private_ip_address            = "10.6.1.4"
  }
}
`})
	l, err := Load(Auto, []string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, is := range l.Issues {
		t.Errorf("issue %s at %s: %s", is.Rule, is.Pos, is.Message)
	}
	d := l.Deployment
	const subnet = "azurerm_virtual_network.net/azurerm_subnet.hosts"
	if len(d.Subnets) != 1 || d.Subnets[0].Name != subnet || d.Subnets[0].NetworkSecurityGroup != "azurerm_network_security_group.hosts" {
		t.Errorf("subnets %+v, want %s with its group", d.Subnets, subnet)
	}
	if len(d.VMs) != 1 || d.VMs[0].NetworkInterfaces[0].IPConfigurations[0].Subnet != subnet {
		t.Errorf("VMs %+v, want the NIC's IP configuration in %s", d.VMs, subnet)
	}
}
