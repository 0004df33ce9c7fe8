package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

// twoLBs: two internal Basic load balancers, each with an HA-ports rule
// (LB1005 on both).
const twoLBs = `
loadBalancers:
  - name: a
    type: internal
    sku: Basic
    frontendIPConfigurations: [{name: fe, ipAddress: 10.0.0.10}]
    backendAddressPools: [{name: pool, members: [{vm: vm1, ipConfiguration: ipconfig1}]}]
    probes: [{name: p, protocol: Tcp, port: 22}]
    loadBalancingRules:
      - {name: ha, frontendIPConfiguration: fe, backendAddressPool: pool, probe: p, protocol: All, frontendPort: 0, backendPort: 0}
  - name: b
    type: internal
    sku: Basic
    frontendIPConfigurations: [{name: fe, ipAddress: 10.0.1.10}]
    backendAddressPools: [{name: pool, members: [{vm: vm1, ipConfiguration: ipconfig1}]}]
    probes: [{name: p, protocol: Tcp, port: 22}]
    loadBalancingRules:
      - {name: ha, frontendIPConfiguration: fe, backendAddressPool: pool, probe: p, protocol: All, frontendPort: 0, backendPort: 0}
vms:
  - {name: vm1, networkInterfaces: [{name: nic0, ipConfigurations: [{name: ipconfig1, privateIPAddress: 10.0.0.4, primary: true}]}]}
`

// floatingPair: Floating IP rules r1 (frontend fe1, probe p1, pool of vm1)
// and r2 (fe2, p2, vm2), and r1b, which delivers what r1 does (LB2001). The
// VMs' primary IP configurations are 10.0.0.4 and 10.0.0.5.
const floatingPair = `
loadBalancers:
  - name: lb
    type: internal
    frontendIPConfigurations:
      - {name: fe1, ipAddress: 10.0.0.10}
      - {name: fe2, ipAddress: 10.0.0.11}
    backendAddressPools:
      - {name: pool1, members: [{vm: vm1, ipConfiguration: ipconfig1}]}
      - {name: pool2, members: [{vm: vm2, ipConfiguration: ipconfig1}]}
    probes:
      - {name: p1, protocol: Tcp, port: 8081}
      - {name: p2, protocol: Tcp, port: 8082}
    loadBalancingRules:
      - {name: r1, frontendIPConfiguration: fe1, backendAddressPool: pool1, probe: p1, protocol: Tcp, frontendPort: 80, backendPort: 80, enableFloatingIP: true}
      - {name: r1b, frontendIPConfiguration: fe1, backendAddressPool: pool1, probe: p1, protocol: Tcp, frontendPort: 81, backendPort: 80, enableFloatingIP: true}
      - {name: r2, frontendIPConfiguration: fe2, backendAddressPool: pool2, probe: p2, protocol: Tcp, frontendPort: 80, backendPort: 80, enableFloatingIP: true}
vms:
  - name: vm1
    networkInterfaces:
      - {name: nic0, ipConfigurations: [{name: ipconfig1, privateIPAddress: 10.0.0.4, primary: true}]}
  - name: vm2
    networkInterfaces:
      - {name: nic0, ipConfigurations: [{name: ipconfig1, privateIPAddress: 10.0.0.5, primary: true}]}
`

// secondaries: Floating IP rules s1 and s2 that reach secondary IP
// configurations of vm1 and vm2 (LB2002 at both).
const secondaries = `
loadBalancers:
  - name: lb
    type: internal
    frontendIPConfigurations: [{name: fe, ipAddress: 10.0.0.10}]
    backendAddressPools:
      - {name: pool1, members: [{vm: vm1, ipConfiguration: ipconfig2}]}
      - {name: pool2, members: [{vm: vm2, ipConfiguration: ipconfig2}]}
    probes: [{name: p, protocol: Tcp, port: 8081}]
    loadBalancingRules:
      - {name: s1, frontendIPConfiguration: fe, backendAddressPool: pool1, probe: p, protocol: Tcp, frontendPort: 80, backendPort: 80, enableFloatingIP: true}
      - {name: s2, frontendIPConfiguration: fe, backendAddressPool: pool2, probe: p, protocol: Tcp, frontendPort: 81, backendPort: 81, enableFloatingIP: true}
vms:
  - name: vm1
    networkInterfaces:
      - {name: nic0, ipConfigurations: [{name: ipconfig1, privateIPAddress: 10.0.0.4, primary: true}, {name: ipconfig2, privateIPAddress: 10.0.0.6}]}
  - name: vm2
    networkInterfaces:
      - {name: nic0, ipConfigurations: [{name: ipconfig1, privateIPAddress: 10.0.0.5, primary: true}, {name: ipconfig2, privateIPAddress: 10.0.0.7}]}
`

// guestsMissingAll: Linux guests of vm1 and vm2 that hold no frontend IP
// (LB3001) and serve neither probe port (LB3006).
const guestsMissingAll = `
guests:
  - vm: vm1
    os: linux
    interfaces: [{name: eth0, kind: nic, addresses: [10.0.0.4/24]}, {name: lo, kind: loopback, addresses: [127.0.0.1/8]}]
    listeners: [{proto: tcp, address: 0.0.0.0, port: 80}]
  - vm: vm2
    os: linux
    interfaces: [{name: eth0, kind: nic, addresses: [10.0.0.5/24]}, {name: lo, kind: loopback, addresses: [127.0.0.1/8]}]
    listeners: [{proto: tcp, address: 0.0.0.0, port: 80}]
`

// backendClash: two pairs of rules with Floating IP off that share a
// backend port on one pool each (LB1003 at a2 and b2).
const backendClash = `
loadBalancers:
  - name: lb
    type: internal
    frontendIPConfigurations: [{name: fe, ipAddress: 10.0.0.10}]
    backendAddressPools:
      - {name: pa, members: [{vm: vm1, ipConfiguration: ipconfig1}]}
      - {name: pb, members: [{vm: vm2, ipConfiguration: ipconfig1}]}
    probes: [{name: p, protocol: Tcp, port: 8081}]
    loadBalancingRules:
      - {name: a1, frontendIPConfiguration: fe, backendAddressPool: pa, probe: p, protocol: Tcp, frontendPort: 80, backendPort: 80}
      - {name: a2, frontendIPConfiguration: fe, backendAddressPool: pa, probe: p, protocol: Tcp, frontendPort: 81, backendPort: 80}
      - {name: b1, frontendIPConfiguration: fe, backendAddressPool: pb, probe: p, protocol: Tcp, frontendPort: 82, backendPort: 90}
      - {name: b2, frontendIPConfiguration: fe, backendAddressPool: pb, probe: p, protocol: Tcp, frontendPort: 83, backendPort: 90}
vms:
  - {name: vm1, networkInterfaces: [{name: nic0, ipConfigurations: [{name: ipconfig1, privateIPAddress: 10.0.0.4, primary: true}]}]}
  - {name: vm2, networkInterfaces: [{name: nic0, ipConfigurations: [{name: ipconfig1, privateIPAddress: 10.0.0.5, primary: true}]}]}
`

// Paths of the objects the cases mark and expect findings on.
const (
	lbA       = "loadBalancers.a"
	fe1       = "loadBalancers.lb.frontendIPConfigurations.fe1"
	probe1    = "loadBalancers.lb.probes.p1"
	vm1Config = "vms.vm1.networkInterfaces.nic0.ipConfigurations.ipconfig1"
	guest1    = "guests.vm1"
	guest2    = "guests.vm2"
)

// TestUnknownFieldSkipsOnlyItsObject lints small deployments with every
// rule, marks one field of one object as only known at deployment (as an
// importer does), and lints them again. The rule that reads the field must
// drop its finding on the objects that depend on it (gone) and keep the
// others (kept); the run must report one LB0010 finding per object whose
// unknown field some rule needed, naming the fields and the rules
// (unknowns: object path to message), and none for fields no rule needed.
func TestUnknownFieldSkipsOnlyItsObject(t *testing.T) {
	tests := []struct {
		name       string
		src        string
		rule       string
		mark       []string // "object path|field"
		gone, kept []string // object paths of the rule's findings
		unknowns   map[string]string
	}{{
		name: "load balancer SKU",
		src:  twoLBs, rule: "LB1005",
		mark:     []string{lbA + "|sku"},
		gone:     []string{lbA + ".loadBalancingRules.ha"},
		kept:     []string{"loadBalancers.b.loadBalancingRules.ha"},
		unknowns: map[string]string{lbA: skippedBy("sku", "LB1005")},
	}, {
		name: "frontend address with guests",
		src:  floatingPair + guestsMissingAll, rule: "LB3001",
		mark: []string{fe1 + "|ipAddress"},
		gone: []string{guest1},
		kept: []string{guest2},
		// LB3005 needs it too: a listener on 0.0.0.0 serves IPv4 only.
		unknowns: map[string]string{fe1: skippedBy("ipAddress", "LB3001, LB3005")},
	}, {
		// LB2001 groups r1 and r1b by frontend when its address is unknown.
		name: "frontend address and DIP without guests",
		src:  floatingPair, rule: "LB2001",
		mark: []string{fe1 + "|ipAddress", vm1Config + "|privateIPAddress"},
		kept: []string{"loadBalancers.lb.loadBalancingRules.r1b"},
	}, {
		name: "DIP with a guest",
		src:  floatingPair + guestsMissingAll, rule: "LB3006",
		mark:     []string{vm1Config + "|privateIPAddress"},
		gone:     []string{guest1},
		kept:     []string{guest2},
		unknowns: map[string]string{vm1Config: skippedBy("privateIPAddress", "LB3006")},
	}, {
		name: "probe port",
		src:  floatingPair + guestsMissingAll, rule: "LB3006",
		mark:     []string{probe1 + "|port"},
		gone:     []string{guest1},
		kept:     []string{guest2},
		unknowns: map[string]string{probe1: skippedBy("port", "LB3006")},
	}, {
		name: "backend port",
		src:  backendClash, rule: "LB1003",
		mark:     []string{"loadBalancers.lb.loadBalancingRules.a2|backendPort"},
		gone:     []string{"loadBalancers.lb.loadBalancingRules.a2"},
		kept:     []string{"loadBalancers.lb.loadBalancingRules.b2"},
		unknowns: map[string]string{"loadBalancers.lb.loadBalancingRules.a2": skippedBy("backendPort", "LB1003, LB9003")},
	}, {
		name: "Floating IP",
		src:  secondaries, rule: "LB2002",
		mark:     []string{"loadBalancers.lb.loadBalancingRules.s1|enableFloatingIP"},
		gone:     []string{"loadBalancers.lb.loadBalancingRules.s1"},
		kept:     []string{"loadBalancers.lb.loadBalancingRules.s2"},
		unknowns: map[string]string{"loadBalancers.lb.loadBalancingRules.s1": skippedBy("enableFloatingIP", "LB1003, LB2001, LB2002, LB9003")},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, issues, err := schema.LoadBytes("d.yaml", []byte(tt.src))
			if err != nil || len(issues) > 0 {
				t.Fatalf("deployment: %v %v", err, issues)
			}
			before := objectsOf(lint.Run(d, nil, All, nil), tt.rule)
			for _, o := range slices.Concat(tt.gone, tt.kept) {
				if !slices.Contains(before, o) {
					t.Fatalf("%s reports nothing on %s to begin with (it reports on %q)", tt.rule, o, before)
				}
			}
			for _, m := range tt.mark {
				path, field, _ := strings.Cut(m, "|")
				n := nodeByPath(t, d, path)
				n.SetUnknown(field, n.At(field), "[parameters('x')]")
			}
			after := lint.Run(d, nil, All, nil)
			got := objectsOf(after, tt.rule)
			for _, o := range tt.gone {
				if slices.Contains(got, o) {
					t.Errorf("%s still judges %s", tt.rule, o)
				}
			}
			for _, o := range tt.kept {
				if !slices.Contains(got, o) {
					t.Errorf("%s no longer checks %s", tt.rule, o)
				}
			}
			if unknowns := unknownSummary(after); !equalMaps(unknowns, tt.unknowns) {
				t.Errorf("LB0010 findings (object: message):\n%v\nwant:\n%v", unknowns, tt.unknowns)
			}
		})
	}
}

// objectsOf lists the objects of rule's findings.
func objectsOf(findings []lint.Finding, rule string) []string {
	var out []string
	for _, f := range findings {
		if f.Rule == rule {
			out = append(out, f.Object)
		}
	}
	return out
}

// unknownSummary maps the object of each LB0010 finding to its message
// without the object's path.
func unknownSummary(findings []lint.Finding) map[string]string {
	out := map[string]string{}
	for _, f := range findings {
		if f.Rule == lint.UnknownValue {
			out[f.Object] = strings.TrimPrefix(f.Message, f.Object+": ")
		}
	}
	return out
}

// skippedBy is the LB0010 message (without the object's path) for one
// field marked unknown by the test, needed by rules.
func skippedBy(field, rules string) string {
	return field + " ([parameters('x')]) is only known at deployment; not checked by " + rules
}

// equalMaps reports whether two maps hold the same entries, a nil map
// being empty.
func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// nodeByPath finds the object at path among the kinds nodesOf knows.
func nodeByPath(t *testing.T, d *schema.Deployment, path string) *schema.Node {
	t.Helper()
	for _, kind := range []string{"lbs", "frontends", "probes", "rules", "ipconfigs"} {
		for _, n := range nodesOf(d, kind) {
			if n.Path() == path {
				return n
			}
		}
	}
	t.Fatalf("no object %s", path)
	return nil
}
