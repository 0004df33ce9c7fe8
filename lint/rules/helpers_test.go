package rules

import (
	"net/netip"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
)

func TestFirewallAllows(t *testing.T) {
	fip := netip.MustParseAddr("10.0.0.10")
	dip := netip.MustParseAddr("10.0.0.4")
	allow80 := &schema.FirewallRule{Name: "web", Action: "allow", Proto: "tcp", LocalPort: 80}
	block80 := &schema.FirewallRule{Name: "no web", Action: "block", Proto: "tcp", LocalPort: 80}
	allowDIP := &schema.FirewallRule{Name: "dip", Action: "allow", Proto: "any", LocalAddress: "10.0.0.4"}
	allowNet := &schema.FirewallRule{Name: "net", Action: "allow", Proto: "tcp", LocalAddress: "10.0.0.0/24"}
	fromProbe := &schema.FirewallRule{Name: "probe", Action: "allow", Proto: "tcp", RemoteAddress: "168.63.129.16"}
	toFIP80 := packet{proto: "tcp", dst: fip, port: 80}
	tests := []struct {
		name      string
		os        string
		fw        *schema.Firewall
		p         packet
		want      bool
		wantBlock *schema.FirewallRule
	}{
		{"no firewall", "linux", nil, toFIP80, true, nil},
		{"disabled", "linux", &schema.Firewall{Enabled: false, DefaultInbound: "block"}, toFIP80, true, nil},
		{"default block", "linux", &schema.Firewall{Enabled: true, DefaultInbound: "block"}, toFIP80, false, nil},
		{"default allow", "linux", &schema.Firewall{Enabled: true, DefaultInbound: "allow"}, toFIP80, true, nil},
		{"linux first match allows", "linux", &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{allow80, block80}}, toFIP80, true, nil},
		{"linux first match blocks", "linux", &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{block80, allow80}}, toFIP80, false, block80},
		{"windows block wins", "windows", &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{allow80, block80}}, toFIP80, false, block80},
		{"rule for the DIP does not open the FIP", "linux", &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{allowDIP}}, toFIP80, false, nil},
		{"rule for the DIP opens the DIP", "linux", &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{allowDIP}}, packet{proto: "udp", dst: dip, port: 53}, true, nil},
		{"prefix matches", "linux", &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{allowNet}}, toFIP80, true, nil},
		{"remote-limited rule does not allow any client", "linux", &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{fromProbe}}, toFIP80, false, nil},
		{"remote-limited rule allows its source", "linux", &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{fromProbe}},
			packet{proto: "tcp", src: probeSource, dst: dip, port: 8080}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGuestView(&schema.Guest{VM: "vm", OS: tt.os, Firewall: tt.fw})
			ok, block := g.firewallAllows(tt.p)
			if ok != tt.want || block != tt.wantBlock {
				t.Errorf("firewallAllows = %v, %v; want %v, %v", ok, block, tt.want, tt.wantBlock)
			}
		})
	}
}

func TestHolder(t *testing.T) {
	lo := &schema.Interface{Name: "lo", Kind: "loopback", Addresses: []string{"127.0.0.1/8", "10.0.0.0/24"}}
	nic := &schema.Interface{Name: "eth0", Kind: "nic", Addresses: []string{"10.0.1.4/24"}}
	tests := []struct {
		os, addr string
		want     *schema.Interface
	}{
		{"linux", "10.0.1.4", nic},
		{"linux", "10.0.1.5", nil},        // in the NIC's prefix, but a NIC prefix is not local
		{"linux", "10.0.0.77", lo},        // a loopback prefix is local as a whole on Linux
		{"windows", "10.0.0.77", nil},     // not on Windows
		{"linux", "2001:db8::1", nil},     // other family
		{"linux", "127.255.255.254", lo},  // 127/8
		{"windows", "10.0.1.4", nic},      // exact address on any OS
		{"linux", "not-an-address", nil},  // invalid
		{"linux", "::ffff:10.0.1.4", nic}, // IPv4-mapped addresses are unmapped
	}
	for _, tt := range tests {
		g := newGuestView(&schema.Guest{VM: "vm", OS: tt.os, Interfaces: []*schema.Interface{nic, lo}})
		x, ok := g.holder(parseAddr(tt.addr))
		if tt.want == nil && ok || tt.want != nil && (!ok || x.iface != tt.want) {
			t.Errorf("%s holder(%s) = %v, %v; want %v", tt.os, tt.addr, x.iface, ok, tt.want)
		}
	}
}

func TestServes(t *testing.T) {
	v4 := netip.MustParseAddr("10.0.0.10")
	v6 := netip.MustParseAddr("2001:db8::10")
	tests := []struct {
		l    schema.Listener
		dst  netip.Addr
		want bool
	}{
		{schema.Listener{Proto: "tcp", Address: "0.0.0.0", Port: 80}, v4, true},
		{schema.Listener{Proto: "tcp", Address: "0.0.0.0", Port: 80}, v6, false},
		{schema.Listener{Proto: "tcp", Address: "::", Port: 80}, v4, true},
		{schema.Listener{Proto: "tcp", Address: "10.0.0.10", Port: 80}, v4, true},
		{schema.Listener{Proto: "tcp", Address: "10.0.0.4", Port: 80}, v4, false},
		{schema.Listener{Proto: "udp", Address: "0.0.0.0", Port: 80}, v4, false},
		{schema.Listener{Proto: "tcp", Address: "0.0.0.0", Port: 81}, v4, false},
	}
	for _, tt := range tests {
		if got := serves(&tt.l, "tcp", tt.dst, 80); got != tt.want {
			t.Errorf("serves(%+v, tcp %s:80) = %v, want %v", tt.l, tt.dst, got, tt.want)
		}
	}
}

func TestPortRangeString(t *testing.T) {
	for r, want := range map[portRange]string{
		{0, 65535}:     "all ports",
		{80, 80}:       "port 80",
		{50000, 50010}: "ports 50000-50010",
	} {
		if got := r.String(); got != want {
			t.Errorf("%v.String() = %q, want %q", r, got, want)
		}
	}
}

func TestQuoteList(t *testing.T) {
	if got, want := quoteList([]string{"a", "b", "c", "d", "e"}, 3), `"a", "b", "c" and 2 more`; got != want {
		t.Errorf("quoteList = %s, want %s", got, want)
	}
	if got, want := quoteList([]string{"a"}, 3), `"a"`; got != want {
		t.Errorf("quoteList = %s, want %s", got, want)
	}
}
