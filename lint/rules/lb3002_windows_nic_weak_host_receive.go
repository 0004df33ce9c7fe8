package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

// WindowsNICWeakHostReceive is LB3002: a Windows guest behind a Floating IP
// rule whose NIC does not accept packets for the loopback's address.
var WindowsNICWeakHostReceive = &lint.Rule{
	ID:       "LB3002",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "Windows NIC lacks weakHostReceive for a Floating IP rule",
		Text: "Windows uses the strong host model: the NIC accepts only packets addressed to its own addresses. The " +
			"frontend IP lives on a loopback, so the Azure NIC needs weakhostreceive=enabled; without it Windows " +
			"silently discards the load-balanced packets (RFC 1122 3.3.4.2) while probes to the DIP still succeed.",
		Fix:    "netsh interface ipv4 set interface \"<nic name>\" weakhostreceive=enabled",
		Source: docFloatingIP,
	},
	Run: runWindowsNICWeakHostReceive,
}

func runWindowsNICWeakHostReceive(pass *lint.Pass) {
	isNew := once()
	deliveries(pass, (*view.Guest).IsWindows, func(d delivery) {
		if !d.b.known(pass, bindFloatingIP) || !d.b.Floating {
			return
		}
		fip, ok := d.b.fip(pass)
		if !ok || !fip.IsValid() {
			return
		}
		if x, ok := d.Guest.Holder(fip); ok && x.Iface.Kind == schema.KindNIC {
			return // the NIC owns the frontend IP itself
		}
		nic, ok := d.nic(pass)
		if !ok || nic == nil || nic.WeakHostReceive || !isNew(nic) {
			return
		}
		pass.Report(nic.At("weakHostReceive"), nic.Path(), weakHostFix(nic.Name, fip, true, false),
			fmt.Sprintf("Windows guest %q: NIC %q lacks weakHostReceive, so it drops packets for frontend IP %s of Floating IP %s: enable weakhostreceive on the NIC",
				d.Guest.VM, nic.Name, fip, d.b))
	})
}
