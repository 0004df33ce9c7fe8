package rules

import (
	"fmt"
	"net/netip"

	"github.com/lbcheck/lbcheck/lint"
)

// LoopbackPrefixTooWide is LB3004: a Linux guest puts a frontend IP on a
// loopback with a prefix shorter than a host prefix.
var LoopbackPrefixTooWide = &lint.Rule{
	ID:       "LB3004",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "Linux frontend IP on a loopback with a prefix shorter than /32 (/128)",
		Text: "Linux installs the prefix route of an address on a loopback device as type local " +
			"(fib_add_ifaddr: RTN_LOCAL for IFF_LOOPBACK), so every address in the prefix becomes local. Azure's " +
			"own example adds the frontend IP as /24; for an internal load balancer whose frontend shares the VM's " +
			"subnet the VM can then no longer reach its subnet peers or gateway.",
		Fix:    "ip addr del <FIP>/<len> dev lo && ip addr add <FIP>/32 dev lo (/128 for IPv6)",
		Source: docFibLocal,
	},
	Run: runLoopbackPrefixTooWide,
}

func runLoopbackPrefixTooWide(pass *lint.Pass) {
	ix := indexOf(pass)
	fips := map[netip.Addr]bool{}
	for _, lb := range pass.Deployment.LoadBalancers {
		for _, f := range lb.FrontendIPConfigurations {
			if a := parseAddr(f.IPAddress); a.IsValid() {
				fips[a] = true
			}
		}
	}
	for _, g := range pass.Deployment.Guests {
		gv := ix.guests[g.VM]
		if gv == nil || gv.g != g || gv.isWindows() {
			continue
		}
		for _, x := range gv.addrs {
			a := x.prefix.Addr()
			if x.iface.Kind != "loopback" || !fips[a] || x.prefix.Bits() >= hostPrefix(a) {
				continue
			}
			fix := fmt.Sprintf("ip addr del %s dev %s && ip addr add %s/%d dev %s", x.prefix, x.iface.Name, a, hostPrefix(a), x.iface.Name)
			pass.Report(x.iface.At("addresses"), x.iface.Path(), fix,
				fmt.Sprintf("guest %q has frontend IP %s on loopback %q as %s; Linux makes all of %s local, cutting the VM off from those addresses: use /%d",
					g.VM, a, x.iface.Name, x.prefix, x.prefix.Masked(), hostPrefix(a)))
		}
	}
}
