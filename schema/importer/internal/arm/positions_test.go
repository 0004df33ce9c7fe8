package arm

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
	tu "github.com/lbcheck/lbcheck/schema/importer/internal/testutil"
)

// The tests below import the evaluator fixtures of fixtures/lint/arm and
// check where imported fields point: at the literal or expression they come
// from, in whichever file and copy loop input it is written.

func importCase(t *testing.T, rel string) (string, []byte, *schema.Deployment, []schema.Source) {
	t.Helper()
	name, src := tu.ReadFixture(t, filepath.Join("..", "lint", "arm", rel))
	r, err := Import(name, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return name, src, r.Deployment, r.Linked
}

func lbNamed(t *testing.T, d *schema.Deployment, name string) *schema.LoadBalancer {
	t.Helper()
	for _, lb := range d.LoadBalancers {
		if lb.Name == name {
			return lb
		}
	}
	var names []string
	for _, lb := range d.LoadBalancers {
		names = append(names, lb.Name)
	}
	t.Fatalf("no load balancer %s among %v", name, names)
	return nil
}

func ruleNamed(t *testing.T, lb *schema.LoadBalancer, name string) *schema.Rule {
	t.Helper()
	for _, r := range lb.LoadBalancingRules {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("load balancer %s has no rule %s", lb.Name, name)
	return nil
}

// valueAt is the position of the value that follows key (text up to and
// including the colon and space) at its nth occurrence.
func valueAt(t *testing.T, file string, src []byte, key string, nth int) schema.Pos {
	p := tu.PosOf(t, file, src, key, nth)
	p.Column += len(key)
	return p
}

func TestCopyLoopPositions(t *testing.T) {
	name, src, d, _ := importCase(t, "copy/main.json")
	if len(d.LoadBalancers) != 2 {
		t.Fatalf("%d load balancers, want copy-lb-0 and copy-lb-1", len(d.LoadBalancers))
	}
	lb := lbNamed(t, d, "copy-lb-1")
	r := ruleNamed(t, lb, "rule2")
	if r.FrontendPort != 1002 || r.BackendPort != 80 || r.FrontendIPConfiguration != "fe" || r.Probe != "probe0" {
		t.Errorf("rule2 = %+v", *r)
	}
	// A property copy loop's elements are its input, evaluated per index.
	tu.CheckPos(t, "rule2", r.Pos(), valueAt(t, name, src, `"input": `, 2))
	tu.CheckPos(t, "rule2 backendPort", r.At("backendPort"), tu.PosOf(t, name, src, `"backendPort": "[if(`, 1))
	if fe := lb.Frontend("fe"); fe.IPAddress != "10.4.1.4" {
		t.Errorf("copy-lb-1 frontend address %s, want 10.4.1.4 (copyIndex() of the resource loop)", fe.IPAddress)
	}
	// A variable copy loop's elements, used as the probes.
	p := lb.Probe("probe1")
	if p == nil || p.Port != 8081 || !p.Has("numberOfProbes") || lb.Probe("probe0").Has("numberOfProbes") {
		t.Fatalf("probes = %+v", lb.Probes)
	}
	tu.CheckPos(t, "probe1 numberOfProbes", p.At("numberOfProbes"), tu.PosOf(t, name, src, `"numberOfProbes"`, 1))
	// An array-valued expression: the pool is where the expression is.
	tu.CheckPos(t, "pool", lb.Pool("pool").Pos(), valueAt(t, name, src, `"pools": `, 1))
}

func TestNestedAndLinkedPositions(t *testing.T) {
	name, src, d, _ := importCase(t, "nested/main.json")
	inner := lbNamed(t, d, "nest-inner")
	x := ruleNamed(t, inner, "x")
	if x.BackendPort != 8443 {
		t.Errorf("rule x backend port %d, want 8443 passed by the outer template", x.BackendPort)
	}
	tu.CheckPos(t, "x backendPort", x.At("backendPort"), tu.PosOf(t, name, src, `"backendPort": "[parameters('port')]"`, 1))
	lbNamed(t, d, "nest-outer")
	lbNamed(t, d, "nest-copy-1")

	name, _, d, linked := importCase(t, "linked/main.json")
	module := filepath.Join(filepath.Dir(name), "modules", "lb.json")
	_, modSrc := tu.ReadFixture(t, filepath.Join("..", "lint", "arm", "linked", "modules", "lb.json"))
	if len(linked) != 1 || linked[0].Name != module || !bytes.Equal(linked[0].Data, modSrc) {
		t.Errorf("linked = %d files, want modules/lb.json once (linked three times), with its content", len(linked))
	}
	for i, lbName := range []string{"linked-a", "linked-b", "linked-c"} {
		two := ruleNamed(t, lbNamed(t, d, lbName), "two")
		if two.BackendPort != 9000+i {
			t.Errorf("%s: backend port %d, want %d", lbName, two.BackendPort, 9000+i)
		}
		tu.CheckPos(t, lbName+" backendPort", two.At("backendPort"), tu.PosOf(t, module, modSrc, `"backendPort": "[parameters('port')]"`, 2))
	}
}

func TestScaleSetPositions(t *testing.T) {
	name, src, d, _ := importCase(t, "scaleset/main.json")
	lb := lbNamed(t, d, "vmss-lb")
	if n := len(lb.Pool("pool").Members); n != 6 {
		t.Errorf("pool has %d members, want 3 instances x 2 IP configurations", n)
	}
	var nat *schema.NatRule
	for _, r := range lb.InboundNatRules {
		if r.Name == "ssh-pool.2" {
			nat = r
		}
	}
	if nat == nil || nat.FrontendPort != 50002 || nat.BackendPort != 22 || nat.Target == nil || nat.Target.VM != "web_2" || nat.Target.IPConfiguration != "primary" {
		t.Fatalf("NAT rule ssh-pool.2 = %+v", nat)
	}
	tu.CheckPos(t, "ssh-pool.2 frontendPort", nat.At("frontendPort"), tu.PosOf(t, name, src, `"frontendPortRangeStart"`, 1))
	vm := d.VM("web_1")
	if vm == nil || len(vm.NetworkInterfaces) != 1 || len(vm.NetworkInterfaces[0].IPConfigurations) != 2 {
		t.Fatalf("web_1 = %+v", vm)
	}
	if c := vm.NetworkInterfaces[0].IPConfigurations[1]; c.Primary {
		t.Errorf("secondary IP configuration is primary")
	}
}

func TestConditionsAndUnknowns(t *testing.T) {
	name, src, _, _ := importCase(t, "conditions/main.json")
	r, err := Import(name, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Deployment.LoadBalancers) != 1 || r.Deployment.LoadBalancers[0].Name != "edge-lb" || len(r.Deployment.LoadBalancers[0].InboundNatRules) != 0 {
		t.Errorf("imported %v, want only edge-lb without NAT rules", r.Deployment.LoadBalancers)
	}
	legacy := tu.PosAfter(t, name, src, `"resources": [`, "{")
	if len(r.NotDeployed) != 2 || r.NotDeployed[0].Name != "legacy-lb" || r.NotDeployed[0].Pos != legacy {
		t.Errorf("not deployed = %+v, want legacy-lb at %v and the NAT rule", r.NotDeployed, legacy)
	}
	// With the parameter given, the legacy load balancer is deployed.
	r, err = Import(name, src, Options{Parameters: []byte(`{"parameters": {"deployLegacy": {"value": "YES"}, "enableEdge": {"value": false}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Deployment.LoadBalancers) != 0 {
		t.Errorf("deployLegacy YES (equals is case-sensitive) and enableEdge false: imported %v, want none", r.Deployment.LoadBalancers)
	}

	_, _, d, _ := importCase(t, "unknown/main.json")
	lbNamed(t, d, "[reference('naming').outputs.lbName.value]")
	a := ruleNamed(t, lbNamed(t, d, "known-lb"), "a")
	if why, ok := a.Unknown("frontendPort"); !ok || !strings.Contains(why, "reference()") {
		t.Errorf("rule a frontendPort unknown=%v (%q), want unknown naming reference()", ok, why)
	}
}
