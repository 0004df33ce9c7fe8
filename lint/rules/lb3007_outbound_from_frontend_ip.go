package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema/view"
)

// OutboundFromFrontendIP is LB3007: a guest application opens outbound
// connections from the frontend IP.
var OutboundFromFrontendIP = &lint.Rule{
	ID:       "LB3007",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "Application uses the frontend IP as outbound source",
		Text: "With Floating IP the application must use the primary IP configuration for outbound flows. \"If your " +
			"application binds to the frontend IP address configured on the loopback ... Azure's outbound won't " +
			"rewrite the outbound flow, and the flow fails.\"",
		Fix:    "Bind outbound sockets to the DIP (or leave the source unbound so the kernel picks the NIC address).",
		Source: docFloatingIP,
	},
	Run: runOutboundFromFrontendIP,
}

func runOutboundFromFrontendIP(pass *lint.Pass) {
	isNew := once()
	deliveries(pass, func(g *view.Guest) bool { return len(g.Outbound) > 0 }, func(d delivery) {
		if !d.b.known(pass, bindFloatingIP) || !d.b.Floating {
			return
		}
		fip, ok := d.b.fip(pass)
		if !ok || !fip.IsValid() {
			return
		}
		for _, f := range d.Guest.Outbound {
			if view.ParseAddr(f.SourceAddress) != fip || !isNew(f) {
				continue
			}
			// The fix names the DIP when it is known; the verdict does not
			// need it.
			fix := "bind outbound sockets to the DIP or leave the source unbound"
			if settled(d.IPConfig, ipcAddress, d.DIP.IsValid()) {
				fix = fmt.Sprintf("bind outbound sockets to the DIP %s or leave the source unbound", d.DIP)
			}
			pass.Report(f.At("sourceAddress"), f.Path(), fix,
				fmt.Sprintf("guest %q: outbound flow %q uses frontend IP %s of Floating IP %s as source; Azure does not SNAT it and the flow fails: %s",
					d.Guest.VM, f.Name, fip, d.b, fix))
		}
	})
}
