package cases

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

// genericDeployment: frontend 203.0.113.60, pool "pool" of vm1/ipc1
// (primary, 10.0.7.4) and vm2/ipc2 (a secondary configuration, 10.0.7.6;
// vm2's primary ipc1 is 10.0.7.5), the given rules and NAT rules.
func genericDeployment(rules []*schema.Rule, nats []*schema.NatRule) *schema.Deployment {
	nic := func(ipcs ...*schema.IPConfig) []*schema.NetworkInterface {
		return []*schema.NetworkInterface{{Name: "nic", IPConfigurations: ipcs}}
	}
	return &schema.Deployment{
		LoadBalancers: []*schema.LoadBalancer{{
			Name:                     "lb",
			FrontendIPConfigurations: []*schema.Frontend{{Name: "fe", IPAddress: "203.0.113.60"}, {Name: "v6", IPAddress: "2001:db8::60"}},
			BackendAddressPools: []*schema.BackendPool{{Name: "pool", Members: []*schema.PoolMember{
				{VM: "vm1", IPConfiguration: "ipc1"}, {VM: "vm2", IPConfiguration: "ipc2"}}}},
			LoadBalancingRules: rules,
			InboundNatRules:    nats,
		}},
		VMs: []*schema.VM{
			{Name: "vm1", NetworkInterfaces: nic(&schema.IPConfig{Name: "ipc1", PrivateIPAddress: "10.0.7.4", Primary: true})},
			{Name: "vm2", NetworkInterfaces: nic(&schema.IPConfig{Name: "ipc1", PrivateIPAddress: "10.0.7.5", Primary: true},
				&schema.IPConfig{Name: "ipc2", PrivateIPAddress: "10.0.7.6"})},
		},
	}
}

// describe renders flows as "proto fport->bport backends excluded", maps
// in sorted order (fmt sorts them).
func describe(fs []ruleFlow) string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s %s %d->%d %v %v", f, f.proto, f.fport, f.bport, f.backends, f.excluded))
	}
	return strings.Join(out, "\n")
}

// TestFlows: the flows generic cases send and where they must (not) arrive,
// from the view: a secondary IP configuration behind Floating IP receives
// nothing, one without Floating IP is delivered to its own DIP.
func TestFlows(t *testing.T) {
	web := func(floating bool) *schema.Rule {
		return &schema.Rule{Name: "web", FrontendIPConfiguration: "fe", BackendAddressPool: "pool", Protocol: "Tcp", FrontendPort: 80, BackendPort: 8080, EnableFloatingIP: floating}
	}
	fip := "203.0.113.60"
	for _, tc := range []struct {
		name   string
		rules  []*schema.Rule
		nats   []*schema.NatRule
		both   bool          // vm2's primary ipc1 is a pool member too
		hosted string        // VMs in the topology; "" is every VM
		lacks  features.Name // an extended feature the implementation does not declare
		want   []string
		logs   string
	}{
		{name: "floating rule: the secondary gets nothing", rules: []*schema.Rule{web(true)},
			want: []string{"rule lb/web (tcp 203.0.113.60:80) tcp 80->8080 map[vm1:" + fip + "] map[vm2:" + view.ExcludedSecondary + "]"}},
		{name: "rule without Floating IP: the secondary's DIP", rules: []*schema.Rule{web(false)},
			want: []string{"rule lb/web (tcp 203.0.113.60:80) tcp 80->8080 map[vm1:10.0.7.4 vm2:10.0.7.6] map[]"}},
		{name: "floating rule: the VM's primary is also a member", rules: []*schema.Rule{web(true)},
			both: true,
			want: []string{"rule lb/web (tcp 203.0.113.60:80) tcp 80->8080 map[vm1:" + fip + " vm2:" + fip + "] map[]"}},
		{name: "a VM without a host is skipped", rules: []*schema.Rule{web(true)}, hosted: "vm1",
			want: []string{"rule lb/web (tcp 203.0.113.60:80) tcp 80->8080 map[vm1:" + fip + "] map[]"}},
		{name: "HA ports", rules: []*schema.Rule{{Name: "ha", FrontendIPConfiguration: "fe", BackendAddressPool: "pool", Protocol: "All", EnableFloatingIP: true}},
			want: []string{
				"rule lb/ha (tcp 203.0.113.60:80) tcp 80->80 map[vm1:" + fip + "] map[vm2:" + view.ExcludedSecondary + "]",
				"rule lb/ha (udp 203.0.113.60:53) udp 53->53 map[vm1:" + fip + "] map[vm2:" + view.ExcludedSecondary + "]",
			}},
		{name: "HA ports on a target without ha-ports", lacks: features.HAPorts,
			rules: []*schema.Rule{web(false), {Name: "ha", FrontendIPConfiguration: "fe", BackendAddressPool: "pool", Protocol: "All", EnableFloatingIP: true}},
			want:  []string{"rule lb/web (tcp 203.0.113.60:80) tcp 80->8080 map[vm1:10.0.7.4 vm2:10.0.7.6] map[]"},
			logs:  "rule lb/ha needs ha-ports, which the implementation does not declare; not tested\n"},
		{name: "classic NAT rule on a target without inbound-nat-rule", lacks: features.InboundNATRule,
			nats: []*schema.NatRule{{Name: "ssh", FrontendIPConfiguration: "fe", Protocol: "Tcp", FrontendPort: 2222, BackendPort: 22, Target: &schema.PoolMember{VM: "vm1", IPConfiguration: "ipc1"}}},
			logs: "inbound NAT rule lb/ssh needs inbound-nat-rule, which the implementation does not declare; not tested\n"},
		{name: "floating classic NAT rule to a secondary", nats: []*schema.NatRule{{Name: "ssh", FrontendIPConfiguration: "fe", Protocol: "Tcp", FrontendPort: 2222, BackendPort: 22,
			EnableFloatingIP: true, Target: &schema.PoolMember{VM: "vm2", IPConfiguration: "ipc2"}}},
			want: []string{"inbound NAT rule lb/ssh (tcp 203.0.113.60:2222) tcp 2222->22 map[] map[vm2:" + view.ExcludedSecondary + "]"}},
		{name: "v2 NAT rule and IPv6 frontend left out",
			rules: []*schema.Rule{{Name: "web6", FrontendIPConfiguration: "v6", BackendAddressPool: "pool", Protocol: "Tcp", FrontendPort: 80, BackendPort: 80}},
			nats:  []*schema.NatRule{{Name: "rdp", FrontendIPConfiguration: "fe", Protocol: "Tcp", BackendPort: 3389, BackendAddressPool: "pool", FrontendPortRangeStart: 50000, FrontendPortRangeEnd: 50009}},
			logs:  "rule lb/web6: frontend 2001:db8::60 is not IPv4; not tested\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := genericDeployment(tc.rules, tc.nats)
			if tc.both {
				pool := d.LoadBalancers[0].BackendAddressPools[0]
				pool.Members = append(pool.Members, &schema.PoolMember{VM: "vm2", IPConfiguration: "ipc1"})
			}
			hosted := func(vm string) bool { return tc.hosted == "" || strings.Contains(tc.hosted, vm) }
			var logs strings.Builder
			supports := func(f features.Name) bool { return f != tc.lacks }
			got, left := flows(view.Resolve(d), hosted, supports, func(format string, args ...any) { fmt.Fprintf(&logs, format+"\n", args...) })
			if (tc.lacks == "") != (len(left) == 0) {
				t.Errorf("flows left out for a missing feature: %v (the target lacks %q)", describe(left), tc.lacks)
			}
			if describe(got) != strings.Join(tc.want, "\n") {
				t.Errorf("flows:\n%s\nwant\n%s", describe(got), strings.Join(tc.want, "\n"))
			}
			if logs.String() != tc.logs {
				t.Errorf("logs %q, want %q", logs.String(), tc.logs)
			}
		})
	}
}
