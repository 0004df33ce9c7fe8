package rules

import (
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

// hostileNames are interface and rule names a user's file may hold.
var hostileNames = []string{
	"lo; curl x | sh #",
	`Ethernet" & calc & "`,
	"it's",
	"$(reboot)",
	"`id`",
	"a && b || c > /etc/passwd",
	"%PATH%",
	"!x!",
	"$env:USERNAME",
	`x\`,
	"“smart” quotes",
	"new\nline",
	"esc\x1b[2J",
	"bidi\u202e",
	"-n",
	"",
}

func TestShArg(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"lo", "lo"},
		{"lo:0", "lo:0"},
		{"eth0.100", "eth0.100"},
		{"tcp", "tcp"},
		{"lo; curl x | sh #", "'lo; curl x | sh #'"},
		{"it's", `'it'\''s'`},
		{"$(reboot)", "'$(reboot)'"},
		{"", "''"},
		{"é", "'é'"},
		{"new\nline", "'<loopback name>'"},
		{"esc\x1b[2J", "'<loopback name>'"},
	} {
		if got := shArg(tt.in, "loopback name"); got != tt.want {
			t.Errorf("shArg(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestShArgInShells runs each quoted name through the shells a fix is
// pasted into: every one must print exactly the name (or the placeholder)
// and run nothing else.
func TestShArgInShells(t *testing.T) {
	for _, sh := range []string{"sh", "dash", "bash"} {
		path, err := exec.LookPath(sh)
		if err != nil {
			t.Logf("no %s: %v", sh, err)
			continue
		}
		for _, name := range append(hostileNames, "lo", "lo:0") {
			arg := shArg(name, "interface name")
			out, err := exec.Command(path, "-c", "printf '%s|' "+arg+"; echo END").CombinedOutput()
			want := name
			if strings.HasPrefix(arg, "'<") {
				want = "<interface name>"
			}
			if err != nil || string(out) != want+"|END\n" {
				t.Errorf("%s: printf '%%s|' %s; echo END printed %q (%v), want %q", sh, arg, out, err, want+"|END\n")
			}
		}
	}
}

func TestNetshArg(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Loopback", `"Loopback"`},
		{"Ethernet 2", `"Ethernet 2"`},
		{"Loopback Pseudo-Interface 1", `"Loopback Pseudo-Interface 1"`},
		{"vEthernet (Default Switch)", `"vEthernet (Default Switch)"`},
		{"lo; curl x | sh #", `"lo; curl x | sh #"`},
		{"a & b ^ c < d > e 'f'", `"a & b ^ c < d > e 'f'"`},
		{"Ethernet 日本", `"Ethernet 日本"`},
	} {
		if got := netshArg(tt.in, "interface name"); got != tt.want {
			t.Errorf("netshArg(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	// Anything either shell could act on inside the quotes is replaced.
	for _, in := range []string{`Ethernet" & calc & "`, "%PATH%", "!x!", "$(calc)", "$env:USERNAME", "a`b", `x\`, "“smart”", "„low", "new\nline", "esc\x1b", "bidi\u202e", "nbsp\u00a0"} {
		if got := netshArg(in, "interface name"); got != `"<interface name>"` {
			t.Errorf("netshArg(%q) = %s, want the placeholder", in, got)
		}
	}
	for in, want := range map[string]string{"TCP": "TCP", "UDP": "UDP", "TCP & calc": `"TCP & calc"`, `T"CP`: `"<protocol>"`} {
		if got := netshWord(in, "protocol"); got != want {
			t.Errorf("netshWord(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestFixesQuoteNames builds every fix command that interpolates a name
// from hostile names: each name reaches the command only as one quoted
// argument or as a placeholder.
func TestFixesQuoteNames(t *testing.T) {
	fip, src := netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("168.63.129.16")
	fip6 := netip.MustParseAddr("2001:db8:1::10")
	lo := func(os schema.OS, name string) *view.Guest {
		return guestOf(&schema.Guest{OS: os, Interfaces: []*schema.Interface{{Name: name, Kind: "loopback"}}})
	}
	for got, want := range map[string]string{
		addressFix(lo("linux", "lo; curl x | sh #"), fip): "ip addr add 203.0.113.10/32 dev 'lo; curl x | sh #'",
		addressFix(lo("windows", `Ethernet" & calc & "`), fip): `netsh interface ipv4 add address "<loopback name>" 203.0.113.10 255.255.255.255` + "\n" +
			`netsh interface ipv4 set interface "<interface name>" weakhostreceive=enabled weakhostsend=enabled`,
		weakHostFix("Ethernet 2 & calc", fip, true, false): `netsh interface ipv4 set interface "Ethernet 2 & calc" weakhostreceive=enabled`,
		addressFix(lo("linux", "lo"), fip6):                "ip -6 addr add 2001:db8:1::10/128 dev lo",
		addressFix(lo("windows", "Loopback"), fip6): `netsh interface ipv6 add address "Loopback" 2001:db8:1::10/128` + "\n" +
			`netsh interface ipv6 set interface "Loopback" weakhostreceive=enabled weakhostsend=enabled`,
		weakHostFix("Ethernet", fip6, true, false): `netsh interface ipv6 set interface "Ethernet" weakhostreceive=enabled`,
		hostPrefixFix(view.IfaceAddr{Iface: &schema.Interface{Name: "lo"}, Prefix: netip.MustParsePrefix("10.0.0.10/24")}):        "ip addr del 10.0.0.10/24 dev lo && ip addr add 10.0.0.10/32 dev lo",
		hostPrefixFix(view.IfaceAddr{Iface: &schema.Interface{Name: "lo:0"}, Prefix: netip.MustParsePrefix("2001:db8:1::10/64")}): "ip -6 addr del 2001:db8:1::10/64 dev lo:0 && ip -6 addr add 2001:db8:1::10/128 dev lo:0",
	} {
		if got != want {
			t.Errorf("fix\n%s\nwant\n%s", got, want)
		}
	}
	for _, name := range hostileNames {
		linux, windows := lo("linux", name), lo("windows", name)
		sh, netsh := shArg(name, "loopback name"), netshArg(name, "loopback name")
		for _, tt := range []struct{ fix, want string }{
			{addressFix(linux, fip), "ip addr add 203.0.113.10/32 dev " + sh},
			{addressFix(linux, fip6), "ip -6 addr add 2001:db8:1::10/128 dev " + sh},
			{hostPrefixFix(view.IfaceAddr{Iface: linux.Loopback(), Prefix: netip.MustParsePrefix("2001:db8:1::10/64")}),
				"ip -6 addr del 2001:db8:1::10/64 dev " + sh + " && ip -6 addr add 2001:db8:1::10/128 dev " + sh},
			{addressFix(windows, fip6), "netsh interface ipv6 add address " + netsh + " 2001:db8:1::10/128\n" +
				"netsh interface ipv6 set interface " + netshArg(name, "interface name") + " weakhostreceive=enabled weakhostsend=enabled"},
			{allowFix(linux, "lbcheck "+name, schema.SockProto(name), src, fip, 80), "nft add rule inet filter input ip saddr 168.63.129.16 ip daddr 203.0.113.10 " + shArg(name, "protocol") + " dport 80 accept"},
			{addressFix(windows, fip), "netsh interface ipv4 add address " + netsh + " 203.0.113.10 255.255.255.255\n" +
				"netsh interface ipv4 set interface " + netshArg(name, "interface name") + " weakhostreceive=enabled weakhostsend=enabled"},
			{weakHostFix(name, netip.MustParseAddr("2001:db8::1"), true, false), "netsh interface ipv6 set interface " + netshArg(name, "interface name") + " weakhostreceive=enabled"},
			{allowFix(windows, "lbcheck "+name, schema.SockProto(name), netip.Addr{}, fip, 443), "netsh advfirewall firewall add rule name=" + netshArg("lbcheck "+name, "rule name") +
				" dir=in action=allow protocol=" + netshWord(strings.ToUpper(name), "protocol") + " localip=203.0.113.10 localport=443"},
		} {
			if tt.fix != tt.want {
				t.Errorf("name %q: fix\n%s\nwant\n%s", name, tt.fix, tt.want)
			}
			for _, line := range strings.Split(tt.fix, "\n") {
				if strings.ContainsAny(line, "\x1b\r\u202e") {
					t.Errorf("name %q: fix line %q holds a control character", name, line)
				}
			}
		}
	}
}
