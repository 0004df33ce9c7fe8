package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
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
		Fix: "Linux: ip addr add <FIP>/32 dev lo. Windows: netsh interface ipv4 add address \"Loopback\" <FIP> 255.255.255.255 " +
			"(then enable weakhostreceive/weakhostsend on it). Make it persistent (netplan, systemd-networkd, a scheduled task).",
		Source: docFloatingIP,
	},
	Run: runGuestLacksFrontendIP,
}

func runGuestLacksFrontendIP(pass *lint.Pass) {
	ix := indexOf(pass)
	isNew := once()
	ix.deliveries(pass, func(d delivery) {
		if !d.b.known(pass, bindFloatingIP) || !d.b.floating {
			return
		}
		fip, ok := d.b.fip(pass)
		if !ok || !fip.IsValid() {
			return
		}
		if _, ok := d.g.holder(fip); ok || !isNew([2]any{d.g, fip}) {
			return
		}
		pass.Report(d.g.g.At("interfaces"), d.g.g.Path(), d.g.addressFix(fip),
			fmt.Sprintf("guest %q does not hold frontend IP %s of Floating IP %s (load balancer %q) on a loopback nor on its NIC; packets to %s are dropped: add it to the loopback",
				d.g.g.VM, fip, d.b, d.b.lbv.lb.Name, fip))
	})
}
