package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
	tu "github.com/lbcheck/lbcheck/schema/importer/internal/testutil"
)

func importFixture(t *testing.T, rel string, opts Options) (string, []byte, *schema.Deployment, []schema.Issue) {
	t.Helper()
	name, src := tu.ReadFixture(t, rel)
	d, issues, err := Import(Auto, name, src, opts)
	if err != nil {
		t.Fatal(err)
	}
	return name, src, d, issues
}

func onlyLB(t *testing.T, d *schema.Deployment, name string) *schema.LoadBalancer {
	t.Helper()
	for _, lb := range d.LoadBalancers {
		if lb.Name == name {
			return lb
		}
	}
	t.Fatalf("load balancer %s not imported", name)
	return nil
}

func rule(t *testing.T, lb *schema.LoadBalancer, name string) *schema.Rule {
	t.Helper()
	for _, r := range lb.LoadBalancingRules {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("rule %s not imported", name)
	return nil
}

func members(p *schema.BackendPool) []string {
	var out []string
	for _, m := range p.Members {
		out = append(out, m.VM+"/"+m.NetworkInterface+"/"+m.IPConfiguration)
	}
	return out
}

func hasIssue(issues []schema.Issue, rule string, at schema.Pos, text string) bool {
	for _, i := range issues {
		if i.Rule == rule && i.Pos == at && strings.Contains(i.Message, text) {
			return true
		}
	}
	return false
}

// checkUnknown fails unless field of n is marked unknown, written at want,
// with a reason that contains text, and no issue reports it: lint reports
// an unknown field (LB0010) only when a rule needs it.
func checkUnknown(t *testing.T, n *schema.Node, field string, want schema.Pos, text string, issues []schema.Issue) {
	t.Helper()
	if why, ok := n.Unknown(field); !ok || !strings.Contains(why, text) {
		t.Errorf("%s.%s unknown = %v (%q), want unknown naming %q", n.Path(), field, ok, why, text)
	}
	tu.CheckPos(t, n.Path()+"."+field, n.At(field), want)
	if hasIssue(issues, schema.RuleUnknown, want, "") {
		t.Errorf("an issue reports %s.%s: %v", n.Path(), field, issues)
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		rel  string
		want Format
	}{
		{"arm/sql-ag-listener.json", ARM},
		{"arm/sql-ag-listener.parameters.json", Parameters},
		{"az/web-lb.json", ARM},
		{"az/web-nics.json", ARM},
		{"terraform/iis-sql-2tier.plan.json", Terraform},
		{"windows/sqlvm0-netipinterface.json", Windows},
		{"windows/sqlvm0-netipaddress.json", Windows},
	}
	for _, tt := range tests {
		name, src := tu.ReadFixture(t, tt.rel)
		if got := Detect(name, src); got != tt.want {
			t.Errorf("Detect(%s) = %s, want %s", tt.rel, got, tt.want)
		}
	}
	for _, native := range []string{"loadBalancers:\n  - name: x\n", `{"loadBalancers": []}`, "{broken"} {
		if got := Detect("x.yaml", []byte(native)); got != Native {
			t.Errorf("Detect(%q) = %s, want native", native, got)
		}
	}
}

func TestARMTemplateWithParameters(t *testing.T) {
	pname, params := tu.ReadFixture(t, "arm/sql-ag-listener.parameters.json")
	name, src, d, issues := importFixture(t, "arm/sql-ag-listener.json", Options{Parameters: params, ParametersFile: pname})
	lb := onlyLB(t, d, "sqlprod-ilb") // the parameters file renames it
	if lb.SKU != "Standard" || lb.Type != "internal" {
		t.Errorf("sku %s type %s, want Standard internal", lb.SKU, lb.Type)
	}
	fe := lb.Frontend("SqlAgListenerFrontend")
	if fe == nil || fe.IPAddress != "10.0.1.10" {
		t.Fatalf("frontend = %+v, want the listener IP from the parameters file", fe)
	}
	tu.CheckPos(t, "frontend ipAddress", fe.At("ipAddress"), tu.PosOf(t, name, src, `"privateIPAddress": "[parameters('listenerIPAddress')]"`, 1))

	r := rule(t, lb, "SQLAlwaysOnEndPointListener")
	if !r.EnableFloatingIP || r.FrontendPort != 1433 || r.BackendPort != 1433 || r.Protocol != "Tcp" ||
		r.FrontendIPConfiguration != "SqlAgListenerFrontend" || r.BackendAddressPool != "SqlAgBackendPool" || r.Probe != "SqlAgProbe" {
		t.Errorf("rule = %+v", *r)
	}
	tu.CheckPos(t, "enableFloatingIP", r.At("enableFloatingIP"), tu.PosOf(t, name, src, `"enableFloatingIP": true`, 1))
	tu.CheckPos(t, "frontendPort", r.At("frontendPort"), tu.PosOf(t, name, src, `"frontendPort": "[parameters('listenerPort')]"`, 1))
	if r.Has("loadDistribution") || r.LoadDistribution != "Default" {
		t.Errorf("loadDistribution = %q (written %v), want the unwritten default", r.LoadDistribution, r.Has("loadDistribution"))
	}
	if r.EnableTcpReset || !r.Has("enableTcpReset") || len(r.UnknownFields()) != 0 {
		t.Errorf("enableTcpReset = %v, unknown fields %v", r.EnableTcpReset, r.UnknownFields())
	}
	// The probe's ProbeThreshold (matched case-insensitively) is
	// if(equals(parameters('listenerPort'), 1433), 1, 2), evaluated.
	p := lb.Probe("SqlAgProbe")
	if p.ProbeThreshold != 1 || len(p.UnknownFields()) != 0 {
		t.Errorf("probeThreshold = %d (unknown fields %v), want 1", p.ProbeThreshold, p.UnknownFields())
	}
	tu.CheckPos(t, "probeThreshold", p.At("probeThreshold"), tu.PosOf(t, name, src, `"ProbeThreshold"`, 1))
	if len(issues) != 0 {
		t.Errorf("issues = %v, want none", issues)
	}

	if p := lb.Probe("SqlAgProbe"); p == nil || p.Port != 59999 || p.IntervalInSeconds != 5 {
		t.Errorf("probe = %+v", p)
	}
	if len(lb.InboundNatRules) != 1 || lb.InboundNatRules[0].Name != "rdp-sqlvm0" || lb.InboundNatRules[0].FrontendPort != 50001 {
		t.Fatalf("NAT rules = %+v", lb.InboundNatRules)
	}
	tu.CheckPos(t, "NAT rule name", lb.InboundNatRules[0].At("name"), tu.PosOf(t, name, src, `"name": "[concat(parameters('loadBalancerName'), '/'`, 1))

	got := members(lb.Pool("SqlAgBackendPool"))
	if strings.Join(got, " ") != "sqlvm0/sqlvm-nic0/ipconfig1 sqlvm1/sqlvm-nic1/ipconfig1" {
		t.Errorf("pool members = %v", got)
	}
	for i, want := range []string{"10.0.1.4", "10.0.1.5"} {
		vm := d.VM("sqlvm" + string(rune('0'+i)))
		if vm == nil {
			t.Fatalf("VM sqlvm%d missing", i)
		}
		c := vm.NetworkInterfaces[0].IPConfigurations[0]
		if c.PrivateIPAddress != want || !c.Primary {
			t.Errorf("VM %s ipconfig = %+v, want %s primary", vm.Name, *c, want)
		}
		// The VM is positioned at its own resource: the "{" on the line
		// before its "type".
		typ := tu.PosOf(t, name, src, `"type": "Microsoft.Compute/virtualMachines"`, 1)
		tu.CheckPos(t, "VM", vm.Pos(), schema.Pos{File: name, Line: typ.Line - 1, Column: typ.Column - 2})
	}
}

func TestARMTemplateWithoutParameters(t *testing.T) {
	name, src, d, issues := importFixture(t, "arm/sql-ag-listener.json", Options{})
	fe := onlyLB(t, d, "sql-ag-ilb").Frontend("SqlAgListenerFrontend")
	if fe.IPAddress != "" {
		t.Errorf("frontend ipAddress = %q, want the zero value", fe.IPAddress)
	}
	at := tu.PosOf(t, name, src, `"privateIPAddress": "[parameters('listenerIPAddress')]"`, 1)
	checkUnknown(t, &fe.Node, "ipAddress", at, "parameter 'listenerIPAddress' has no defaultValue", issues)
	// Without the parameters file loadBalancerName takes its default, in
	// the load balancer and in its separately declared NAT rule.
	if lb := onlyLB(t, d, "sql-ag-ilb"); len(lb.InboundNatRules) != 1 {
		t.Errorf("NAT rules of sql-ag-ilb = %v", lb.InboundNatRules)
	}
}

func TestAzShowAcrossFiles(t *testing.T) {
	lbName, lbSrc := tu.ReadFixture(t, "az/web-lb.json")
	nicName, nicSrc := tu.ReadFixture(t, "az/web-nics.json")
	d, issues, err := LoadFiles(Auto, []string{lbName, nicName}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	lb := onlyLB(t, d, "web-lb")
	if lb.Type != "public" || lb.SKU != "Standard" {
		t.Errorf("type %s sku %s, want public Standard", lb.Type, lb.SKU)
	}
	// Without the public IP resource the public frontend's address is
	// unknown.
	checkUnknown(t, &lb.Frontend("web-fe").Node, "ipAddress", tu.PosOf(t, lbName, lbSrc, `"publicIPAddress": {`, 1), "web-pip", issues)
	dsr := rule(t, lb, "https-dsr")
	if !dsr.EnableFloatingIP || dsr.IdleTimeoutInMinutes != 15 || dsr.LoadDistribution != "SourceIP" || dsr.Probe != "http-probe" {
		t.Errorf("https-dsr = %+v", *dsr)
	}
	tu.CheckPos(t, "https-dsr enableFloatingIP", dsr.At("enableFloatingIP"), tu.PosAfter(t, lbName, lbSrc, `"backendPort": 443`, `"enableFloatingIP"`))
	// The NIC side names the VMs and replaces the load balancer side's
	// members, which only know the NIC.
	pool := lb.Pool("web-pool")
	want := "web-vm1/web-vm1-nic/ipconfig1 web-vm2/web-vm2-nic/ipconfig1 web-vm2/web-vm2-nic/ipconfig2"
	if got := strings.Join(members(pool), " "); got != want {
		t.Errorf("members = %s, want %s", got, want)
	}
	tu.CheckPos(t, "secondary member", pool.Members[2].Pos(), tu.PosAfter(t, nicName, nicSrc, `ipConfigurations/ipconfig2"`, `{`))
	nat := lb.InboundNatRules[0]
	if nat.Target == nil || nat.Target.VM != "web-vm1" || nat.Target.IPConfiguration != "ipconfig1" {
		t.Errorf("NAT target = %+v", nat.Target)
	}
	if o := lb.OutboundRules; len(o) != 1 || o[0].Protocol != "All" || o[0].AllocatedOutboundPorts != 10000 || o[0].FrontendIPConfigurations[0] != "web-fe" {
		t.Errorf("outbound rules = %+v", o)
	}
	vm2 := d.VM("web-vm2")
	if vm2 == nil || len(vm2.NetworkInterfaces) != 1 || len(vm2.NetworkInterfaces[0].IPConfigurations) != 2 {
		t.Fatalf("web-vm2 = %+v", vm2)
	}
	if c := vm2.NetworkInterfaces[0].IPConfigurations[1]; c.Primary || c.PrivateIPAddress != "10.1.0.20" {
		t.Errorf("ipconfig2 = %+v, want secondary 10.1.0.20", *c)
	}

	// Alone, the load balancer's members name no VM: reported, not checked.
	d, issues, err = Import(Auto, lbName, lbSrc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := members(onlyLB(t, d, "web-lb").Pool("web-pool"))[0]; got != "/web-vm1-nic/ipconfig1" {
		t.Errorf("LB-side member = %s", got)
	}
	firstMember := tu.PosAfter(t, lbName, lbSrc, `"backendIPConfigurations"`, "{")
	if !hasIssue(issues, schema.RuleUnknown, firstMember, "add `az network nic show` output") {
		t.Errorf("no issue for the LB-side member at %v: %v", firstMember, issues)
	}
	// Alone, the NICs' memberships have no load balancer: reported.
	_, issues, err = Import(Auto, nicName, nicSrc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(issues) != 4 || issues[0].Rule != schema.RuleUnknown || !strings.Contains(issues[0].Message, "none of the input files declares") {
		t.Errorf("issues = %v, want 4 unresolved memberships (LB0010)", issues)
	}
}

func TestTerraformPlan(t *testing.T) {
	name, src, d, issues := importFixture(t, "terraform/iis-sql-2tier.plan.json", Options{})
	sql := onlyLB(t, d, "sql-ilb")
	if sql.Type != "internal" || sql.Frontend("sql-listener").IPAddress != "10.20.2.10" {
		t.Errorf("sql-ilb = %+v", *sql)
	}
	r := rule(t, sql, "sql-ag-listener")
	if r.EnableFloatingIP || !r.Has("enableFloatingIP") || r.FrontendPort != 1433 || r.BackendAddressPool != "sql-pool" || r.Probe != "sql-ag-probe" {
		t.Errorf("sql rule = %+v", *r)
	}
	// resource_changes entries are indented by 4 (planned_values deeper).
	anchor := "{\n      \"address\": \"azurerm_lb_rule.sql_listener\""
	tu.CheckPos(t, "rule", r.Pos(), tu.PosOf(t, name, src, anchor, 1))
	tu.CheckPos(t, "enable_floating_ip", r.At("enableFloatingIP"), tu.PosAfter(t, name, src, anchor, `"enable_floating_ip"`))
	// Pool membership through count.index references in configuration.
	if got := strings.Join(members(sql.Pool("sql-pool")), " "); got != "sql-vm0/sql-vm0-nic/ipconfig1 sql-vm1/sql-vm1-nic/ipconfig1" {
		t.Errorf("sql-pool members = %s", got)
	}
	web := onlyLB(t, d, "web-lb")
	if web.Type != "public" {
		t.Errorf("web-lb type = %s", web.Type)
	}
	// The public IP's address is known after apply.
	checkUnknown(t, &web.Frontend("web-frontend").Node, "ipAddress",
		tu.PosAfter(t, name, src, "{\n      \"address\": \"azurerm_public_ip.web\"", `"ip_address": true`), "ip_address", issues)
	nat := web.InboundNatRules[0]
	if nat.BackendAddressPool != "web-pool" || nat.FrontendPortRangeStart != 50001 || nat.FrontendPortRangeEnd != 50010 {
		t.Errorf("nat rule = %+v", *nat)
	}
	if o := web.OutboundRules[0]; o.BackendAddressPool != "web-pool" || !o.EnableTcpReset || o.FrontendIPConfigurations[0] != "web-frontend" {
		t.Errorf("outbound rule = %+v", *o)
	}
	vm := d.VM("web-vm1")
	if vm == nil || vm.NetworkInterfaces[0].Name != "web-vm1-nic" || vm.NetworkInterfaces[0].IPConfigurations[0].PrivateIPAddress != "10.20.1.5" {
		t.Fatalf("web-vm1 = %+v", vm)
	}
}

func TestWindowsPair(t *testing.T) {
	ifName, ifSrc := tu.ReadFixture(t, "windows/sqlvm0-netipinterface.json")
	addrName, addrSrc := tu.ReadFixture(t, "windows/sqlvm0-netipaddress.json")
	d, issues, err := LoadFiles(Auto, []string{ifName, addrName}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Names are checked across the inputs as for native files: without
	// the Azure side, the guest's VM is missing.
	if len(issues) != 1 || issues[0].Rule != schema.RuleReference || !strings.Contains(issues[0].Message, `VM "sqlvm0" does not exist`) {
		t.Fatalf("issues = %v, want only the missing VM", issues)
	}
	g := d.Guest("sqlvm0")
	if g == nil || g.OS != "windows" || len(d.Guests) != 1 {
		t.Fatalf("guests = %+v, want one windows guest sqlvm0", d.Guests)
	}
	tests := []struct {
		name, kind, addrs string
		whr, whs          bool
		row               int // the IPv4 row of Get-NetIPInterface, from 1
	}{
		{"Ethernet", "nic", "10.0.1.4/24", false, false, 4},
		{"Loopback", "loopback", "10.0.1.10/32", true, true, 5},
		{"Loopback Pseudo-Interface 1", "loopback", "::1/128 127.0.0.1/8", false, false, 6},
	}
	for _, tt := range tests {
		i := g.Interface(tt.name)
		if i == nil {
			t.Fatalf("interface %s missing", tt.name)
		}
		if string(i.Kind) != tt.kind || strings.Join(i.Addresses, " ") != tt.addrs || i.WeakHostReceive != tt.whr || i.WeakHostSend != tt.whs {
			t.Errorf("%s = %s %v whr=%v whs=%v, want %s %s %v %v", tt.name, i.Kind, i.Addresses, i.WeakHostReceive, i.WeakHostSend, tt.kind, tt.addrs, tt.whr, tt.whs)
		}
		tu.CheckPos(t, tt.name+" weakHostReceive", i.At("weakHostReceive"), tu.PosOf(t, ifName, ifSrc, `"WeakHostReceive"`, tt.row))
	}
	// Addresses point into the UTF-16 address file.
	tu.CheckPos(t, "Loopback addresses", g.Interface("Loopback").At("addresses"), tu.PosOf(t, addrName, addrSrc, `"IPAddress":  "10.0.1.10"`, 1))

	// --vm overrides the name taken from the file.
	d, _, err = Import(Windows, ifName, ifSrc, Options{VM: "sql-a"})
	if err != nil || d.Guest("sql-a") == nil {
		t.Fatalf("guest sql-a not imported: %v", err)
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"", "auto", "ARM", "terraform", "windows", "native"} {
		if _, err := ParseFormat(s); err != nil {
			t.Errorf("ParseFormat(%q): %v", s, err)
		}
	}
	if _, err := ParseFormat("bicep"); err == nil {
		t.Error("ParseFormat(bicep) accepted")
	}
}

func TestLoadFilesMixesNative(t *testing.T) {
	dir := t.TempDir()
	native := dir + "/guest.yaml"
	if err := os.WriteFile(native, []byte("guests:\n  - vm: sqlvm0\n    os: windows\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The template's directory also holds its parameters file, skipped.
	armDir := filepath.Dir(tu.Fixture(t, "arm/sql-ag-listener.json"))
	d, _, err := LoadFiles(Auto, []string{native, armDir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Guest("sqlvm0") == nil || len(d.LoadBalancers) != 1 || d.VM("sqlvm0") == nil {
		t.Errorf("mixed load = %d LBs, guests %v", len(d.LoadBalancers), d.Guests)
	}
}

// TestUnparseableFilesAreIssues: a broken ARM template and a broken native
// file are each an LB0000 issue at the parser's position; the template next
// to them is still imported.
func TestUnparseableFilesAreIssues(t *testing.T) {
	dir := t.TempDir()
	brokenARM := filepath.Join(dir, "broken.json")
	brokenYAML := filepath.Join(dir, "broken.yaml")
	for name, src := range map[string]string{
		brokenARM:  "{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n \"resources\": [}\n",
		brokenYAML: "guests: [x\n",
	} {
		if err := os.WriteFile(name, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, issues, err := LoadFiles(Auto, []string{brokenARM, brokenYAML, tu.Fixture(t, "arm/sql-ag-listener.json")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.LoadBalancers) != 1 {
		t.Errorf("%d load balancers, want the good template's", len(d.LoadBalancers))
	}
	var got []string
	for _, is := range issues {
		if is.Rule == schema.RuleParse {
			got = append(got, fmt.Sprintf("%s:%d", filepath.Base(is.Pos.File), is.Pos.Line))
		}
	}
	if want := []string{"broken.json:2", "broken.yaml:1"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("LB0000 issues at %v, want %v", got, want)
	}
}

// BenchmarkLoadFiles imports every fixture format once per iteration.
func BenchmarkLoadFiles(b *testing.B) {
	paths := []string{tu.Fixture(b, "arm"), tu.Fixture(b, "az"), tu.Fixture(b, "terraform"), tu.Fixture(b, "windows")}
	_, params := tu.ReadFixture(b, "arm/sql-ag-listener.parameters.json")
	var size int64
	for _, p := range paths {
		entries, err := os.ReadDir(p)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range entries {
			if info, err := e.Info(); err == nil {
				size += info.Size()
			}
		}
	}
	b.SetBytes(size)
	for b.Loop() {
		if _, _, err := LoadFiles(Auto, paths, Options{Parameters: params}); err != nil {
			b.Fatal(err)
		}
	}
}
