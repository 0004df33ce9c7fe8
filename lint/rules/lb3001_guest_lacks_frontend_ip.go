package rules

import (
	"fmt"
	"net/netip"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema/view"
)

// GuestLacksFrontendIP is LB3001: a Floating IP rule reaches a guest that
// does not hold the frontend IP.
var GuestLacksFrontendIP = &lint.Rule{
	ID:       "LB3001",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "Floating IP backend does not hold the frontend IP",
		Text: "With Floating IP on, Azure delivers packets with destination FrontendIP:backendPort, so every backend " +
			"guest must own the frontend IP, normally on a loopback interface (or on the NIC for cluster-managed " +
			"addresses). Probes target the DIP, so the backend still looks healthy while the service is a black hole.",
		Fix: "Linux: ip addr add <FIP>/32 dev lo (IPv6: ip -6 addr add <FIP>/128 dev lo). Windows: netsh interface ipv4 add " +
			"address \"Loopback\" <FIP> 255.255.255.255 (IPv6: netsh interface ipv6 add address \"Loopback\" <FIP>/128), then " +
			"enable weakhostreceive/weakhostsend on it for the same family (netsh interface ipv4|ipv6 set interface). Make it " +
			"persistent (netplan, systemd-networkd, a scheduled task).",
		Source: docFloatingIP,
	},
	Run: runGuestLacksFrontendIP,
}

func runGuestLacksFrontendIP(pass *lint.Pass) {
	isNew := once()
	deliveries(pass, nil, func(d delivery) {
		if !d.b.known(pass, bindFloatingIP) || !d.b.Floating {
			return
		}
		fip, ok := d.b.fip(pass)
		if !ok || !fip.IsValid() {
			return
		}
		if _, ok := d.Guest.Holder(fip); ok || !isNew([2]any{d.Guest, fip}) {
			return
		}
		pass.Report(d.Guest.At("interfaces"), d.Guest.Path(), addressFix(d.Guest, fip),
			fmt.Sprintf("guest %q does not hold frontend IP %s of Floating IP %s (load balancer %q) on a loopback nor on its NIC; packets to %s are dropped: add it to the loopback",
				d.Guest.VM, fip, d.b, d.b.LB.Name, fip))
	})
}

// addressFix is the command that puts fip on g's loopback (its name
// quoted: quote.go).
func addressFix(g *view.Guest, fip netip.Addr) string {
	lo := loopbackName(g)
	if !g.IsWindows() {
		return fmt.Sprintf("%s addr add %s/%d dev %s", ipCommand(fip), fip, hostPrefix(fip), shArg(lo, "loopback name"))
	}
	if fip.Is6() {
		return fmt.Sprintf(`netsh interface ipv6 add address %s %s/128`, netshArg(lo, "loopback name"), fip) + "\n" + weakHostFix(lo, fip, true, true)
	}
	return fmt.Sprintf(`netsh interface ipv4 add address %s %s 255.255.255.255`, netshArg(lo, "loopback name"), fip) + "\n" + weakHostFix(lo, fip, true, true)
}

// loopbackName is the name of g's first loopback interface, or the OS's
// usual name when it declares none.
func loopbackName(g *view.Guest) string {
	switch {
	case g.Loopback() != nil:
		return g.Loopback().Name
	case g.IsWindows():
		return "Loopback"
	}
	return "lo"
}
