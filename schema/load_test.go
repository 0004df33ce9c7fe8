package schema

import (
	"cuelang.org/go/cue/ast"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// issueStrings renders issues as "file:line:col RULE message".
func issueStrings(issues []Issue) []string {
	var out []string
	for _, i := range issues {
		out = append(out, i.Pos.String()+" "+i.Rule+" "+i.Message)
	}
	return out
}

// load is LoadBytes for tests that expect readable input.
func load(t *testing.T, name, src string) (*Deployment, []string) {
	t.Helper()
	d, issues, err := LoadBytes(name, []byte(src))
	if err != nil {
		t.Fatalf("LoadBytes(%s): %v", name, err)
	}
	return d, issueStrings(issues)
}

const positionsSrc = `loadBalancers:
- name: sql-ilb
  type: internal
  frontendIPConfigurations:
  - {name: fe, ipAddress: 10.0.1.100}
  backendAddressPools:
  - name: pool
    members:
    - vm: sql-1
      ipConfiguration: ipconfig1
  loadBalancingRules:
  - name: sql
    frontendIPConfiguration: fe
    backendAddressPool: pool
    protocol: Tcp
    frontendPort: 1433
    backendPort: 1433
    enableFloatingIP: true
vms:
- name: sql-1
  networkInterfaces:
  - name: nic
    ipConfigurations:
    - name: ipconfig1
      privateIPAddress: 10.0.1.4
guests:
- vm: sql-1
  os: windows
  interfaces:
  - name: Loopback
    kind: loopback
    addresses:
    - 10.0.1.100/32
  sysctls:
    net.ipv4.tcp_timestamps: 0
  firewall:
    rules:
    - action: allow
      localPort: 1433
`

func TestLoadPositionsAndPaths(t *testing.T) {
	d, issues := load(t, "deploy.yaml", positionsSrc)
	if len(issues) > 0 {
		t.Fatalf("unexpected issues: %q", issues)
	}
	lb := d.LoadBalancers[0]
	rule := lb.LoadBalancingRules[0]
	g := d.Guests[0]
	lo := g.Interface("Loopback")
	tests := []struct {
		what     string
		got      Pos
		wantLine int
		wantCol  int
	}{
		{"load balancer", lb.Pos(), 2, 3},
		{"frontend (flow mapping)", lb.FrontendIPConfigurations[0].Pos(), 5, 5},
		{"frontend ipAddress", lb.FrontendIPConfigurations[0].At("ipAddress"), 5, 16},
		{"pool member", lb.BackendAddressPools[0].Members[0].Pos(), 9, 7},
		{"rule", rule.Pos(), 12, 5},
		{"rule enableFloatingIP key", rule.At("enableFloatingIP"), 18, 5},
		{"rule frontendPort key", rule.At("frontendPort"), 16, 5},
		{"defaulted field falls back to the object", rule.At("idleTimeoutInMinutes"), 12, 5},
		{"ip configuration", d.VMs[0].NetworkInterfaces[0].IPConfigurations[0].Pos(), 24, 7},
		{"guest", g.Pos(), 27, 3},
		{"interface", lo.Pos(), 30, 5},
		{"interface addresses key", lo.At("addresses"), 32, 5},
		{"firewall: the key of a nested mapping", g.Firewall.Pos(), 36, 3},
		{"firewall rule", g.Firewall.Rules[0].Pos(), 38, 7},
	}
	for _, tt := range tests {
		if tt.got.File != "deploy.yaml" || tt.got.Line != tt.wantLine || tt.got.Column != tt.wantCol {
			t.Errorf("%s: at %s, want deploy.yaml:%d:%d", tt.what, tt.got, tt.wantLine, tt.wantCol)
		}
	}
	paths := map[string]string{
		lb.Path():   "loadBalancers.sql-ilb",
		rule.Path(): "loadBalancers.sql-ilb.loadBalancingRules.sql",
		lb.BackendAddressPools[0].Members[0].Path(): "loadBalancers.sql-ilb.backendAddressPools.pool.members.0",
		g.Path():                   "guests.sql-1",
		lo.Path():                  "guests.sql-1.interfaces.Loopback",
		g.Firewall.Path():          "guests.sql-1.firewall",
		g.Firewall.Rules[0].Path(): "guests.sql-1.firewall.rules.0",
	}
	for got, want := range paths {
		if got != want {
			t.Errorf("path %q, want %q", got, want)
		}
	}
}

func TestLoadDefaults(t *testing.T) {
	d, issues := load(t, "deploy.yaml", positionsSrc)
	if len(issues) > 0 {
		t.Fatalf("unexpected issues: %q", issues)
	}
	lb := d.LoadBalancers[0]
	rule := lb.LoadBalancingRules[0]
	g := d.Guests[0]
	checks := []struct {
		what      string
		got, want any
		has       bool
	}{
		{"sku", lb.SKU, SKUStandard, lb.Has("sku")},
		{"idleTimeoutInMinutes", rule.IdleTimeoutInMinutes, 4, rule.Has("idleTimeoutInMinutes")},
		{"loadDistribution", rule.LoadDistribution, DistributionDefault, rule.Has("loadDistribution")},
		{"enableTcpReset", rule.EnableTcpReset, false, rule.Has("enableTcpReset")},
		{"firewall enabled", g.Firewall.Enabled, true, g.Firewall.Has("enabled")},
		{"firewall defaultInbound", g.Firewall.DefaultInbound, Block, g.Firewall.Has("defaultInbound")},
		{"firewall rule proto", g.Firewall.Rules[0].Proto, SockAny, g.Firewall.Rules[0].Has("proto")},
		{"ipconfig primary", d.VMs[0].NetworkInterfaces[0].IPConfigurations[0].Primary, false, false},
		{"weakHostSend", g.Interfaces[0].WeakHostSend, false, g.Interfaces[0].Has("weakHostSend")},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want the default %v", c.what, c.got, c.want)
		}
		if c.has {
			t.Errorf("%s: Has is true for a defaulted field", c.what)
		}
	}
	if !rule.Has("enableFloatingIP") || !rule.EnableFloatingIP {
		t.Errorf("enableFloatingIP: Has %v, value %v; want the written true", rule.Has("enableFloatingIP"), rule.EnableFloatingIP)
	}
	if got := g.Sysctls["net.ipv4.tcp_timestamps"]; got != "0" {
		t.Errorf("sysctl written as the integer 0 decoded as %q, want \"0\"", got)
	}
	if got := g.Interfaces[0].Addresses; !slices.Equal(got, []string{"10.0.1.100/32"}) {
		t.Errorf("addresses %q", got)
	}
}

func TestLoadProbeDefaults(t *testing.T) {
	d, issues := load(t, "p.yaml", "loadBalancers:\n- name: lb\n  type: public\n  probes:\n  - {name: p, protocol: Tcp, port: 80}\n")
	if len(issues) > 0 {
		t.Fatalf("unexpected issues: %q", issues)
	}
	p := d.LoadBalancers[0].Probes[0]
	if p.IntervalInSeconds != 15 || p.ProbeThreshold != 1 || p.NoHealthyBackendsBehavior != "AllProbedDown" || p.NumberOfProbes != 0 {
		t.Errorf("probe defaults: %+v", *p)
	}
}

// TestLoadSchemaMessages covers each form of LB0001 message: one issue per
// wrong value, at the user's line and column, prefixed with the path.
func TestLoadSchemaMessages(t *testing.T) {
	const lb = "loadBalancers:\n- name: lb\n  type: internal\n"
	const rule = lb + "  loadBalancingRules:\n  - name: r\n    frontendIPConfiguration: fe\n    backendAddressPool: pool\n"
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"enum, listed once", rule + "    protocol: TCP\n    frontendPort: 80\n    backendPort: 80\n",
			[]string{`x.yaml:8:5 LB0001 loadBalancers.0.loadBalancingRules.0.protocol: "TCP" is not allowed; use one of Tcp, Udp, All`}},
		{"out of range", rule + "    protocol: Tcp\n    frontendPort: 70000\n    backendPort: 80\n",
			[]string{`x.yaml:9:5 LB0001 loadBalancers.0.loadBalancingRules.0.frontendPort: 70000 is out of range 0..65534`}},
		{"negative", rule + "    protocol: Tcp\n    frontendPort: -1\n    backendPort: 80\n",
			[]string{`x.yaml:9:5 LB0001 loadBalancers.0.loadBalancingRules.0.frontendPort: -1 is out of range 0..65534`}},
		{"missing required field, at the object", rule + "    protocol: Tcp\n    frontendPort: 80\n",
			[]string{`x.yaml:5:5 LB0001 loadBalancers.0.loadBalancingRules.0: missing required field backendPort`}},
		{"unknown field with a suggestion", rule + "    protocol: Tcp\n    frontendPort: 80\n    backendPort: 80\n    enableFloatingIp: true\n",
			[]string{`x.yaml:11:5 LB0001 loadBalancers.0.loadBalancingRules.0: unknown field "enableFloatingIp" (did you mean enableFloatingIP?)`}},
		{"unknown field without a suggestion", lb + "  color: blue\n",
			[]string{`x.yaml:4:3 LB0001 loadBalancers.0: unknown field "color"`}},
		{"wrong type", rule + "    protocol: Tcp\n    frontendPort: \"80\"\n    backendPort: 80\n",
			[]string{`x.yaml:9:5 LB0001 loadBalancers.0.loadBalancingRules.0.frontendPort: "80" is a string, want an integer`}},
		{"float for an integer", rule + "    protocol: Tcp\n    frontendPort: 80.5\n    backendPort: 80\n",
			[]string{`x.yaml:9:5 LB0001 loadBalancers.0.loadBalancingRules.0.frontendPort: 80.5 is a number, want an integer`}},
		{"below a minimum", lb + "  probes:\n  - {name: p, protocol: Tcp, port: 80, intervalInSeconds: 1}\n",
			[]string{`x.yaml:5:40 LB0001 loadBalancers.0.probes.0.intervalInSeconds: 1 is below the minimum 5`}},
		{"conditional required field", lb + "  probes:\n  - {name: p, protocol: Https, port: 443}\n",
			[]string{`x.yaml:5:5 LB0001 loadBalancers.0.probes.0: missing required field requestPath (Http and Https probes need one)`}},
		{"NAT rule without a target or a pool", lb + "  inboundNatRules:\n  - {name: n, frontendIPConfiguration: f, protocol: Tcp, backendPort: 22}\n",
			[]string{`x.yaml:5:5 LB0001 loadBalancers.0.inboundNatRules.0: missing required field target (or backendAddressPool with a frontend port range)`}},
		{"NAT rule with a target and a pool", lb + "  inboundNatRules:\n  - {name: n, frontendIPConfiguration: f, protocol: Tcp, backendPort: 22, frontendPort: 22, target: {vm: v, ipConfiguration: c}, backendAddressPool: p, frontendPortRangeStart: 1, frontendPortRangeEnd: 2}\n",
			[]string{`x.yaml:5:130 LB0001 loadBalancers.0.inboundNatRules.0.backendAddressPool: set target (one VM) or backendAddressPool (a port range over the pool), not both`}},
		{"address check", lb + "  frontendIPConfigurations:\n  - name: fe\n    ipAddress: 10.0.0.256\n",
			[]string{`x.yaml:6:5 LB0001 loadBalancers.0.frontendIPConfigurations.0.ipAddress: "10.0.0.256" is not an IPv4 or IPv6 address`}},
		{"list element", "guests:\n- vm: a\n  os: linux\n  interfaces:\n  - name: lo\n    kind: loopback\n    addresses: [10.0.0.1/32, 10.0.0.2]\n",
			[]string{`x.yaml:7:30 LB0001 guests.0.interfaces.0.addresses.1: "10.0.0.2" is not an address with a prefix length, such as 10.0.1.4/24`}},
		{"single allowed value", "kind: Service\n",
			[]string{`x.yaml:1:1 LB0001 kind: "Service" is not allowed; use Deployment`}},
		{"empty name", "loadBalancers:\n- name: \"\"\n  type: public\n",
			[]string{`x.yaml:2:3 LB0001 loadBalancers.0.name: must not be empty`}},
		{"empty list", lb + "  outboundRules:\n  - {name: o, frontendIPConfigurations: [], backendAddressPool: p, protocol: All}\n",
			[]string{`x.yaml:5:15 LB0001 loadBalancers.0.outboundRules.0.frontendIPConfigurations: must not be empty`}},
		{"null", "loadBalancers:\n",
			[]string{`x.yaml:1:1 LB0001 loadBalancers: has no value, want a list`}},
		{"mapping for a list", "vms: {a: 1}\n",
			[]string{`x.yaml:1:1 LB0001 vms: is a mapping, want a list`}},
		{"sysctl name with dots", "guests:\n- vm: a\n  os: linux\n  sysctls:\n    net.ipv4.ip_forward: true\n",
			[]string{`x.yaml:5:5 LB0001 guests.0.sysctls.net.ipv4.ip_forward: true is a boolean, want a string or an integer`}},
		{"cross-field bound", lb + "  inboundNatRules:\n  - {name: n, frontendIPConfiguration: f, protocol: Tcp, backendPort: 22, backendAddressPool: p, frontendPortRangeStart: 100, frontendPortRangeEnd: 50}\n",
			[]string{`x.yaml:5:127 LB0001 loadBalancers.0.inboundNatRules.0.frontendPortRangeEnd: 50 must be >=100`}},
		{"document not a mapping", "- a\n- b\n",
			[]string{`x.yaml:1:1 LB0001 a document must be a mapping with loadBalancers, vms and guests, not a list`}},
		{"scalar document", "42\n",
			[]string{`x.yaml:1:1 LB0001 a document must be a mapping with loadBalancers, vms and guests, not an integer`}},
		{"empty documents", "# nothing\n---\n---\n", nil},
		{"empty file", "", nil},
		{"extension fields hold YAML anchors", "x-rule: &r {protocol: Tcp}\nloadBalancers:\n- name: lb\n  type: internal\n  x-note: no\n", []string{`x.yaml:5:3 LB0001 loadBalancers.0: unknown field "x-note"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := load(t, "x.yaml", tt.src)
			got = slices.DeleteFunc(got, func(s string) bool { return !strings.Contains(s, " LB0001 ") })
			if !slices.Equal(got, tt.want) {
				t.Errorf("issues:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestLoadInvalidStillDecodes checks that a document with errors still
// yields its objects, with no nil elements.
func TestLoadInvalidStillDecodes(t *testing.T) {
	src := "loadBalancers:\n- name: lb\n  type: internal\n  loadBalancingRules:\n  - just-a-name\n  - name: r\n    protocol: TCP\n    frontendPort: x\n  - {name: s, protocol: Tcp, frontendPort: 1, backendPort: 1, frontendIPConfiguration: f, backendAddressPool: p}\n"
	d, issues := load(t, "x.yaml", src)
	if len(issues) == 0 {
		t.Fatal("no issues")
	}
	rules := d.LoadBalancers[0].LoadBalancingRules
	if len(rules) != 2 || rules[0].Name != "r" || rules[1].Name != "s" {
		t.Fatalf("decoded rules %v, want r and s", rules)
	}
	if rules[0].Protocol != "TCP" || rules[0].FrontendPort != 0 || rules[0].IdleTimeoutInMinutes != 4 {
		t.Errorf("rule r = %+v: want the written protocol, no port, the default idle timeout", *rules[0])
	}
	if rules[1].Path() != "loadBalancers.lb.loadBalancingRules.s" {
		t.Errorf("rule s path %q", rules[1].Path())
	}
}

func TestLoadReferences(t *testing.T) {
	_, got := load(t, "r.yaml", `loadBalancers:
- name: lb
  type: internal
  frontendIPConfigurations:
  - {name: fe, ipAddress: 10.0.0.10}
  backendAddressPools:
  - name: pool
    members:
    - {vm: vm-1, networkInterface: nic-1, ipConfiguration: ipconfig1}
    - {vm: vm-1, networkInterface: nic-1, ipConfiguration: ipconfig2}
  loadBalancingRules:
  - {name: r, frontendIPConfiguration: fe, backendAddressPool: pool, probe: p, protocol: Tcp, frontendPort: 1, backendPort: 1}
  outboundRules:
  - {name: o, frontendIPConfigurations: [fe, fe2], backendAddressPool: pool, protocol: All}
vms:
- name: vm-1
  networkInterfaces:
  - name: nic-1
    ipConfigurations:
    - {name: ipconfig1, privateIPAddress: 10.0.0.4}
  - name: nic-1
    ipConfigurations: []
`)
	want := []string{
		`r.yaml:10:43 LB1001 loadBalancers.lb.backendAddressPools.pool.members.1: IP configuration "ipconfig2" does not exist in network interface "nic-1" of VM "vm-1" (did you mean ipconfig1?)`,
		`r.yaml:12:70 LB1001 loadBalancers.lb.loadBalancingRules.r: probe "p" does not exist in load balancer "lb"`,
		`r.yaml:14:15 LB1001 loadBalancers.lb.outboundRules.o: frontend IP configuration "fe2" does not exist in load balancer "lb" (did you mean fe?)`,
		`r.yaml:21:5 LB1002 vms.vm-1.networkInterfaces.nic-1: network interface "nic-1" of VM "vm-1" is declared twice; the first is at r.yaml:18:5`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("issues:\n got %q\nwant %q", got, want)
	}
}

func TestLoadFormats(t *testing.T) {
	yamlSrc := "loadBalancers:\n- name: lb\n  type: internal\n  frontendIPConfigurations:\n  - name: fe\n    ipAddress: 10.0.0.10\n"
	jsonSrc := `{
  "loadBalancers": [
    {"name": "lb", "type": "internal",
     "frontendIPConfigurations": [{"name": "fe", "ipAddress": "10.0.0.10"}]}
  ]
}`
	cueSrc := "package deploy\n\nloadBalancers: [{\n\tname: \"lb\"\n\ttype: \"internal\"\n\tfrontendIPConfigurations: [{name: \"fe\", ipAddress: \"10.0.0.10\"}]\n}]\n"
	computedSrc := "_fe: {name: \"fe\"}\nloadBalancers: [{\n\tname: \"lb\"\n\ttype: \"internal\"\n\tfrontendIPConfigurations: [_fe & {ipAddress: \"10.0.0.10\"}]\n}]\n"
	tests := []struct {
		file, src string
		line, col int // of the frontend's ipAddress
	}{
		{"d.yaml", yamlSrc, 6, 5},
		{"d.json", jsonSrc, 4, 50},
		{"d.cue", cueSrc, 6, 42},
		{"computed.cue", computedSrc, 5, 36},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			d, issues := load(t, tt.file, tt.src)
			if len(issues) > 0 {
				t.Fatalf("issues: %q", issues)
			}
			lb := d.LoadBalancers[0]
			fe := lb.FrontendIPConfigurations[0]
			if lb.Name != "lb" || lb.SKU != "Standard" || fe.IPAddress != "10.0.0.10" || fe.Path() != "loadBalancers.lb.frontendIPConfigurations.fe" {
				t.Errorf("decoded %+v / %+v", *lb, *fe)
			}
			if p := fe.At("ipAddress"); p.File != tt.file || p.Line != tt.line || p.Column != tt.col {
				t.Errorf("ipAddress at %s, want %s:%d:%d", p, tt.file, tt.line, tt.col)
			}
		})
	}
}

func TestLoadCUEErrorPosition(t *testing.T) {
	_, got := load(t, "d.cue", "_t: \"internal\"\nloadBalancers: [{name: \"lb\", type: _t, sku: \"Bad\"}]\n")
	want := []string{`d.cue:2:40 LB0001 loadBalancers.0.sku: "Bad" is not allowed; use one of Standard, Basic, Gateway`}
	if !slices.Equal(got, want) {
		t.Errorf("issues:\n got %q\nwant %q", got, want)
	}
}

func TestLoadCUETypeForValue(t *testing.T) {
	_, got := load(t, "d.cue", "_x: 1\nloadBalancers: [{name: \"lb\", type: string}]\n")
	want := []string{`d.cue:2:30 LB0001 loadBalancers.0.type: string is not allowed; use one of internal, public`}
	if !slices.Equal(got, want) {
		t.Errorf("issues:\n got %q\nwant %q", got, want)
	}
}

func TestLoadMultiDocument(t *testing.T) {
	src := "loadBalancers:\n- {name: a, type: public}\n---\n---\nloadBalancers:\n- {name: b, type: public, sku: Premium}\nvms: []\n"
	d, got := load(t, "m.yaml", src)
	if len(d.LoadBalancers) != 2 || d.LoadBalancers[0].Name != "a" || d.LoadBalancers[1].Name != "b" {
		t.Fatalf("merged load balancers %v", d.LoadBalancers)
	}
	want := []string{`m.yaml:6:27 LB0001 loadBalancers.0.sku: "Premium" is not allowed; use one of Standard, Basic, Gateway`}
	if !slices.Equal(got, want) {
		t.Errorf("issues:\n got %q\nwant %q", got, want)
	}
}

func TestLoadSyntaxErrors(t *testing.T) {
	tests := []struct {
		file, src string
		want      string // regexp
	}{
		{"bad.yaml", "loadBalancers:\n  - name: x\n   type: y\n", `^bad\.yaml:\d+: did not find expected`},
		{"tab.yaml", "a:\n\t- b\n", `^tab\.yaml:\d+: `},
		{"bad.json", `{"loadBalancers": [{"name": "lb",}]}`, `^bad\.json:1:34: invalid character '}'`},
		{"bad.cue", "loadBalancers: [{name: \"lb\"\n", `^bad\.cue:1:29: expected '}', found 'EOF'`},
		{"ref.cue", "loadBalancers: [{name: \"lb\", type: foo}]\n", `^ref\.cue:1:36: .*reference "foo" not found`},
		{"x.toml", "a = 1\n", `^x\.toml: unknown file type ".toml"`},
	}
	for _, tt := range tests {
		if got := loadFailure(tt.file, tt.src); !regexp.MustCompile(tt.want).MatchString(got) {
			t.Errorf("LoadBytes(%s): %s, want one matching %s", tt.file, got, tt.want)
		}
	}
}

// loadFailure loads one file and renders why it fails: its error, or
// "file:line:col: message [LB0000]" for a file that cannot be parsed
// (which Load reports as an issue and goes on).
func loadFailure(file, src string) string {
	_, issues, err := LoadBytes(file, []byte(src))
	switch {
	case err != nil:
		return err.Error()
	case len(issues) == 1 && issues[0].Rule == RuleParse:
		return fmt.Sprintf("%s: %s [%s]", issues[0].Pos, issues[0].Message, RuleParse)
	}
	return fmt.Sprintf("no error, issues %v", issues)
}

// TestParseErrorDoesNotStopOtherFiles: a file that cannot be parsed is an
// issue of its own; the other files are loaded and checked.
func TestParseErrorDoesNotStopOtherFiles(t *testing.T) {
	d, issues, err := LoadSources(
		Source{Name: "bad.yaml", Data: []byte("loadBalancers: [x\n")},
		Source{Name: "good.yaml", Data: []byte("loadBalancers:\n- {name: a, type: public, sku: Premium}\n")})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.LoadBalancers) != 1 || d.LoadBalancers[0].Name != "a" {
		t.Errorf("load balancers %v, want good.yaml's", d.LoadBalancers)
	}
	var rules []string
	for _, is := range issues {
		rules = append(rules, is.Pos.File+" "+is.Rule)
	}
	if want := []string{"bad.yaml " + RuleParse, "good.yaml " + RuleSchema}; !slices.Equal(rules, want) {
		t.Errorf("issues %v, want %v", rules, want)
	}
}

func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("b.yaml", "vms:\n- {name: b, networkInterfaces: []}\n")
	write("a.json", `{"vms": [{"name": "a", "networkInterfaces": []}]}`)
	write("sub/c.yml", "vms:\n- {name: c, networkInterfaces: []}\n")
	write("README.md", "not input")
	write("other/d.yaml", "vms:\n- {name: d, networkInterfaces: []}\n")
	dup := filepath.Join(t.TempDir(), "dup.yaml")
	if err := os.WriteFile(dup, []byte("vms:\n- {name: a, networkInterfaces: []}\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	d, issues, err := Load(dir)
	if err != nil || len(issues) > 0 {
		t.Fatalf("Load(dir): %v, %q", err, issueStrings(issues))
	}
	var names []string
	for _, vm := range d.VMs {
		names = append(names, vm.Name)
	}
	if want := []string{"a", "b", "d", "c"}; !slices.Equal(names, want) {
		t.Errorf("VMs in order %q, want %q: a.json, b.yaml, other/d.yaml, sub/c.yml", names, want)
	}

	_, issues, err = Load(filepath.Join(dir, "a.json"), dup)
	if err != nil {
		t.Fatal(err)
	}
	if got := issueStrings(issues); len(got) != 1 || !strings.Contains(got[0], dup+":2:4 LB1002 vms.a: VM \"a\" is declared twice; the first is at "+filepath.Join(dir, "a.json")+":1:11") {
		t.Errorf("duplicate across files: %q", got)
	}

	for _, bad := range []string{filepath.Join(dir, "missing.yaml"), filepath.Join(dir, "other", "none.yaml")} {
		if _, _, err := Load(bad); err == nil || err.Error() != bad+": no such file or directory" {
			t.Errorf("Load(%s): error %v, want \"%s: no such file or directory\"", bad, err, bad)
		}
	}
	empty := t.TempDir()
	if _, _, err := Load(empty); err == nil || !strings.Contains(err.Error(), "no .yaml, .yml, .json or .cue files") {
		t.Errorf("Load(empty dir): error %v", err)
	}
}

// TestLoadLargeSplit loads a deployment large enough to be validated in
// chunks and checks that errors deep in it keep their paths and lines, with
// the large load balancer alone and after a small one, and that no unit
// validated is large (CUE's time grows faster than the size of a value).
func TestLoadLargeSplit(t *testing.T) {
	for _, before := range []string{"", "- {name: small, type: internal}\n"} {
		var b strings.Builder
		b.WriteString("loadBalancers:\n" + before + "- name: lb\n  type: internal\n  loadBalancingRules:\n")
		for i := range 300 {
			proto := "Tcp"
			if i == 0 || i == 200 {
				proto = "TCP"
			}
			fmt.Fprintf(&b, "  - {name: r%d, protocol: %s, frontendPort: %d, backendPort: 80, frontendIPConfiguration: fe, backendAddressPool: p}\n", i, proto, i%65535)
		}
		b.WriteString("  - {name: last, protocol: Tcp, frontendPort: 1, backendPort: 1, frontendIPConfiguration: fe, backendAddressPool: p, bogus: 1}\n")
		b.WriteString("  sku: Premium\n")
		l, err := newLoader()
		if err != nil {
			t.Fatal(err)
		}
		if err := l.file("big.yaml", []byte(b.String())); err != nil {
			t.Fatal(err)
		}
		for _, u := range l.units {
			n, most := weight(u.def, u.expr), splitAt-1
			if u.field != "" {
				n, most = 0, chunk
				for _, e := range u.expr.(*ast.ListLit).Elts {
					n += weight(u.def.fields[u.field].def, e)
				}
			}
			if n > most {
				t.Errorf("a unit at %q field %q weighs %d, more than %d", u.prefix, u.field, n, most)
			}
		}
		_, issues, err := l.finish()
		l.close()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range issueStrings(issues) {
			if strings.Contains(s, "LB0001") {
				got = append(got, s)
			}
		}
		lb, line := 0, 0
		if before != "" {
			lb, line = 1, 1
		}
		want := []string{
			fmt.Sprintf(`big.yaml:%d:16 LB0001 loadBalancers.%d.loadBalancingRules.0.protocol: "TCP" is not allowed; use one of Tcp, Udp, All`, 5+line, lb),
			fmt.Sprintf(`big.yaml:%d:18 LB0001 loadBalancers.%d.loadBalancingRules.200.protocol: "TCP" is not allowed; use one of Tcp, Udp, All`, 205+line, lb),
			fmt.Sprintf(`big.yaml:%d:118 LB0001 loadBalancers.%d.loadBalancingRules.300: unknown field "bogus"`, 305+line, lb),
			fmt.Sprintf(`big.yaml:%d:3 LB0001 loadBalancers.%d.sku: "Premium" is not allowed; use one of Standard, Basic, Gateway`, 306+line, lb),
		}
		if !slices.Equal(got, want) {
			t.Errorf("issues:\n got %q\nwant %q", got, want)
		}
	}
}

// TestLoadConcurrent loads from several goroutines at once (run with
// -race): each load takes its own compiled schemas.
func TestLoadConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			d, issues, err := LoadBytes("deploy.yaml", []byte(positionsSrc))
			if err != nil || len(issues) > 0 || d.LoadBalancers[0].LoadBalancingRules[0].BackendPort != 1433 {
				t.Errorf("concurrent load: %v %q", err, issueStrings(issues))
			}
		})
	}
	wg.Wait()
}

func TestLoadYAMLAnchors(t *testing.T) {
	src := `x-floating: &floating
  protocol: Tcp
  enableFloatingIP: true
loadBalancers:
- name: lb
  type: internal
  loadBalancingRules:
  - <<: *floating
    name: r
    frontendPort: 0x50
    backendPort: 8_0
    frontendIPConfiguration: fe
    backendAddressPool: pool
`
	d, issues := load(t, "a.yaml", src)
	issues = slices.DeleteFunc(issues, func(s string) bool { return strings.Contains(s, " LB1001 ") })
	if len(issues) > 0 {
		t.Fatalf("issues: %q", issues)
	}
	r := d.LoadBalancers[0].LoadBalancingRules[0]
	if r.Protocol != "Tcp" || !r.EnableFloatingIP || r.FrontendPort != 80 || r.BackendPort != 80 {
		t.Errorf("rule %+v: want the anchor's protocol and floating IP, ports 80", *r)
	}
	if p := r.At("enableFloatingIP"); p.Line != 3 {
		t.Errorf("enableFloatingIP at %s, want the anchor's line 3", p)
	}
}
