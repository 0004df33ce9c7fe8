package view

import (
	"net/netip"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
)

func TestMember(t *testing.T) {
	v := resolve(t)
	pool := v.LoadBalancers[0].Pools["web"]
	var got []string
	for _, m := range pool.Members {
		vm, nic, ipc, ok := v.Member(m)
		if !ok {
			got = append(got, "unresolved "+m.VM)
			continue
		}
		got = append(got, vm.Name+"/"+nic.Name+"/"+ipc.Name)
	}
	want := []string{"web-1/nic/ipconfig1", "web-1/nic/ipconfig2", "web-2/nic/ipconfig1", "unresolved ghost"}
	if len(got) != len(want) {
		t.Fatalf("Member over pool web = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Member(%d) = %q, want %q", i, got[i], want[i])
		}
	}
}

// The cases below are the guest and port-range semantics lint/rules relied
// on before it read the view (its own index had these tests).

func TestHolderCases(t *testing.T) {
	lo := &schema.Interface{Name: "lo", Kind: "loopback", Addresses: []string{"127.0.0.1/8", "10.0.0.0/24"}}
	nic := &schema.Interface{Name: "eth0", Kind: "nic", Addresses: []string{"10.0.1.4/24"}}
	tests := []struct {
		os   schema.OS
		addr string
		want *schema.Interface
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
		g := Resolve(&schema.Deployment{Guests: []*schema.Guest{{VM: "vm", OS: tt.os, Interfaces: []*schema.Interface{nic, lo}}}}).Guest("vm")
		x, ok := g.Holder(ParseAddr(tt.addr))
		if tt.want == nil && ok || tt.want != nil && (!ok || x.Iface != tt.want) {
			t.Errorf("%s Holder(%s) = %v, %v; want %v", tt.os, tt.addr, x.Iface, ok, tt.want)
		}
	}
}

func TestServesCases(t *testing.T) {
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
		g := Resolve(&schema.Deployment{Guests: []*schema.Guest{{VM: "vm", Listeners: []*schema.Listener{&tt.l}}}}).Guest("vm")
		if got, _ := g.Serves("tcp", tt.dst, 80); got != tt.want {
			t.Errorf("Serves(tcp %s:80) with %+v = %v, want %v", tt.dst, tt.l, got, tt.want)
		}
	}
}

func TestPortRangeString(t *testing.T) {
	for r, want := range map[PortRange]string{
		{0, 65535}:     "all ports",
		{80, 80}:       "port 80",
		{50000, 50010}: "ports 50000-50010",
	} {
		if got := r.String(); got != want {
			t.Errorf("%v.String() = %q, want %q", r, got, want)
		}
	}
}
