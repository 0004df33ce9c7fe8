package rules

import (
	"fmt"
	"strings"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

// WindowsLoopbackWeakHost is LB3003: a Windows loopback holding a frontend
// IP lacks weakHostReceive or weakHostSend.
var WindowsLoopbackWeakHost = &lint.Rule{
	ID:       "LB3003",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "Windows loopback holding the frontend IP lacks weakHostReceive/weakHostSend",
		Text: "Azure's Windows steps enable weakhostreceive and weakhostsend on the loopback that holds the frontend " +
			"IP. Without weakhostsend, replies sourced from the frontend IP cannot leave through the NIC (strong host " +
			"send, RFC 1122 3.3.4.2): the SYN arrives, the SYN-ACK never leaves. weakHostSend on the NIC is accepted " +
			"as an alternative for the send side (which interface's flag Windows checks is not documented).",
		Fix:    "netsh interface ipv4 set interface \"<loopback name>\" weakhostreceive=enabled weakhostsend=enabled",
		Source: docFloatingIP,
		Unobservable: "a loopback without weakHostReceive, when the NIC has weakHostReceive and weakHostSend. Azure's steps " +
			"ask for the flag, but by the strong host model Windows documents, the receiving interface (the NIC) decides " +
			"whether a packet for another interface's address is accepted; conform's Windows emulation follows that model, " +
			"so no packet shows this finding, and whether Windows checks the loopback's flag too is not documented.",
	},
	Run: runWindowsLoopbackWeakHost,
}

func runWindowsLoopbackWeakHost(pass *lint.Pass) {
	isNew := once()
	deliveries(pass, (*view.Guest).IsWindows, func(d delivery) {
		if !d.b.known(pass, bindFloatingIP) || !d.b.Floating {
			return
		}
		fip, ok := d.b.fip(pass)
		if !ok || !fip.IsValid() {
			return
		}
		x, ok := d.Guest.Holder(fip)
		if !ok || x.Iface.Kind != schema.KindLoopback {
			return
		}
		lo := x.Iface
		var missing []string
		field := ""
		if !lo.WeakHostReceive {
			missing, field = append(missing, "weakHostReceive"), "weakHostReceive"
		}
		// weakHostSend on the NIC instead is accepted; which NIC matters
		// only when the loopback lacks the flag.
		var nic *schema.Interface
		if !lo.WeakHostSend {
			if nic, ok = d.nic(pass); !ok {
				return
			}
		}
		nicSends := nic != nil && nic.WeakHostSend
		if !lo.WeakHostSend && !nicSends {
			missing = append(missing, "weakHostSend (on neither the loopback nor the NIC)")
			if field == "" {
				field = "weakHostSend"
			}
		}
		if len(missing) == 0 || !isNew(lo) {
			return
		}
		note := ""
		if nicSends {
			note = fmt.Sprintf(" (weakHostSend is set on NIC %q only, which is accepted but not Azure's documented setup)", nic.Name)
		}
		pass.Report(lo.At(field), lo.Path(), weakHostFix(lo.Name, fip, true, true),
			fmt.Sprintf("Windows guest %q: loopback %q holds frontend IP %s of Floating IP %s but lacks %s%s: enable both flags on the loopback",
				d.Guest.VM, lo.Name, fip, d.b, strings.Join(missing, " and "), note))
	})
}
