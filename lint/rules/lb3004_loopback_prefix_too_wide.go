package rules

import (
	"fmt"
	"net/netip"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
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
			"subnet the VM can then no longer reach its subnet peers or gateway. An IPv6 prefix on lo gets a unicast " +
			"route to lo instead (only the address itself is local): packets to the other addresses of the prefix go " +
			"to the loopback and are lost, those to the VM's own /64 subnet too whenever that route was installed before " +
			"the NIC's (both have metric 256; verified on Linux 6.x).",
		Fix:    "ip addr del <FIP>/<len> dev lo && ip addr add <FIP>/32 dev lo; IPv6: ip -6 addr del <FIP>/<len> dev lo && ip -6 addr add <FIP>/128 dev lo",
		Source: docFibLocal,
	},
	Run: runLoopbackPrefixTooWide,
}

func runLoopbackPrefixTooWide(pass *lint.Pass) {
	type wide struct {
		g *view.Guest
		x view.IfaceAddr
	}
	// Loopback addresses of Linux guests with a prefix wider than a host's,
	// other than 127.0.0.0/8 and ::1, which no frontend can have.
	var candidates []wide
	for _, g := range viewOf(pass).Guests {
		if g.IsWindows() {
			continue
		}
		for _, x := range g.Addrs {
			if a := x.Prefix.Addr(); x.Iface.Kind == schema.KindLoopback && !a.IsLoopback() && x.Prefix.Bits() < hostPrefix(a) {
				candidates = append(candidates, wide{g, x})
			}
		}
	}
	if len(candidates) == 0 {
		return
	}
	fips := map[netip.Addr]bool{}
	var others []*schema.Frontend // address invalid or only known at deployment
	for _, lb := range pass.Deployment.LoadBalancers {
		for _, f := range lb.FrontendIPConfigurations {
			if a := view.ParseAddr(f.IPAddress); settled(f, frontendIPAddress, a.IsValid()) {
				fips[a] = true
			} else {
				others = append(others, f)
			}
		}
	}
	unmatched := false
	for _, c := range candidates {
		a := c.x.Prefix.Addr()
		if !fips[a] {
			unmatched = true
			continue
		}
		effect := "makes all of %s local"
		if a.Is6() {
			effect = "routes all of %s to the loopback"
		}
		pass.Report(c.x.Iface.At("addresses"), c.x.Iface.Path(), hostPrefixFix(c.x),
			fmt.Sprintf("guest %q has frontend IP %s on loopback %q as %s; Linux "+effect+", cutting the VM off from those addresses: use /%d",
				c.g.VM, a, c.x.Iface.Name, c.x.Prefix, c.x.Prefix.Masked(), hostPrefix(a)))
	}
	if unmatched {
		// A frontend whose address is only known at deployment may hold an
		// unmatched one: known records it for LB0010.
		for _, f := range others {
			known(pass, f, frontendIPAddress)
		}
	}
}

// hostPrefixFix is the command that replaces x, a loopback address with a
// prefix wider than a host's, with its address alone (the interface name
// quoted: quote.go).
func hostPrefixFix(x view.IfaceAddr) string {
	a := x.Prefix.Addr()
	lo, ip := shArg(x.Iface.Name, "loopback name"), ipCommand(a)
	return fmt.Sprintf("%s addr del %s dev %s && %s addr add %s/%d dev %s", ip, x.Prefix, lo, ip, a, hostPrefix(a), lo)
}
