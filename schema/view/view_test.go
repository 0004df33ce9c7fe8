package view

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
)

const deployment = `
loadBalancers:
- name: ilb
  type: internal
  frontendIPConfigurations:
  - {name: fe, ipAddress: 10.0.0.10}
  - {name: bad, ipAddress: not-an-ip}
  backendAddressPools:
  - name: web
    members:
    - {vm: web-1, ipConfiguration: ipconfig1}
    - {vm: web-1, ipConfiguration: ipconfig2}
    - {vm: web-2, networkInterface: nic, ipConfiguration: ipconfig1}
    - {vm: ghost, ipConfiguration: ipconfig1}
  probes:
  - {name: http, protocol: Tcp, port: 8080}
  loadBalancingRules:
  - {name: floating, protocol: Tcp, frontendIPConfiguration: fe, backendAddressPool: web, probe: http, frontendPort: 443, backendPort: 8443, enableFloatingIP: true}
  - {name: plain, protocol: Udp, frontendIPConfiguration: fe, backendAddressPool: web, frontendPort: 53, backendPort: 53}
  - {name: ha, protocol: All, frontendIPConfiguration: bad, backendAddressPool: web, frontendPort: 0, backendPort: 0, enableFloatingIP: true}
  inboundNatRules:
  - {name: ssh-1, protocol: Tcp, frontendIPConfiguration: fe, frontendPort: 2201, backendPort: 22, target: {vm: web-1, ipConfiguration: ipconfig1}}
  - {name: range, protocol: Tcp, frontendIPConfiguration: fe, backendAddressPool: web, frontendPortRangeStart: 5000, frontendPortRangeEnd: 5000, backendPort: 22}
vms:
- name: web-1
  networkInterfaces:
  - name: nic
    ipConfigurations:
    - {name: ipconfig1, privateIPAddress: 10.0.1.4, primary: true}
    - {name: ipconfig2, privateIPAddress: 10.0.1.5}
- name: web-2
  networkInterfaces:
  - name: nic
    ipConfigurations:
    - {name: ipconfig1, privateIPAddress: 10.0.1.6, primary: true}
guests:
- vm: web-1
  os: linux
  interfaces:
  - {name: eth0, kind: nic, addresses: [10.0.1.4/24, 10.0.1.5/24]}
  - {name: lo, kind: loopback, addresses: [127.0.0.1/8, 10.0.0.0/28]}
  listeners:
  - {proto: tcp, address: 10.0.1.4, port: 8443}
  - {proto: udp, address: 0.0.0.0, port: 53}
- vm: web-2
  os: windows
  interfaces:
  - {name: Ethernet, kind: nic, addresses: [10.0.1.6/24]}
  - {name: Loopback, kind: loopback, addresses: [10.0.0.0/28]}
  listeners:
  - {proto: tcp, address: "::", port: 8443}
`

func resolve(t *testing.T) *View {
	t.Helper()
	d, _, err := schema.LoadBytes("view.yaml", []byte(deployment))
	if err != nil {
		t.Fatal(err)
	}
	return Resolve(d)
}

// deliveries renders a binding's deliveries as "vm/nic/ipc dst:port [port
// N] [excluded]".
func deliveries(b *Binding) []string {
	var out []string
	for _, d := range b.Deliveries {
		s := fmt.Sprintf("%s %s", d, netip.AddrPortFrom(d.Dst, uint16(d.DstPort)))
		if d.FrontendPort != 0 {
			s += fmt.Sprintf(" port %d", d.FrontendPort)
		}
		if d.Excluded != "" {
			s += " excluded: " + strings.SplitN(d.Excluded, ":", 2)[0]
		}
		out = append(out, s)
	}
	return out
}

func TestResolveBindings(t *testing.T) {
	v := resolve(t)
	if len(v.Bindings) != 5 || len(v.LoadBalancers[0].Bindings) != 5 {
		t.Fatalf("%d bindings, want 5", len(v.Bindings))
	}
	for _, tc := range []struct {
		name, kind, ports string
		fip               string
		protocols         string
		want              []string
		unresolved        int
	}{
		{"floating", "rule", "port 443", "10.0.0.10", "[Tcp]", []string{
			"web-1/nic/ipconfig1 10.0.0.10:8443",
			"web-1/nic/ipconfig2 10.0.0.10:8443 excluded: Floating IP is not supported on secondary IP configurations",
			"web-2/nic/ipconfig1 10.0.0.10:8443",
		}, 1},
		{"plain", "rule", "port 53", "10.0.0.10", "[Udp]", []string{
			"web-1/nic/ipconfig1 10.0.1.4:53", "web-1/nic/ipconfig2 10.0.1.5:53", "web-2/nic/ipconfig1 10.0.1.6:53",
		}, 1},
		{"ha", "rule", "all ports", "invalid IP", "[Tcp Udp]", []string{
			"web-1/nic/ipconfig1 invalid AddrPort",
			"web-1/nic/ipconfig2 invalid AddrPort excluded: Floating IP is not supported on secondary IP configurations",
			"web-2/nic/ipconfig1 invalid AddrPort",
		}, 1},
		{"ssh-1", "NAT rule", "port 2201", "10.0.0.10", "[Tcp]", []string{"web-1/nic/ipconfig1 10.0.1.4:22"}, 0},
		{"range", "NAT rule", "port 5000", "10.0.0.10", "[Tcp]", []string{
			"web-1/nic/ipconfig1 10.0.1.4:22 port 5000",
			"web-1/nic/ipconfig2 10.0.1.5:22 port 5001 excluded: the NAT rule's frontend port range has no port left for it",
			"web-2/nic/ipconfig1 10.0.1.6:22 port 5002 excluded: the NAT rule's frontend port range has no port left for it",
		}, 1},
	} {
		var b *Binding
		for _, x := range v.Bindings {
			if x.Name == tc.name {
				b = x
			}
		}
		got := deliveries(b)
		if b.Kind.String() != tc.kind || b.FrontendPorts.String() != tc.ports || b.FIP().String() != tc.fip ||
			fmt.Sprint(b.Protocols) != tc.protocols || fmt.Sprint(got) != fmt.Sprint(tc.want) || len(b.Unresolved) != tc.unresolved {
			t.Errorf("%s: %s %s fip %s %v, unresolved %d, deliveries\n got %q\nwant %q",
				tc.name, b.Kind, b.FrontendPorts, b.FIP(), b.Protocols, len(b.Unresolved), got, tc.want)
		}
	}
	floating := v.Bindings[0]
	if floating.Probe == nil || floating.Probe.Name != "http" || v.Bindings[1].Probe != nil || !v.Bindings[2].HAPorts {
		t.Errorf("probes or HA ports wrong: %+v", floating)
	}
	if d := floating.Deliveries[0]; d.Guest == nil || d.Guest.VM != "web-1" || d.DIP.String() != "10.0.1.4" {
		t.Errorf("delivery guest %v DIP %s", d.Guest, d.DIP)
	}
}

func TestGuests(t *testing.T) {
	v := resolve(t)
	linux, windows := v.Guest("web-1"), v.Guest("web-2")
	if len(v.Guests) != 2 || linux == nil || windows == nil || !windows.IsWindows() || linux.NICs != 1 {
		t.Fatalf("guests %v", v.Guests)
	}
	for _, tc := range []struct {
		g     *Guest
		addr  string
		iface string // "" when not local
	}{
		{linux, "10.0.1.5", "eth0"},
		{linux, "10.0.0.10", "lo"}, // Linux: the whole loopback prefix is local
		{linux, "10.0.0.99", ""},
		{windows, "10.0.0.10", ""}, // Windows: only the address itself
		{windows, "10.0.0.0", "Loopback"},
	} {
		x, ok := tc.g.Holder(netip.MustParseAddr(tc.addr))
		if ok && x.Iface.Name != tc.iface || !ok && tc.iface != "" {
			t.Errorf("%s Holder(%s) = %v %v, want %q", tc.g.VM, tc.addr, x.Iface, ok, tc.iface)
		}
	}
	if n := linux.NIC(netip.MustParseAddr("10.9.9.9")); n == nil || n.Name != "eth0" {
		t.Errorf("NIC of an address no NIC holds: %v, want the first NIC", n)
	}
	fip := netip.MustParseAddr("10.0.0.10")
	if ok, other := linux.Serves("tcp", fip, 8443); ok || other == nil || other.Address != "10.0.1.4" {
		t.Errorf("linux serves tcp FIP:8443 = %v %v, want no, the listener on the DIP", ok, other)
	}
	if ok, _ := linux.Serves("udp", fip, 53); !ok {
		t.Error("0.0.0.0 must serve IPv4")
	}
	if ok, _ := windows.Serves("tcp", fip, 8443); !ok {
		t.Error(":: must serve IPv4 (dual stack)")
	}
	if ok, other := windows.Serves("udp", fip, 53); ok || other != nil {
		t.Errorf("no udp listener: %v %v", ok, other)
	}
	if lo := windows.Loopback(); lo == nil || lo.Name != "Loopback" {
		t.Errorf("Loopback() = %v", lo)
	}
}

// dualStack: a public load balancer with an IPv4 and an IPv6 frontend and an
// internal one with an IPv6 frontend, in front of dual-stack NICs (a primary
// IPv4 IP configuration, a secondary IPv4 one and a secondary IPv6 one) and
// their guests.
const dualStack = `
loadBalancers:
- name: web
  type: public
  frontendIPConfigurations:
  - {name: v4, ipAddress: 203.0.113.10}
  - {name: v6, ipAddress: "2001:db8:1::10"}
  - {name: mapped, ipAddress: "::ffff:203.0.113.11"}
  backendAddressPools:
  - name: v4
    members: [{vm: vm1, ipConfiguration: ipconfig1}, {vm: vm1, ipConfiguration: ipconfig2}]
  - name: v6
    members: [{vm: vm1, ipConfiguration: ipconfig-v6}, {vm: vm2, ipConfiguration: ipconfig-v6}]
  loadBalancingRules:
  - {name: https-v4, protocol: Tcp, frontendIPConfiguration: v4, backendAddressPool: v4, frontendPort: 443, backendPort: 443, enableFloatingIP: true}
  - {name: https-v6, protocol: Tcp, frontendIPConfiguration: v6, backendAddressPool: v6, frontendPort: 443, backendPort: 443, enableFloatingIP: true}
  - {name: http-v6, protocol: Tcp, frontendIPConfiguration: v6, backendAddressPool: v6, frontendPort: 80, backendPort: 8080}
  - {name: mapped, protocol: Tcp, frontendIPConfiguration: mapped, backendAddressPool: v4, frontendPort: 443, backendPort: 443}
  inboundNatRules:
  - {name: ssh-v6, protocol: Tcp, frontendIPConfiguration: v6, frontendPort: 2201, backendPort: 22, enableFloatingIP: true, target: {vm: vm1, ipConfiguration: ipconfig-v6}}
- name: ilb
  type: internal
  frontendIPConfigurations:
  - {name: v6, ipAddress: "fd00:db8::10"}
  backendAddressPools:
  - name: v6
    members: [{vm: vm1, ipConfiguration: ipconfig-v6}]
  loadBalancingRules:
  - {name: app-v6, protocol: Udp, frontendIPConfiguration: v6, backendAddressPool: v6, frontendPort: 53, backendPort: 53, enableFloatingIP: true}
vms:
- name: vm1
  networkInterfaces:
  - name: nic
    ipConfigurations:
    - {name: ipconfig1, privateIPAddress: 10.0.0.4, primary: true}
    - {name: ipconfig2, privateIPAddress: 10.0.0.6}
    - {name: ipconfig-v6, privateIPAddress: "fd00:db8::4"}
- name: vm2
  networkInterfaces:
  - name: nic
    ipConfigurations:
    - {name: ipconfig1, privateIPAddress: 10.0.0.5, primary: true}
    - {name: ipconfig-v6, privateIPAddress: "FD00:DB8::5"}
guests:
- vm: vm1
  os: linux
  interfaces:
  - {name: eth0, kind: nic, addresses: [10.0.0.4/24, "fd00:db8::4/64"]}
  - {name: lo, kind: loopback, addresses: [127.0.0.1/8, "::1/128", 203.0.113.10/32, "2001:db8:1::10/128", "fd00:db8:0:1::/64"]}
  listeners:
  - {proto: tcp, address: "2001:db8:1::10", port: 443}
  - {proto: tcp, address: 0.0.0.0, port: 8080}
  - {proto: udp, address: "::", port: 53}
- vm: vm2
  os: windows
  interfaces:
  - {name: Ethernet, kind: nic, addresses: [10.0.0.5/24, "fd00:db8::5/64"]}
  - {name: Loopback, kind: loopback, addresses: ["2001:db8:1::10/128", "fd00:db8:0:1::/64"]}
`

func TestDualStack(t *testing.T) {
	d, issues, err := schema.LoadBytes("dual.yaml", []byte(dualStack))
	if err != nil || len(issues) > 0 {
		t.Fatalf("%v %v", err, issues)
	}
	v := Resolve(d)
	for _, tc := range []struct {
		lb, name, fip string
		want          []string
	}{
		{"web", "https-v4", "203.0.113.10", []string{
			"vm1/nic/ipconfig1 203.0.113.10:443",
			"vm1/nic/ipconfig2 203.0.113.10:443 excluded: Floating IP is not supported on secondary IP configurations",
		}},
		// A public load balancer's Floating IP reaches secondary IPv6
		// configurations (dual stack), written in any case.
		{"web", "https-v6", "2001:db8:1::10", []string{"vm1/nic/ipconfig-v6 [2001:db8:1::10]:443", "vm2/nic/ipconfig-v6 [2001:db8:1::10]:443"}},
		{"web", "http-v6", "2001:db8:1::10", []string{"vm1/nic/ipconfig-v6 [fd00:db8::4]:8080", "vm2/nic/ipconfig-v6 [fd00:db8::5]:8080"}},
		{"web", "mapped", "203.0.113.11", []string{"vm1/nic/ipconfig1 10.0.0.4:443", "vm1/nic/ipconfig2 10.0.0.6:443"}},
		{"web", "ssh-v6", "2001:db8:1::10", []string{"vm1/nic/ipconfig-v6 [2001:db8:1::10]:22"}},
		// An internal load balancer's does not.
		{"ilb", "app-v6", "fd00:db8::10", []string{
			"vm1/nic/ipconfig-v6 [fd00:db8::10]:53 excluded: Floating IP is not supported on secondary IP configurations",
		}},
	} {
		var b *Binding
		for _, x := range v.Bindings {
			if x.LB.Name == tc.lb && x.Name == tc.name {
				b = x
			}
		}
		if got := deliveries(b); b.FIP().String() != tc.fip || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s/%s: fip %s, deliveries\n got %q\nwant %q", tc.lb, tc.name, b.FIP(), got, tc.want)
		}
	}

	linux, windows := v.Guest("vm1"), v.Guest("vm2")
	for _, tc := range []struct {
		g     *Guest
		addr  string
		iface string // "" when not local
	}{
		{linux, "fd00:db8::4", "eth0"},
		{linux, "2001:db8:1::10", "lo"},
		{linux, "fd00:db8:0:1::99", ""}, // an IPv6 loopback prefix is routed to lo, not local
		{linux, "2001:db8:1::11", ""},
		{windows, "2001:db8:1::10", "Loopback"},
		{windows, "fd00:db8:0:1::99", ""}, // Windows: only the address itself
		{windows, "fd00:db8::5", "Ethernet"},
	} {
		x, ok := tc.g.Holder(netip.MustParseAddr(tc.addr))
		if ok && x.Iface.Name != tc.iface || !ok && tc.iface != "" {
			t.Errorf("%s Holder(%s) = %v %v, want %q", tc.g.VM, tc.addr, x.Iface, ok, tc.iface)
		}
	}
	if n := windows.NIC(netip.MustParseAddr("fd00:db8::5")); n == nil || n.Name != "Ethernet" {
		t.Errorf("NIC of the IPv6 DIP: %v", n)
	}
	fip6 := netip.MustParseAddr("2001:db8:1::10")
	for _, tc := range []struct {
		proto schema.SockProto
		dst   string
		port  int
		want  bool
	}{
		{"tcp", "2001:db8:1::10", 443, true},
		{"tcp", "203.0.113.10", 443, false}, // bound to the IPv6 frontend only
		{"tcp", "fd00:db8::4", 8080, false}, // 0.0.0.0 is IPv4 only
		{"tcp", "10.0.0.4", 8080, true},
		{"udp", "2001:db8:1::10", 53, true}, // :: serves both families
		{"udp", "203.0.113.10", 53, true},
	} {
		if ok, _ := linux.Serves(tc.proto, netip.MustParseAddr(tc.dst), tc.port); ok != tc.want {
			t.Errorf("Serves(%s %s:%d) = %v, want %v", tc.proto, tc.dst, tc.port, ok, tc.want)
		}
	}
	if _, other := linux.Serves("tcp", fip6, 8080); other == nil || other.Address != "0.0.0.0" {
		t.Errorf("the IPv4 wildcard listener on 8080 is not named for the IPv6 FIP: %v", other)
	}
}

func TestFloatingReachesSecondary(t *testing.T) {
	for _, tc := range []struct {
		lb   schema.LBType
		dip  string
		want bool
	}{
		{schema.LBPublic, "fd00:db8::4", true},
		{schema.LBPublic, "10.0.0.6", false},
		{schema.LBPublic, "::ffff:10.0.0.6", false}, // an IPv4 address, however written
		{schema.LBInternal, "fd00:db8::4", false},
		{schema.LBInternal, "10.0.0.6", false},
		{schema.LBPublic, "", false}, // not an address
	} {
		if got := FloatingReachesSecondary(tc.lb, ParseAddr(tc.dip)); got != tc.want {
			t.Errorf("FloatingReachesSecondary(%s, %q) = %v, want %v", tc.lb, tc.dip, got, tc.want)
		}
	}
}
