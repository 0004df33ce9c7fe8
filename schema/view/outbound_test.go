package view

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
)

const outboundDeployment = `
loadBalancers:
- name: pub
  type: public
  frontendIPConfigurations:
  - {name: site, ipAddress: 203.0.113.10}
  - {name: egress, ipAddress: 203.0.113.20}
  backendAddressPools:
  - name: web
    members:
    - {vm: web-1, ipConfiguration: ipconfig1}
    - {vm: web-2, ipConfiguration: ipconfig1}
  - name: db
    members:
    - {vm: db-1, ipConfiguration: ipconfig1}
  loadBalancingRules:
  - {name: https, protocol: Tcp, frontendIPConfiguration: site, backendAddressPool: web, frontendPort: 443, backendPort: 443, disableOutboundSnat: true}
  - {name: dns, protocol: Udp, frontendIPConfiguration: site, backendAddressPool: db, frontendPort: 53, backendPort: 53}
  outboundRules:
  - {name: out, protocol: Tcp, frontendIPConfigurations: [egress], backendAddressPool: web, allocatedOutboundPorts: 10000}
- name: ilb
  type: internal
  frontendIPConfigurations:
  - {name: fe, ipAddress: 10.0.0.10}
  backendAddressPools:
  - name: db
    members: [{vm: db-1, ipConfiguration: ipconfig1}]
  loadBalancingRules:
  - {name: sql, protocol: Tcp, frontendIPConfiguration: fe, backendAddressPool: db, frontendPort: 1433, backendPort: 1433}
vms:
- {name: web-1, networkInterfaces: [{name: nic, ipConfigurations: [{name: ipconfig1, privateIPAddress: 10.0.1.4, primary: true}]}]}
- {name: web-2, networkInterfaces: [{name: nic, ipConfigurations: [{name: ipconfig1, privateIPAddress: 10.0.1.5, primary: true}]}]}
- {name: db-1, networkInterfaces: [{name: nic, ipConfigurations: [{name: ipconfig1, privateIPAddress: 10.0.2.4, primary: true}]}]}
`

func TestOutboundFor(t *testing.T) {
	d, issues, err := schema.LoadBytes("d.yaml", []byte(outboundDeployment))
	if err != nil || len(issues) > 0 {
		t.Fatal(err, issues)
	}
	v := Resolve(d)
	var got []string
	for _, s := range v.SNATs() {
		for _, m := range s.Members {
			got = append(got, fmt.Sprintf("%s/%s %s %s %s", s.LB.Name, s.Name, s.FIP(), m.DIP, m.Ports))
		}
	}
	// The outbound rule first; https disables outbound SNAT, dns gives
	// db-1 default SNAT on site; the internal load balancer gives none.
	want := "pub/out 203.0.113.20 10.0.1.4 ports 1024-11023; pub/out 203.0.113.20 10.0.1.5 ports 11024-21023; pub/dns 203.0.113.10 10.0.2.4 ports 1024-2047"
	if strings.Join(got, "; ") != want {
		t.Errorf("SNATs:\n got %s\nwant %s", strings.Join(got, "; "), want)
	}
	for _, c := range []struct {
		dip   string
		proto schema.Protocol
		want  string
	}{
		{"10.0.1.4", schema.ProtocolTcp, "out"},
		{"10.0.1.4", schema.ProtocolUdp, ""}, // the outbound rule is TCP only
		{"10.0.2.4", schema.ProtocolUdp, "dns"},
		{"10.0.2.4", schema.ProtocolTcp, ""}, // default SNAT follows its rule's protocol
		{"203.0.113.10", schema.ProtocolTcp, ""},
	} {
		name := ""
		if m := v.OutboundFor(netip.MustParseAddr(c.dip), c.proto); m != nil {
			name = m.SNAT.Name
		}
		if name != c.want {
			t.Errorf("OutboundFor(%s, %s) = %q, want %q", c.dip, c.proto, name, c.want)
		}
	}
}

func TestOutboundPortsRunOut(t *testing.T) {
	src := strings.Replace(outboundDeployment, "allocatedOutboundPorts: 10000", "allocatedOutboundPorts: 40000", 1)
	d, _, err := schema.LoadBytes("d.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	v := Resolve(d)
	if m := v.OutboundFor(netip.MustParseAddr("10.0.1.4"), schema.ProtocolTcp); m == nil || m.Ports != (PortRange{1024, 41023}) {
		t.Errorf("first member: %+v", m)
	}
	if m := v.OutboundFor(netip.MustParseAddr("10.0.1.5"), schema.ProtocolTcp); m != nil {
		t.Errorf("second member got %v; the frontend has only 64,512 ports", m.Ports)
	}
}

func TestDefaultSNATPorts(t *testing.T) {
	for n, want := range map[int]int{1: 1024, 50: 1024, 51: 512, 100: 512, 101: 256, 200: 256, 201: 128, 400: 128, 401: 64, 800: 64, 801: 32, 1000: 32} {
		if got := DefaultSNATPorts(n); got != want {
			t.Errorf("DefaultSNATPorts(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestInternet(t *testing.T) {
	for a, want := range map[string]bool{
		"198.51.100.20": true, "8.8.8.8": true, "2001:db8::1": true,
		"10.0.0.1": false, "172.16.0.1": false, "192.168.1.1": false, "100.64.0.1": false, "fd00::1": false,
		"127.0.0.1": false, "169.254.0.1": false, "224.0.0.1": false, "0.0.0.0": false, "168.63.129.16": false, "255.255.255.255": false,
	} {
		if got := Internet(netip.MustParseAddr(a)); got != want {
			t.Errorf("Internet(%s) = %v, want %v", a, got, want)
		}
	}
}
