package guest

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
)

var dip = []netip.Addr{netip.MustParseAddr("10.0.0.4")}

func nic(name string, recv, send bool, addrs ...string) *schema.Interface {
	return &schema.Interface{Name: name, Kind: "nic", Addresses: addrs, WeakHostReceive: recv, WeakHostSend: send}
}

func loop(name string, recv, send bool, addrs ...string) *schema.Interface {
	return &schema.Interface{Name: name, Kind: "loopback", Addresses: addrs, WeakHostReceive: recv, WeakHostSend: send}
}

func drops(rs ...string) []DropRule {
	var out []DropRule
	for _, r := range rs {
		f := strings.Fields(r)
		out = append(out, DropRule{f[0], f[1], netip.MustParseAddr(f[2])})
	}
	return out
}

func TestNewPlanDefaults(t *testing.T) {
	p, err := NewPlan("vm1", nil, []netip.Addr{netip.MustParseAddr("10.1.2.5"), netip.MustParseAddr("10.1.2.6")})
	if err != nil {
		t.Fatal(err)
	}
	want := &Plan{VM: "vm1", OS: Linux, NIC: "eth0",
		NICAddrs: []netip.Prefix{netip.MustParsePrefix("10.1.2.5/24"), netip.MustParsePrefix("10.1.2.6/24")},
		Gateway:  netip.MustParseAddr("10.1.2.1")}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("plan = %+v\nwant %+v", p, want)
	}
}

func TestNewPlanLinux(t *testing.T) {
	g := &schema.Guest{VM: "vm1", OS: "linux",
		Interfaces: []*schema.Interface{nic("ens3", false, false, "10.0.0.4/26"), loop("lo", false, false, "10.0.0.100/24")},
		Sysctls:    map[string]string{"net.ipv4.conf.ens3.arp_ignore": "1", "net.ipv4.conf.all.arp_announce": "2"},
		Listeners:  []*schema.Listener{{Proto: "tcp", Address: "0.0.0.0", Port: 80}, {Proto: "udp", Address: "10.0.0.100", Port: 53}},
	}
	p, err := NewPlan("vm1", g, dip)
	if err != nil {
		t.Fatal(err)
	}
	if p.NIC != "ens3" {
		t.Errorf("NIC = %q, want the declared Linux name ens3", p.NIC)
	}
	if got := fmt.Sprint(p.NICAddrs, p.LoAddrs, p.Gateway); got != "[10.0.0.4/26] [10.0.0.100/24] 10.0.0.1" {
		t.Errorf("addresses = %s", got)
	}
	if got := fmt.Sprint(p.Sysctls); got != "[[net.ipv4.conf.all.arp_announce 2] [net.ipv4.conf.ens3.arp_ignore 1]]" {
		t.Errorf("sysctls = %s", got)
	}
	if len(p.HostModel) != 0 {
		t.Errorf("Linux guest got host-model drops %v", p.HostModel)
	}
	if got := fmt.Sprint(p.Listeners); got != "[tcp:0.0.0.0:80 udp:10.0.0.100:53]" {
		t.Errorf("listeners = %s", got)
	}
}

func TestHostModel(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ifs   []*schema.Interface
		lo    string
		drops []DropRule
	}{
		{"strong both", []*schema.Interface{nic("Ethernet", false, false, "10.0.0.4/24"), loop("Loopback", false, false, "10.0.0.100/24")},
			"[10.0.0.100/32]", drops("in eth0 10.0.0.100", "out eth0 10.0.0.100")},
		{"weak receive on NIC", []*schema.Interface{nic("Ethernet", true, false, "10.0.0.4/24"), loop("Loopback", false, false, "10.0.0.100")},
			"[10.0.0.100/32]", drops("out eth0 10.0.0.100")},
		{"weak receive on loopback only", []*schema.Interface{nic("Ethernet", false, false), loop("Loopback", true, false, "10.0.0.100")},
			"[10.0.0.100/32]", drops("in eth0 10.0.0.100", "out eth0 10.0.0.100")},
		{"weak send on loopback", []*schema.Interface{nic("Ethernet", false, false), loop("Loopback", false, true, "10.0.0.100")},
			"[10.0.0.100/32]", drops("in eth0 10.0.0.100")},
		{"weak send on NIC", []*schema.Interface{nic("Ethernet", false, true), loop("Loopback", false, false, "10.0.0.100")},
			"[10.0.0.100/32]", drops("in eth0 10.0.0.100")},
		{"weak both on NIC", []*schema.Interface{nic("Ethernet", true, true), loop("Loopback", false, false, "10.0.0.100")},
			"[10.0.0.100/32]", nil},
		{"two loopbacks, one weak send", []*schema.Interface{nic("Ethernet", true, false), loop("L1", false, true, "203.0.113.10"), loop("L2", false, false, "203.0.113.11")},
			"[203.0.113.10/32 203.0.113.11/32]", drops("out eth0 203.0.113.11")},
		{"address also on NIC", []*schema.Interface{nic("Ethernet", false, false, "10.0.0.4/24", "10.0.0.100/24"), loop("Loopback", false, false, "10.0.0.100")},
			"[10.0.0.100/32]", nil},
		{"no interfaces declared", nil, "[]", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPlan("w", &schema.Guest{VM: "w", OS: "windows", Interfaces: tc.ifs}, dip)
			if err != nil {
				t.Fatal(err)
			}
			if p.NIC != "eth0" {
				t.Errorf("Windows NIC = %q, want eth0", p.NIC)
			}
			if got := fmt.Sprint(p.LoAddrs); got != tc.lo {
				t.Errorf("loopback addresses = %s, want %s", got, tc.lo)
			}
			if !reflect.DeepEqual(p.HostModel, tc.drops) {
				t.Errorf("drops = %v\nwant    %v", p.HostModel, tc.drops)
			}
		})
	}
}

func TestFirewallPlan(t *testing.T) {
	g := &schema.Guest{VM: "v", OS: "windows", Firewall: &schema.Firewall{Enabled: true, DefaultInbound: "block", Rules: []*schema.FirewallRule{
		{Name: "web", Action: "allow", Proto: "tcp", LocalPort: 80},
		{Name: "bad", Action: "block", Proto: "any", RemoteAddress: "198.51.100.0/24"},
		{Action: "allow", Proto: "udp", LocalAddress: "10.0.0.100", LocalPort: 53},
	}}}
	p, err := NewPlan("v", g, dip)
	if err != nil {
		t.Fatal(err)
	}
	want := &FirewallPlan{DefaultDrop: true, Rules: []FWRule{
		{Name: "bad", Remote: netip.MustParsePrefix("198.51.100.0/24")},
		{Name: "web", Accept: true, Proto: "tcp", LocalPort: 80},
		{Name: "rule 3", Accept: true, Proto: "udp", Local: netip.MustParsePrefix("10.0.0.100/32"), LocalPort: 53},
	}}
	if !reflect.DeepEqual(p.Firewall, want) {
		t.Errorf("firewall = %+v\nwant %+v", p.Firewall, want)
	}
	g.Firewall.Enabled = false
	if p, _ := NewPlan("v", g, dip); p.Firewall != nil {
		t.Errorf("disabled firewall planned: %+v", p.Firewall)
	}
}

func TestNewPlanErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		g    *schema.Guest
		dips []netip.Addr
		want string
	}{
		{"no DIP", nil, nil, "no private IP address"},
		{"bad os", &schema.Guest{OS: "bsd"}, dip, `os "bsd"`},
		{"two NICs", &schema.Guest{Interfaces: []*schema.Interface{nic("a", false, false), nic("b", false, false)}}, dip, "both NICs"},
		{"bad kind", &schema.Guest{Interfaces: []*schema.Interface{{Name: "t", Kind: "tunnel"}}}, dip, `kind "tunnel"`},
		{"bad address", &schema.Guest{Interfaces: []*schema.Interface{loop("lo", false, false, "10.0.0.300/32")}}, dip, "want an IPv4 CIDR"},
		{"DIP is gateway", nil, []netip.Addr{netip.MustParseAddr("10.0.0.1")}, "reserves the first four"},
		{"tiny subnet", &schema.Guest{Interfaces: []*schema.Interface{nic("e", false, false, "10.0.0.4/30")}}, dip, "too small"},
		{"kernel sysctl", &schema.Guest{OS: "linux", Sysctls: map[string]string{"kernel.panic": "1"}}, dip, "only net.*"},
		{"windows sysctl", &schema.Guest{OS: "windows", Sysctls: map[string]string{"net.ipv4.ip_forward": "1"}}, dip, "Linux settings"},
		{"listener proto", &schema.Guest{Listeners: []*schema.Listener{{Proto: "sctp", Port: 1}}}, dip, `proto "sctp"`},
		{"listener port", &schema.Guest{Listeners: []*schema.Listener{{Proto: "tcp", Port: 70000}}}, dip, "out of range"},
		{"listener addr", &schema.Guest{Listeners: []*schema.Listener{{Proto: "tcp", Address: "fe80::1", Port: 80}}}, dip, "IPv4"},
		{"firewall action", &schema.Guest{Firewall: &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{{Action: "deny"}}}}, dip, `action "deny"`},
		{"firewall default", &schema.Guest{Firewall: &schema.Firewall{Enabled: true, DefaultInbound: "deny"}}, dip, `defaultInbound "deny"`},
		{"firewall addr", &schema.Guest{Firewall: &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{{Action: "allow", RemoteAddress: "x"}}}}, dip, "remoteAddress"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewPlan("vm", tc.g, tc.dips)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseReply(t *testing.T) {
	id := Ident{VM: "vm-a", Proto: "udp", Local: netip.MustParseAddrPort("203.0.113.10:80"), Remote: netip.MustParseAddrPort("198.51.100.101:40000")}
	echo, got, err := ParseReply([]byte("hello\nworld\n" + id.String() + "\n"))
	if err != nil || echo != "hello\nworld" || got != id {
		t.Errorf("ParseReply = %q, %+v, %v", echo, got, err)
	}
	for _, bad := range []string{"", "noident", "x\nvm=a proto=tcp local=1.2.3.4:1", "x\nvm=a proto=tcp local=1.2.3.4 remote=1.2.3.4:5", "x\nvm=a prot=tcp local=1.2.3.4:1 remote=1.2.3.4:5"} {
		if _, _, err := ParseReply([]byte(bad)); err == nil {
			t.Errorf("ParseReply(%q) accepted", bad)
		}
	}
}

func FuzzParseReply(f *testing.F) {
	f.Add([]byte("hi\nvm=a proto=tcp local=10.0.0.4:80 remote=198.51.100.101:1234\n"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		echo, id, err := ParseReply(b)
		if err != nil {
			return
		}
		// What parses must render back to the same ident line.
		again, id2, err := ParseReply([]byte(echo + "\n" + id.String() + "\n"))
		if err != nil || again != echo || id2 != id {
			t.Fatalf("round trip of %q: %q %+v %v", b, again, id2, err)
		}
	})
}
