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
