package rules

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer"
)

// hclEdit replaces the first old in file (a path in the fixture
// directory) by new, on as many lines, so that the findings of the
// unedited configuration keep their lines.
type hclEdit struct{ file, old, new string }

// hclFinding is a finding of rule at the line of file where at first
// occurs, once the edits are made.
type hclFinding struct{ rule, file, at string }

// hclMutation is a configuration edited, with the findings the edits add.
type hclMutation struct {
	name  string
	edits []hclEdit
	extra []hclFinding
}

// TestTerraformHCL lints each Terraform configuration of
// fixtures/import/terraform-hcl and the deployment it describes in
// lbcheck's YAML (the directory's twin, DIR.yaml): both give the same model
// and the same findings. Each mutation edits a copy of the configuration
// and must add exactly its findings, at the .tf lines that hold the value.
//
//   - sql-ag-listener: a SQL Server availability group listener, Floating IP
//     spelt either way.
//   - nva-ha-ports: two firewall appliances with untrust and trust NICs
//     behind two HA-ports rules with Floating IP (for_each over a map of
//     appliances, frontends from a dynamic block, addresses from
//     cidrsubnet and cidrhost).
//   - module-layout: a web and a SQL load balancer, each a call of the
//     local module modules/ilb, whose values land in the module's files;
//     pool members passed to the module as NIC IDs, or joined in the root
//     through its backend_pool_id output.
//   - vmss-web: a Linux scale set behind a public load balancer, HTTP and
//     HTTPS without Floating IP (for_each over a map of ports), an inbound
//     NAT pool for SSH, an outbound rule, a network security group on the
//     subnet that lets in the probe and the rules' ports before it denies
//     the rest; the instances' and the public IP's addresses are Azure's,
//     stand-ins in the YAML.
func TestTerraformHCL(t *testing.T) {
	cases := []struct {
		dir       string
		mutations []hclMutation
	}{{
		dir: "sql-ag-listener",
		mutations: []hclMutation{
			{"enable_floating_ip", []hclEdit{{"main.tf", "floating_ip_enabled     ", "enable_floating_ip      "}}, nil},
			{"no Floating IP", []hclEdit{{"main.tf", "floating_ip_enabled            = true", "floating_ip_enabled            = false"}},
				[]hclFinding{{"LB2004", "main.tf", "floating_ip_enabled"}}},
		},
	}, {
		dir: "nva-ha-ports",
		mutations: []hclMutation{
			{"Floating IP off",
				[]hclEdit{{"main.tf", "floating_ip_enabled            = true", "floating_ip_enabled            = false"}},
				[]hclFinding{{"LB1003", "main.tf", "backend_port                   = 0"}, {"LB1007", "main.tf", "floating_ip_enabled"}}},
			{"Floating IP off on the onprem rule",
				[]hclEdit{{"main.tf", "floating_ip_enabled            = true", `floating_ip_enabled            = each.key != "onprem"`}},
				[]hclFinding{{"LB1007", "main.tf", "floating_ip_enabled"}}},
			{"Basic SKU",
				[]hclEdit{{"main.tf", "sku                 = \"Standard\"\n  tags", "sku                 = \"Basic\"\n  tags"}},
				[]hclFinding{{"LB1005", "main.tf", `protocol                       = "All"`}, {"LB1005", "main.tf", `protocol                       = "All"`}}},
			{"no probe",
				[]hclEdit{{"main.tf", "probe_id                       = azurerm_lb_probe.nva.id", "probe_id                       = null"}},
				[]hclFinding{{"LB2003", "main.tf", `resource "azurerm_lb_rule"`}, {"LB2003", "main.tf", `resource "azurerm_lb_rule"`}}},
			{"number_of_probes without probe_threshold",
				[]hclEdit{{"main.tf", "probe_threshold     = 2", "number_of_probes    = 2"}},
				[]hclFinding{{"LB9001", "main.tf", "number_of_probes"}}},
		},
	}, {
		dir: "module-layout",
		mutations: []hclMutation{
			{"SQL listener without Floating IP",
				[]hclEdit{{"main.tf", "floating_ip         = true", "floating_ip         = false"}},
				[]hclFinding{{"LB2004", "modules/ilb/main.tf", "floating_ip_enabled"}}},
			{"web rules share a backend port",
				[]hclEdit{{"main.tf", "port = 80, backend_port = 8080", "port = 80, backend_port = 8443"}},
				[]hclFinding{{"LB1003", "modules/ilb/main.tf", "backend_port"}}},
			{"web NICs joined by an IP configuration they lack",
				[]hclEdit{{"main.tf", `ip_configuration_name   = "ipconfig1"`, `ip_configuration_name   = "ipconfig2"`}},
				[]hclFinding{{"LB1001", "main.tf", `"azurerm_network_interface_backend_address_pool_association" "web"`},
					{"LB1001", "main.tf", `"azurerm_network_interface_backend_address_pool_association" "web"`}}},
		},
	}, {
		dir: "vmss-web",
		mutations: []hclMutation{
			{"no probe",
				[]hclEdit{{"main.tf", "probe_id                       = azurerm_lb_probe.healthz.id", "probe_id                       = null"}},
				[]hclFinding{{"LB2003", "main.tf", `resource "azurerm_lb_rule"`}, {"LB2003", "main.tf", `resource "azurerm_lb_rule"`}}},
			{"NAT pool too small for the instances",
				[]hclEdit{{"variables.tf", "last  = 50099", "last  = 50001"}},
				[]hclFinding{{"LB0001", "main.tf", "frontend_port_end"}}},
			{"HTTPS on the HTTP port",
				[]hclEdit{{"variables.tf", "https = 443", "https = 80"}},
				[]hclFinding{{"LB1004", "main.tf", "frontend_port                  = each.value"}, {"LB1003", "main.tf", "backend_port                   = each.value"}}},
		},
	}}
	base := filepath.Join(fixtures, "import", "terraform-hcl")
	for _, fx := range cases {
		t.Run(fx.dir, func(t *testing.T) {
			dir := filepath.Join(base, fx.dir)
			tf, tfFindings := lintHCL(t, dir)
			twin, yamlFindings := lintHCL(t, dir+".yaml")
			standIns(tf, twin)
			tfModel, yamlModel := modelJSON(t, tf), modelJSON(t, twin)
			if tfModel != yamlModel {
				t.Errorf("the configuration's model differs from %s.yaml's:\n%s\nwant:\n%s", fx.dir, tfModel, yamlModel)
			}
			if !slices.Equal(unpositioned(tfFindings), unpositioned(yamlFindings)) {
				t.Errorf("findings %q, want those of %s.yaml: %q", unpositioned(tfFindings), fx.dir, unpositioned(yamlFindings))
			}
			for _, m := range fx.mutations {
				t.Run(m.name, func(t *testing.T) {
					tmp := filepath.Join(t.TempDir(), fx.dir)
					if err := os.CopyFS(tmp, os.DirFS(dir)); err != nil {
						t.Fatal(err)
					}
					for _, e := range m.edits {
						editFile(t, filepath.Join(tmp, e.file), e.old, e.new)
					}
					want := lines(t, dir, tfFindings)
					for _, f := range m.extra {
						want = append(want, fmt.Sprintf("%s %s:%d", f.rule, f.file, lineOf(t, filepath.Join(tmp, f.file), f.at)))
					}
					slices.Sort(want)
					_, got := lintHCL(t, tmp)
					if got := lines(t, tmp, got); !slices.Equal(got, want) {
						t.Errorf("findings %q, want %q", got, want)
					}
				})
			}
		})
	}
}

// lintHCL loads path as lbcheck lint does and returns the model and the
// findings of every rule.
func lintHCL(t *testing.T, path string) (*schema.Deployment, []lint.Finding) {
	t.Helper()
	l, err := importer.Load(importer.Auto, []string{path}, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return l.Deployment, lint.Run(l.Deployment, l.Issues, All, l.Sources)
}

// modelJSON is d as JSON.
func modelJSON(t *testing.T, d *schema.Deployment) string {
	t.Helper()
	model, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(model)
}

// standIns blanks in twin the addresses that tf leaves unknown (Azure
// allocates them: scale set instances, public IPs), which the YAML must
// give as stand-ins.
func standIns(tf, twin *schema.Deployment) {
	for i, lb := range tf.LoadBalancers {
		for j, fe := range lb.FrontendIPConfigurations {
			if _, unknown := fe.Unknown("ipAddress"); unknown && i < len(twin.LoadBalancers) && j < len(twin.LoadBalancers[i].FrontendIPConfigurations) {
				twin.LoadBalancers[i].FrontendIPConfigurations[j].IPAddress = ""
			}
		}
	}
	for i, vm := range tf.VMs {
		for j, nic := range vm.NetworkInterfaces {
			for k, c := range nic.IPConfigurations {
				if _, unknown := c.Unknown("privateIPAddress"); unknown && i < len(twin.VMs) && j < len(twin.VMs[i].NetworkInterfaces) &&
					k < len(twin.VMs[i].NetworkInterfaces[j].IPConfigurations) {
					twin.VMs[i].NetworkInterfaces[j].IPConfigurations[k].PrivateIPAddress = ""
				}
			}
		}
	}
}

// unpositioned renders findings without their positions: rule, object and
// message, sorted.
func unpositioned(fs []lint.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+" "+f.Object+": "+f.Message)
	}
	slices.Sort(out)
	return out
}

// lines renders findings as "rule file:line", file relative to dir,
// sorted.
func lines(t *testing.T, dir string, fs []lint.Finding) []string {
	t.Helper()
	var out []string
	for _, f := range fs {
		rel, err := filepath.Rel(dir, f.Pos.File)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s:%d", f.Rule, filepath.ToSlash(rel), f.Pos.Line))
	}
	slices.Sort(out)
	return out
}

// editFile replaces the first old in file by new; old must be there.
func editFile(t *testing.T, file, old, new string) {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), old) {
		t.Fatalf("%q not in %s", old, file)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(string(src), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lineOf is the line of file where at first occurs.
func lineOf(t *testing.T, file, at string) int {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(src), at)
	if i < 0 {
		t.Fatalf("%q not in %s", at, file)
	}
	return strings.Count(string(src[:i]), "\n") + 1
}
